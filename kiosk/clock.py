"""Time as a dependency.

Lockouts last 30 minutes and parcels go overdue after days; tests must jump that far without sleeping, so
every use of "now" in the core goes through a Clock. Times are Unix seconds (wall clock): lockouts and expiry
must survive a restart, which a monotonic clock cannot.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Current time in Unix seconds."""


class SystemClock:
    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that moves only when told to; thread-safe so device threads may read it."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self._t = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._t

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += seconds

    def set(self, t: float) -> None:
        with self._lock:
            self._t = float(t)
