"""The maintainer flow through the real app on the emulated lock board and fingerprint sensor.

PIN login (tries left, pause after five, no way round it), test-open and open-all with real pulses on the
emulated board, a courier added and a finger enrolled on the emulated sensor (then used from home), the log
filtered and verified, a lockout cleared, a box released, a courier removed; and screenshots of every tab.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QTableWidget

from tests.ui.conftest import PIN, Harness

MAINT_PIN = "24680135"  # the simulated cabinet's (README)


# ---- helpers ---------------------------------------------------------------------------------------------


def login(h: Harness, pin: str = MAINT_PIN) -> None:
    if h.screen() != "maint.login":
        h.tap("home.maintain")
        h.wait_screen("maint.login")
    h.type(pin)
    h.tap("maint.submit")


def login_ok(h: Harness) -> None:
    login(h)
    h.wait_screen("maint")


def message(h: Harness) -> str:
    """The maintainer screen's message line ("" while hidden)."""
    label = h.window.screens["maint"].findChild(QLabel, "maint.message")
    return label.text() if label.isVisible() else ""


def tab(h: Harness, index_name: str) -> None:
    names = ["Devices", "Boxes", "Couriers", "Log", "Lockouts", "System", "Video", "Support"]
    h.find("maint.tabs").setCurrentIndex(names.index(index_name))


def cell(h: Harness, table: str, row: int, col: int) -> str:
    item = h.find(table, QTableWidget).item(row, col)
    return item.text() if item is not None else ""


def column(h: Harness, table: str, col: int) -> list[str]:
    t = h.find(table, QTableWidget)
    return [cell(h, table, r, col) for r in range(t.rowCount())]


def select_row(h: Harness, table: str, row: int) -> None:
    """Tap a row of a table (as a finger would) to show its buttons."""
    t = h.find(table, QTableWidget)
    t.scrollToItem(t.item(row, 0))
    rect = t.visualItemRect(t.item(row, 0))
    QTest.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def tap_field(h: Harness, name: str) -> None:
    QTest.mouseClick(h.find(name), Qt.MouseButton.LeftButton)


def deposit(h: Harness, courier, tracking: str = "SF100200300", size: str = "S"):
    """A courier deposit done through the service and the emulated board: returns (parcel, password)."""
    p = h.service.start_deposit(courier, size, tracking, consent=True)
    h.qtbot.waitUntil(lambda: h.kiosk.door_open(p.box_no) is True, timeout=5000)
    h.sim.put_item(p.box_no, True)  # the parcel goes in, then the door shuts (as a courier does)
    h.qtbot.waitUntil(lambda: h.sim.bank.item_inside(p.box_no) is True, timeout=5000)
    h.close_door(p.box_no)
    h.qtbot.waitUntil(lambda: h.service.parcel(p.id).state == "stored", timeout=5000)
    h.kiosk.deliver()
    h.qtbot.waitUntil(lambda: any(m.get("tracking") == tracking and "password" in m for m in h.kiosk.messages),
                      timeout=3000)
    pw = [m["password"] for m in h.kiosk.messages if m.get("tracking") == tracking and "password" in m][-1]
    return h.service.parcel(p.id), pw


# ---- login -----------------------------------------------------------------------------------------------


def test_wrong_pin_says_tries_left(kiosk_app):
    h = kiosk_app
    login(h, "11111111")
    assert h.screen() == "maint.login"
    assert h.find("error", QLabel).text() == "Wrong PIN. 4 tries left."
    assert h.find("maint.pin").text() == ""  # never left on screen
    h.tap("maint.back")
    h.wait_screen("home")


def test_screen_needs_the_pin_and_pauses_after_five_wrong(kiosk_app):
    h = kiosk_app
    h.comp.app.go("maint")  # straight to the screen, no PIN: sent to the login
    h.wait_screen("maint.login")
    for _ in range(5):
        login(h, "11111111")
    assert "paused for 15 minutes" in h.find("error", QLabel).text()
    login(h)  # the right PIN, too late
    assert h.screen() == "maint.login"
    assert "Try again after" in h.find("error", QLabel).text()
    assert [e.kind for e in h.service.events(limit=1)] != ["maintainer_login"]


