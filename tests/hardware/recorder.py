"""A DoorEvents sink for lock-bank tests: records calls from any thread; a test waits (bounded) for one."""

from __future__ import annotations

import threading
import time

class Recorder:
    """DoorEvents sink: records calls from any thread; a test waits (bounded) for one."""

    def __init__(self, wait: float = 3.0) -> None:
        self.wait = wait  # default bound of wait_for, in seconds
        self._calls: list[tuple] = []
        self._cond = threading.Condition()

    def _add(self, *call: object) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def door_changed(self, box_no: str, is_open: bool) -> None:
        self._add("door_changed", box_no, is_open)

    def item_changed(self, box_no: str, inside: bool) -> None:
        self._add("item_changed", box_no, inside)

    def open_not_detected(self, box_no: str) -> None:
        self._add("open_not_detected", box_no)

    def tamper(self, box_no: str) -> None:
        self._add("tamper", box_no)

    def fault(self, device: str, message: str) -> None:
        self._add("fault", device, message)

    def calls(self, *prefix: object) -> list[tuple]:
        with self._cond:
            return [c for c in self._calls if c[:len(prefix)] == prefix]

    def wait_for(self, *prefix: object, timeout: float | None = None, after: int = 0) -> tuple:
        """The first call (at index >= ``after``) starting with ``prefix``; fails after ``timeout`` s."""
        timeout = self.wait if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self._calls[after:]:
                    if call[:len(prefix)] == prefix:
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {prefix} within {timeout} s; got {self._calls}")
                self._cond.wait(left)

    def mark(self) -> int:
        with self._cond:
            return len(self._calls)
