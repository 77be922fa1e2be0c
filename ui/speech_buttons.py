"""The header's two sound buttons: "Repeat" says the screen's prompt again; "Sound on/off" mutes this session.

Why words and not only icons: a loudspeaker glyph means little to many people and nothing to a screen reader;
each button says what it does and, for sound, what state it is in ("Sound on"), in the current language.
Why in the header: it is on every screen at the same place, so a person who found it once finds it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QPushButton

from .widgets import button

if TYPE_CHECKING:
    from .app import App
    from .prompts import Prompts


class SpeechButtons(QObject):
    def __init__(self, app: "App", prompts: "Prompts") -> None:
        super().__init__()
        self.prompts = prompts
        touch = app.metrics["touch"]
        self.repeat: QPushButton = button("", "a11y.repeat", "", prompts.repeat)
        self.sound: QPushButton = button("", "a11y.sound", "", prompts.toggle_sound)
        self.sound.setCheckable(True)
        for b in (self.repeat, self.sound):
            b.setMinimumSize(touch, touch)
            app.window.add_header_button(b)
        prompts.sound_changed.connect(lambda _on: self.retranslate())
        app.kiosk.language_changed.connect(lambda _lang: self.retranslate())
        self.retranslate()

    def retranslate(self) -> None:
        on = self.prompts.sound_on
        self.repeat.setText(self.tr("Repeat"))
        self.repeat.setAccessibleDescription(self.tr("Say this screen's instructions again"))
        self.sound.setChecked(on)
        self.sound.setText(self.tr("Sound on") if on else self.tr("Sound off"))
        self.sound.setAccessibleDescription(self.tr("Switch spoken instructions on or off"))
