"""The home screen, and the error screen every flow falls back to.

Home says the two things people come for, in the largest type: customers tap "Pick up a parcel"; couriers
put a finger on the sensor (it is always listening here) or use number + PIN. Maintainers have a small corner
entry. The live camera preview shows people they are on video, as the patent promises.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

from .camera_view import CameraView
from .screen import Screen
from .widgets import button


class HomeScreen(Screen):
    name = "home"

    # The customer wants to pick up a parcel.
    pickup_requested = Signal()
    # A courier wants to log in with number + PIN.
    courier_pin_requested = Signal()
    # A maintainer tapped the corner entry.
    maintainer_requested = Signal()

    def build(self) -> None:
        small = self.app.size[1] < 600  # a 7" 800x480 panel: every pixel goes to the two big targets
        touch = self.app.metrics["touch"]
        row = QHBoxLayout()
        self.preview = CameraView()
        self.preview.setMinimumSize(200, 150)
        if self.kiosk.camera is not None:
            self.preview.connect_worker(self.kiosk.camera)
        row.addWidget(self.preview, 5)
        side = QVBoxLayout()
        self.pickup = button("", "home.pickup", "primary", self.pickup_requested.emit)
        self.pickup.setMinimumHeight(round(touch * (1.3 if small else 2)))
        self.finger = QLabel()
        self.finger.setObjectName("subtitle")
        self.finger.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setObjectName("error")
        self.notice.setWordWrap(True)
        self.courier_pin = button("", "home.courier_pin", "", self.courier_pin_requested.emit)
        self.maintain = button("", "home.maintain", "link", self.maintainer_requested.emit)
        side.addWidget(self.pickup, 3)
        side.addWidget(self.finger)
        side.addWidget(self.courier_pin, 1)
        side.addWidget(self.notice)
        side.addWidget(self.maintain, 0, Qt.AlignmentFlag.AlignRight)
        row.addLayout(side, 6)
        self.body_layout.addLayout(row, 1)
        if small:
            self.title.hide()
            self.subtitle.hide()
        self._clear_notice = QTimer(self)
        self._clear_notice.setSingleShot(True)
        self._clear_notice.timeout.connect(self.notice.clear)

    def retranslate(self) -> None:
        cfg = self.kiosk.config
        self.title.setText(self.tr("Welcome to the parcel locker"))
        self.subtitle.setText(cfg.address or cfg.site)
        self.pickup.setText(self.tr("Pick up a parcel"))
        self.finger.setText(self.tr("Courier: place your finger on the sensor"))
        self.courier_pin.setText(self.tr("Courier number + PIN"))
        self.maintain.setText(self.tr("Maintenance"))

    def enter(self, **context: Any) -> None:
        self.show_notice(context.get("notice", ""))

    def show_notice(self, text: str) -> None:
        """A line for the person in front of the cabinet, cleared after 8 s."""
        self.notice.setText(text)
        if text:
            self._clear_notice.start(8000)


class ErrorScreen(Screen):
    """Something went wrong: say what, say who to call, offer the way home."""

    name = "error"

    def build(self) -> None:
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.support = QLabel()
        self.support.setObjectName("subtitle")
        self.support.setWordWrap(True)
        self.body_layout.addWidget(self.message)
        self.body_layout.addWidget(self.support)
        self.body_layout.addStretch(1)
        self.ok = button("", "error.home", "primary", self.app.window.home)
        self.buttons.addWidget(self.ok)
        self._text = ""

    def retranslate(self) -> None:
        self.title.setText(self.tr("Sorry, something went wrong"))
        phone = self.kiosk.config.ui.support_phone
        self.support.setText(self.tr("Call support: {phone} (cabinet {id})").format(
            phone=phone or self.tr("see the sticker on the cabinet"), id=self.kiosk.config.cabinet_id))
        self.ok.setText(self.tr("Back to start"))

    def enter(self, **context: Any) -> None:
        self.message.setText(str(context.get("message", "")))
