"""Audio prompts: every screen says what to do, in the current language; errors and notices are said too.

Why built from the screens' own texts: a prompt that lives apart from its screen drifts from it (and from its
translation); ``Screen.prompt_text()`` reads the title, subtitle, instructions and box number the screen shows,
already translated, so every screen has a prompt in both languages the day it is added. The prompt id is the
screen's name, which is also the file name of a recorded prompt that replaces the synthetic voice.

Why polling for errors and changes: screens show errors and notices by setting the text of a label named
``error`` (the theme's yellow), in many places, and say a new state by changing their title ("Box A01 is
open"); a light 300 ms look at the shown screen's error labels and title catches every one of them without a
hook in each screen. Only labels are read, never fields, so a typed password or PIN is never spoken.

Why the mute resets: the sound choice belongs to one person's session; when the kiosk has been left alone (the
window's ``went_idle``) it goes back to the config's default for the next person. At night (``ui.night``'s
schedule) prompts play at the config's night volume, also for someone using the screen: the neighbours sleep.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from .widgets import Countdown

if TYPE_CHECKING:
    from hardware.speech import Speaker

    from .app import App
    from .screen import Screen

log = logging.getLogger(__name__)

NOTICE_LABELS = ("error", "maint.message")  # labels whose new text is spoken as soon as it shows
POLL_MS = 300


class Prompts(QObject):
    """Speaks the shown screen's prompt, its new notices, and again on request or on a language change."""

    # A prompt went to the speaker: prompt id, text, language.
    spoken = Signal(str, str, str)
    # Sound was switched on or off for this session: on?
    sound_changed = Signal(bool)

    def __init__(self, app: "App", speaker: "Speaker") -> None:
        super().__init__()
        self.app = app
        self.speaker = speaker
        self.default_on = app.kiosk.config.audio.enabled  # engine "none": the speaker plays nothing anyway
        self.sound_on = self.default_on
        self._notices: dict[int, str] = {}  # id(label) -> text already spoken on the shown screen
        self._shown: tuple[str, ...] = ()  # the shown screen's state when its prompt was last said
        window = app.window
        window.screen_changed.connect(self._screen_changed)
        window.went_idle.connect(self._idle)  # the session is over: it has gone home by now
        app.kiosk.language_changed.connect(lambda _lang: self.repeat())
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_notices)
        self._poll.start()

    def start(self) -> None:
        """Start the speaker's thread (prompts said before this wait for it; only the newest plays)."""
        self.speaker.start()

    def stop(self) -> None:
        self._poll.stop()
        self.speaker.stop()

    # ---- what a person controls ---------------------------------------------------------------------------

    def repeat(self) -> None:
        """Say the shown screen's prompt again (with its current notices), in the current language."""
        screen = self.app.window.current()
        if screen is not None:
            self._say_screen(screen)

    def set_sound(self, on: bool, speak: bool = True) -> None:
        """Sound on or off for this session; switched on, the screen's prompt is said (unless ``speak`` is off)."""
        if on == self.sound_on:
            return
        self.sound_on = on
        if not on:
            self.speaker.silence()
        self.sound_changed.emit(on)
        if on and speak:
            self.repeat()

    def toggle_sound(self) -> None:
        self.set_sound(not self.sound_on)

    # ---- reactions --------------------------------------------------------------------------------------

    def _screen_changed(self, _name: str) -> None:
        self.repeat()

    def _idle(self) -> None:
        self.set_sound(self.default_on, speak=False)  # the next person starts with the cabinet's default

    def _notice_labels(self, screen: "Screen") -> list[QLabel]:
        return [w for w in screen.findChildren(QLabel) if w.objectName() in NOTICE_LABELS and w.isVisible()]

    def _state(self, screen: "Screen") -> tuple[str, ...]:
        """The words that say where the person is (title, subtitle, box number; not a ticking countdown): when
        they change on the same screen ("Box A01 is opening…" → "Box A01 is open"), the prompt is said again."""
        big = [w.text() for w in screen.findChildren(QLabel, "big") if not isinstance(w, Countdown)
               and w.isVisibleTo(screen)]
        return (screen.name, screen.title.text(), screen.subtitle.text(), *big)

    def _say_screen(self, screen: "Screen") -> None:
        self._shown = self._state(screen)
        notices = self._notice_labels(screen)
        self._notices = {id(w): w.text() for w in notices}
        extra = [w.text().strip() for w in notices if w.text().strip()]
        text = "\n".join([screen.prompt_text(), *extra]).strip()
        self._say(screen.name + ("+notice" if extra else ""), text)  # no recorded file for a varying notice

    def _check_notices(self) -> None:
        screen = self.app.window.current()
        if screen is None:
            return
        if self._state(screen) != self._shown:
            self._say_screen(screen)
            return
        new = []
        for w in self._notice_labels(screen):
            text = w.text()
            if self._notices.get(id(w)) != text:
                self._notices[id(w)] = text
                if text.strip():
                    new.append(text.strip())
        if new:
            self._say(f"{screen.name}.notice", "\n".join(new))

    def _say(self, prompt_id: str, text: str) -> None:
        if not self.sound_on or not text:
            return
        night = getattr(self.app, "night", None)  # ui.night.NightMode, made after this object
        self.speaker.set_night(bool(night is not None and night.active))  # quiet by the schedule, even in use
        lang = self.app.kiosk.languages.current
        self.speaker.say(prompt_id, text, lang)
        self.spoken.emit(prompt_id, text, lang)
