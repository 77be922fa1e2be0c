"""A pair of hands for the scripted demo: tap widgets by objectName, type on the on-screen keys, take pictures.

Why a copy of the test harness's approach instead of importing it: ``ui/`` must not depend on ``tests/``, and
the demo is shipped. Everything here acts through the widgets a person would touch (mouse clicks delivered
by QTest), so the demo exercises the real screens; every wait is bounded and keeps the event loop running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (QAbstractButton, QApplication, QLineEdit, QScrollArea, QStackedWidget, QTableWidget,
                               QTabWidget, QWidget)

from .widgets import Keypad, TextKeyboard, wipe


def run_events(ms: int) -> None:
    """Let the GUI thread's event loop run for ``ms`` while every other thread runs too. Why not
    ``QTest.qWait``: PySide6 keeps the GIL through it, so for the whole wait the device workers, the camera
    and the emulators stand still (the soak's RSS readings starved the lock board's emulator past the driver's
    retries: a false fault). ``QEventLoop.exec`` lets the GIL go while it waits."""
    loop = QEventLoop()
    QTimer.singleShot(max(0, ms), loop.quit)
    loop.exec()


class StepFailed(Exception):
    """A step of the demo did not behave as expected: one line saying what."""


class Hands:
    def __init__(self, window: Any, panel: QWidget, kiosk: Any, out: Path) -> None:
        self.window = window
        self.panel = panel
        self.kiosk = kiosk
        self.out = out
        self.shots: list[Path] = []
        self.problems: list[str] = []  # misbehaviour worked around to see the rest; still a failed demo
        self._n = 0

    # ---- looking -----------------------------------------------------------------------------------

    def screen(self) -> str:
        cur = self.window.current()
        return cur.name if cur is not None else ""

    def find(self, name: str, cls: type = QWidget, root: QObject | None = None, wait_ms: int = 1500) -> QWidget:
        """A visible widget by objectName on the current screen (or the header), revealing its tab if needed.

        Waits a little: a widget added to a screen that is already shown becomes visible an event later.
        """
        deadline = time.monotonic() + wait_ms / 1000
        while True:
            w = self._find_now(name, cls, root)
            if w is not None or time.monotonic() > deadline:
                break
            run_events(20)
        if w is None:
            raise StepFailed(f"no visible {cls.__name__} {name!r} on screen {self.screen()!r}")
        return w

    def _find_now(self, name: str, cls: type, root: QObject | None) -> QWidget | None:
        roots = [root] if root is not None else [self.window.current(), self.window]
        for r in roots:
            if r is None:
                continue
            found = r.findChildren(cls, name)
            for w in found:
                if w.isVisible():
                    return w
            for w in found:
                if self._reveal(w):
                    return w
        return None

    def has(self, name: str, cls: type = QWidget) -> bool:
        try:
            self.find(name, cls, wait_ms=0)
            return True
        except StepFailed:
            return False

    def _reveal(self, w: QWidget) -> bool:
        """Bring a widget's tab to the front (by tapping the tab) and scroll it into view."""
        child, parent = w, w.parentWidget()
        while parent is not None and parent is not self.window:
            if isinstance(parent, QStackedWidget) and isinstance(parent.parentWidget(), QTabWidget):
                tabs = parent.parentWidget()
                idx = tabs.indexOf(child)
                if idx >= 0 and tabs.currentIndex() != idx:
                    bar = tabs.tabBar()
                    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(idx).center())
                    self.pause(30)
            child, parent = parent, parent.parentWidget()
        self.pause(10)
        if not w.isVisible():
            return False
        scroll = w.parentWidget()
        while scroll is not None and not isinstance(scroll, QScrollArea):
            scroll = scroll.parentWidget()
        if scroll is not None:
            scroll.ensureWidgetVisible(w)
        return True

    # ---- hands -------------------------------------------------------------------------------------

    def tap(self, name: str, root: QObject | None = None) -> None:
        w = self.find(name, QAbstractButton, root)
        if not w.isEnabled():
            raise StepFailed(f"{name} is disabled on screen {self.screen()!r}")
        QTest.mouseClick(w, Qt.MouseButton.LeftButton)
        self.pause(15)

    def tap_panel(self, name: str) -> None:
        self.tap(name, self.panel)

    def fill(self, field_name: str, text: str) -> None:
        """Tap a field, empty it and type ``text`` on the screen's keys (a hardware key where none exists)."""
        field = self.find(field_name, QLineEdit)
        QTest.mouseClick(field, Qt.MouseButton.LeftButton)
        self.pause(15)
        pads = [p for p in self.window.current().findChildren(QWidget)
                if isinstance(p, (Keypad, TextKeyboard)) and p.isVisible()]
        pad = next((p for p in pads if p.target is field), None)
        if pad is None and len(pads) == 1 and pads[0].target is None:
            pad = pads[0]
        for _ in range(len(field.text()) + 1):
            if not field.text():
                break
            key = self._key(pad, "back")
            if key is None:
                wipe(field)
                break
            QTest.mouseClick(key, Qt.MouseButton.LeftButton)
        for ch in text:
            key = self._key(pad, ch)
            before = field.text()
            if key is not None:
                QTest.mouseClick(key, Qt.MouseButton.LeftButton)
                if field.text() == before:
                    problem = f"the on-screen key {key.objectName()} typed nothing into {field_name}"
                    if problem not in self.problems:
                        self.problems.append(problem)
                    QTest.keyClicks(field, ch)  # go on with a hardware key to see the rest of the story
            else:
                QTest.keyClicks(field, ch)
        self.pause(15)
        if field.text() != text:
            raise StepFailed(f"typed {len(text)} characters into {field_name}, it holds {len(field.text())}"
                             f" ({'' if field.echoMode() != QLineEdit.EchoMode.Normal else field.text()!r})")

    @staticmethod
    def _key(pad: QWidget | None, ch: str) -> QAbstractButton | None:
        if pad is None:
            return None
        for b in pad.findChildren(QAbstractButton):
            if b.objectName().rsplit(".", 1)[-1] == ch and b.isVisible() and b.isEnabled():
                return b
        return None

    def tap_row(self, table_name: str, text: str) -> None:
        """Tap the row of a table whose cell reads ``text`` (e.g. a courier in the maintainer's list)."""
        table = self.find(table_name, QTableWidget)
        items = table.findItems(text, Qt.MatchFlag.MatchExactly)
        if not items:
            raise StepFailed(f"no row {text!r} in {table_name}")
        table.scrollToItem(items[0])
        QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(items[0]).center())
        self.pause(15)

    def checked(self, name: str, want: bool, root: QObject | None = None) -> None:
        """Tap a toggle until it reads ``want`` (a checkbox, or the panel's toggles)."""
        w = self.find(name, QAbstractButton, root)
        if w.isChecked() != want:
            self.tap(name, root)
        if w.isChecked() != want:
            raise StepFailed(f"{name} did not turn {'on' if want else 'off'}")

    # ---- time --------------------------------------------------------------------------------------

    @staticmethod
    def pause(ms: int) -> None:
        run_events(ms)

    def wait(self, cond: Callable[[], object], what: str, timeout_ms: int = 5000) -> None:
        deadline = time.monotonic() + timeout_ms / 1000
        while not cond():
            if time.monotonic() > deadline:
                raise StepFailed(f"{what}: not within {timeout_ms / 1000:.0f} s (screen {self.screen()!r})")
            run_events(20)

    def wait_screen(self, *names: str, timeout_ms: int = 5000) -> str:
        self.wait(lambda: self.screen() in names, f"expected screen {' or '.join(names)}", timeout_ms)
        self.pause(30)
        return self.screen()

    # ---- pictures ----------------------------------------------------------------------------------

    def shot(self, label: str = "", widget: QWidget | None = None) -> None:
        """The screen now, in both languages (back to the language it had)."""
        self._n += 1
        label = (label or self.screen()).replace(".", "_")
        first = self.kiosk.languages.current
        for lang in (first, "en" if first == "zh" else "zh"):
            self._language(lang)
            target = widget or self.window
            path = self.out / f"{self._n:03d}_{label}_{lang}.png"
            if not target.grab().save(str(path)):
                raise StepFailed(f"cannot save {path}")
            self.shots.append(path)
        self._language(first)

    def _language(self, lang: str) -> None:
        if self.kiosk.languages.current == lang:
            return
        if self.has("lang.toggle", QAbstractButton):
            self.tap("lang.toggle")
        if self.kiosk.languages.current != lang:
            self.kiosk.set_language(lang)
        QApplication.processEvents()
        self.pause(40)
