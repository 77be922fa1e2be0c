"""The customer pickup flow through the real app, on the emulated lock board.

A parcel is stored the way a courier stores one (the service opens a box, the door is closed with the parcel
inside on the emulator); its password is read from the simulated handheld, as the courier would forward it.
The customer then only taps widgets. Outcomes are checked where they really happen: unlock pulses on the
emulated board, parcel states in the core. Time-based cases (lockout end, throttle, expiry) swap the core's
clock for a FakeClock that the test moves.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QLineEdit

from hardware.simulated import board_lock
from kiosk.clock import FakeClock
from kiosk.passwords import ALNUM
from kiosk.ports import DeviceUnavailable
from tests.ui import conftest
from tests.ui.conftest import Harness

TRACKING = "SF1234567890"


# ---- helpers ---------------------------------------------------------------------------------------------


def password_for(h: Harness, tracking: str) -> str | None:
    """The newest password the handheld received for this parcel."""
    for m in reversed(h.kiosk.messages):
        if m.get("type") == "password" and m.get("tracking") == tracking:
            return m["password"]
    return None


def store_parcel(h: Harness, courier, tracking: str = TRACKING, size: str = "M"):
    """As a courier would: open a box, put the parcel in, close the door; returns (parcel, password)."""
    p = h.service.start_deposit(courier, size, tracking, consent=True)
    h.qtbot.waitUntil(lambda: h.kiosk.door_open(p.box_no) is True, timeout=5000)
    close_door(h, p.box_no, item=True)
    h.qtbot.waitUntil(lambda: h.service.parcel(p.id).state == "stored", timeout=5000)
    h.qtbot.waitUntil(lambda: password_for(h, tracking) is not None, timeout=5000)
    return h.service.parcel(p.id), password_for(h, tracking)


def close_door(h: Harness, box: str, item: bool | None = None) -> None:
    """Set the IR reading, let the bank see it, then close: Harness.close_door does both in one breath, and
    the board's status frame reports the door before the item, so the core could read a stale IR value."""
    if item is not None:
        h.sim.put_item(box, item)
        if h.kiosk.config.box(box).ir:
            h.qtbot.waitUntil(lambda: h.sim.bank.item_inside(box) is item, timeout=3000)
    h.sim.close_door(box)


def snap(h: Harness, name: str) -> None:
    """A screenshot once pending layout requests ran, as the next frame on the panel would show it."""
    h.qtbot.wait(30)
    h.shot(name)


def pulses_for(h: Harness, box: str) -> int:
    board, lock = board_lock(h.kiosk.config.box(box).lock)
    return sum(1 for p in h.sim.emulator.pulses() if (p.board, p.lock) == (board, lock))


def click_field(h: Harness, name: str) -> None:
    QTest.mouseClick(h.find(name, QLineEdit), Qt.MouseButton.LeftButton)


def key(h: Harness, ch: str) -> None:
    """Press one keypad key; letters may sit on a later page of a small panel's keypad."""
    for _ in range(8):
        try:
            h.tap(f"keypad.{ch}")
            return
        except LookupError:
            h.tap("keypad.more")
    raise AssertionError(f"no key {ch!r} on any keypad page")


def enter(h: Harness, box: str, password: str, submit: bool = True) -> None:
    if h.screen() != "pickup":
        h.tap("home.pickup")
        h.wait_screen("pickup")
    click_field(h, "pickup.box")
    h.tap("keypad.clear")
    for ch in box:
        key(h, ch)
    click_field(h, "pickup.password")  # usually selected already: the box number was complete
    h.tap("keypad.clear")
    for ch in password:
        key(h, ch)
    if submit:
        h.tap("pickup.submit")


def wrong(password: str) -> str:
    """A password of the same alphabet that is not this one."""
    return "".join("3" if c == "2" else "2" for c in password)


def open_box(h: Harness, box: str, password: str) -> None:
    enter(h, box, password)
    h.wait_screen("pickup.check")
    h.qtbot.waitUntil(lambda: flow(h).check.opened, timeout=5000)


def flow(h: Harness):
    return h.comp.app.customer