def test_right_pin_shows_the_tabs_and_exit_forgets_it(kiosk_app):
    h = kiosk_app
    login_ok(h)
    tabs = h.find("maint.tabs")
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Devices", "Boxes", "Couriers", "Log", "Lockouts",
                                                              "System", "Video", "Support"]
    assert "Database" in column(h, "maint.devices", 0)
    h.tap("maint.exit")
    h.wait_screen("home")
    h.comp.app.go("maint")
    h.wait_screen("maint.login")


# ---- boxes -----------------------------------------------------------------------------------------------


def test_test_open_pulses_the_lock_and_the_row_shows_the_door_open(kiosk_app):
    h = kiosk_app
    login_ok(h)
    tab(h, "Boxes")
    assert cell(h, "maint.boxes", 0, 2) == "closed"
    select_row(h, "maint.boxes", 0)
    h.tap("maint.door.A01.open")
    h.qtbot.waitUntil(lambda: len(h.sim.emulator.pulses()) == 1, timeout=3000)
    assert (h.sim.emulator.pulses()[0].board, h.sim.emulator.pulses()[0].lock) == (0, 0)
    h.qtbot.waitUntil(lambda: cell(h, "maint.boxes", 0, 2) == "OPEN", timeout=3000)
    assert "A01" in message(h)
    h.close_door("A01")
    h.qtbot.waitUntil(lambda: cell(h, "maint.boxes", 0, 2) == "closed", timeout=3000)


def test_open_all_asks_first_and_cancel_does_nothing(kiosk_app):
    h = kiosk_app
    login_ok(h)
    tab(h, "Boxes")
    h.tap("maint.open_all")
    assert h.find("maint.open_all.confirm").isVisible()
    h.tap("maint.open_all.cancel")
    h.qtbot.wait(400)
    assert h.sim.emulator.pulses() == []
    assert h.find("maint.tabs").isVisible()
    h.tap("maint.open_all")
    h.tap("maint.open_all.confirm")
    h.qtbot.waitUntil(lambda: len(h.sim.emulator.pulses()) == 24, timeout=5000)
    h.qtbot.waitUntil(lambda: column(h, "maint.boxes", 2).count("OPEN") == 24, timeout=5000)
    assert message(h) == "24 doors opened. Close every door when you are done."


def test_force_release_frees_an_occupied_box_after_confirmation(kiosk_app, courier):
    h = kiosk_app
    p, _pw = deposit(h, courier)
    login_ok(h)
    tab(h, "Boxes")
    row = [b.no for b in h.kiosk.config.boxes].index(p.box_no)
    assert "SF100200300" in cell(h, "maint.boxes", row, 4)
    select_row(h, "maint.boxes", row)
    h.tap(f"maint.box.{p.box_no}.release")
    h.tap("maint.release.reason.stuck")
    h.tap("maint.release.confirm")
    assert h.service.parcel(p.id).state == "released"
    assert h.service.events(limit=1)[0].data["reason"] == "record stuck, box checked empty"
    h.qtbot.waitUntil(lambda: cell(h, "maint.boxes", row, 4) == "—", timeout=3000)


# ---- couriers --------------------------------------------------------------------------------------------


def test_add_a_courier_enrol_a_finger_then_log_in_with_it_from_home(kiosk_app):
    h = kiosk_app
    emu = h.kiosk.fingerprint_emulator
    login_ok(h)
    tab(h, "Couriers")
    h.tap("maint.courier.new")
    h.type("C2002", "kbd")
    h.tap("kbd.done")  # on to the name
    h.type("WANG", "kbd")
    h.tap("maint.courier.space")
    h.type("FANG", "kbd")
    tap_field(h, "maint.courier.pin")
    h.type("246801", "keypad")
    h.tap("maint.courier.add")
    assert h.service.courier("C2002").name == "WANG FANG"
    assert "C2002" in message(h)

    select_row(h, "maint.couriers", 0)
    h.tap("maint.courier.C2002.enrol")
    step = lambda: h.find("maint.enrol.step", QLabel).text()  # noqa: E731
    h.qtbot.waitUntil(lambda: step() == "Place the finger", timeout=5000)
    emu.place_finger(8)
    h.qtbot.waitUntil(lambda: step() == "Lift the finger", timeout=5000)
    emu.lift_finger()
    h.qtbot.waitUntil(lambda: step() == "Place the same finger again", timeout=5000)
    emu.place_finger(8)
    h.qtbot.waitUntil(lambda: step() == "Stored", timeout=5000)
    emu.lift_finger()
    slot = h.service.courier("C2002").fingers[0]
    assert emu.templates()[slot] == 8
    h.tap("maint.enrol.done")
    assert cell(h, "maint.couriers", 0, 2) == f"slot {slot}"

    h.tap("maint.exit")
    h.wait_screen("home")
    h.qtbot.wait(300)  # the sensor starts listening again on the home screen
    emu.place_finger(8)
    h.qtbot.waitUntil(lambda: any(e.kind == "courier_login" and e.actor == "courier:C2002"
                                  for e in h.service.events(limit=5)), timeout=8000)
    emu.lift_finger()
    h.qtbot.waitUntil(lambda: h.screen() != "home", timeout=3000)


