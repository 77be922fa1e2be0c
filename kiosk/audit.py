"""The append-only audit log, each event chained to the one before by SHA-256.

A refused parcel or a disputed pickup is settled from this log, so it must show if anyone edited it: every
event's hash covers its own columns and the previous event's hash, and ``verify`` names the first event whose
bytes no longer match. SQLite triggers refuse UPDATE and DELETE so the application itself cannot rewrite
history; the chain catches whoever edits the file behind its back.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class Event:
    id: int
    ts: float
    kind: str
    actor: str
    box_no: str | None
    parcel_id: int | None
    tracking: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    bad_id: int | None = None
    problem: str = ""


def encode_data(data: dict[str, Any] | None) -> str:
    return json.dumps(data or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_digest(event_id: int, ts: float, kind: str, actor: str, box_no: str | None,
                   parcel_id: int | None, tracking: str | None, data_text: str) -> str:
    """SHA-256 of one event's own columns."""
    record = json.dumps([event_id, repr(float(ts)), kind, actor, box_no, parcel_id, tracking, data_text],
                        ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(record.encode("utf-8")).hexdigest()


def link_hash(prev_hash: str, event_id: int, digest: str) -> str:
    """The chain link: the previous hash, the event's id and its content digest.

    Hashing the digest rather than the record lets an evidence bundle prove that a parcel's events are linked
    to the chain head while showing the events in between (other people's parcels) only as digests.
    """
    return hashlib.sha256(f"{prev_hash}\n{event_id}\n{digest}".encode("ascii")).hexdigest()


def chain_hash(prev_hash: str, event_id: int, ts: float, kind: str, actor: str, box_no: str | None,
               parcel_id: int | None, tracking: str | None, data_text: str) -> str:
    return link_hash(prev_hash, event_id,
                     content_digest(event_id, ts, kind, actor, box_no, parcel_id, tracking, data_text))


def append(conn: sqlite3.Connection, ts: float, kind: str, actor: str, *, box_no: str | None = None,
           parcel_id: int | None = None, tracking: str | None = None,
           data: dict[str, Any] | None = None) -> int:
    """Add one event inside the caller's transaction and return its id."""
    row = conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    event_id, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    text = encode_data(data)
    h = chain_hash(prev, event_id, ts, kind, actor, box_no, parcel_id, tracking, text)
    conn.execute("INSERT INTO events (id, ts, kind, actor, box_no, parcel_id, tracking, data, prev_hash, hash)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (event_id, ts, kind, actor, box_no, parcel_id, tracking, text, prev, h))
    return event_id


def verify(conn: sqlite3.Connection, batch: int = 5000) -> Verification:
    """Walk the whole chain; stop at the first event that does not match."""
    prev, expected_id, count = GENESIS, 1, 0
    try:
        cur = conn.execute("SELECT id, ts, kind, actor, box_no, parcel_id, tracking, data, prev_hash, hash"
                           " FROM events ORDER BY id")
        while rows := cur.fetchmany(batch):
            for r in rows:
                eid = r[0]
                if eid != expected_id:
                    return Verification(False, count, eid, f"event {expected_id} is missing (next is {eid})")
                if r[8] != prev:
                    return Verification(False, count, eid, f"event {eid}: previous-hash link broken")
                types_ok = (isinstance(r[1], float) and all(isinstance(r[i], str) for i in (2, 3, 7, 9))
                            and (r[5] is None or isinstance(r[5], int)))
                if not types_ok or chain_hash(r[8], eid, r[1], r[2], r[3], r[4], r[5], r[6], r[7]) != r[9]:
                    return Verification(False, count, eid, f"event {eid} ({r[2]}): content does not match its hash")
                prev, expected_id, count = r[9], eid + 1, count + 1
    except sqlite3.DatabaseError as e:
        return Verification(False, count, expected_id, f"event {expected_id}: database damaged: {e}")
    return Verification(True, count)


def events(conn: sqlite3.Connection, *, tracking: str | None = None, parcel_id: int | None = None,
           limit: int | None = None, newest_first: bool = False) -> list[Event]:
    where, params = [], []
    if tracking is not None:
        where.append("tracking = ?")
        params.append(tracking)
    if parcel_id is not None:
        where.append("parcel_id = ?")
        params.append(parcel_id)
    sql = "SELECT id, ts, kind, actor, box_no, parcel_id, tracking, data, prev_hash, hash FROM events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9])
            for r in conn.execute(sql, params)]
