"""Looks for everyone: high contrast and larger text chosen live, night mode, keypads within reach, the low-box
choice, and nothing said by colour alone. Colours are read from grabbed pixels (what a person sees)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QCheckBox, QFrame, QLabel, QTableWidget, QWidget

from kiosk.clock import FakeClock
from tests.ui.conftest import Harness
from tests.ui.test_courier import finger_login, flow
from ui import theme
from ui.night import is_night
from ui.widgets import Keypad, TextKeyboard


def pixel(w: QWidget, x: int | None = None, y: int | None = None) -> str:
    """The colour a person sees at (x, y) of the widget (default: just inside its left edge, half-way down)."""
    img = w.grab().toImage()
    return img.pixelColor(8 if x is None else x, img.height() // 2 if y is None else y).name()


def background(h: Harness) -> str:
    """The window's background just above its bottom-left corner (inside every screen's margin)."""
    img = h.window.grab().toImage()
    return img.pixelColor(2, img.height() - 3).name()


def at(hour: int, minute: int = 0) -> float:
    return datetime(2026, 6, 1, hour, minute).timestamp()  # local time, as the schedule is


# ---- high contrast and larger text --------------------------------------------------------------------------


def test_contrast_switches_the_colours_live_and_keeps_what_was_typed(kiosk_app):
    h = kiosk_app
    assert pixel(h.find("home.pickup")) == theme.STANDARD["pri_bg"]
    assert background(h) == theme.STANDARD["bg"]
    h.tap("home.pickup")
    h.wait_screen("pickup")
    h.type("A0")
    assert h.find("a11y.contrast").text() == "High contrast"
    h.tap("a11y.contrast")
    assert background(h) == "#000000"
    assert h.find("pickup.box").text() == "A0" and h.screen() == "pickup"  # the person's work is still there
    assert h.find("a11y.contrast").text() == "Normal colours"  # words say the state, not a colour
    h.tap("pickup.back")
    h.wait_screen("home")
    assert pixel(h.find("home.pickup")) == theme.CONTRAST["pri_bg"]  # yellow primary
    h.tap("a11y.contrast")
    assert pixel(h.find("home.pickup")) == theme.STANDARD["pri_bg"]


def test_larger_text_scales_every_font_but_no_touch_target_shrinks(kiosk_app):
    h = kiosk_app
    h.tap("home.pickup")
    h.wait_screen("pickup")
    title, key = h.find("title", QLabel), h.find("keypad.5")
    before = (title.font().pixelSize(), key.font().pixelSize(), key.height(), h.find("pickup.submit").height())
    assert before[0] == theme.metrics(800)["f_title"]
    h.tap("a11y.text")
    h.qtbot.waitUntil(lambda: title.font().pixelSize() != before[0], timeout=2000)
    assert title.font().pixelSize() == round(before[0] * theme.LARGER_TEXT)
    assert key.font().pixelSize() == round(before[1] * theme.LARGER_TEXT)
    QTest.qWait(50)  # one layout pass
    touch = theme.metrics(800)["touch"]  # the panel's touch size (≥ 15 mm): bigger text never goes below it
    assert before[2] >= touch and key.height() >= touch and h.find("pickup.submit").height() >= touch
    assert h.find("a11y.text").text() == "Normal text"


def test_the_choice_resets_to_the_configured_look_when_the_window_falls_idle(kiosk_app):
    h = kiosk_app
    h.window.idle.setInterval(300)
    h.tap("home.pickup")
    h.wait_screen("pickup")
    h.tap("a11y.contrast")
    h.tap("a11y.text")
    assert h.window.look == theme.Look("contrast", theme.LARGER_TEXT)
    h.wait_screen("home", timeout=3000)
    h.qtbot.waitUntil(lambda: h.window.look == theme.Look(), timeout=2000)
    assert background(h) == theme.STANDARD["bg"]
    assert h.find("a11y.contrast").text() == "High contrast" and h.find("a11y.text").text() == "Larger text"
    h.tap("a11y.contrast")  # chosen on the home screen itself: falls back too
    h.qtbot.waitUntil(lambda: h.window.look == theme.Look(), timeout=3000)


def test_the_config_sets_the_look_a_session_starts_with(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path, edits={'theme = "standard"': 'theme = "contrast"',
                                        "text_scale = 1.0": "text_scale = 1.25"})
    try:
        assert background(h) == "#000000"
        assert h.find("a11y.contrast").text() == "Normal colours" and h.find("a11y.text").text() == "Normal text"
        h.window.idle.setInterval(300)
        h.tap("a11y.contrast")
        assert background(h) == theme.STANDARD["bg"]
        h.qtbot.waitUntil(lambda: background(h) == "#000000", timeout=3000)
    finally:
        h.stop()


# ---- night mode --------------------------------------------------------------------------------------------


def test_the_schedule_wraps_midnight_and_equal_times_mean_never():
    assert is_night(at(23), "22:00", "06:00") and is_night(at(2), "22:00", "06:00")
    assert not is_night(at(6), "22:00", "06:00") and not is_night(at(21, 59), "22:00", "06:00")
    assert is_night(at(13), "12:30", "14:00") and not is_night(at(14), "12:30", "14:00")
    assert not any(is_night(at(hh), "22:00", "22:00") for hh in range(24))


def fake_panel(root: Path) -> Path:
    d = root / "backlight" / "panel"
    d.mkdir(parents=True)
    (d / "max_brightness").write_text("200\n")
    (d / "brightness").write_text("180\n")
    return d


def level(d: Path) -> int:
    return int((d / "brightness").read_text())


def test_night_dims_the_backlight_a_touch_brings_it_back_until_home(qtbot, tmp_path):
    panel = fake_panel(tmp_path)
    h = Harness(qtbot, tmp_path, night=True, edits={'backlight = "auto"': f'backlight = "{panel}"'})
    try:
        night = h.comp.app.night
        h.service.clock = FakeClock(at(12))
        night.check()
        assert not night.active and level(panel) == 180
        seen: list[bool] = []
        night.night_changed.connect(seen.append)
        h.service.clock.set(at(22, 1))
        night.check()
        assert night.active and seen == [True]
        assert level(panel) == 60  # night_brightness = 30 % of 200
        h.tap("home.pickup")  # someone uses the cabinet at night: full brightness for them
        h.wait_screen("pickup")
        qtbot.waitUntil(lambda: level(panel) == 180, timeout=2000)
        h.tap("pickup.back")
        h.wait_screen("home")
        qtbot.waitUntil(lambda: level(panel) == 60, timeout=2000)  # dark again for the rest of the night
        h.window.idle.setInterval(300)
        QTest.mouseClick(h.window.site, Qt_left())  # a touch on the home screen, then nobody
        qtbot.waitUntil(lambda: level(panel) == 180, timeout=2000)
        qtbot.waitUntil(lambda: level(panel) == 60, timeout=3000)
        h.service.clock.set(at(6, 0))
        night.check()
        assert not night.active and seen == [True, False] and level(panel) == 180
    finally:
        h.stop()


def test_night_without_a_backlight_veils_the_screen_until_someone_touches_it(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path, night=True, edits={'backlight = "auto"': 'backlight = "none"'})
    try:
        night = h.comp.app.night
        h.service.clock = FakeClock(at(12))
        night.check()
        button = h.find("home.pickup")
        seen_at = button.mapTo(h.window, button.rect().topLeft()) + QPoint(8, button.height() // 2)

        def seen() -> QColor:
            return h.window.grab().toImage().pixelColor(seen_at)

        assert seen().name() == theme.STANDARD["pri_bg"]
        h.service.clock.set(at(23, 30))
        night.check()
        assert night.active
        want = QColor(theme.dim(theme.STANDARD["pri_bg"], theme.NIGHT_DIM))
        got = seen()
        assert max(abs(got.red() - want.red()), abs(got.green() - want.green()), abs(got.blue() - want.blue())) <= 2
        assert QColor(background(h)).lightness() < QColor(theme.STANDARD["bg"]).lightness()
        h.tap("home.pickup")  # a touch lifts the veil for this person
        h.wait_screen("pickup")
        qtbot.waitUntil(lambda: background(h) == theme.STANDARD["bg"], timeout=2000)
        h.tap("pickup.back")
        h.wait_screen("home")
        qtbot.waitUntil(lambda: background(h) != theme.STANDARD["bg"], timeout=2000)
        h.service.clock.set(at(7))
        night.check()
        assert seen().name() == theme.STANDARD["pri_bg"]
    finally:
        h.stop()


def test_the_default_harness_is_never_at_night(kiosk_app):
    night = kiosk_app.comp.app.night
    kiosk_app.service.clock = FakeClock(at(23))
    night.check()
    assert not night.active and night.backlight is None


# ---- keypads within reach ----------------------------------------------------------------------------------


def keypad_centre(h: Harness) -> float:
    """The vertical centre of the visible keypad or keyboard, as a fraction of the window's height."""
    pads = [w for w in h.window.current().findChildren(QWidget) if isinstance(w, (Keypad, TextKeyboard))
            and w.isVisible()]
    assert len(pads) == 1, [p.objectName() for p in pads]
    return pads[0].mapTo(h.window, pads[0].rect().center()).y() / h.window.height()


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)])
def test_every_keypad_sits_in_the_lower_part_of_the_screen(qtbot, tmp_path, size):
    h = Harness(qtbot, tmp_path, *size)
    try:
        h.service.add_courier("C1001", "Li Wei", "135790")
        centres = {}
        h.tap("home.pickup")
        h.wait_screen("pickup")
        centres["pickup"] = keypad_centre(h)
        h.tap("pickup.back")
        h.tap("home.courier_pin")
        h.wait_screen("courier.login")
        centres["courier number"] = keypad_centre(h)
        h.type("C1001", "kbd")
        h.tap("kbd.done")
        centres["courier PIN"] = keypad_centre(h)
        h.type("135790")
        h.tap("courier.login.submit")
        h.wait_screen("courier.menu")
        h.tap("courier.deposit")
        h.tap("courier.size.S")
        h.wait_screen("courier.form")
        centres["tracking number"] = keypad_centre(h)
        h.type("SF1234567890", "kbd")
        h.tap("kbd.done")
        h.tap("courier.phone.edit")
        centres["phone"] = keypad_centre(h)
        h.window.home()
        h.tap("home.maintain")
        h.wait_screen("maint.login")
        centres["maintainer PIN"] = keypad_centre(h)
        high = {k: round(v, 2) for k, v in centres.items() if v < 0.4}
        assert high == {}, f"keypads above the lower 60 % at {size}: {high}"
    finally:
        h.stop()