def message(h: Harness) -> str:
    return flow(h).pickup.message.text()


def to_zh_and_back(h: Harness, shot: str, name: str, zh_text: str) -> None:
    """Switch language on this screen: the widget's text is Chinese, then English again."""
    h.tap("lang.toggle")
    assert zh_text in h.find(name).text()
    snap(h, shot)
    h.tap("lang.toggle")
    assert zh_text not in h.find(name).text()


def fake_clock(h: Harness) -> FakeClock:
    clock = FakeClock(time.time())
    h.service.clock = clock
    return clock


def assert_fits(h: Harness) -> None:
    """Every visible button and field of the screen lies inside the window, at least a touch target tall."""
    win = h.window.rect()
    screen = h.window.current()
    need, have = screen.minimumSizeHint(), screen.size()
    assert need.width() <= have.width() and need.height() <= have.height(), \
        f"{h.screen()} needs {need.toTuple()}, the panel leaves {have.toTuple()}"
    for w in screen.findChildren(QAbstractButton) + screen.findChildren(QLineEdit):
        if not w.isVisible():
            continue
        r = QRect(w.mapTo(h.window, w.rect().topLeft()), w.size())
        assert win.contains(r), f"{w.objectName()} {r} is outside the window {win} on {h.screen()}"
        assert w.height() >= 78, f"{w.objectName()} is only {w.height()} px tall"


# ---- the journeys ----------------------------------------------------------------------------------------


def test_wrong_then_right_password_accept_and_take(kiosk_app, courier):
    h = kiosk_app
    p, pw = store_parcel(h, courier)
    h.tap("home.pickup")
    h.wait_screen("pickup")
    assert not h.find("pickup.submit").isEnabled()
    assert h.find("pickup.password", QLineEdit).echoMode() == QLineEdit.EchoMode.Password
    snap(h, "pickup_en_1280x800")
    to_zh_and_back(h, "pickup_zh_1280x800", "pickup.submit", "开箱")

    enter(h, p.box_no, wrong(pw), submit=False)
    assert h.find("pickup.password", QLineEdit).text() == wrong(pw)
    h.tap("pickup.show")
    assert h.find("pickup.password", QLineEdit).echoMode() == QLineEdit.EchoMode.Normal
    h.tap("pickup.show")
    assert h.find("pickup.password", QLineEdit).echoMode() == QLineEdit.EchoMode.Password
    h.tap("pickup.submit")
    assert h.screen() == "pickup"
    assert message(h) == "Wrong box number or password. 2 tries left."
    assert h.find("pickup.password", QLineEdit).text() == ""
    assert h.find("pickup.box", QLineEdit).text() == p.box_no
    assert not h.find("pickup.submit").isEnabled()
    snap(h, "pickup_wrong_en_1280x800")
    h.tap("lang.toggle")
    assert "还可以再试 2 次" in message(h)
    snap(h, "pickup_wrong_zh_1280x800")
    h.tap("lang.toggle")

    before = pulses_for(h, p.box_no)
    for ch in pw:  # the password field is still the keypad's target
        h.tap(f"keypad.{ch}")
    h.tap("pickup.submit")
    h.wait_screen("pickup.check")
    h.qtbot.waitUntil(lambda: pulses_for(h, p.box_no) > before, timeout=5000)
    h.qtbot.waitUntil(lambda: flow(h).check.opened, timeout=5000)
    assert h.kiosk.door_open(p.box_no) is True
    assert h.service.parcel(p.id).state == "picking"
    assert h.window.current().holds_session()
    assert f"Box {p.box_no} is open" == h.window.current().title.text()
    assert "…7890" in h.window.current().subtitle.text()
    snap(h, "check_en_1280x800")
    to_zh_and_back(h, "check_zh_1280x800", "pickup.accept", "签收")

    h.tap("pickup.accept")
    h.wait_screen("pickup.close")
    assert h.service.parcel(p.id).state == "collected"
    assert h.window.current().holds_session()
    assert h.window.current().title.text() == "Take your parcel and close the door"
    snap(h, "close_take_en_1280x800")
    h.tap("lang.toggle")
    assert "取走" in h.window.current().title.text()
    snap(h, "close_take_zh_1280x800")
    h.tap("lang.toggle")

    close_door(h, p.box_no, item=False)
    h.wait_screen("pickup.thanks")
    assert "collected" in flow(h).thanks.text.text()
    assert h.service.parcel(p.id).state == "collected"
    snap(h, "thanks_en_1280x800")
    to_zh_and_back(h, "thanks_zh_1280x800", "thanks.home", "返回首页")
    h.tap("thanks.home")
    h.wait_screen("home")