def test_enrolment_can_be_cancelled(kiosk_app):
    h = kiosk_app
    h.service.add_courier("C3003", "Zhao Lei", PIN)
    login_ok(h)
    tab(h, "Couriers")
    select_row(h, "maint.couriers", 0)
    h.tap("maint.courier.C3003.enrol")
    h.qtbot.waitUntil(lambda: h.find("maint.enrol.step", QLabel).text() == "Place the finger", timeout=5000)
    h.tap("maint.enrol.cancel")
    h.qtbot.waitUntil(lambda: message(h) == "Enrolment cancelled: nothing was stored.", timeout=5000)
    assert h.service.courier("C3003").fingers == ()
    assert h.find("maint.tabs").tabBar().isVisible()


def test_adding_a_courier_with_a_short_pin_says_why(kiosk_app):
    h = kiosk_app
    login_ok(h)
    tab(h, "Couriers")
    h.tap("maint.courier.new")
    h.type("C4004", "kbd")
    tap_field(h, "maint.courier.name")
    h.type("LI", "kbd")
    tap_field(h, "maint.courier.pin")
    h.type("12", "keypad")
    h.tap("maint.courier.add")
    assert message(h) == "The courier could not be added: the PIN must be 6–12 digits."
    assert h.service.courier("C4004") is None
    assert h.find("maint.courier.add").isVisible()  # still on the form, to fix it


def test_remove_a_courier_after_confirmation_frees_the_sensor_slot(kiosk_app, courier):
    h = kiosk_app
    emu = h.kiosk.fingerprint_emulator
    assert 1 in emu.templates()
    login_ok(h)
    tab(h, "Couriers")
    select_row(h, "maint.couriers", 0)
    h.tap("maint.courier.C1001.remove")
    h.tap("maint.courier.remove.cancel")
    assert h.service.courier("C1001").active
    select_row(h, "maint.couriers", 0)
    h.tap("maint.courier.C1001.remove")
    h.tap("maint.courier.remove.confirm")
    assert not h.service.courier("C1001").active
    assert message(h) == "Courier C1001 removed."
    h.qtbot.waitUntil(lambda: 1 not in emu.templates(), timeout=5000)
    assert h.find("maint.couriers", QTableWidget).rowCount() == 0


# ---- log and lockouts ------------------------------------------------------------------------------------


def test_log_filter_by_tracking_number_and_verify(kiosk_app, courier):
    h = kiosk_app
    deposit(h, courier, "SF100200300")
    deposit(h, courier, "YT9988776655")
    login_ok(h)
    tab(h, "Log")
    assert len(set(column(h, "maint.log.table", 4)) - {""}) == 2
    tap_field(h, "maint.log.filter")
    h.type("YT9988776655", "kbd")
    h.tap("kbd.done")
    tracking = column(h, "maint.log.table", 4)
    assert tracking and set(tracking) == {"YT9988776655"}
    assert "deposit_stored" in column(h, "maint.log.table", 1)
    h.tap("maint.log.verify")
    h.qtbot.waitUntil(lambda: message(h).startswith("Audit chain OK"), timeout=10_000)  # walked off the GUI thread
    assert message(h) == f"Audit chain OK: {h.service.verify_log().count} events"
    assert h.find("maint.log.verify").isEnabled()
    h.tap("maint.log.all")
    assert len(set(column(h, "maint.log.table", 4)) - {""}) == 2