# ---- low box -----------------------------------------------------------------------------------------------


def test_low_box_is_said_in_words_and_gets_a_box_within_reach(kiosk_app, courier):
    h = kiosk_app
    finger_login(h)
    h.tap("courier.deposit")
    h.wait_screen("courier.size")
    box = h.find("courier.accessible", QCheckBox)
    assert "Low box" in box.text() and "wheelchair" in box.text()
    h.tap("courier.accessible")
    assert box.isChecked()
    h.tap("courier.size.M")
    h.wait_screen("courier.form")
    assert "low box" in h.find("subtitle", QLabel).text()
    h.type("YT0002", "kbd")
    h.tap("kbd.done")
    h.tap("courier.consent")
    h.tap("courier.open")
    h.wait_screen("courier.door")
    allocated = h.kiosk.config.box(flow(h).deposit.parcel.box_no)
    assert allocated.accessible and allocated.size in ("M", "L", "XL")


# ---- nothing by colour alone -------------------------------------------------------------------------------


def test_every_coloured_button_and_state_has_words(kiosk_app):
    h = kiosk_app
    mute = []
    for screen in [*h.window.screens.values(), h.window]:
        for b in screen.findChildren(QAbstractButton):
            if (b.property("role") in ("primary", "danger") or b.isCheckable()) and not b.text().strip():
                mute.append(f"{screen.objectName()}: {b.objectName()}")
    assert mute == []
    # The maintainer's door states and faults: the warning colour always comes with a word.
    h.tap("home.maintain")
    h.wait_screen("maint.login")
    h.type("24680135")
    h.tap("maint.submit")
    h.wait_screen("maint")
    h.find("maint.tabs").setCurrentIndex(1)
    t = h.find("maint.boxes", QTableWidget)
    t.scrollToItem(t.item(0, 0))
    QTest.mouseClick(t.viewport(), Qt_left(), pos=t.visualItemRect(t.item(0, 0)).center())
    h.tap("maint.door.A01.open")
    h.qtbot.waitUntil(lambda: t.item(0, 2).text() == "OPEN", timeout=3000)
    warned = [(r, c) for r in range(t.rowCount()) for c in range(t.columnCount())
              if t.item(r, c) is not None and t.item(r, c).data(256)]  # Qt.UserRole: the warning flag
    assert warned and all(t.item(r, c).text().strip() for r, c in warned)
    h.close_door("A01")
    h.qtbot.waitUntil(lambda: t.item(0, 2).text() == "closed", timeout=3000)