def test_reject_with_reason_and_put_back(kiosk_app, courier):
    h = kiosk_app
    p, pw = store_parcel(h, courier)
    open_box(h, p.box_no, pw)
    h.tap("pickup.reject")
    h.wait_screen("pickup.reason")
    assert h.window.current().holds_session()
    for code in ("damaged", "wrong_item", "not_ordered", "other"):
        assert h.find(f"reject.reason.{code}").isEnabled()
    snap(h, "reason_en_1280x800")
    to_zh_and_back(h, "reason_zh_1280x800", "reject.reason.damaged", "破损")
    h.tap("reason.back")
    h.wait_screen("pickup.check")
    assert h.find("pickup.accept").isEnabled()  # the door is still open: the choice is still there
    h.tap("pickup.reject")
    h.tap("reject.reason.damaged")
    h.wait_screen("pickup.close")
    parcel = h.service.parcel(p.id)
    assert (parcel.state, parcel.reason) == ("refused", "damaged")
    assert h.window.current().title.text() == f"Put the parcel back in box {p.box_no} and close the door"
    snap(h, "close_putback_en_1280x800")
    h.tap("lang.toggle")
    assert p.box_no in h.window.current().title.text() and "放回" in h.window.current().title.text()
    snap(h, "close_putback_zh_1280x800")
    h.tap("lang.toggle")
    close_door(h, p.box_no, item=True)
    h.wait_screen("pickup.thanks")
    assert flow(h).thanks.text.text() == "Your refusal was recorded; the courier will collect the parcel."
    assert h.kiosk.door_open(p.box_no) is False
    assert h.service.parcel(p.id).state == "refused"
    assert any(m.get("event") == "refused" for m in h.kiosk.messages)


def test_thanks_goes_home_by_itself(kiosk_app, courier):
    h = kiosk_app
    p, pw = store_parcel(h, courier)
    flow(h).thanks.timer.setInterval(300)
    open_box(h, p.box_no, pw)
    h.tap("pickup.accept")
    h.wait_screen("pickup.close")
    close_door(h, p.box_no, item=False)
    h.wait_screen("pickup.thanks")
    h.wait_screen("home", timeout=3000)


@pytest.mark.parametrize("item, outcome, state, text", [
    (False, "collected", "collected", "recorded as collected"),
    (True, "stayed", "refused", "treated as refused"),
])
def test_door_closed_without_a_choice(kiosk_app, courier, item, outcome, state, text):
    h = kiosk_app
    p, pw = store_parcel(h, courier)
    open_box(h, p.box_no, pw)
    close_door(h, p.box_no, item=item)
    h.wait_screen("pickup.thanks")
    assert flow(h).thanks.outcome == outcome
    assert text in flow(h).thanks.text.text()
    assert h.service.parcel(p.id).state == state
    snap(h, f"thanks_{outcome}_en_1280x800")


def test_door_closed_without_a_choice_and_no_item_sensor(kiosk_app, courier):
    """The second XL parcel lands in C08, which has no IR sensor: the pickup is left for a maintainer."""
    h = kiosk_app
    store_parcel(h, courier, "SF0000000001", "XL")
    p, pw = store_parcel(h, courier, "SF0000000002", "XL")
    assert not h.kiosk.config.box(p.box_no).ir
    open_box(h, p.box_no, pw)
    h.tap("pickup.reject")
    h.wait_screen("pickup.reason")
    close_door(h, p.box_no)  # closed while choosing a reason: still no choice
    h.wait_screen("pickup.thanks")
    assert flow(h).thanks.outcome == "unconfirmed"
    assert "maintainer will check" in flow(h).thanks.text.text()
    assert h.service.parcel(p.id).state == "unconfirmed"
    snap(h, "thanks_unconfirmed_en_1280x800")
    h.tap("lang.toggle")
    assert "维护" in flow(h).thanks.text.text()
    snap(h, "thanks_unconfirmed_zh_1280x800")


