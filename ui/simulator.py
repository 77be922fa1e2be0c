"""The simulator panel (being built): a window to play the people and devices around a simulated cabinet."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class SimulatorPanel(QWidget):
    def __init__(self, kiosk) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.setWindowTitle("Simulator")
        QVBoxLayout(self).addWidget(QLabel("simulator panel"))
