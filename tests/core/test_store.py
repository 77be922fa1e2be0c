"""The SQLite store: WAL, foreign keys, migrations by user_version, append-only events."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.schema import MIGRATIONS
from kiosk.store import Store, StoreError


def test_pragmas_and_schema_version(tmp_path):
    s = Store(tmp_path / "k.sqlite3")
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert s.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert s.version == len(MIGRATIONS)
    with pytest.raises(sqlite3.IntegrityError):  # a parcel in a box that does not exist
        with s.transaction() as c:
            c.execute("INSERT INTO parcels (tracking, box_no, courier_id, consent, state, created, updated)"
                      " VALUES ('T1', 'NOPE', 99, 1, 'stored', 0, 0)")
    s.close()


def test_reopening_does_not_migrate_again_and_keeps_data(tmp_path):
    s = Store(tmp_path / "k.sqlite3")
    with s.transaction() as c:
        c.execute("INSERT INTO boxes (no, size, accessible, has_ir) VALUES ('A01', 'S', 0, 1)")
    s.close()
    s = Store(tmp_path / "k.sqlite3")
    assert s.query("SELECT no FROM boxes")[0][0] == "A01"
    s.close()


def test_a_newer_database_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "k.sqlite3"
    Store(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    raw.close()
    with pytest.raises(StoreError, match="newer than this kiosk"):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "k.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="unusable"):
        Store(path)


def test_failed_transaction_rolls_back_and_nesting_is_refused(tmp_path):
    s = Store(tmp_path / "k.sqlite3")
    with pytest.raises(ZeroDivisionError):
        with s.transaction() as c:
            c.execute("INSERT INTO boxes (no, size, accessible, has_ir) VALUES ('A01', 'S', 0, 1)")
            1 / 0
    assert s.query("SELECT COUNT(*) FROM boxes")[0][0] == 0
    with s.transaction():
        with pytest.raises(RuntimeError, match="nested"):
            with s.transaction():
                pass
    s.close()


def test_events_cannot_be_updated_or_deleted_through_sql(tmp_path):
    from kiosk import audit
    s = Store(tmp_path / "k.sqlite3")
    with s.transaction() as c:
        audit.append(c, 1.0, "x", "test")
    for sql in ("UPDATE events SET kind = 'y'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with s.transaction() as c:
                c.execute(sql)
    s.close()
