"""The cabinet's SQLite database: one file, WAL, migrations by ``PRAGMA user_version``.

Why SQLite and these settings: a cabinet is one machine that loses power without warning. WAL lets the
outbox sender read while the kiosk writes; ``synchronous=FULL`` makes a committed transaction survive a power
cut (a courier must never hold a password the cabinet forgot); every state change is one ``BEGIN IMMEDIATE``
transaction so a crash leaves either the old state or the new one. A connection belongs to the thread that
opened it (sqlite3's own check stays on): other threads open their own Store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .schema import MIGRATIONS


class StoreError(RuntimeError):
    """The database cannot be used; the message says why in one line."""


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=5.0)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"cannot open database {self.path}: {e}") from None
        self.conn.row_factory = sqlite3.Row
        self._in_tx = False
        try:
            mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(f"database {self.path}: WAL mode not available (got {mode})")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except sqlite3.DatabaseError as e:
            self.conn.close()
            raise StoreError(f"database {self.path} is unusable: {e}") from None

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.version
        if current > len(MIGRATIONS):
            raise StoreError(f"database {self.path} has schema v{current}, newer than this kiosk "
                             f"(v{len(MIGRATIONS)}): upgrade the kiosk software")
        for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.transaction() as c:
                for statement in _statements(script):
                    c.execute(statement)
                # user_version lives in the file header and is written inside this transaction.
                c.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit: commits on normal exit, rolls back on any exception."""
        if self._in_tx:
            raise RuntimeError("nested transaction: every use case is exactly one transaction")
        self.conn.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield self.conn
        except BaseException:
            self._in_tx = False
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the connection already rolled back (e.g. disk I/O error)
            raise
        else:
            self._in_tx = False
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self.conn.close()


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements, keeping CREATE TRIGGER bodies whole."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf.strip()
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buf.strip()[:60]}")