def test_clear_a_lockout_sends_a_new_password(kiosk_app, courier):
    h = kiosk_app
    p, pw = deposit(h, courier)
    wrong = "000000" if pw != "000000" else "111111"
    for _ in range(3):
        h.service.pickup(p.box_no, wrong)
    assert [lo.box_no for lo in h.service.lockouts()] == [p.box_no]
    login_ok(h)
    tab(h, "Lockouts")
    assert column(h, "maint.lockouts", 0) == [p.box_no]
    assert cell(h, "maint.lockouts", 0, 3).startswith("29:") or cell(h, "maint.lockouts", 0, 3) == "30:00"
    sent = len(h.kiosk.messages)
    h.tap(f"maint.lockout.{p.box_no}.clear")
    assert h.service.lockouts() == []
    assert h.service.events(limit=1)[0].kind == "lockout_cleared"
    assert len(h.kiosk.messages) > sent  # the courier's handheld got the new password
    assert h.find("maint.lockouts", QTableWidget).rowCount() == 0
    assert p.box_no in message(h)


# ---- screenshots -----------------------------------------------------------------------------------------


def snap(h: Harness, name: str) -> None:
    h.qtbot.wait(60)  # let pending layouts run before the grab
    h.shot(name)


def shots_of_every_tab(h: Harness, tag: str) -> None:
    tabs = h.find("maint.tabs")
    for i, name in enumerate(["devices", "boxes", "couriers", "log", "lockouts", "system"]):
        tabs.setCurrentIndex(i)
        if name == "boxes":
            select_row(h, "maint.boxes", 1)
        if name == "couriers":
            select_row(h, "maint.couriers", 0)
        snap(h, f"maint_{name}_{tag}")
    tabs.setCurrentIndex(1)
    h.tap("maint.open_all")
    snap(h, f"maint_confirm_open_all_{tag}")
    h.tap("maint.open_all.cancel")
    select_row(h, "maint.boxes", 0)  # A01 holds the first parcel
    h.tap("maint.box.A01.release")
    snap(h, f"maint_confirm_release_{tag}")
    h.tap("maint.release.cancel")
    tabs.setCurrentIndex(2)
    h.tap("maint.courier.new")
    h.type("C20", "kbd")
    snap(h, f"maint_courier_form_{tag}")
    tap_field(h, "maint.courier.pin")
    snap(h, f"maint_courier_pin_{tag}")
    h.tap("maint.courier.cancel")
    select_row(h, "maint.couriers", 0)
    h.tap("maint.courier.C1001.enrol")
    place = h.window.screens["maint"].couriers.steps["place_finger"]  # in the language shown
    h.qtbot.waitUntil(lambda: h.find("maint.enrol.step", QLabel).text() == place, timeout=5000)
    snap(h, f"maint_enrol_{tag}")
    h.tap("maint.enrol.cancel")
    h.qtbot.waitUntil(lambda: h.find("maint.tabs").tabBar().isVisible(), timeout=5000)
    tabs.setCurrentIndex(3)
    tap_field(h, "maint.log.filter")
    snap(h, f"maint_log_keyboard_{tag}")
    h.tap("kbd.done")


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)], ids=["1280x800", "800x480"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_screenshots(qtbot, tmp_path, size, lang):
    h = Harness(qtbot, tmp_path, *size, language=lang)
    if "KIOSK_SHOTS" in os.environ:
        h.shots = Path(os.environ["KIOSK_SHOTS"])
    try:
        c = h.service.add_courier("C1001", "Li Wei", PIN)
        h.service.add_courier("C1002", "Zhang Min", PIN)
        deposit(h, c)
        p, pw = deposit(h, c, "YT9988776655", "M")
        for _ in range(3):
            h.service.pickup(p.box_no, "000000" if pw != "000000" else "111111")
        h.sim.open_door("B01")  # a door opened without a command: a tamper alarm
        qtbot.waitUntil(lambda: len(h.comp.app.maintainer.alarms) > 0, timeout=5000)
        h.tap("home.maintain")
        h.wait_screen("maint.login")
        tag = f"{lang}_{size[0]}x{size[1]}"
        h.type("11")
        h.tap("maint.submit")
        h.type("2468")
        snap(h, f"maint_login_{tag}")
        h.type("0135")
        h.tap("maint.submit")
        h.wait_screen("maint")
        for name in ("maint.login", "maint"):  # both screens fit under the header at this size
            hint = h.window.screens[name].minimumSizeHint()
            assert hint.width() <= size[0] and hint.height() <= size[1] - 100, (name, hint)
        shots_of_every_tab(h, tag)
    finally:
        h.stop()
