"""The touchscreen application: builds the window, the home and error screens and the three flows.

Why flows: each person's journey (courier, customer, maintainer) is a QObject that owns its screens and the
service calls they trigger, so screens stay dumb (render state, forward taps) and one flow can be read,
tested and translated on its own. ``App`` is what a flow sees: ``go``, ``home``, ``error`` and the context.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from kiosk.model import KioskError

from . import theme
from .home import ErrorScreen, HomeScreen
from .kiosk import Kiosk
from .screen import Screen
from .window import KioskWindow

log = logging.getLogger(__name__)


class App(QObject):
    def __init__(self, kiosk: Kiosk, width: int | None = None, height: int | None = None) -> None:
        super().__init__()
        cfg = kiosk.config.ui
        self.kiosk = kiosk
        self.size = (width or cfg.width, height or cfg.height)
        self.metrics = theme.metrics(self.size[1])
        self.window = KioskWindow(kiosk, *self.size)
        self.home_screen = HomeScreen(self)
        self.error_screen = ErrorScreen(self)
        self.window.add(self.home_screen)
        self.window.add(self.error_screen)

        from .courier import CourierFlow
        from .customer import CustomerFlow
        from .maintainer import MaintainerFlow

        self.courier = CourierFlow(self)
        self.customer = CustomerFlow(self)
        self.maintainer = MaintainerFlow(self)
        self.home_screen.pickup_requested.connect(self.customer.begin)
        self.home_screen.courier_pin_requested.connect(self.courier.begin_pin)
        self.home_screen.maintainer_requested.connect(self.maintainer.begin)
        self.window.screen_changed.connect(self._screen_changed)
        if kiosk.fingerprint is not None:
            kiosk.fingerprint.finger_identified.connect(self._finger)
            kiosk.fingerprint.finger_not_recognised.connect(self._finger_unknown)
        from .night import NightMode

        self.night = NightMode(self)  # before audio: it reads night.active and connects to night_changed
        from hardware.speech import Speaker

        from .prompts import Prompts
        from .speech_buttons import SpeechButtons

        self.prompts = Prompts(self, Speaker(kiosk.config.audio))  # its thread starts with prompts.start()
        self.speech_buttons = SpeechButtons(self, self.prompts)
        kiosk.set_language(cfg.language)
        self.window.home()

    def add(self, screen: Screen) -> None:
        self.window.add(screen)

    def go(self, name: str, **context: object) -> Screen:
        return self.window.go(name, **context)

    def home(self, notice: str = "") -> None:
        self.window.go("home", notice=notice)

    def error(self, message: str) -> None:
        log.warning("error screen: %s", message)
        self.window.go("error", message=message)

    def _screen_changed(self, name: str) -> None:
        """Home ends the flow on video; the sensor listens for couriers on the home screen only."""
        if name == "home":
            self.kiosk.end_txn()
        if self.kiosk.fingerprint is not None:
            self.kiosk.fingerprint.listen(name == "home")

    def _finger(self, slot: int, score: int) -> None:
        if self.window.current() is not self.home_screen:
            return
        try:
            courier = self.kiosk.service.login_finger(slot)
        except KioskError:
            self.home_screen.show_notice(self.tr("Finger not recognised. Try again, or use number + PIN."))
            return
        self.courier.begin(courier)

    def _finger_unknown(self) -> None:
        if self.window.current() is self.home_screen:
            self.home_screen.show_notice(self.tr("Finger not recognised. Try again, or use number + PIN."))
