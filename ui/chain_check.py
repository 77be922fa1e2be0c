"""The audit-chain check of the maintainer's Devices and Log tabs, run off the GUI thread.

Why: ``audit.verify`` walks and re-hashes every event (2.4 s for 400,000 events on the development machine,
26 s for 4 million), and a busy cabinet gathers hundreds of thousands a year. On the GUI thread that froze the
touchscreen, and long enough would have had systemd's watchdog restart the kiosk. The walk opens a read-only
connection of its own (WAL lets it read while the kiosk writes; a sqlite3 connection belongs to its thread) on
a plain thread, and posts its one outcome back through a ``DeviceSignals`` face (hardware/qt_bridge). A second
request while a walk runs is refused: its answer would be the same.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from PySide6.QtCore import Signal

from hardware.qt_bridge import DeviceSignals
from kiosk import audit


class ChainSignals(DeviceSignals):
    # The walk ended: its audit.Verification and the database's schema version.
    checked = Signal(object, int)
    # The database could not be opened or read: one English line.
    failed = Signal(str)


class ChainCheck:
    """Starts one walk at a time over the database at ``db_path``; listen on ``signals``."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        self.signals = ChainSignals()
        self._thread: threading.Thread | None = None
        self._pending = False
        # Connected first, so it runs before any listener: a listener that asks busy() sees the walk over.
        self.signals.checked.connect(self._done)
        self.signals.failed.connect(self._done)

    def busy(self) -> bool:
        """From start() until the outcome has been delivered on the GUI thread (not merely until the thread
        ends: between the two, the outcome is still on its way through the event queue)."""
        return self._pending

    def start(self) -> bool:
        """Returns at once; False when a walk is already running (its outcome will arrive)."""
        if self._pending:
            return False
        self._pending = True
        self._thread = threading.Thread(target=self._work, name="chain-check", daemon=True)
        self._thread.start()
        return True

    def wait(self, timeout: float = 30.0) -> None:
        """Join the walk (shutdown, tests)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _done(self, *_outcome: object) -> None:
        self._pending = False

    def _work(self) -> None:
        """Worker thread: open read-only, walk, post the outcome."""
        try:
            conn = sqlite3.connect(f"{self.db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
            try:
                result = audit.verify(conn)
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            finally:
                conn.close()
        except sqlite3.Error as e:
            self.signals.post("failed", f"cannot read the database {self.db_path}: {e}")
            return
        self.signals.post("checked", result, version)
