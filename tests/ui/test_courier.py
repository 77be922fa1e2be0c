"""The courier flow through the real app on the emulated lock board and fingerprint sensor.

Each test acts like a courier at the cabinet: a finger on the emulated sensor (or number + PIN), taps on the
screen, doors closed on the emulated board. Assertions look at what really happened: unlock pulses on the
board, parcel states in the service, messages on the simulated handheld, and that no password is ever on
the screen.
"""

from __future__ import annotations

import logging

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QListWidget, QSizePolicy

from hardware.simulated import board_lock
from kiosk.model import BoxLocked, Opened, WrongPassword
from tests.ui.conftest import PIN, Harness

TRACKING = "SF1234567890"


# ---- helpers -----------------------------------------------------------------------------------------------


class Doors:
    """Door events as the screens get them, so a test can wait for the one it caused."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.events: list[tuple[str, bool, str]] = []
        h.kiosk.door_event.connect(lambda box, is_open, action: self.events.append((box, is_open, action)))

    def wait(self, box: str, is_open: bool, timeout: int = 6000) -> str:
        """Wait for the next event of that door in that direction (after any already waited for)."""
        found: list[str] = []

        def seen() -> bool:
            for i, (b, o, a) in enumerate(self.events):
                if b == box and o == is_open:
                    del self.events[: i + 1]
                    found.append(a)
                    return True
            return False

        self.h.qtbot.waitUntil(seen, timeout=timeout)
        return found[0]


def close(h: Harness, box: str, item: bool) -> None:
    """Put the parcel in (or take it out), let the sensor see it, then close the door.

    Waiting for the IR reading first works around hardware/kerong.py feeding a poll's door reading to the
    watch before its item reading: a door closed in the same poll as the item went in can reach the core
    while the item still reads as before."""
    h.sim.put_item(box, item)
    h.qtbot.waitUntil(lambda: h.sim.bank.item_inside(box) in (item, None), timeout=3000)
    h.close_door(box)


def flow(h: Harness):
    return h.comp.app.courier


def pulses_for(h: Harness, box: str) -> int:
    board, lock = board_lock(h.kiosk.config.box(box).lock)
    return sum(1 for p in h.sim.emulator.pulses() if (p.board, p.lock) == (board, lock))


def finger_login(h: Harness) -> None:
    assert h.screen() == "home"
    emu = h.kiosk.fingerprint_emulator
    emu.place_finger(7)
    try:
        h.wait_screen("courier.menu", timeout=8000)
    finally:
        emu.lift_finger()


def pin_login(h: Harness, pin: str = PIN, number: str = "C1001") -> None:
    h.tap("home.courier_pin")
    h.wait_screen("courier.login")
    h.type(number, "kbd")
    h.tap("kbd.done")
    h.type(pin, "keypad")
    h.tap("courier.login.submit")


def fill_form(h: Harness, size: str = "M", tracking: str = TRACKING, phone: str = "") -> None:
    h.tap("courier.deposit")
    h.wait_screen("courier.size")
    h.tap(f"courier.size.{size}")
    h.wait_screen("courier.form")
    h.type(tracking, "kbd")
    h.tap("kbd.done")
    if phone:
        h.tap("courier.phone.edit")
        h.type(phone, "keypad")
        h.tap("courier.phone.done")
    assert not h.find("courier.open").isEnabled()  # no consent yet
    h.tap("courier.consent")


def open_deposit(h: Harness, doors: Doors, **kw) -> str:
    """Log-in already done: fill the form, open, wait for the door to be open; returns the box."""
    fill_form(h, **kw)
    h.tap("courier.open")
    h.wait_screen("courier.door")
    box = flow(h).deposit.parcel.box_no
    h.qtbot.waitUntil(lambda: pulses_for(h, box) >= 1, timeout=3000)
    assert doors.wait(box, True) == ""
    assert h.kiosk.door_open(box) is True
    return box


def stored_by_service(h: Harness, doors: Doors, courier, tracking: str, size: str = "S") -> tuple:
    """A parcel deposited straight through the service (the courier's screens are not involved)."""
    p = h.service.start_deposit(courier, size, tracking, consent=True)
    doors.wait(p.box_no, True)
    close(h, p.box_no, item=True)
    assert doors.wait(p.box_no, False) == "stored"
    password = last_password(h, p.box_no)
    return h.service.parcel(p.id), password


def last_password(h: Harness, box: str) -> str:
    msgs = [m for m in h.kiosk.messages if m["type"] == "password" and m["box"] == box]
    assert msgs, f"no password message for {box}"
    return msgs[-1]["password"]


def refused_by_service(h: Harness, doors: Doors, courier, tracking: str):
    p, password = stored_by_service(h, doors, courier, tracking)
    assert isinstance(h.service.pickup(p.box_no, password), Opened)
    doors.wait(p.box_no, True)
    h.service.reject(p.id, "damaged")
    close(h, p.box_no, item=True)
    doors.wait(p.box_no, False)
    assert h.service.parcel(p.id).state == "refused"
    return h.service.parcel(p.id)


def locked_by_service(h: Harness, doors: Doors, courier, tracking: str):
    p, password = stored_by_service(h, doors, courier, tracking)
    wrong = "000000" if password != "000000" else "111111"
    results = [h.service.pickup(p.box_no, wrong) for _ in range(3)]
    assert isinstance(results[0], WrongPassword) and isinstance(results[-1], BoxLocked)
    return p


def window_texts(h: Harness) -> list[str]:
    w = h.window
    out = [w.windowTitle()]
    out += [x.text() for x in w.findChildren(QLabel)]
    out += [t for x in w.findChildren(QLineEdit) for t in (x.text(), x.placeholderText())]
    out += [x.text() for x in w.findChildren(QAbstractButton)]
    out += [x.item(i).text() for x in w.findChildren(QListWidget) for i in range(x.count())]
    return out


# ---- login -------------------------------------------------------------------------------------------------


def test_finger_login_shows_the_menu_and_logout_forgets(kiosk_app, courier):
    h = kiosk_app
    finger_login(h)
    assert flow(h).courier.number == "C1001"
    assert flow(h).menu_screen.title.text() == "Hello, Li Wei (C1001)"
    assert not h.find("courier.returns").isEnabled()  # nothing to take back
    assert not h.find("courier.lockouts").isEnabled()
    h.tap("courier.logout")
    h.wait_screen("home")
    assert flow(h).courier is None


def test_pin_login_with_wrong_tries_then_right(kiosk_app, courier):
    h = kiosk_app
    pin_login(h, pin="999999")
    assert h.screen() == "courier.login"
    msg = flow(h).login_screen.message.text()
    assert "wrong" in msg and "4 tries left" in msg
    assert h.find("courier.pin").text() == ""  # typed again from scratch
    h.type(PIN, "keypad")
    h.tap("courier.login.submit")
    h.wait_screen("courier.menu")
    assert flow(h).courier.number == "C1001"


def test_pin_login_pauses_after_five_wrong(kiosk_app, courier):
    h = kiosk_app
    pin_login(h, pin="999999")
    for _ in range(4):
        h.type("999999", "keypad")
        h.tap("courier.login.submit")
    assert "paused for 15 minutes" in flow(h).login_screen.message.text()
    h.type(PIN, "keypad")  # even the right PIN waits now
    h.tap("courier.login.submit")
    assert h.screen() == "courier.login"
    assert "paused until" in flow(h).login_screen.message.text()
    h.tap("courier.login.back")
    h.wait_screen("home")


def test_unknown_courier_number_is_told_the_same_way(kiosk_app, courier):
    h = kiosk_app
    pin_login(h, number="X9999")
    assert flow(h).login_screen.message.text().startswith("Courier number or PIN is wrong")


# ---- deposit -----------------------------------------------------------------------------------------------


def test_deposit_stores_the_parcel_and_sends_the_password_only_to_the_handheld(kiosk_app, courier, caplog):
    caplog.set_level(logging.DEBUG)
    h = kiosk_app
    doors = Doors(h)
    finger_login(h)
    box = open_deposit(h, doors, size="M", phone="13800138000")
    assert h.kiosk.config.box(box).size == "M"
    assert h.window.current().holds_session()
    assert flow(h).door_screen.big.text() == f"Door {box} is open"
    close(h, box, item=True)
    h.wait_screen("courier.sent")
    (p,) = h.service.parcels(tracking=TRACKING)
    assert (p.state, p.box_no, p.phone) == ("stored", box, "13800138000")
    password = last_password(h, box)
    assert flow(h).sent_screen.box.text() == f"Box {box}"
    assert TRACKING in flow(h).sent_screen.details.text()
    assert h.kiosk.config.cabinet_id in flow(h).sent_screen.details.text()
    assert not any(password in t for t in window_texts(h))
    assert password not in caplog.text
    h.tap("courier.next")
    h.wait_screen("courier.size")
    assert h.find("courier.size.M").isEnabled()


def test_empty_deposit_reopens_then_stores(kiosk_app, courier):
    h = kiosk_app
    doors = Doors(h)
    finger_login(h)
    box = open_deposit(h, doors, size="S")
    close(h, box, item=False)
    assert doors.wait(box, False) == "deposit_empty"
    assert flow(h).door_screen.big.text() == f"No parcel detected in {box}"
    assert not h.window.current().holds_session()
    before = pulses_for(h, box)
    h.tap("courier.reopen")
    h.qtbot.waitUntil(lambda: pulses_for(h, box) > before, timeout=3000)
    doors.wait(box, True)
    assert flow(h).door_screen.big.text() == f"Door {box} is open"
    close(h, box, item=True)
    h.wait_screen("courier.sent")
    assert h.service.parcels(tracking=TRACKING)[0].state == "stored"


def test_cancel_with_the_door_open_frees_the_box_when_it_closes(kiosk_app, courier):
    h = kiosk_app
    doors = Doors(h)
    finger_login(h)
    free_before = h.service.free_counts()["M"]
    box = open_deposit(h, doors, size="M")
    h.tap("courier.cancel")
    assert flow(h).door_screen.instruction.text() == "Take the parcel out and close the door"
    assert h.window.current().holds_session()  # the door is still open
    assert h.service.parcels(tracking=TRACKING)[0].state == "cancelled"
    close(h, box, item=False)
    h.wait_screen("courier.menu")
    assert f"Box {box} is free again" in flow(h).menu_screen.notice.text()
    assert h.service.free_counts()["M"] == free_before


def test_cancel_after_an_empty_close_goes_straight_to_the_menu(kiosk_app, courier):
    h = kiosk_app
    doors = Doors(h)
    finger_login(h)
    box = open_deposit(h, doors, size="S")
    close(h, box, item=False)
    doors.wait(box, False)
    h.tap("courier.cancel")
    h.wait_screen("courier.menu")
    assert h.service.parcels(tracking=TRACKING)[0].state == "cancelled"


def test_going_home_from_an_empty_deposit_cancels_it(kiosk_app, courier):
    h = kiosk_app
    doors = Doors(h)
    finger_login(h)
    box = open_deposit(h, doors, size="S")
    close(h, box, item=False)
    doors.wait(box, False)
    h.window.idle.setInterval(100)  # the courier walked away
    h.wait_screen("home", timeout=3000)
    assert h.service.parcels(tracking=TRACKING)[0].state == "cancelled"
    assert flow(h).courier is None


def test_a_door_that_does_not_open_cancels_the_deposit(kiosk_app, courier):
    h = kiosk_app
    finger_login(h)
    # Size S, not accessible: the service picks A01 first (smallest, non-accessible, by number).
    h.sim.emulator.set_stuck(*board_lock(h.kiosk.config.box("A01").lock))
    fill_form(h, size="S")
    h.tap("courier.open")
    h.wait_screen("courier.door")
    assert flow(h).deposit.parcel.box_no == "A01"
    h.wait_screen("courier.menu", timeout=12000)  # two pulses, two 3 s windows, then "open not detected"
    assert "Door A01 did not open" in flow(h).menu_screen.notice.text()
    assert h.service.parcels(tracking=TRACKING)[0].state == "cancelled"


def test_no_free_box_is_said_on_the_form(kiosk_app, courier):
    h = kiosk_app
    doors = Doors(h)
    finger_login(h)
    fill_form(h, size="XL")
    for i, box in enumerate(("A08", "C08")):  # someone else takes both XL boxes meanwhile
        assert h.service.start_deposit(courier, "XL", f"OTHER{i}000", consent=True).box_no == box
        doors.wait(box, True)
    h.tap("courier.open")
    assert h.screen() == "courier.form"
    assert "No box of size XL or larger is free" in flow(h).form_screen.message.text()
    h.tap("courier.form.back")
    h.wait_screen("courier.size")
    assert not h.find("courier.size.XL").isEnabled()
    assert h.find("courier.size.L").isEnabled()


def test_accessible_switch_counts_only_boxes_within_reach(kiosk_app, courier):
    h = kiosk_app
    finger_login(h)
    h.tap("courier.deposit")
    h.wait_screen("courier.size")
    assert f"{h.service.free_counts()['L']} free" in h.find("courier.size.L").text()
    h.tap("courier.accessible")
    counts = h.service.free_counts(accessible_only=True)
    assert f"{counts['M']} free" in h.find("courier.size.M").text()
    assert not h.find("courier.size.L").isEnabled()  # no accessible L or XL box in this cabinet
    h.tap("courier.size.S")
    h.wait_screen("courier.form")
    h.type("YT0001", "kbd")
    h.tap("kbd.done")
    h.tap("courier.consent")
    h.tap("courier.open")
    h.wait_screen("courier.door")
    assert h.kiosk.config.box(flow(h).deposit.parcel.box_no).accessible


def test_bad_tracking_number_is_explained(kiosk_app, courier):
    h = kiosk_app
    finger_login(h)
    fill_form(h, tracking="AB")
    h.tap("courier.open")
    assert h.screen() == "courier.form"
    assert "4 to 40" in flow(h).form_screen.message.text()


# ---- returns and lockouts ----------------------------------------------------------------------------------


def test_collect_refused_parcels_one_door_after_the_other(kiosk_app, courier):
    h = kiosk_app
    doors = Doors(h)
    first = refused_by_service(h, doors, courier, "RET0001")
    second = refused_by_service(h, doors, courier, "RET0002")
    finger_login(h)
    assert h.find("courier.returns").text() == "Collect returns (2)"
    h.tap("courier.returns")
    h.wait_screen("courier.returns")
    rows = [flow(h).returns_screen.list.item(i).text() for i in range(2)]
    assert rows == [f"{first.box_no} · RET0001 · Refused: damaged", f"{second.box_no} · RET0002 · Refused: damaged"]
    before = pulses_for(h, first.box_no)
    h.tap("courier.returns.open")
    h.qtbot.waitUntil(lambda: pulses_for(h, first.box_no) > before, timeout=3000)
    doors.wait(first.box_no, True)
    assert h.window.current().holds_session()
    assert not h.find("courier.returns.done").isEnabled()  # close the door first
    assert flow(h).returns_screen.status.text() == f"Door {first.box_no} is open: take the parcel, close the door"
    assert h.service.parcel(first.id).state == "returned"
    before = pulses_for(h, second.box_no)
    close(h, first.box_no, item=False)
    # The next one opens by itself.
    h.qtbot.waitUntil(lambda: pulses_for(h, second.box_no) > before, timeout=3000)
    doors.wait(second.box_no, True)
    assert h.screen() == "courier.returns"
    assert second.box_no in flow(h).returns_screen.status.text()
    close(h, second.box_no, item=False)
    h.wait_screen("courier.menu")
    assert flow(h).menu_screen.notice.text() == "All returns collected. Thank you."
    assert h.service.parcel(second.id).state == "returned"
    assert not h.find("courier.returns").isEnabled()


def test_the_lockouts_list_keeps_one_row_per_lockout_over_rebuilds(kiosk_app, courier):
    """The list is rebuilt on every visit and every change: rows go in above the one stretch, and the old rows
    leave the layout with their items (removeWidget deletes a row's layout item; takeAt, used before, handed it
    over and nothing freed it: heaptrack on the soak found ~160 B per rebuild)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    h = kiosk_app
    p = locked_by_service(h, Doors(h), courier, "LCK0001")
    finger_login(h)
    h.tap("courier.lockouts")
    h.wait_screen("courier.lockouts")
    screen = flow(h).lockouts_screen
    for _ in range(50):  # bounded
        screen.refresh()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the old row's button goes
    assert screen.rows.count() == 2  # the one row and the one stretch below it
    assert screen.rows.itemAt(0).widget() is screen._rows[p.box_no][0]
    assert screen.rows.itemAt(1).spacerItem() is not None
    assert len(screen.holder.findChildren(QAbstractButton)) == 1


def test_clear_a_lockout_sends_a_new_password(kiosk_app, courier):
    h = kiosk_app
    doors = Doors(h)
    p = locked_by_service(h, doors, courier, "LCK0001")
    finger_login(h)
    assert h.find("courier.lockouts").text() == "Clear a lockout (1)"
    h.tap("courier.lockouts")
    h.wait_screen("courier.lockouts")
    n = sum(1 for m in h.kiosk.messages if m["type"] == "password")
    h.tap(f"courier.lockout.{p.box_no}")
    assert "a new password was sent to your handheld" in flow(h).lockouts_screen.notice.text()
    new = [m for m in h.kiosk.messages if m["type"] == "password"]
    assert len(new) == n + 1 and new[-1]["box"] == p.box_no and new[-1]["reason"] == "lockout_cleared"
    assert h.service.lockouts() == []
    assert not any(new[-1]["password"] in t for t in window_texts(h))
    h.tap("courier.lockouts.back")
    h.wait_screen("courier.menu")
    assert not h.find("courier.lockouts").isEnabled()


# ---- layout and screenshots --------------------------------------------------------------------------------


def only_mine(h: Harness) -> None:
    """Let the window take the panel's size: other parts' screens (still being built) must not widen it."""
    for name, s in h.window.screens.items():
        if not name.startswith("courier."):
            s.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
    h.qtbot.wait(50)  # the layouts take the new policies

    def fits() -> bool:
        h.window.resize(*h.comp.app.size)
        return (h.window.width(), h.window.height()) == h.comp.app.size

    h.qtbot.waitUntil(fits, timeout=2000)


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)], ids=["1280x800", "800x480"])
def test_every_courier_screen_fits_the_panel(qtbot, tmp_path, size):
    h = Harness(qtbot, tmp_path, *size)
    try:
        stack_h = size[1] - h.window.centralWidget().layout().itemAt(0).widget().sizeHint().height()
        for name, s in h.window.screens.items():
            if name.startswith("courier."):
                hint = s.minimumSizeHint()
                assert hint.width() <= size[0] and hint.height() <= stack_h, (name, hint)
        for name in ("courier.login", "courier.form"):
            s = h.window.screens[name]
            for b in s.kbd.findChildren(QAbstractButton):
                assert b.minimumSizeHint().height() >= 78, b.objectName()
    finally:
        h.stop()


def tour(h: Harness, tag: str) -> None:
    """Every courier screen, photographed in English and Chinese."""
    def shot(name: str) -> None:
        h.qtbot.wait(30)
        assert (h.window.width(), h.window.height()) == h.comp.app.size, f"{name} does not fit the panel"
        h.shot(f"courier_{name}_en_{tag}")
        h.kiosk.set_language("zh")
        h.qtbot.wait(30)
        h.shot(f"courier_{name}_zh_{tag}")
        h.kiosk.set_language("en")

    doors = Doors(h)
    c = h.service.add_courier("C1001", "Li Wei", PIN)
    h.comp.fingerprint_device.emulator.enrol_directly(1, 7)
    c = h.service.assign_finger(c.number, 1)
    refused_by_service(h, doors, c, "RET0001")
    locked_by_service(h, doors, c, "LCK0001")
    only_mine(h)

    h.tap("home.courier_pin")
    h.wait_screen("courier.login")
    h.type("C1001", "kbd")
    shot("login_number")
    h.tap("kbd.done")
    h.type("999999", "keypad")
    h.tap("courier.login.submit")
    h.type("135", "keypad")
    shot("login_pin_wrong")
    h.tap("courier.login.back")
    h.wait_screen("home")

    finger_login(h)
    flow(h).menu(lambda: flow(h).tr("Deposit cancelled. Box {box} is free again.").format(box="A04"))
    shot("menu")
    h.tap("courier.deposit")
    h.wait_screen("courier.size")
    shot("size")
    h.tap("courier.accessible")
    shot("size_accessible")
    h.tap("courier.accessible")
    h.tap("courier.size.M")
    h.wait_screen("courier.form")
    h.type(TRACKING, "kbd")
    shot("form_tracking")
    h.tap("kbd.done")
    h.tap("courier.phone.edit")
    h.type("13800138000", "keypad")
    shot("form_phone")
    h.tap("courier.phone.done")
    h.tap("courier.consent")
    shot("form")
    flow(h).form_screen.show_error(lambda: flow(h).tr(
        "No box of size {size} or larger is free now. Go back and choose another size.").format(size="M"))
    shot("form_no_box")
    h.tap("courier.open")
    h.wait_screen("courier.door")
    box = flow(h).deposit.parcel.box_no
    doors.wait(box, True)
    shot("door")
    close(h, box, item=False)
    doors.wait(box, False)
    shot("door_empty")
    h.tap("courier.reopen")
    doors.wait(box, True)
    h.tap("courier.cancel")
    shot("door_cancelled")
    close(h, box, item=False)
    h.wait_screen("courier.menu")

    h.tap("courier.deposit")
    h.tap("courier.size.L")
    h.type("YT9876543210", "kbd")
    h.tap("kbd.done")
    h.tap("courier.consent")
    h.tap("courier.open")
    h.wait_screen("courier.door")
    box = flow(h).deposit.parcel.box_no
    doors.wait(box, True)
    close(h, box, item=True)
    h.wait_screen("courier.sent")
    shot("sent")
    h.tap("courier.done")
    h.wait_screen("courier.menu")

    h.tap("courier.returns")
    h.wait_screen("courier.returns")
    shot("returns")
    h.tap("courier.returns.open")
    ret = flow(h).returning.box_no
    doors.wait(ret, True)
    shot("returns_open")
    close(h, ret, item=False)
    h.wait_screen("courier.menu")
    h.tap("courier.lockouts")
    h.wait_screen("courier.lockouts")
    shot("lockouts")
    h.tap(f"courier.lockout.{h.service.lockouts()[0].box_no}")
    shot("lockouts_cleared")
    h.tap("courier.lockouts.back")
    h.tap("courier.logout")
    h.wait_screen("home")


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)], ids=["1280x800", "800x480"])
def test_screenshots_of_every_screen_in_both_languages(qtbot, tmp_path, size):
    h = Harness(qtbot, tmp_path, *size)
    try:
        tour(h, f"{size[0]}x{size[1]}")
    finally:
        h.stop()
