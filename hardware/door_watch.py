"""Door watch: what an unlock, a door reading and the passing of time mean, shared by every lock bank.

Why a separate module: the GPIO bank and the RS485 board bank differ only in how they pulse a lock and read a
sensor. What the readings *mean* (an opening we asked for, a tamper, a lock that did not release, a door left
open) must be identical for both, and must be testable without hardware or sleeping. So this module does no
I/O and knows no threads of its own: a bank feeds it readings and calls :meth:`DoorWatch.tick` now and then,
and it calls back ``pulse(box_no)`` and the :class:`~kiosk.ports.DoorEvents` sink. Time comes from an
injected ``clock`` (monotonic seconds), so a test can jump past any timeout.

Rules (DESIGN.md §3 "Door watch"):

- ``unlock(box)`` always pulses, even when the sensor already reads open, and opens an *authorisation
  window* of ``open_timeout`` seconds.
- A door that goes closed → open inside a window: ``door_changed(box, True)``. Outside any window:
  ``tamper(box)`` then ``door_changed(box, True)``. The window stays valid until its deadline (so sensor
  bounce right after an authorised opening is not a tamper).
- A window that ends with the door never seen open: pulse once more and open a second window; when that one
  also ends without an opening: ``open_not_detected(box)``. A door already open when its window ends needs
  nothing more.
- An item (IR) reading that changes: ``item_changed(box, inside)``.
- A door open for ``open_too_long`` seconds: ``on_open_too_long(box, seconds)`` once per opening (by default
  ``events.fault("door", ...)``, the only alarm channel the port has).
- The first reading of a box is a baseline: a door found closed or an item state says nothing; a door found
  open is reported with ``door_changed(box, True)`` (we cannot know when it opened, so it is not a tamper).
- ``mark_unknown(box)`` (board silent, sensor fault): the getters return None; the last known values are kept,
  so a door that was closed before the outage and reads open after it, with no command, is still a tamper.

Thread-safety: every method may be called from any thread. State changes happen under one lock; callbacks run
after it is released, in the order they were decided, so a callback may call back into the watch; one
that raises is logged and does not stop the ones after it.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kiosk.ports import DoorEvents

log = logging.getLogger(__name__)
Action = Callable[[], None]


@dataclass
class _Window:
    deadline: float
    retried: bool = False
    opened: bool = False


@dataclass
class _Box:
    door: bool | None = None  # last known reading, kept through an outage
    item: bool | None = None
    stale: bool = True  # True until the first reading, and after mark_unknown()
    window: _Window | None = None
    opened_at: float | None = None
    too_long_reported: bool = False


class DoorWatch:
    """Per-box unlock/door/item bookkeeping for one lock bank. See the module docstring for the rules."""

    def __init__(
        self,
        boxes: Iterable[str],
        events: DoorEvents,
        pulse: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        open_timeout: float = 3.0,
        open_too_long: float = 120.0,
        on_open_too_long: Callable[[str, float], None] | None = None,
    ) -> None:
        self._boxes: dict[str, _Box] = {box: _Box() for box in boxes}
        self._events = events
        self._pulse = pulse
        self._clock = clock
        self.open_timeout = float(open_timeout)
        self.open_too_long = float(open_too_long)
        self._on_open_too_long = on_open_too_long or self._default_open_too_long
        self._lock = threading.Lock()

    # -- commands and readings ------------------------------------------------------------------------------

    def unlock(self, box_no: str) -> None:
        """Record the command and pulse the lock (always, whatever the sensor says)."""
        with self._lock:
            box = self._box(box_no)
            box.window = _Window(deadline=self._clock() + self.open_timeout)
        self._pulse(box_no)

    def door_reading(self, box_no: str, is_open: bool) -> None:
        """A door sensor reading (repeated readings of the same value are fine)."""
        actions: list[Action] = []
        with self._lock:
            box = self._box(box_no)
            first = box.door is None
            was = box.door
            box.door, box.stale = bool(is_open), False
            if first:
                if is_open:
                    box.opened_at = self._clock()
                    if box.window is not None:
                        box.window.opened = True
                    actions.append(lambda: self._events.door_changed(box_no, True))
            elif was != is_open:
                if is_open:
                    box.opened_at, box.too_long_reported = self._clock(), False
                    if box.window is not None:
                        box.window.opened = True
                    else:
                        actions.append(lambda: self._events.tamper(box_no))
                else:
                    box.opened_at = None
                actions.append(lambda: self._events.door_changed(box_no, bool(is_open)))
        self._run(actions)

    def item_reading(self, box_no: str, inside: bool) -> None:
        """An "item inside" (IR) reading."""
        actions: list[Action] = []
        with self._lock:
            box = self._box(box_no)
            was, box.item = box.item, bool(inside)
            if was is not None and was != box.item:
                actions.append(lambda: self._events.item_changed(box_no, bool(inside)))
        self._run(actions)

    def mark_unknown(self, box_no: str) -> None:
        """The box's sensors cannot be read right now; getters return None until the next reading."""
        with self._lock:
            self._box(box_no).stale = True

    def tick(self) -> None:
        """Evaluate deadlines: retry pulses, ``open_not_detected``, door open too long. Call it often."""
        actions: list[Action] = []
        now = self._clock()
        with self._lock:
            for box_no, box in self._boxes.items():
                self._tick_window(box_no, box, now, actions)
                if (box.door and not box.stale and box.opened_at is not None and not box.too_long_reported
                        and now - box.opened_at >= self.open_too_long):
                    box.too_long_reported = True
                    actions.append(functools.partial(self._on_open_too_long, box_no, now - box.opened_at))
        self._run(actions)

    # -- queries --------------------------------------------------------------------------------------------

    def is_door_open(self, box_no: str) -> bool | None:
        with self._lock:
            box = self._box(box_no)
            return None if box.stale else box.door

    def item_inside(self, box_no: str) -> bool | None:
        with self._lock:
            box = self._box(box_no)
            return None if box.stale else box.item

    def awaiting_open(self, box_no: str) -> bool:
        """True while an unlock window for the box is open (for diagnostics and tests)."""
        with self._lock:
            return self._box(box_no).window is not None

    @property
    def boxes(self) -> tuple[str, ...]:
        return tuple(self._boxes)

    # -- internals ------------------------------------------------------------------------------------------

    def _tick_window(self, box_no: str, box: _Box, now: float, actions: list[Action]) -> None:
        window = box.window
        if window is None or now < window.deadline:
            return
        if window.opened or (box.door and not box.stale):
            box.window = None
        elif not window.retried:
            window.retried, window.deadline = True, now + self.open_timeout
            actions.append(lambda: self._pulse(box_no))
        else:
            box.window = None
            actions.append(lambda: self._events.open_not_detected(box_no))

    def _box(self, box_no: str) -> _Box:
        try:
            return self._boxes[box_no]
        except KeyError:
            raise KeyError(f"unknown box {box_no!r}: this lock bank has {sorted(self._boxes)}") from None

    def _default_open_too_long(self, box_no: str, seconds: float) -> None:
        self._events.fault("door", f"door {box_no} has been open for {seconds:.0f} s")

    @staticmethod
    def _run(actions: list[Action]) -> None:
        for action in actions:
            try:
                action()
            except Exception:  # one failing sink must not swallow the tamper/pulse decided after it
                log.exception("door watch callback failed")
