"""Customer side and the lockout of claim 5: wrong tries, 30-minute lock, courier clear, automatic re-issue."""

from __future__ import annotations

import pytest

from kiosk import audit, outbox
from kiosk.model import (BoxLocked, Expired, InvalidState, NotYourParcel, Opened, Throttled, Unavailable,
                         WrongPassword)


def wrong(pw: str) -> str:
    return "".join(str((int(ch) + 1) % 10) for ch in pw)


def test_right_password_opens_and_accept_collects(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    r = cab.svc.pickup(p.box_no, pw)
    assert isinstance(r, Opened) and r.parcel.state == "picking"
    assert cab.locks.unlocks[-1] == p.box_no
    done = cab.svc.accept(p.id)
    assert done.state == "collected"
    notice = outbox.pending(cab.store.conn, cab.keys)[-1]
    assert notice.kind == "notice" and notice.payload["event"] == "collected"
    cab.locks.close(p.box_no, item=False)
    assert cab.svc.door_closed(p.box_no).action == "none"
    assert cab.svc.free_counts()["M"] == 8


def test_password_is_single_use(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    assert isinstance(cab.svc.pickup(p.box_no, pw), Opened)
    cab.svc.accept(p.id)
    cab.locks.close(p.box_no, item=False)
    cab.svc.door_closed(p.box_no)
    assert cab.svc.pickup(p.box_no, pw) == WrongPassword(None)


def test_reject_with_reason_leaves_the_parcel_refused_for_the_courier(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    cab.svc.pickup(p.box_no, pw)
    with pytest.raises(Exception, match="reason"):
        cab.svc.reject(p.id, "bored")
    refused = cab.svc.reject(p.id, "damaged")
    assert refused.state == "refused" and refused.reason == "damaged"
    notice = outbox.pending(cab.store.conn, cab.keys)[-1]
    assert notice.payload["event"] == "refused" and notice.payload["reason"] == "damaged"
    assert cab.svc.pickup(p.box_no, pw) == WrongPassword(None)  # the used password cannot reopen it
    assert [x.id for x in cab.svc.returns_for(c)] == [p.id]


def test_accept_needs_an_open_pickup(cab):
    c = cab.courier()
    p, _ = cab.deposit(c)
    with pytest.raises(InvalidState):
        cab.svc.accept(p.id)


def test_three_wrong_lock_only_that_box_for_30_minutes(cab):
    c = cab.courier()
    p1, pw1 = cab.deposit(c, tracking="SF0001")
    p2, pw2 = cab.deposit(c, tracking="SF0002")
    assert cab.svc.pickup(p1.box_no, wrong(pw1)) == WrongPassword(2)
    assert cab.svc.pickup(p1.box_no, wrong(pw1)) == WrongPassword(1)
    locked = cab.svc.pickup(p1.box_no, wrong(pw1))
    assert locked == BoxLocked(cab.clock.now() + 30 * 60)
    # Even the right password is refused while locked; the lock is void, not just paused.
    assert cab.svc.pickup(p1.box_no, pw1) == BoxLocked(locked.until)
    # The other box is not affected.
    assert isinstance(cab.svc.pickup(p2.box_no, pw2), Opened)
    assert [lk.box_no for lk in cab.svc.lockouts()] == [p1.box_no]
    notice = [m for m in outbox.pending(cab.store.conn, cab.keys) if m.payload.get("event") == "locked"]
    assert len(notice) == 1 and notice[0].payload["box"] == p1.box_no


def test_a_right_password_resets_the_count_of_wrong_ones(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    cab.svc.pickup(p.box_no, wrong(pw))
    cab.svc.pickup(p.box_no, wrong(pw))
    assert isinstance(cab.svc.pickup(p.box_no, pw), Opened)
    assert cab.svc.parcel(p.id).wrong_tries == 0


def lock_box(cab, p, pw):
    for _ in range(3):
        r = cab.svc.pickup(p.box_no, wrong(pw))
    assert isinstance(r, BoxLocked)
    return r


def test_lockout_and_its_countdown_survive_a_restart(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    r = lock_box(cab, p, pw)
    cab.clock.advance(10 * 60)
    cab.reopen()
    assert cab.svc.pickup(p.box_no, pw) == BoxLocked(r.until)
    assert cab.svc.lockouts()[0].until - cab.clock.now() == pytest.approx(20 * 60)


def test_courier_finger_clears_lockout_and_a_new_password_goes_out_at_once(cab):
    c = cab.courier()
    p, old = cab.deposit(c)
    lock_box(cab, p, old)
    courier = cab.svc.login_finger(1)
    cab.svc.clear_lockout(courier, p.box_no)
    new = cab.last_password(c.number)
    msg = outbox.for_courier(cab.store.conn, cab.keys, c.number)[0]
    assert msg.payload["reason"] == "lockout_cleared"
    assert cab.svc.lockouts() == []
    if new != old:
        assert cab.svc.pickup(p.box_no, old) == WrongPassword(2)
    assert isinstance(cab.svc.pickup(p.box_no, new), Opened)


def test_only_the_parcels_courier_or_a_maintainer_can_clear(cab):
    c1 = cab.courier("C1001", slot=1)
    cab.courier("C2002", slot=2)
    p, pw = cab.deposit(c1)
    lock_box(cab, p, pw)
    with pytest.raises(NotYourParcel):
        cab.svc.clear_lockout(cab.svc.login_finger(2), p.box_no)
    cab.svc.clear_lockout("maintainer", p.box_no)
    assert cab.svc.lockouts() == []
    with pytest.raises(InvalidState):
        cab.svc.clear_lockout("maintainer", p.box_no)


def test_after_30_minutes_a_new_password_is_queued_automatically(cab):
    c = cab.courier()
    p, old = cab.deposit(c)
    lock_box(cab, p, old)
    cab.clock.advance(29 * 60)
    assert cab.svc.tick()["reissued"] == 0
    cab.clock.advance(61)
    cab.reopen()  # the re-issue does not depend on the process that saw the lockout
    assert cab.svc.tick()["reissued"] == 1
    msg = outbox.for_courier(cab.store.conn, cab.keys, c.number)[0]
    assert msg.kind == "password" and msg.payload["reason"] == "lockout_expired"
    assert isinstance(cab.svc.pickup(p.box_no, msg.payload["password"]), Opened)
    assert "password_reissued" in [e.kind for e in audit.events(cab.store.conn, tracking=p.tracking)]


def test_pickup_after_the_lockout_ended_reissues_even_without_a_tick(cab):
    c = cab.courier()
    p, old = cab.deposit(c)
    lock_box(cab, p, old)
    cab.clock.advance(30 * 60 + 1)
    # No tick ran; the attempt itself ends the lockout first, so the count starts again at 3.
    assert cab.svc.pickup(p.box_no, "not-it") == WrongPassword(2)
    msg = outbox.for_courier(cab.store.conn, cab.keys, c.number)[0]
    assert msg.payload["reason"] == "lockout_expired"
    assert isinstance(cab.svc.pickup(p.box_no, msg.payload["password"]), Opened)


def test_an_expired_password_is_refused_and_said_so(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    cab.clock.advance(72 * 3600 + 1)
    assert cab.svc.pickup(p.box_no, pw) == Expired()
    assert cab.svc.parcel(p.id).state in ("stored", "overdue")


def test_overdue_sweep_tells_the_courier_and_the_parcel_goes_back(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    cab.clock.advance(47 * 3600)
    assert cab.svc.sweep_overdue() == []
    cab.clock.advance(3601)
    [o] = cab.svc.sweep_overdue()
    assert o.state == "overdue"
    assert outbox.pending(cab.store.conn, cab.keys)[-1].payload["event"] == "overdue"
    assert cab.svc.sweep_overdue() == []  # once
    # Still collectable by the customer until the courier takes it back.
    assert [x.id for x in cab.svc.returns_for(c)] == [p.id]
    back = cab.svc.collect_return(c, p.id)
    assert back.state == "returned" and cab.locks.unlocks[-1] == p.box_no
    assert cab.svc.pickup(p.box_no, pw) == WrongPassword(None)


def test_another_courier_cannot_take_a_return(cab):
    c1 = cab.courier("C1001", slot=1)
    c2 = cab.courier("C2002", slot=2)
    p, pw = cab.deposit(c1)
    cab.svc.pickup(p.box_no, pw)
    cab.svc.reject(p.id, "not_ordered")
    assert cab.svc.returns_for(c2) == []
    with pytest.raises(NotYourParcel):
        cab.svc.collect_return(c2, p.id)


@pytest.mark.parametrize("ir_box, item, action", [(True, False, "collected"), (True, True, "refused"),
                                                  (False, None, "unconfirmed")])
def test_door_closed_without_a_choice(cab, ir_box, item, action):
    c = cab.courier()
    size = "M" if ir_box else "XL"  # C08 is the XL box without an IR sensor (A08 has one)
    if not ir_box:
        cab.deposit(c, "XL", "SF-FILL")  # takes A08
    p, pw = cab.deposit(c, size, "SF0001")
    assert cab.cfg.box(p.box_no).ir is ir_box
    cab.svc.pickup(p.box_no, pw)
    cab.locks.close(p.box_no, item=item)
    out = cab.svc.door_closed(p.box_no)
    assert out.action == action and cab.svc.parcel(p.id).state == action
    if action == "unconfirmed":  # the box stays occupied until someone checks it
        assert cab.svc.parcel(p.id).review and cab.svc.free_counts()["XL"] == 0
        assert cab.svc.force_release(p.box_no, "checked: parcel taken").state == "released"
        assert cab.svc.free_counts()["XL"] == 1


def test_unlock_failure_gives_the_password_back(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    cab.locks.broken = True
    r = cab.svc.pickup(p.box_no, pw)
    assert isinstance(r, Unavailable)
    assert cab.svc.parcel(p.id).state == "stored"
    cab.locks.broken = False
    assert isinstance(cab.svc.pickup(p.box_no, pw), Opened)


def test_throttle_slows_enumeration_but_lets_the_right_password_through(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    empty = [b.no for b in cab.cfg.boxes if b.no != p.box_no]
    for i in range(10):  # ten free failures across boxes
        assert cab.svc.pickup(empty[i], "123456") == WrongPassword(None)
    t = cab.svc.pickup(empty[10], "123456")  # the 11th must wait 2 s
    assert isinstance(t, Throttled) and t.retry_at == pytest.approx(cab.clock.now() + 2)
    cab.clock.advance(2)
    assert cab.svc.pickup(empty[10], "123456") == WrongPassword(None)
    t = cab.svc.pickup(empty[11], "123456")  # then 4 s
    assert isinstance(t, Throttled) and t.retry_at == pytest.approx(cab.clock.now() + 4)
    assert isinstance(cab.svc.pickup(p.box_no, pw), Throttled)  # during the delay, even the right one waits
    cab.clock.advance(4)
    assert isinstance(cab.svc.pickup(p.box_no, pw), Opened)
    # The customer was never locked out of the box by other people's failures.
    assert cab.svc.lockouts() == []


def test_throttle_caps_the_delay(cab):
    for i in range(30):
        r = cab.svc.pickup("A01", "000000")
        if isinstance(r, Throttled):
            assert r.retry_at - cab.clock.now() <= 60
            cab.clock.advance(r.retry_at - cab.clock.now())
    # 30 guesses took at least the sum of the growing delays: 2+4+8+16+32+60×...
    assert cab.clock.now() - 1_780_000_000.0 >= 2 + 4 + 8 + 16 + 32 + 60 * 3


def test_unknown_box_reads_like_a_wrong_password(cab):
    assert cab.svc.pickup("Z99", "123456") == WrongPassword(None)
    assert cab.svc.pickup("", "") == WrongPassword(None)


def test_maintainer_open_and_force_release(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    lock_box(cab, p, pw)
    assert cab.svc.maintainer_open(p.box_no, "inspection").id == p.id
    assert cab.locks.unlocks[-1] == p.box_no
    released = cab.svc.force_release(p.box_no, "parcel damaged by water")
    assert released.state == "released" and cab.svc.lockouts() == []
    kinds = [e.kind for e in audit.events(cab.store.conn)]
    assert kinds[-2:] == ["maintainer_open", "box_released"]


def test_maintainer_login_with_the_configured_pin_and_pause_after_failures(cab):
    from kiosk.model import PinLocked, WrongPin
    cab.svc.maintainer_login("24680135")  # the simulated cabinet's PIN
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(WrongPin) as e:
            cab.svc.maintainer_login("00000000")
        assert e.value.details["tries_left"] == left
    with pytest.raises(PinLocked):
        cab.svc.maintainer_login("24680135")
    # Maintainer failures do not slow customers down.
    assert cab.svc.pickup("A01", "123456") == WrongPassword(None)
    cab.clock.advance(15 * 60 + 1)
    cab.svc.maintainer_login("24680135")
    assert [e.kind for e in audit.events(cab.store.conn)][-1] == "maintainer_login"


def test_read_models_for_the_maintainer_screen(cab):
    c = cab.courier()
    p, pw = cab.deposit(c, tracking="SF-READ-1")
    lock_box(cab, p, pw)
    boxes = {b.no: b for b in cab.svc.boxes()}
    assert len(boxes) == 24 and boxes[p.box_no].parcel.tracking == "SF-READ-1"
    assert boxes[p.box_no].locked_until == cab.svc.lockouts()[0].until and boxes["A01"].parcel is None
    evs = cab.svc.events(tracking="sf-read-1")
    assert [e.kind for e in evs][:2] == ["box_locked", "pickup_failed"]  # newest first
    assert cab.svc.verify_log().ok and cab.svc.outbox_counts()["pending"] == 2
    opened = cab.svc.maintainer_open_all("inventory")
    assert opened == [b.no for b in cab.cfg.boxes] and cab.locks.unlocks[-24:] == opened
    assert cab.svc.events(limit=1)[0].kind == "maintainer_open_all"


def test_a_return_whose_door_never_opened_is_undone(cab):
    c = cab.courier()
    p, pw = cab.deposit(c)
    cab.svc.pickup(p.box_no, pw)
    cab.svc.reject(p.id, "damaged")
    cab.locks.close(p.box_no, item=True)
    cab.svc.door_closed(p.box_no)
    cab.locks.broken = True  # the lock cannot be commanded at all
    assert cab.svc.collect_return(c, p.id).state == "refused"
    cab.locks.broken = False
    back = cab.svc.collect_return(c, p.id)
    assert back.state == "returned"
    cab.svc.unlock_failed(p.box_no, "door did not open")  # reported later by the door watch
    assert cab.svc.parcel(p.id).state == "refused" and [x.id for x in cab.svc.returns_for(c)] == [p.id]


def test_a_password_can_be_reissued_on_request_and_the_old_one_stops(cab):
    c = cab.courier()
    p, old = cab.deposit(c)
    cab.svc.reissue_password(p.box_no.lower(), "remote:ops")
    new = cab.last_password(c.number)
    assert new != old
    assert cab.svc.pickup(p.box_no, old) == WrongPassword(2)
    ev = [e for e in audit.events(cab.store.conn) if e.kind == "password_reissued"][-1]
    assert ev.actor == "remote:ops" and ev.data["reason"] == "requested" and new not in str(ev.data)
    for _ in range(2):
        cab.svc.pickup(p.box_no, wrong(new))
    with pytest.raises(InvalidState, match="locked after wrong passwords"):
        cab.svc.reissue_password(p.box_no, "remote:ops")
    with pytest.raises(InvalidState, match="holds no parcel"):
        cab.svc.reissue_password("A02" if p.box_no != "A02" else "A03", "remote:ops")