def test_three_wrong_passwords_lock_the_box_until_time_is_up(kiosk_app, courier):
    h = kiosk_app
    clock = fake_clock(h)
    p, pw = store_parcel(h, courier)
    enter(h, p.box_no, wrong(pw))
    assert message(h) == "Wrong box number or password. 2 tries left."
    h.tap("keypad.clear")
    h.type(wrong(pw))
    h.tap("pickup.submit")
    assert message(h) == "Wrong box number or password. 1 try left."
    h.type(wrong(pw))
    h.tap("pickup.submit")
    h.wait_screen("pickup.locked")
    screen = h.window.current()
    assert screen.title.text() == f"Box {p.box_no} is locked"
    assert screen.countdown.text() == "30:00"
    assert "fingerprint" in screen.text.text() and "new password" in screen.text.text()
    assert any(m.get("event") == "locked" for m in h.kiosk.messages)  # the courier was told at once
    snap(h, "locked_en_1280x800")
    to_zh_and_back(h, "locked_zh_1280x800", "locked.home", "返回首页")

    # The right password does not open a locked box either.
    h.tap("locked.home")
    h.wait_screen("home")
    before = pulses_for(h, p.box_no)
    enter(h, p.box_no, pw)
    h.wait_screen("pickup.locked")
    clock.advance(29 * 60)
    h.qtbot.waitUntil(lambda: screen.countdown.text() == "01:00", timeout=2000)
    clock.advance(60)
    h.qtbot.waitUntil(lambda: screen.over, timeout=2000)
    assert screen.title.text() == f"Box {p.box_no} is no longer locked"
    assert "new password has been sent" in screen.subtitle.text()
    h.qtbot.waitUntil(lambda: password_for(h, p.tracking) not in (None, pw), timeout=3000)
    assert pulses_for(h, p.box_no) == before
    snap(h, "locked_over_en_1280x800")
    h.tap("lang.toggle")
    snap(h, "locked_over_zh_1280x800")
    h.tap("lang.toggle")
    new = password_for(h, p.tracking)
    h.tap("locked.home")
    open_box(h, p.box_no, new)


def test_terminal_throttle_shows_a_countdown_and_disables_open(kiosk_app, courier):
    h = kiosk_app
    clock = fake_clock(h)
    p, pw = store_parcel(h, courier)
    for _ in range(h.kiosk.config.throttle.free_failures):  # someone tried boxes that hold nothing
        h.service.pickup("C01", "000000")
    enter(h, p.box_no, pw)
    assert h.screen() == "pickup"
    assert message(h) == "Too many wrong tries. Please wait:"
    wait = flow(h).pickup.wait
    assert wait.isVisible() and wait.text() == "00:02"
    assert not h.find("pickup.submit").isEnabled()
    assert h.service.parcel(p.id).state == "stored"
    snap(h, "pickup_throttled_en_1280x800")
    h.tap("lang.toggle")
    assert "稍候" in message(h)
    snap(h, "pickup_throttled_zh_1280x800")
    h.tap("lang.toggle")
    clock.advance(3)
    h.qtbot.waitUntil(lambda: h.find("pickup.submit").isEnabled(), timeout=2000)
    assert message(h) == "You can try again now."
    assert not wait.isVisible()
    h.tap("pickup.submit")
    h.wait_screen("pickup.check")
    h.qtbot.waitUntil(lambda: flow(h).check.opened, timeout=5000)


