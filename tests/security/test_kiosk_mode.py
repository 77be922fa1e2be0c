"""Kiosk mode: the maintainer screen needs the PIN whatever way it is reached, and no key leaves full screen.

Why these paths: a passer-by has the touch screen (taps, back buttons, waiting) and maybe a USB keyboard; code
can also call ``window.go("maint")``. ``MaintScreen.enter`` sends anyone not ``authorised`` to the login, and
leaving the screen (exit, back, inactivity) drops the authorisation. The real window runs full screen with
close refused (``KioskWindow.allow_close`` is for shutdown only). Offscreen there is no window manager, so
Alt+F4 from a WM is played as what it becomes, a close event; OS-level keys (Ctrl+Alt+F1, Ctrl+Alt+Backspace)
never reach Qt and are the cabinet image's job.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication

from tests.ui.conftest import Harness

MAINT_PIN = "24680135"  # the simulated cabinet's (README)


@pytest.fixture
def h(qtbot, tmp_path):
    harness = Harness(qtbot, tmp_path)
    yield harness
    harness.stop()


def maint_tabs_shown(h: Harness) -> bool:
    screen = h.window.screens["maint"]
    return h.window.current() is screen and screen.pages.isVisible()


def test_go_maint_without_the_pin_lands_on_the_login(h):
    flow = h.comp.app.maintainer
    for start in ("home", "pickup", "maint.login"):
        h.comp.app.go(start)
        h.window.go("maint")
        assert not maint_tabs_shown(h)  # not even for one frame: the tabs stay hidden
        h.wait_screen("maint.login")
        assert not flow.authorised


def test_tapping_through_every_screen_never_reaches_the_maintainer_screen(h, qtbot):
    """200 taps on whatever button is visible (a deterministic walk), no PIN: "maint" is never shown."""
    seen: list[str] = []
    h.window.screen_changed.connect(seen.append)
    for step in range(200):
        screen = h.window.current()
        buttons = sorted((b for b in screen.findChildren(QAbstractButton) if b.isVisible() and b.isEnabled()),
                         key=lambda b: b.objectName())
        buttons += [h.window.lang] if step % 17 == 0 else []
        if not buttons:
            h.window.home()
            continue
        b = buttons[(step * 7) % len(buttons)]
        QTest.mouseClick(b, Qt.MouseButton.LeftButton)
        assert not maint_tabs_shown(h), f"maintainer tabs shown after tapping {b.objectName()}"
        if step % 40 == 39:
            qtbot.wait(10)
    qtbot.wait(20)
    assert "maint" not in seen and not maint_tabs_shown(h)
    assert len(set(seen)) >= 3, seen  # the walk did move about
    h.window.screen_changed.disconnect(seen.append)


def login(h: Harness) -> None:
    h.window.home()
    h.tap("home.maintain")
    h.wait_screen("maint.login")
    h.type(MAINT_PIN)
    h.tap("maint.submit")
    h.wait_screen("maint")
    assert maint_tabs_shown(h)


@pytest.mark.parametrize("leave", ["exit", "inactivity", "language_home"])
def test_leaving_the_screen_forgets_the_pin(h, qtbot, leave):
    flow = h.comp.app.maintainer
    login(h)
    if leave == "exit":
        h.tap("maint.exit")
    elif leave == "inactivity":
        h.window.idle.setInterval(50)
        h.window.idle.start()
    else:
        h.window.home()  # any code path that goes home
    h.wait_screen("home")
    assert not flow.authorised
    h.window.go("maint")
    h.wait_screen("maint.login")
    assert not maint_tabs_shown(h)


def test_back_and_inactivity_on_the_login_go_home(h, qtbot):
    h.tap("home.maintain")
    h.wait_screen("maint.login")
    h.tap("maint.back")
    h.wait_screen("home")
    h.tap("home.maintain")
    h.wait_screen("maint.login")
    h.type("1111")
    h.window.idle.setInterval(50)
    h.window.idle.start()
    h.wait_screen("home")
    assert not h.comp.app.maintainer.authorised


KEYS = [(Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier), (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier), (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Tab, Qt.KeyboardModifier.AltModifier), (Qt.Key.Key_F11, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Meta, Qt.KeyboardModifier.NoModifier), (Qt.Key.Key_Super_L, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Down, Qt.KeyboardModifier.MetaModifier),
        (Qt.Key.Key_F4, Qt.KeyboardModifier.ControlModifier)]


def full_screen(h: Harness) -> bool:
    return h.window.isVisible() and bool(h.window.windowState() & Qt.WindowState.WindowFullScreen)


@pytest.mark.parametrize("where", ["home", "pickup", "maint.login"])
def test_shortcuts_and_close_do_not_leave_full_screen(h, qtbot, where):
    h.window.showFullScreen()
    qtbot.waitUntil(lambda: full_screen(h), timeout=3000)
    if where == "pickup":
        h.tap("home.pickup")
    elif where == "maint.login":
        h.tap("home.maintain")
    h.wait_screen(where)
    for k, mod in KEYS:
        targets = [h.window, QApplication.focusWidget() or h.window.focusWidget()]
        for target in [t for t in targets if t is not None]:
            QTest.keyClick(target, k, mod)
            qtbot.wait(5)
            assert full_screen(h), f"{k!r}+{mod!r} on {target.objectName()} left full screen"
            assert not maint_tabs_shown(h)
    assert h.window.close() is False  # refused
    e = QCloseEvent()  # what a window manager sends for Alt+F4
    QApplication.sendEvent(h.window, e)
    assert not e.isAccepted()
    qtbot.wait(20)
    assert full_screen(h)


@pytest.mark.parametrize("state", [Qt.WindowState.WindowNoState, Qt.WindowState.WindowMaximized])
def test_a_window_manager_taking_full_screen_away_is_undone(h, qtbot, state):
    """Super+Down or a WM's F11 reach the app only as a state change: it goes back to full screen. (Minimise is
    not checked: the offscreen platform ignores it.)"""
    h.window.showFullScreen()
    qtbot.waitUntil(lambda: full_screen(h), timeout=3000)
    h.window.setWindowState(state)
    qtbot.waitUntil(lambda: full_screen(h), timeout=3000)


def test_a_window_shown_normally_stays_normal(h, qtbot):
    """--windowed and --simulate show a plain window: it is not forced to full screen."""
    h.window.setWindowState(Qt.WindowState.WindowMaximized)
    qtbot.wait(50)
    assert not h.window.windowState() & Qt.WindowState.WindowFullScreen
