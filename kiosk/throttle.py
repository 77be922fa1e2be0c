"""The terminal-wide brake on guessing, across all boxes.

The per-box lockout stops guessing one box; it does nothing against trying one guess on each of 24 boxes.
This throttle counts every failed attempt at the terminal and, past a free allowance in a sliding window,
makes the next attempt wait, doubling up to a cap. It only ever delays: a customer with the right password
gets in after at most ``max_delay_s``, so nobody can lock the whole cabinet. Failures live in the database,
so a restart does not reset the brake.
"""

from __future__ import annotations

import sqlite3

from .config import ThrottleConfig


def retry_at(conn: sqlite3.Connection, cfg: ThrottleConfig, now: float) -> float | None:
    """When the next attempt may be made, or None if it may be made now."""
    since = now - cfg.window_minutes * 60
    n, last = conn.execute("SELECT COUNT(*), MAX(ts) FROM failures WHERE ts > ? AND kind != 'maintainer'",
                           (since,)).fetchone()
    if n < cfg.free_failures:
        return None
    delay = min(cfg.base_delay_s * 2 ** min(n - cfg.free_failures, 30), cfg.max_delay_s)
    at = last + delay
    return at if now < at else None


def record_failure(conn: sqlite3.Connection, now: float, kind: str) -> None:
    conn.execute("INSERT INTO failures (ts, kind) VALUES (?, ?)", (now, kind))


def prune(conn: sqlite3.Connection, cfg: ThrottleConfig, now: float) -> int:
    return conn.execute("DELETE FROM failures WHERE ts <= ? AND kind != 'maintainer'",
                        (now - cfg.window_minutes * 60,)).rowcount
