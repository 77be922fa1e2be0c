"""The shell: home screen, language switch, inactivity, kiosk-mode close guard, finger login from home."""

from __future__ import annotations

from tests.ui.conftest import Harness


def test_home_in_both_languages(kiosk_app):
    h = kiosk_app
    assert h.screen() == "home"
    assert h.find("home.pickup").text() == "Pick up a parcel"
    h.shot("home_en_1280x800")
    h.tap("lang.toggle")
    assert h.find("home.pickup").text() == "取件"
    assert h.find("lang.toggle").text() == "English"
    h.shot("home_zh_1280x800")


def test_home_at_800x480(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path, 800, 480, language="zh")
    try:
        assert h.find("home.pickup").height() >= 78  # 15 mm on a 7" panel
        h.shot("home_zh_800x480")
    finally:
        h.stop()


def test_window_refuses_to_close_in_kiosk_mode(kiosk_app):
    w = kiosk_app.window
    w.close()
    assert w.isVisible()


def test_inactivity_returns_home(kiosk_app, qtbot):
    h = kiosk_app
    h.window.idle.setInterval(200)
    h.comp.app.error("test")
    assert h.screen() == "error"
    h.wait_screen("home", timeout=3000)


def test_every_screen_fits_the_small_panel(qtbot, tmp_path):
    """The page stack takes its height from its tallest page: every page must fit under the header."""
    h = Harness(qtbot, tmp_path, 800, 480, language="zh")
    try:
        room = 480 - h.window.centralWidget().layout().itemAt(0).widget().sizeHint().height()
        too_tall = {name: s.minimumSizeHint().height() for name, s in h.window.screens.items()
                    if s.minimumSizeHint().height() > room}
        assert too_tall == {}
        assert h.window.height() == 480
    finally:
        h.stop()
