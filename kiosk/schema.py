"""Schema migrations, applied in order; ``PRAGMA user_version`` counts how many ran.

Never edit a migration that has shipped: add the next one. An upgrade of the software then migrates the
cabinet's database in place on first start, in one transaction per step.
"""

from __future__ import annotations

#: Parcel states in which the parcel occupies its box.
ACTIVE_STATES = ("reserved", "stored", "picking", "refused", "overdue", "unconfirmed")
#: All parcel states (see DESIGN.md section 3, and kiosk/service.py for the transitions).
STATES = ACTIVE_STATES + ("collected", "returned", "cancelled", "released")

_active = ", ".join(f"'{s}'" for s in ACTIVE_STATES)
_all = ", ".join(f"'{s}'" for s in STATES)

V1 = f"""
CREATE TABLE couriers (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    pin_failures INTEGER NOT NULL DEFAULT 0,
    pin_locked_until REAL,
    created REAL NOT NULL
);
CREATE TABLE fingers (
    slot INTEGER PRIMARY KEY,
    courier_id INTEGER NOT NULL REFERENCES couriers(id),
    enrolled REAL NOT NULL
);
CREATE TABLE boxes (
    no TEXT PRIMARY KEY,
    size TEXT NOT NULL CHECK (size IN ('S', 'M', 'L', 'XL')),
    accessible INTEGER NOT NULL,
    has_ir INTEGER NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    out_of_service TEXT
);
CREATE TABLE parcels (
    id INTEGER PRIMARY KEY,
    tracking TEXT NOT NULL,
    box_no TEXT NOT NULL REFERENCES boxes(no),
    courier_id INTEGER NOT NULL REFERENCES couriers(id),
    phone TEXT,
    consent INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ({_all})),
    wrong_tries INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    review INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    stored_at REAL,
    due_at REAL,
    finished_at REAL,
    updated REAL NOT NULL
);
CREATE UNIQUE INDEX parcels_one_per_box ON parcels (box_no) WHERE state IN ({_active});
CREATE UNIQUE INDEX parcels_tracking_active ON parcels (tracking) WHERE state IN ({_active});
CREATE INDEX parcels_tracking ON parcels (tracking);
CREATE INDEX parcels_due ON parcels (state, due_at);
CREATE INDEX parcels_courier ON parcels (courier_id, state);
CREATE TABLE passwords (
    id INTEGER PRIMARY KEY,
    parcel_id INTEGER NOT NULL REFERENCES parcels(id),
    digest BLOB NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    used_at REAL,
    void_at REAL,
    void_reason TEXT
);
CREATE INDEX passwords_live ON passwords (digest) WHERE used_at IS NULL AND void_at IS NULL;
CREATE INDEX passwords_parcel ON passwords (parcel_id);
CREATE TABLE lockouts (
    id INTEGER PRIMARY KEY,
    box_no TEXT NOT NULL REFERENCES boxes(no),
    parcel_id INTEGER NOT NULL REFERENCES parcels(id),
    started REAL NOT NULL,
    until REAL NOT NULL,
    ended_at REAL,
    ended_by TEXT
);
CREATE UNIQUE INDEX lockouts_active ON lockouts (box_no) WHERE ended_at IS NULL;
CREATE TABLE failures (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    kind TEXT NOT NULL
);
CREATE INDEX failures_ts ON failures (ts);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    box_no TEXT,
    parcel_id INTEGER,
    tracking TEXT,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX events_tracking ON events (tracking);
CREATE INDEX events_parcel ON events (parcel_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    msg_id TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    courier_no TEXT,
    event_id INTEGER NOT NULL REFERENCES events(id),
    sealed BLOB NOT NULL,
    sent_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;
"""

# Video evidence (issue 5): the transactions a clip belongs to, the clips, and which parcels each clip shows.
# A deleted clip keeps its row (deleted_at, deleted_reason): the audit chain still names its hash.
V2 = """
CREATE TABLE transactions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    started REAL NOT NULL,
    first_event INTEGER NOT NULL,
    ended REAL
);
CREATE TABLE clips (
    id INTEGER PRIMARY KEY,
    txn TEXT NOT NULL,
    part INTEGER NOT NULL,
    kind TEXT NOT NULL,
    file TEXT NOT NULL UNIQUE,
    started REAL NOT NULL,
    ended REAL NOT NULL,
    txn_started REAL NOT NULL,
    preroll_s REAL NOT NULL,
    frames INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    boxes TEXT NOT NULL,
    complete INTEGER NOT NULL,
    note TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events(id),
    deleted_at REAL,
    deleted_reason TEXT
);
CREATE INDEX clips_started ON clips (started);
CREATE INDEX clips_txn ON clips (txn);
CREATE TABLE clip_parcels (
    clip_id INTEGER NOT NULL REFERENCES clips(id),
    parcel_id INTEGER NOT NULL REFERENCES parcels(id),
    PRIMARY KEY (clip_id, parcel_id)
);
CREATE INDEX clip_parcels_parcel ON clip_parcels (parcel_id);
"""

# Fleet messaging (issue 6): how far the audit events have been published, and the nonces of remote commands
# already accepted (a replayed command is refused even after a restart).
V3 = """
CREATE TABLE publish_cursor (
    stream TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
);
CREATE TABLE command_nonces (
    nonce TEXT PRIMARY KEY,
    ts REAL NOT NULL
);
"""

MIGRATIONS: list[str] = [V1, V2, V3]
