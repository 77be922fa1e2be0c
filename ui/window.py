"""The kiosk window: a header (site, clock, language) over a stack of screens; inactivity returns home.

Why full screen and frameless, with close refused: a public terminal must not let a passer-by leave the app
with Alt+F4 or reach the desktop; only ``allow_close()`` (shutdown) lets it close. A window manager's own
shortcut (Super+Down, its F11) arrives as a window-state change, so once full screen the window puts itself
back in full screen. Any touch, click or key restarts the inactivity timer; a screen holding an open door is
never sent home.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QMainWindow, QSizePolicy, QStackedWidget,
                               QVBoxLayout, QWidget)

from .i18n import LABELS
from .kiosk import Kiosk
from .screen import Screen
from .widgets import button

INPUT_EVENTS = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress}


class KioskWindow(QMainWindow):
    # The shown screen changed: its name.
    screen_changed = Signal(str)

    def __init__(self, kiosk: Kiosk, width: int, height: int) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.setObjectName("kiosk.window")
        self.resize(width, height)
        self._closable = False
        self.screens: dict[str, Screen] = {}
        self.home_name = "home"

        header = QFrame()
        header.setObjectName("header")
        hl = QHBoxLayout(header)
        self.site = QLabel(f"{kiosk.config.cabinet_id} · {kiosk.config.site}")
        self.site.setObjectName("header.site")
        self.clock = QLabel()
        self.clock.setObjectName("clock")
        self.lang = button("", "lang.toggle", "", self._toggle_language)
        self.lang.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        hl.addWidget(self.site, 1)
        hl.addWidget(self.clock)
        hl.addWidget(self.lang)
        self.stack = QStackedWidget()
        central = QWidget()
        v = QVBoxLayout(central)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(0)
        v.addWidget(header)
        v.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._tick = QTimer(self)
        self._tick.timeout.connect(self._update_clock)
        self._tick.start(1000)
        self._update_clock()
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(int(kiosk.config.ui.inactivity_s * 1000))
        self.idle.timeout.connect(self._idle)
        QApplication.instance().installEventFilter(self)
        kiosk.language_changed.connect(lambda _l: self._update_lang_button())
        self._update_lang_button()

    # ---- screens ---------------------------------------------------------------------------------------

    def add(self, screen: Screen) -> None:
        self.screens[screen.name] = screen
        self.stack.addWidget(screen)

    def current(self) -> Screen | None:
        w = self.stack.currentWidget()
        return w if isinstance(w, Screen) else None

    def go(self, name: str, **context: object) -> Screen:
        old, new = self.current(), self.screens[name]
        if old is not None and old is not new:
            old.leave()
        self.stack.setCurrentWidget(new)
        new.enter(**context)
        self.idle.start()
        self.screen_changed.emit(name)
        return new

    def home(self) -> None:
        self.go(self.home_name)

    # ---- inactivity ------------------------------------------------------------------------------------

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:
        if e.type() in INPUT_EVENTS and self.idle.isActive():
            self.idle.start()
        return False

    def _idle(self) -> None:
        cur = self.current()
        if cur is not None and cur.holds_session():
            self.idle.start()  # a door is open: stay until it closes
        elif cur is not None and cur.name != self.home_name:
            self.home()

    # ---- header ----------------------------------------------------------------------------------------

    def _update_clock(self) -> None:
        self.clock.setText(datetime.fromtimestamp(self.kiosk.service.clock.now()).strftime("%Y-%m-%d %H:%M"))

    def _toggle_language(self) -> None:
        self.kiosk.set_language(self.kiosk.languages.other())

    def _update_lang_button(self) -> None:
        self.lang.setText(LABELS[self.kiosk.languages.other()])

    # ---- kiosk mode ------------------------------------------------------------------------------------

    def allow_close(self) -> None:
        self._closable = True

    def changeEvent(self, e: QEvent) -> None:
        super().changeEvent(e)
        if e.type() == QEvent.Type.WindowStateChange and not self._closable:
            was_full = bool(e.oldState() & Qt.WindowState.WindowFullScreen)  # type: ignore[attr-defined]
            if was_full and not self.windowState() & Qt.WindowState.WindowFullScreen:
                QTimer.singleShot(0, self, self.showFullScreen)  # after the change; dropped if the window goes

    def closeEvent(self, e: QCloseEvent) -> None:
        if self._closable:
            e.accept()
        else:
            e.ignore()  # Alt+F4 and friends do not leave the kiosk
