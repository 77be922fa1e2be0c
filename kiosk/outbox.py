"""Messages to couriers and the fleet, written in the same transaction as the event that causes them.

The cabinet is often offline; a password the courier never receives is a parcel nobody can collect. So a
message is a row committed together with its cause, and a transport (MQTT, or the simulated handheld) sends
it later and marks it sent only after delivery. Payloads carry pickup passwords, so they are sealed with the
cabinet key (AES-GCM, the message id as associated data) and never sit in the database in clear.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from .keys import Keyring

SCHEMA = 1


@dataclass(frozen=True)
class Message:
    msg_id: str
    created: float
    kind: str
    topic: str
    courier_no: str | None
    payload: dict[str, Any]
    sent_at: float | None
    attempts: int


def courier_topic(cabinet_id: str, courier_no: str) -> str:
    return f"lockers/{cabinet_id}/courier/{courier_no}"


def enqueue(conn: sqlite3.Connection, keys: Keyring, *, now: float, kind: str, topic: str,
            courier_no: str | None, payload: dict[str, Any], event_id: int) -> str:
    msg_id = str(uuid.uuid4())
    body = {"schema": SCHEMA, "type": kind, "msg_id": msg_id, "ts": now, **payload}
    sealed = keys.seal(json.dumps(body, ensure_ascii=False, sort_keys=True).encode(), msg_id.encode())
    conn.execute("INSERT INTO outbox (msg_id, created, kind, topic, courier_no, event_id, sealed)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)", (msg_id, now, kind, topic, courier_no, event_id, sealed))
    return msg_id


def _message(keys: Keyring, r: sqlite3.Row) -> Message:
    payload = json.loads(keys.unseal(r["sealed"], r["msg_id"].encode())) if r["sealed"] else {}
    return Message(r["msg_id"], r["created"], r["kind"], r["topic"], r["courier_no"], payload,
                   r["sent_at"], r["attempts"])


def pending(conn: sqlite3.Connection, keys: Keyring, limit: int = 100) -> list[Message]:
    rows = conn.execute("SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?", (limit,)).fetchall()
    return [_message(keys, r) for r in rows]


def pending_rows(conn: sqlite3.Connection, limit: int, after_id: int = 0) -> list[sqlite3.Row]:
    """Pending rows after ``after_id``, still sealed: a sender unseals each with ``unseal`` so that one row it
    cannot open (tampered, or the key changed) does not hold back the others."""
    return conn.execute("SELECT * FROM outbox WHERE sent_at IS NULL AND id > ? ORDER BY id LIMIT ?",
                        (after_id, limit)).fetchall()


def pending_row(conn: sqlite3.Connection, msg_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM outbox WHERE msg_id = ? AND sent_at IS NULL", (msg_id,)).fetchone()


def unseal(keys: Keyring, row: sqlite3.Row) -> Message:
    """One row as a Message; raises keys.SecretError when the sealed payload does not open."""
    return _message(keys, row)


def cursor(conn: sqlite3.Connection, stream: str) -> int:
    """The highest id of ``stream`` (e.g. "events") the broker acknowledged, in order; 0 = none yet."""
    r = conn.execute("SELECT last_id FROM publish_cursor WHERE stream = ?", (stream,)).fetchone()
    return int(r[0]) if r else 0


def set_cursor(conn: sqlite3.Connection, stream: str, last_id: int) -> None:
    conn.execute("INSERT INTO publish_cursor (stream, last_id) VALUES (?, ?)"
                 " ON CONFLICT (stream) DO UPDATE SET last_id = excluded.last_id", (stream, last_id))


def for_courier(conn: sqlite3.Connection, keys: Keyring, courier_no: str, limit: int = 50) -> list[Message]:
    rows = conn.execute("SELECT * FROM outbox WHERE courier_no = ? ORDER BY id DESC LIMIT ?",
                        (courier_no, limit)).fetchall()
    return [_message(keys, r) for r in rows]


def mark_sent(conn: sqlite3.Connection, msg_id: str, now: float) -> None:
    """Delivered: drop the sealed payload (it may hold a password) and keep the record."""
    conn.execute("UPDATE outbox SET sent_at = ?, sealed = X'' WHERE msg_id = ? AND sent_at IS NULL", (now, msg_id))


def mark_failed(conn: sqlite3.Connection, msg_id: str, error: str) -> None:
    conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE msg_id = ?", (error[:200], msg_id))


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    r = conn.execute("SELECT COUNT(*) FILTER (WHERE sent_at IS NULL), COUNT(*) FILTER (WHERE sent_at IS NOT NULL)"
                     " FROM outbox").fetchone()
    return {"pending": r[0], "sent": r[1]}
