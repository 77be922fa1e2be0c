"""SIGKILL in the middle of a deposit or a pickup: the database stays consistent and nothing is lost."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk import audit, outbox
from kiosk.model import Opened
from kiosk.schema import ACTIVE_STATES
from tests.core.conftest import Cabinet

CHILD = Path(__file__).with_name("crash_child.py")
# The state each state-changing event leaves its parcel in.
EVENT_STATE = {"deposit_started": "reserved", "deposit_stored": "stored", "deposit_cancelled": "cancelled",
               "pickup_opened": "picking", "parcel_collected": "collected", "parcel_refused": "refused",
               "return_collected": "returned", "box_released": "released", "parcel_overdue": "overdue"}


def child(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHILD), str(data), *args], capture_output=True, text=True,
                          timeout=60)


def check_consistent(cab: Cabinet) -> None:
    """What must hold after any crash."""
    conn = cab.store.conn
    v = audit.verify(conn)
    assert v.ok, v
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    for p in cab.svc.parcels():
        states = [EVENT_STATE.get(e.kind) or e.data.get("state") or e.data.get("outcome")
                  for e in audit.events(conn, parcel_id=p.id)
                  if e.kind in EVENT_STATE or e.kind in ("recovered", "closed_without_choice")]
        assert states, f"parcel {p.tracking} has no event"  # no parcel without its record
        assert states[-1] == p.state, (p, states)
        live = conn.execute("SELECT COUNT(*) FROM passwords WHERE parcel_id = ? AND used_at IS NULL"
                            " AND void_at IS NULL", (p.id,)).fetchone()[0]
        assert live == (1 if p.state in ("stored", "overdue") else 0), (p, live)
        if p.state in ("stored", "picking"):  # the courier was sent every password the parcel has had
            n_pw = conn.execute("SELECT COUNT(*) FROM passwords WHERE parcel_id = ?", (p.id,)).fetchone()[0]
            n_msg = conn.execute("SELECT COUNT(*) FROM outbox o JOIN events e ON e.id = o.event_id"
                                 " WHERE e.parcel_id = ? AND o.kind = 'password'", (p.id,)).fetchone()[0]
            assert n_pw == n_msg, (p, n_pw, n_msg)
    boxes = [p.box_no for p in cab.svc.parcels(states=ACTIVE_STATES)]
    assert len(boxes) == len(set(boxes))


@pytest.mark.parametrize("point, after_restart", [
    ("event:deposit_started", None),          # died before the reservation committed: nothing happened
    ("unlock", "cancelled"),                  # reserved, door never opened, box empty: reservation undone
    ("outbox", "stored"),                     # parcel inside, door shut, died storing it: completed on restart
    ("event:deposit_stored", "stored"),
])
def test_sigkill_during_deposit(tmp_path, point, after_restart):
    r = child(tmp_path, "deposit", point)
    assert r.returncode == -signal.SIGKILL, r.stderr
    cab = Cabinet(tmp_path)
    try:
        parcels = cab.svc.parcels(tracking="SF-DEP-1")
        if after_restart is None:
            assert parcels == []
        else:
            # The physical cabinet after the crash: the door is shut; the parcel is inside if it got that far.
            cab.locks.items[parcels[0].box_no] = point != "unlock"
            cab.svc.recover()
            assert cab.svc.parcel(parcels[0].id).state == after_restart
        check_consistent(cab)
        if after_restart == "stored":
            pw = cab.last_password("C1001")
            assert isinstance(cab.svc.pickup(parcels[0].box_no, pw), Opened)
    finally:
        cab.store.close()


@pytest.mark.parametrize("point, state, password_works", [
    ("event:pickup_opened", "stored", True),   # died before the opening committed
    ("unlock", "stored", True),                # committed, died before the pulse: restored on restart
    ("event:parcel_collected", "picking", False),  # door open, customer deciding: the session goes on
])
def test_sigkill_during_pickup(tmp_path, point, state, password_works):
    assert child(tmp_path, "setup").returncode == 0
    r = child(tmp_path, "pickup", point)
    assert r.returncode == -signal.SIGKILL, r.stderr
    cab = Cabinet(tmp_path)
    try:
        p = cab.svc.parcels(tracking="SF-PICK-1")[0]
        box = p.box_no
        cab.locks.items[box] = True
        if point == "event:parcel_collected":
            cab.locks.open[box] = True  # the door really opened before the crash
        cab.svc.recover()
        assert cab.svc.parcel(p.id).state == state
        check_consistent(cab)
        pw = (tmp_path / "password").read_text()
        if password_works:
            assert isinstance(cab.svc.pickup(box, pw), Opened)
        else:  # the open session completes normally after the restart
            assert cab.svc.accept(p.id).state == "collected"
            check_consistent(cab)
    finally:
        cab.store.close()


def test_sigkill_at_random_moments_of_busy_traffic(tmp_path):
    rng = random.Random(20261124)
    for round_ in range(5):
        proc = subprocess.Popen([sys.executable, str(CHILD), str(tmp_path / f"r{round_}"), "loop"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.05, 0.6))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
            proc.stderr.close()
        cab = Cabinet(tmp_path / f"r{round_}")
        try:
            n_events = len(audit.events(cab.store.conn))
            for p in cab.svc.parcels(states=("reserved", "picking")):
                cab.locks.items[p.box_no] = p.state == "picking"
            cab.svc.recover()
            check_consistent(cab)
            assert n_events > 3
            assert outbox.counts(cab.store.conn)["pending"] >= 1
        finally:
            cab.store.close()


def test_a_full_database_refuses_the_change_with_a_clear_message_and_loses_nothing(cab):
    """SQLite's page limit gives a genuine SQLITE_FULL, as a full disk would."""
    from kiosk.model import StorageFailure
    c = cab.courier()
    p, pw = cab.deposit(c, tracking="SF-FULL-1")
    conn = cab.store.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StorageFailure, match="cannot save data right now.*full.*nothing was changed"):
        for i in range(200):  # fill the last free pages; bounded
            cab.svc.start_deposit(c, "S", f"SF-FILL-{i:03d}", consent=True)
            cab.locks.close(cab.svc.parcels(tracking=f"SF-FILL-{i:03d}")[0].box_no, item=False)
    assert cab.svc.parcel(p.id).state == "stored"
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert isinstance(cab.svc.pickup(p.box_no, pw), Opened)
    check_consistent(cab)
