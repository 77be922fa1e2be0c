"""The base of every page: a title, a subtitle, a body, a row of buttons; texts re-read on language change.

Why a base class: every screen must switch language live, keep stable objectNames, and tell the window
whether a door is open (then inactivity must not send the screen home). Subclasses build widgets in
``build()``, set texts in ``retranslate()`` (always through ``self.tr``), and react in ``enter(**context)``.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger(__name__)

PROMPT_LABELS = ("title", "subtitle", "big", "hint")  # labels whose words are part of the screen's audio prompt


def _plain(text: str) -> str:
    """A label's words without rich-text markup."""
    return re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ").strip() if "<" in text else text.strip()


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

    def prompt_text(self) -> str:
        """What the audio prompt says on this screen, in the current language: its title, subtitle, instructions
        and big box number (never a field's content: typed passwords and PINs are not spoken)."""
        parts = [self.title.text(), self.subtitle.text()]  # spoken even where a small panel hides them
        parts += [w.text() for w in self.findChildren(QLabel) if w not in (self.title, self.subtitle)
                  and w.objectName() in PROMPT_LABELS and w.isVisibleTo(self)]
        parts += [t.tabText(t.currentIndex()) for t in self.findChildren(QTabWidget) if t.isVisibleTo(self)]
        return "\n".join(t for t in (_plain(p) for p in parts) if t)

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
