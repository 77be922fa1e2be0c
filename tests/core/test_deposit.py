"""Courier side: login, box allocation, door closed → stored + password sent, cancel, empty box."""

from __future__ import annotations

import pytest

from kiosk import audit, outbox
from kiosk.model import InvalidInput, NoFreeBox, NotRecognised, PinLocked, WrongPin
from tests.core.conftest import PIN


def test_finger_login_finds_the_enrolled_courier(cab):
    c = cab.courier("C1001", slot=7)
    assert cab.svc.login_finger(7).number == "C1001"
    with pytest.raises(NotRecognised):
        cab.svc.login_finger(8)
    cab.svc.remove_courier("C1001")
    with pytest.raises(NotRecognised):  # a removed courier's finger no longer opens anything
        cab.svc.login_finger(7)
    assert c.fingers == (7,)


def test_pin_login_and_pin_lock_after_repeated_failures(cab):
    cab.courier("C1001")
    assert cab.svc.login_pin("C1001", PIN).number == "C1001"
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongPin) as e:
            cab.svc.login_pin("C1001", "000000")
        assert e.value.details["tries_left"] == left
    with pytest.raises(WrongPin):
        cab.svc.login_pin("C1001", "000000")
    with pytest.raises(PinLocked):  # even the right PIN waits now
        cab.svc.login_pin("C1001", PIN)
    cab.clock.advance(15 * 60 + 1)
    assert cab.svc.login_pin("C1001", PIN).number == "C1001"


def test_unknown_courier_number_fails_like_a_wrong_pin(cab):
    with pytest.raises(WrongPin) as e:
        cab.svc.login_pin("NOPE", PIN)
    assert e.value.details["tries_left"] is None


def test_deposit_allocates_smallest_fitting_box_and_prefers_non_accessible(cab):
    c = cab.courier()
    p = cab.svc.start_deposit(c, "S", "SF0001", consent=True)
    assert p.box_no == "A01" and p.state == "reserved"
    assert cab.locks.unlocks == ["A01"]
    # An accessible box when asked: A03 is the first accessible S box.
    q = cab.svc.start_deposit(c, "S", "SF0002", consent=True, accessible=True)
    assert q.box_no == "A03"


def test_deposit_upsizes_when_the_size_is_full_and_refuses_when_nothing_fits(cab):
    c = cab.courier()
    xl = [b.no for b in cab.cfg.boxes if b.size == "XL"]
    for i, _ in enumerate(xl):
        cab.deposit(c, "XL", f"XL{i:04d}")
    with pytest.raises(NoFreeBox):
        cab.svc.start_deposit(c, "XL", "XL9999", consent=True)
    free_l = cab.svc.free_counts()["L"]
    p = cab.svc.start_deposit(c, "L", "LL0001", consent=True)
    assert cab.cfg.box(p.box_no).size == "L"
    assert cab.svc.free_counts()["L"] == free_l - 1


def test_an_open_door_is_never_allocated(cab):
    c = cab.courier()
    cab.locks.open["A01"] = True
    assert cab.svc.start_deposit(c, "S", "SF0001", consent=True).box_no == "A02"


def test_deposit_needs_consent_and_valid_input(cab):
    c = cab.courier()
    with pytest.raises(InvalidInput, match="agreed"):
        cab.svc.start_deposit(c, "M", "SF0001", consent=False)
    with pytest.raises(InvalidInput, match="tracking"):
        cab.svc.start_deposit(c, "M", "x", consent=True)
    with pytest.raises(InvalidInput, match="phone"):
        cab.svc.start_deposit(c, "M", "SF0001", phone="call me", consent=True)
    with pytest.raises(InvalidInput, match="size"):
        cab.svc.start_deposit(c, "XXL", "SF0001", consent=True)
    cab.svc.start_deposit(c, "M", "SF0001", consent=True)
    with pytest.raises(InvalidInput, match="already"):
        cab.svc.start_deposit(c, "M", "sf0001", consent=True)