def test_expired_password(kiosk_app, courier):
    h = kiosk_app
    clock = fake_clock(h)
    p, pw = store_parcel(h, courier)
    clock.advance((h.kiosk.config.passwords.expiry_hours + 1) * 3600)
    enter(h, p.box_no, pw)
    assert h.screen() == "pickup"
    assert message(h) == "This password has expired. Ask your courier for a new one."
    assert h.find("pickup.password", QLineEdit).text() == ""
    assert h.service.parcel(p.id).state in ("stored", "overdue")
    snap(h, "pickup_expired_en_1280x800")
    h.tap("lang.toggle")
    assert "过期" in message(h)
    snap(h, "pickup_expired_zh_1280x800")


def test_door_that_does_not_open(kiosk_app, courier):
    """A stuck lock: the board is pulsed twice, the door never opens; the password works again afterwards."""
    h = kiosk_app
    p, pw = store_parcel(h, courier)
    where = board_lock(h.kiosk.config.box(p.box_no).lock)
    h.sim.emulator.set_stuck(*where, True)
    enter(h, p.box_no, pw)
    h.wait_screen("pickup.check")
    with pytest.raises(LookupError):
        h.find("pickup.accept")  # nothing to accept until the door is open
    assert h.window.current().title.text() == f"Box {p.box_no} is opening…"
    snap(h, "check_opening_en_1280x800")
    h.wait_screen("error", timeout=15000)
    assert "did not open" in h.window.current().message.text()
    assert "password still works" in h.window.current().message.text()
    assert h.service.parcel(p.id).state == "stored"
    h.sim.emulator.set_stuck(*where, False)
    h.tap("error.home")
    open_box(h, p.box_no, pw)


def test_lock_unavailable(kiosk_app, courier, monkeypatch):
    h = kiosk_app
    p, pw = store_parcel(h, courier)

    def broken(box_no: str) -> None:
        raise DeviceUnavailable("lock board does not answer")

    monkeypatch.setattr(h.service.locks, "unlock", broken)
    enter(h, p.box_no, pw)
    h.wait_screen("error")
    text = h.window.current().message.text()
    assert f"Box {p.box_no} could not be opened" in text and "password still works" in text
    assert h.service.parcel(p.id).state == "stored"


def test_unknown_box_is_a_plain_wrong_answer(kiosk_app):
    h = kiosk_app
    enter(h, "C03", "123456")
    assert message(h) == "Wrong box number or password."


def test_back_goes_home_and_forgets_the_password(kiosk_app):
    h = kiosk_app
    enter(h, "A04", "1234", submit=False)
    h.tap("pickup.back")
    h.wait_screen("home")
    h.tap("home.pickup")
    h.wait_screen("pickup")
    assert h.find("pickup.box", QLineEdit).text() == ""
    assert h.find("pickup.password", QLineEdit).text() == ""
    assert flow(h).pickup.keypad.target is h.find("pickup.box", QLineEdit)


def test_keypad_feeds_the_field_that_was_tapped(kiosk_app):
    h = kiosk_app
    h.tap("home.pickup")
    h.wait_screen("pickup")
    box, pw = h.find("pickup.box", QLineEdit), h.find("pickup.password", QLineEdit)
    for ch in "ABC":  # the letters of this cabinet's box numbers
        assert h.find(f"keypad.{ch}").isVisible()
    h.type("B0")
    assert box.text() == "B0"
    click_field(h, "pickup.password")
    h.type("12")
    with pytest.raises(LookupError):
        h.find("keypad.A")  # digit passwords: no letters on the pad
    click_field(h, "pickup.box")
    h.tap("keypad.back")
    h.tap("keypad.back")
    h.type("C07")
    assert (box.text(), pw.text()) == ("C07", "12")
    assert flow(h).pickup.keypad.target is pw  # a whole box number moves on to the password
    h.type("345678")
    assert pw.text() == "123456"  # six at most
    assert h.find("pickup.submit").isEnabled()


def test_inactivity_does_not_leave_an_open_door(kiosk_app, courier):
    h = kiosk_app
    p, pw = store_parcel(h, courier)
    open_box(h, p.box_no, pw)
    h.window.idle.setInterval(100)
    h.window.idle.start()
    h.qtbot.wait(400)
    assert h.screen() == "pickup.check"
    h.tap("pickup.accept")
    h.qtbot.wait(400)
    assert h.screen() == "pickup.close"
    close_door(h, p.box_no, item=False)
    h.wait_screen("pickup.thanks")


