"""The whole kiosk app, offscreen, on the emulators (lock board and fingerprint sensor over ptys), per test.

Helpers here act like a person: tap a widget by objectName, type on a keypad, close a door on the emulated
board. Screenshots go to $KIOSK_SHOTS (or tmp_path) so a person can look at every screen.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QWidget

from kiosk.config import default_config_path, with_data_dir
from tests.core.conftest import PIN

__all__ = ["PIN", "Harness"]


# Night mode off and no backlight unless a test opts in (night=True): screens must not depend on the wall clock,
# and no test may write to this machine's /sys/class/backlight.
DAY_ONLY = {'night_end = "06:00"': 'night_end = "22:00"', 'backlight = "auto"': 'backlight = "none"'}


def write_config(tmp_path: Path, language: str = "en", inactivity_s: int = 60,
                 edits: dict[str, str] | None = None, night: bool = False) -> Path:
    """The simulated cabinet's config, its data in tmp_path; ``edits``: whole "key = value" lines to swap.
    ``night``: keep the config's night schedule and backlight (else night mode never starts)."""
    text = with_data_dir(default_config_path().read_text(), "state")
    text = text.replace('language = "zh"', f'language = "{language}"')
    text = text.replace("inactivity_s = 60 ", f"inactivity_s = {inactivity_s} ")
    for old, new in (edits or {}).items():
        assert old in text, old
        text = text.replace(old, new, 1)
    if not night:
        for old, new in DAY_ONLY.items():
            text = text.replace(old, new, 1)  # a line the test's edits already changed stays as they set it
    # Prompts are not spoken aloud in UI tests (tests/ui/test_audio_prompts.py listens to them; the real
    # espeak-ng backend has its own tests): quiet on a developer's speakers, and no process per screen.
    text = text.replace('engine = "espeak-ng"', 'engine = "none"', 1)
    p = tmp_path / "cabinet.toml"
    p.write_text(text)
    return p


class Harness:
    """A running kiosk and a pair of hands."""

    def __init__(self, qtbot, tmp_path: Path, width: int = 1280, height: int = 800, language: str = "en",
                 edits: dict[str, str] | None = None, night: bool = False, clock=None) -> None:
        """``clock``: the wall clock of the core and the recorder (default: the system's)."""
        from kiosk.__main__ import Composition

        self.qtbot = qtbot
        self.comp = Composition(str(write_config(tmp_path, language, edits=edits, night=night)), simulate=True,
                                width=width, height=height, clock=clock)
        self.kiosk = self.comp.kiosk
        self.service = self.comp.service
        self.window = self.comp.app.window
        self.sim = self.comp.locks.simulated
        self.shots = Path(os.environ.get("KIOSK_SHOTS", tmp_path / "shots"))
        self.window.show()
        qtbot.waitUntil(lambda: all(self.sim.bank.is_door_open(b.no) is not None
                                    for b in self.kiosk.config.boxes), timeout=5000)

    # ---- looking -----------------------------------------------------------------------------------
    def screen(self) -> str:
        cur = self.window.current()
        return cur.name if cur else ""

    def find(self, name: str, cls: type = QWidget) -> QWidget:
        """A widget of the current screen (or the header) by objectName."""
        for root in (self.window.current(), self.window):
            w = root.findChild(cls, name) if root is not None else None
            if w is not None and w.isVisible():
                return w
        raise LookupError(f"no visible {cls.__name__} {name!r} on screen {self.screen()!r}")

    def shown(self, name: str, cls: type = QWidget) -> bool:
        """Whether the widget is visible now: for waitUntil (find raises, and an exception ends the wait)."""
        try:
            self.find(name, cls)
        except LookupError:
            return False
        return True

    def wait_screen(self, name: str, timeout: int = 5000) -> None:
        self.qtbot.waitUntil(lambda: self.screen() == name, timeout=timeout)

    def shot(self, name: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        assert self.window.grab().save(str(path))
        return path

    # ---- hands -------------------------------------------------------------------------------------
    def tap(self, name: str) -> None:
        w = self.find(name, QAbstractButton)
        assert w.isEnabled(), f"{name} is disabled"
        QTest.mouseClick(w, Qt.MouseButton.LeftButton)

    def type(self, text: str, prefix: str = "keypad") -> None:
        for ch in text:
            self.tap(f"{prefix}.{ch}")

    def close_door(self, box: str, item: bool | None = None) -> None:
        if item is not None:
            self.sim.put_item(box, item)
        self.sim.close_door(box)

    def stop(self) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent
        self.window.allow_close()
        self.window.close()
        self.kiosk.set_language("en")  # the next test starts in its own language, not this one's
        self.comp.stop()
        # Drop deliveries still queued for this kiosk (door, finger) and free its window: the next test
        # starts clean, and nothing acts on a closed database.
        QCoreApplication.removePostedEvents(None, QEvent.Type.MetaCall)
        self.window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def kiosk_app(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path)
    yield h
    h.stop()


@pytest.fixture
def courier(kiosk_app):
    """An enrolled courier: number C1001, PIN 135790, finger 7 in sensor slot 1."""
    c = kiosk_app.service.add_courier("C1001", "Li Wei", PIN)
    emu = kiosk_app.comp.fingerprint_device.emulator
    emu.enrol_directly(1, 7)
    return kiosk_app.service.assign_finger(c.number, 1)