def test_door_closed_stores_the_parcel_and_queues_the_password_for_the_courier(cab):
    c = cab.courier()
    p = cab.svc.start_deposit(c, "M", "SF0001", phone="+86 138 0000 0000", consent=True)
    assert outbox.pending(cab.store.conn, cab.keys) == []
    cab.locks.close(p.box_no, item=True)
    out = cab.svc.door_closed(p.box_no)
    assert out.action == "stored" and out.parcel.state == "stored"
    assert out.parcel.due_at == pytest.approx(cab.clock.now() + 48 * 3600)
    [msg] = outbox.pending(cab.store.conn, cab.keys)
    assert msg.topic == "lockers/SZ-NS-0042/courier/C1001" and msg.kind == "password"
    body = msg.payload
    assert body["schema"] == 1 and body["box"] == p.box_no and body["tracking"] == "SF0001"
    assert body["cabinet"] == {"id": "SZ-NS-0042", "site": cab.cfg.site, "address": cab.cfg.address,
                               "lat": cab.cfg.lat, "lon": cab.cfg.lon}
    assert len(body["password"]) == 6 and body["password"].isdigit()
    assert body["qr"] == f"PLK1:SZ-NS-0042:{p.box_no}:{body['password']}"
    assert body["expires"] == pytest.approx(cab.clock.now() + 72 * 3600)
    # The message points at the event that caused it, in the same transaction.
    row = cab.store.query("SELECT event_id FROM outbox")[0]
    assert audit.events(cab.store.conn)[row[0] - 1].kind == "deposit_stored"


def test_closing_an_empty_box_does_not_issue_a_password(cab):
    c = cab.courier()
    p = cab.svc.start_deposit(c, "M", "SF0001", consent=True)
    cab.locks.close(p.box_no, item=False)
    out = cab.svc.door_closed(p.box_no)
    assert out.action == "deposit_empty" and cab.svc.parcel(p.id).state == "reserved"
    assert outbox.pending(cab.store.conn, cab.keys) == []
    cab.svc.reopen(c, p.id)
    assert cab.locks.unlocks == [p.box_no, p.box_no]
    cab.locks.close(p.box_no, item=True)
    assert cab.svc.door_closed(p.box_no).action == "stored"


def test_cancel_deposit_frees_the_box(cab):
    c = cab.courier()
    p = cab.svc.start_deposit(c, "S", "SF0001", consent=True)
    assert cab.svc.cancel_deposit(c, p.id).state == "cancelled"
    assert cab.svc.start_deposit(c, "S", "SF0002", consent=True).box_no != p.box_no  # its door is still open
    cab.locks.close(p.box_no, item=False)
    assert cab.svc.start_deposit(c, "S", "SF0003", consent=True).box_no == p.box_no
    assert [e.kind for e in audit.events(cab.store.conn, tracking="SF0001")] == ["deposit_started",
                                                                                 "deposit_cancelled"]


def test_unlock_failure_during_deposit_cancels_the_reservation(cab):
    c = cab.courier()
    cab.locks.broken = True
    p = cab.svc.start_deposit(c, "S", "SF0001", consent=True)
    assert cab.svc.parcel(p.id).state == "cancelled"
    assert audit.events(cab.store.conn)[-1].kind == "unlock_failed"


def test_alnum_passwords_when_configured(tmp_path):
    import dataclasses
    from kiosk.config import PasswordConfig
    from kiosk.passwords import ALNUM
    from tests.core.conftest import Cabinet, make_config
    cfg = make_config(tmp_path, passwords=PasswordConfig(alphabet="alnum"))
    cab = Cabinet(tmp_path, cfg)
    c = cab.courier()
    p, pw = cab.deposit(c)
    assert len(pw) == 6 and set(pw) <= set(ALNUM)
    assert type(cab.svc.pickup(p.box_no, pw.lower())).__name__ == "Opened"  # case does not matter
    cab.store.close()
    assert dataclasses.is_dataclass(cfg)


def test_a_deposit_found_open_at_start_and_shut_empty_gives_its_box_back(cab):
    """The courier's screen died with the kiosk: nobody can reopen or cancel this deposit, so an empty close
    cancels it (in normal running the courier's screen offers reopen/cancel instead)."""
    c = cab.courier()
    free = cab.svc.free_counts()["M"]
    p = cab.svc.start_deposit(c, "M", "SF4440001111", consent=True)
    cab.reopen()  # the kiosk restarts with the door still open
    assert cab.svc.recover() == [] and cab.svc.parcel(p.id).state == "reserved"
    cab.locks.close(p.box_no, item=False)
    out = cab.svc.door_closed(p.box_no)
    assert out.action == "none" and cab.svc.parcel(p.id).state == "cancelled"
    assert audit.events(cab.store.conn)[-1].data["reason"] == "closed empty after a restart"
    assert cab.svc.free_counts()["M"] == free
