"""The hash chain: every use case leaves one event, and any changed byte is found and named."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from kiosk import audit


def run_flow(cab):
    c = cab.courier()
    p, pw = cab.deposit(c, tracking="SF-TAMPER-1")
    cab.svc.pickup(p.box_no, pw)
    cab.svc.reject(p.id, "damaged")
    return p


def test_each_use_case_is_exactly_one_event(cab):
    c = cab.courier()
    n = lambda: len(audit.events(cab.store.conn))  # noqa: E731
    before = n()
    p = cab.svc.start_deposit(c, "M", "SF0001", consent=True)
    assert n() == before + 1
    cab.locks.close(p.box_no, item=True)
    cab.svc.door_closed(p.box_no)
    assert n() == before + 2
    pw = cab.last_password(c.number)
    cab.svc.pickup(p.box_no, pw)
    cab.svc.accept(p.id)
    assert n() == before + 4
    kinds = [e.kind for e in audit.events(cab.store.conn, tracking="SF0001")]
    assert kinds == ["deposit_started", "deposit_stored", "pickup_opened", "parcel_collected"]


def test_chain_links_every_event_to_the_previous(cab):
    run_flow(cab)
    evs = audit.events(cab.store.conn)
    assert evs[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(evs, evs[1:]))
    assert audit.verify(cab.store.conn).ok


def _unprotect(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")


def _flip(value):
    if isinstance(value, float):
        return value + 0.001
    if isinstance(value, int):
        return value + 1
    s = str(value)
    return s[:-1] + ("0" if s[-1] != "0" else "1")


COLUMNS = ["ts", "kind", "actor", "box_no", "parcel_id", "tracking", "data", "prev_hash", "hash"]


@pytest.mark.parametrize("column", COLUMNS)
def test_changing_any_column_of_any_event_is_detected_and_named(cab, column):
    run_flow(cab)
    conn = cab.store.conn
    total = len(audit.events(conn))
    _unprotect(conn)
    target = next(e.id for e in audit.events(conn) if getattr(e, column if column != "data" else "data"))
    old = conn.execute(f"SELECT {column} FROM events WHERE id = ?", (target,)).fetchone()[0]
    conn.execute(f"UPDATE events SET {column} = ? WHERE id = ?", (_flip(old), target))
    v = audit.verify(conn)
    assert not v.ok and v.bad_id == target, (column, v)
    assert v.count == target - 1 and total > target - 1


def test_deleting_an_event_in_the_middle_is_detected(cab):
    run_flow(cab)
    _unprotect(cab.store.conn)
    cab.store.conn.execute("DELETE FROM events WHERE id = 3")
    v = audit.verify(cab.store.conn)
    assert not v.ok and v.bad_id == 4 and "missing" in v.problem


def cli(cab, *args):
    cfg_path = cab.cfg.data_dir / "cabinet.toml"
    from kiosk.config import default_config_path, with_data_dir
    text = with_data_dir(default_config_path().read_text(), str(cab.cfg.data_dir))
    cfg_path.write_text(text)
    return subprocess.run([sys.executable, "-m", "kiosk", "events", "--config", str(cfg_path), *args],
                          capture_output=True, text=True, timeout=60)


def test_flipping_one_byte_in_the_database_file_fails_verify_and_names_the_event(cab):
    run_flow(cab)
    target = next(e for e in audit.events(cab.store.conn) if e.kind == "parcel_refused")
    cab.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cab.store.close()
    ok = cli(cab, "--verify")
    assert ok.returncode == 0 and "audit chain ok" in ok.stdout
    raw = bytearray(cab.cfg.db_path.read_bytes())
    needle = b'{"reason":"damaged"}'
    assert raw.count(needle) == 1
    i = raw.index(needle) + len(b'{"reason":"d')
    raw[i] ^= 0x01  # "damaged" -> "eamaged": one bit of one byte
    cab.cfg.db_path.write_bytes(bytes(raw))
    bad = cli(cab, "--verify")
    assert bad.returncode == 1
    assert f"BROKEN at event {target.id}" in bad.stderr and "parcel_refused" in bad.stderr
    cab.open()  # let the fixture close it


def test_events_filter_by_tracking_number(cab):
    run_flow(cab)
    cab.store.close()
    out = cli(cab, "--parcel", "sf-tamper-1")
    assert out.returncode == 0
    kinds = [line.split()[3] for line in out.stdout.splitlines()]
    assert kinds == ["deposit_started", "deposit_stored", "pickup_opened", "parcel_refused"]
    assert cli(cab, "--parcel", "NOPE-0000").returncode == 1
    cab.open()
