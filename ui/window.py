"""The kiosk window: a header (site, clock, language) over a stack of screens; inactivity returns home.

Why full screen and frameless, with close refused: a public terminal must not let a passer-by leave the app
with Alt+F4 or reach the desktop; only ``allow_close()`` (shutdown) lets it close. A window manager's own
shortcut (Super+Down, its F11) arrives as a window-state change, so once full screen the window puts itself
back in full screen. Any touch, click or key restarts the inactivity timer; a screen holding an open door is
never sent home.

The header also carries the look a person may choose for their own session: high contrast and larger text
(words on the buttons, not icons). The choice lasts until the window falls idle; then the next person meets
the cabinet's configured look again. Night mode (ui/night.py) dims a panel without a backlight through
``set_night``: a translucent black veil over the whole window (no re-styling, so it costs nothing per session).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QMainWindow, QSizePolicy, QStackedWidget,
                               QVBoxLayout, QWidget)

from . import theme
from .i18n import LABELS
from .kiosk import Kiosk
from .screen import Screen
from .widgets import button

INPUT_EVENTS = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress}


class ElidedLabel(QLabel):
    """One line that gives way to the header's buttons: cut with "…" instead of pushing them off the panel."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setToolTip(text)

    def paintEvent(self, e: QPaintEvent) -> None:
        p = QPainter(self)
        r = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, r.width())
        p.drawText(r, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)


class NightVeil(QWidget):
    """Black at (1 - NIGHT_DIM) opacity over the window: every colour at NIGHT_DIM; taps pass through it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("night.veil")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()

    def paintEvent(self, e: QPaintEvent) -> None:
        QPainter(self).fillRect(self.rect(), QColor(0, 0, 0, round(255 * (1 - theme.NIGHT_DIM))))


class KioskWindow(QMainWindow):
    # The shown screen changed: its name.
    screen_changed = Signal(str)
    # Nobody touched the screen for the inactivity time (after it went home, unless a door holds the session).
    went_idle = Signal()
    # The look changed (palette or text size): the sheet was re-applied.
    look_changed = Signal()

    def __init__(self, kiosk: Kiosk, width: int, height: int) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.setObjectName("kiosk.window")
        self.resize(width, height)
        self._closable = False
        self.screens: dict[str, Screen] = {}
        self.home_name = "home"
        self.panel_height = height
        display = kiosk.config.display
        self.default_look = theme.Look(display.theme, display.text_scale)
        self.look = self.default_look

        header = QFrame()
        header.setObjectName("header")
        hl = QHBoxLayout(header)
        hl.setContentsMargins(8, 4, 8, 4)  # every pixel of height goes to the screens (a 480 px panel is tight)
        hl.setSpacing(6)
        self.site = ElidedLabel(f"{kiosk.config.cabinet_id} · {kiosk.config.site}")
        self.site.setObjectName("header.site")
        self.clock = QLabel()
        self._clock_format = "%Y-%m-%d %H:%M" if width >= 1000 else "%H:%M"  # the header's buttons need the room
        self.clock.setObjectName("clock")
        self.lang = button("", "lang.toggle", "", self._toggle_language)
        self.lang.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        hl.addWidget(self.site, 1)
        hl.addWidget(self.clock)
        self.tools = QHBoxLayout()  # accessibility buttons (repeat prompt, sound, text size, contrast)
        hl.addLayout(self.tools)
        hl.addWidget(self.lang)
        self.contrast = button("", "a11y.contrast", "", self.toggle_contrast)
        self.text_size = button("", "a11y.text", "", self.toggle_text_size)
        self.add_header_button(self.text_size)
        self.add_header_button(self.contrast)
        self.stack = QStackedWidget()
        central = QWidget()
        v = QVBoxLayout(central)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(0)
        v.addWidget(header)
        v.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.veil = NightVeil(self)

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
        kiosk.language_changed.connect(lambda _l: self._update_look_buttons())
        self._update_lang_button()
        self.set_look(self.look)

    def add_header_button(self, widget: QWidget) -> None:
        """A button every screen shows in the header, left of the language button (accessibility tools)."""
        widget.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.tools.addWidget(widget)

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
            return
        if cur is not None and cur.name != self.home_name:
            self.home()
        self.reset_look()
        self.went_idle.emit()

    # ---- look (this person's choice; night dimming) ----------------------------------------------------

    def set_look(self, look: theme.Look) -> None:
        """Re-apply the sheet: widgets are re-polished in place, so typed text and the open page stay."""
        self.look = look
        app = QApplication.instance()
        theme.apply(app, self.panel_height, look)  # type: ignore[arg-type]
        self._update_look_buttons()
        self.look_changed.emit()

    def toggle_contrast(self) -> None:
        self.idle.start()  # also on the home screen: the choice must fall back when this person leaves
        self.set_look(self.look.with_(theme="standard" if self.look.theme == "contrast" else "contrast"))

    def toggle_text_size(self) -> None:
        self.idle.start()
        larger = self.look.scale > 1.0
        self.set_look(self.look.with_(scale=1.0 if larger else theme.LARGER_TEXT))

    def set_night(self, night: bool) -> None:
        """Night mode without a backlight to turn down: veil the window (or lift the veil)."""
        if night:
            self.veil.setGeometry(self.rect())
            self.veil.raise_()
        self.veil.setVisible(night)

    def resizeEvent(self, e: QResizeEvent) -> None:
        super().resizeEvent(e)
        self.veil.setGeometry(self.rect())

    def reset_look(self) -> None:
        """The next person meets the configured look."""
        if self.look != self.default_look:
            self.set_look(self.default_look)

    def _update_look_buttons(self) -> None:
        # Each button says what a tap does (not an on/off colour): the words are the state.
        self.contrast.setText(self.tr("Normal colours") if self.look.theme == "contrast" else self.tr("High contrast"))
        self.text_size.setText(self.tr("Normal text") if self.look.scale > 1.0 else self.tr("Larger text"))

    # ---- header ----------------------------------------------------------------------------------------

    def _update_clock(self) -> None:
        self.clock.setText(datetime.fromtimestamp(self.kiosk.service.clock.now()).strftime(self._clock_format))

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
