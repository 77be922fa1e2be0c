"""Night mode: a dim screen (and, for whoever listens to ``night_changed``, quiet prompts) on a schedule.

Why the service clock and a one-minute check: the schedule is wall-clock time (``[display] night_start`` and
``night_end``, wrapping midnight; equal times mean never), and tests must jump the clock rather than wait for
22:00. The check runs at start and every minute, so a night that began while the cabinet was off is seen at
once. Dimming turns the panel's backlight down through sysfs (hardware/backlight.py); a panel without one gets
a translucent black veil over the window instead (KioskWindow.set_night). Someone who touches the screen at night gets full brightness for their session; it
dims again when the window goes home or falls idle, for the next quiet hour.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from hardware.backlight import Backlight, open_backlight

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger(__name__)

INPUT_EVENTS = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress}


def minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def is_night(t: float, start: str, end: str) -> bool:
    """Is Unix time ``t`` (local time) inside [start, end)? Wraps midnight; start == end is never."""
    a, b = minutes(start), minutes(end)
    lt = datetime.fromtimestamp(t)
    now = lt.hour * 60 + lt.minute
    if a == b:
        return False
    return a <= now < b if a < b else now >= a or now < b


class NightMode(QObject):
    # Night began (True) or ended (False); audio lowers its volume on it.
    night_changed = Signal(bool)

    def __init__(self, app: "App", backlight: Backlight | None | str = "config", check_ms: int = 60_000) -> None:
        super().__init__(app)
        self.app = app
        self.window = app.window
        self.cfg = app.kiosk.config.display
        self.backlight = open_backlight(self.cfg.backlight) if backlight == "config" else backlight
        self._active = False
        self._bright_for_session = False
        self._day_level: int | None = None  # the backlight's raw level before night, restored after it
        self._timer = QTimer(self)
        self._timer.setInterval(check_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        self.window.screen_changed.connect(self._screen_changed)
        self.window.went_idle.connect(self._session_over)
        self.window.destroyed.connect(self.stop)  # nothing may touch a closed window
        QApplication.instance().installEventFilter(self)
        self.check()

    @property
    def active(self) -> bool:
        """It is night by the schedule (the screen may be bright for someone using it)."""
        return self._active

    @property
    def dimmed(self) -> bool:
        return self._active and not self._bright_for_session

    def stop(self) -> None:
        self._timer.stop()
        QApplication.instance().removeEventFilter(self)

    def check(self) -> None:
        """Compare the schedule with the service clock; start or end the night."""
        now = self.app.kiosk.service.clock.now()  # read each time: a test may swap the service's clock
        night = is_night(now, self.cfg.night_start, self.cfg.night_end)
        if night == self._active:
            return
        self._active = night
        self._bright_for_session = False
        log.info("night mode %s", "on" if night else "off")
        self._render()
        self.night_changed.emit(night)

    # ---- a person at the screen ------------------------------------------------------------------------

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:
        if e.type() in INPUT_EVENTS and self.dimmed:
            self._bright_for_session = True
            self.window.idle.start()  # on the home screen too: dim again when this person walks away
            QTimer.singleShot(0, self, self._render)  # after the press is delivered (it may change the screen)
        return False

    def _screen_changed(self, name: str) -> None:
        if name == self.window.home_name:
            self._session_over()

    def _session_over(self) -> None:
        if self._bright_for_session:
            self._bright_for_session = False
            self._render()

    # ---- the panel -------------------------------------------------------------------------------------

    def _render(self) -> None:
        dim = self.dimmed
        if self.backlight is None:
            self.window.set_night(dim)
            return
        if dim:
            if self._day_level is None:
                self._day_level = self.backlight.read()
            self.backlight.set_percent(self.cfg.night_brightness)
        elif self._day_level is not None:
            self.backlight.write(self._day_level)
            if not self._active:
                self._day_level = None
        else:
            self.backlight.set_percent(100)