def Qt_left():  # noqa: N802
    from PySide6.QtCore import Qt
    return Qt.MouseButton.LeftButton


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)])
def test_every_look_fits_the_panel_in_both_languages(qtbot, tmp_path, size):
    """No screen (shown or not) needs more room than the panel has, in any look: nothing is cut off."""
    h = Harness(qtbot, tmp_path, *size, language="zh")
    try:
        for lang in ("zh", "en"):  # night changes colours only: its sizes are the standard look's
            h.kiosk.set_language(lang)
            for look in (theme.Look("contrast"), theme.Look(scale=theme.LARGER_TEXT),
                         theme.Look("contrast", theme.LARGER_TEXT)):
                h.window.set_look(look)
                room = (size[0], size[1] - h.window.findChild(QFrame, "header").height())
                too_big = {}
                for name, screen in h.window.screens.items():
                    h.window.stack.setCurrentWidget(screen)  # a hidden page's sizes are stale until it is shown
                    QApplication.processEvents()
                    need = screen.minimumSizeHint()
                    if need.width() > room[0] or need.height() > room[1]:
                        too_big[name] = (need.width(), need.height())
                assert too_big == {}, (look, lang, room)
                need = h.window.minimumSizeHint()
                assert need.width() <= size[0] and need.height() <= size[1], (look, lang, need)
        h.window.home()
        QTest.qWait(20)
        assert (h.window.width(), h.window.height()) == size
    finally:
        h.stop()
