"""The maintainer flow (being built): screens and service calls of the maintainer's journey."""

from __future__ import annotations

from PySide6.QtCore import QObject


class MaintainerFlow(QObject):
    def __init__(self, app) -> None:
        super().__init__()
        self.app = app

    def begin(self, *args) -> None:
        self.app.error(self.tr("This part of the kiosk is not ready yet."))

    def begin_pin(self) -> None:
        self.begin()