# ---- small panel and letters ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_screen_at_800x480(qtbot, tmp_path, language):
    h = Harness(qtbot, tmp_path, 800, 480, language=language)
    h.window.setFixedSize(800, 480)  # the panel: a window cannot grow past it (see small_panel)
    try:
        courier = h.service.add_courier("C1001", "Li Wei", conftest.PIN)
        size = f"{language}_800x480"
        p, pw = store_parcel(h, courier)
        h.tap("home.pickup")
        h.wait_screen("pickup")
        assert_fits(h)
        snap(h, f"pickup_{size}")
        enter(h, p.box_no, wrong(pw))
        assert_fits(h)
        snap(h, f"pickup_wrong_{size}")
        open_box(h, p.box_no, pw)
        assert_fits(h)
        snap(h, f"check_{size}")
        h.tap("pickup.reject")
        h.wait_screen("pickup.reason")
        assert_fits(h)
        snap(h, f"reason_{size}")
        h.tap("reason.back")
        h.tap("pickup.accept")
        h.wait_screen("pickup.close")
        assert_fits(h)
        snap(h, f"close_take_{size}")
        close_door(h, p.box_no, item=False)
        h.wait_screen("pickup.thanks")
        assert_fits(h)
        snap(h, f"thanks_{size}")

        q, qpw = store_parcel(h, courier, "SF0000000002")
        h.tap("thanks.home")
        open_box(h, q.box_no, qpw)
        h.tap("pickup.reject")
        h.tap("reject.reason.not_ordered")
        h.wait_screen("pickup.close")
        assert_fits(h)
        snap(h, f"close_putback_{size}")
        close_door(h, q.box_no, item=True)
        h.wait_screen("pickup.thanks")

        clock = fake_clock(h)
        r, rpw = store_parcel(h, courier, "SF0000000003")
        h.tap("thanks.home")
        for _ in range(3):
            enter(h, r.box_no, wrong(rpw))
        h.wait_screen("pickup.locked")
        assert_fits(h)
        snap(h, f"locked_{size}")
        h.tap("locked.home")
        for _ in range(h.kiosk.config.throttle.free_failures):
            h.service.pickup("C01", "000000")
        enter(h, "A01", "123456")
        assert flow(h).pickup.wait.isVisible()
        assert_fits(h)
        snap(h, f"pickup_throttled_{size}")
        clock.advance(3600)
    finally:
        h.stop()


ALNUM_CONFIG = {'alphabet = "digits"': 'alphabet = "alnum"'}  # passwords of digits and letters


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)], ids=["1280x800", "800x480"])
def test_alnum_passwords_get_letter_keys(qtbot, tmp_path, size):
    h = Harness(qtbot, tmp_path, *size, language="zh", edits=ALNUM_CONFIG)
    h.window.setFixedSize(*size)
    try:
        assert h.kiosk.config.passwords.alphabet == "alnum"
        courier = h.service.add_courier("C1001", "Li Wei", conftest.PIN)
        p, pw = store_parcel(h, courier)
        assert all(c in ALNUM for c in pw)
        h.tap("home.pickup")
        h.wait_screen("pickup")
        click_field(h, "pickup.password")
        assert_fits(h)
        snap(h, f"pickup_alnum_zh_{size[0]}x{size[1]}")
        letters, seen = {c for c in ALNUM if c.isalpha()}, set()
        for _ in range(len(letters)):  # the "more" key pages through every letter of the alphabet
            page = {k.text() for k in flow(h).pickup.keypad.letter_keys if k.isVisible()}
            assert page and all(h.find(f"keypad.{c}").height() >= 78 for c in page)
            if page <= seen:
                break
            seen |= page
            h.tap("keypad.more")
        assert seen == letters
        click_field(h, "pickup.box")
        assert h.find("keypad.A").isVisible()
        with pytest.raises(LookupError):
            h.find("keypad.Z")  # box numbers use A–C only
        open_box(h, p.box_no, pw)
        assert h.service.parcel(p.id).state == "picking"
    finally:
        h.stop()
