"""The base of every page: a title, a subtitle, a body, a row of buttons; texts re-read on language change.

Why a base class: every screen must switch language live, keep stable objectNames, and tell the window
whether a door is open (then inactivity must not send the screen home). Subclasses build widgets in
``build()``, set texts in ``retranslate()`` (always through ``self.tr``), and react in ``enter(**context)``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger(__name__)


class Screen(QWidget):
    name = ""

    def __init__(self, app: "App") -> None:
        super().__init__()
        self.app = app
        self.kiosk = app.kiosk
        self.setObjectName(f"screen.{self.name}")
        outer = QVBoxLayout(self)
        m = app.metrics["pad"]
        outer.setContentsMargins(m * 2, m, m * 2, m)
        outer.setSpacing(m)
        self.title = QLabel()
        self.title.setObjectName("title")
        self.title.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("subtitle")
        self.subtitle.setWordWrap(True)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.body_layout.setSpacing(m)
        self.buttons = QHBoxLayout()
        self.buttons.setSpacing(m)
        outer.addWidget(self.title)
        outer.addWidget(self.subtitle)
        outer.addWidget(self.body, 1)
        outer.addLayout(self.buttons)
        self.title.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.build()
        self.retranslate()

    def build(self) -> None:
        """Create the widgets (called once)."""

    def retranslate(self) -> None:
        """Set every visible text through self.tr (called at start and on every language change)."""

    def enter(self, **context: Any) -> None:
        """The screen is shown with this context."""

    def leave(self) -> None:
        """The screen is hidden."""

    def holds_session(self) -> bool:
        """True while a door this screen opened is open: inactivity must not send it home."""
        return False

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            try:
                self.retranslate()
            except Exception:  # an exception escaping a Qt event handler takes the process down
                log.exception("retranslate %s", self.name)
        super().changeEvent(e)
