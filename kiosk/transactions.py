"""Which transaction is on camera now, which doors it opened, and when it is over.

Why it exists: a clip must cover one transaction from its start (a courier identified, a customer begins a
pickup, a maintainer or an intruder opens a door) until a few seconds after the last door it opened is shut,
and a door may still be open after the screen has gone home (a customer walks away with the door open; the
next customer starts meanwhile). So "over" is two things at once: the flow ended AND every door it unlocked
is closed. The service feeds this tracker (it is the one that unlocks and hears doors) and the GUI-thread
context listens, starting and stopping the recorder; listeners run synchronously on the caller's thread.

The state is in memory only: after a crash the recorder is gone too, and ``recover()`` starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

#: Transaction kinds; the recorder treats them as opaque labels.
KINDS = ("courier", "pickup", "maintenance", "tamper")

StartListener = Callable[[str, str, str], None]  # txn, kind, actor
BoxesListener = Callable[[str, tuple[str, ...]], None]  # txn, every box it has opened so far
CompleteListener = Callable[[str], None]  # txn


@dataclass
class _Open:
    kind: str
    actor: str
    boxes: list[str] = field(default_factory=list)  # every box it unlocked, in order
    holding: set[str] = field(default_factory=set)  # boxes unlocked or open and not yet closed
    flow_done: bool = False


class TransactionTracker:
    def __init__(self) -> None:
        self._open: dict[str, _Open] = {}
        self._holder: dict[str, str] = {}  # box → the open transaction waiting for that door
        self.current: str | None = None  # the transaction whose screens are showing
        self.on_start: list[StartListener] = []
        self.on_boxes: list[BoxesListener] = []
        self.on_complete: list[CompleteListener] = []

    @property
    def open(self) -> dict[str, str]:
        """Open transactions: id → kind."""
        return {t: o.kind for t, o in self._open.items()}

    def kind(self, txn: str) -> str | None:
        o = self._open.get(txn)
        return o.kind if o else None

    def txn_for(self, box_no: str | None) -> str | None:
        """The transaction an event about this box belongs to: the one waiting for its door, else the
        current one."""
        if box_no is not None and box_no in self._holder:
            return self._holder[box_no]
        return self.current

    def started(self, txn: str, kind: str, actor: str, *, flow: bool = True) -> None:
        """A transaction began. ``flow``: it has screens (ended by ``flow_ended``); without, it is over as
        soon as its doors are (an opening from the maintainer's list, a tamper)."""
        if flow and self.current is not None:
            self.flow_ended(self.current)  # one screen flow at a time: a new one ends the old
        self._open[txn] = _Open(kind, actor, flow_done=not flow)
        if flow:
            self.current = txn
        for cb in self.on_start:
            cb(txn, kind, actor)

    def door_commanded(self, txn: str, box_no: str) -> None:
        """The transaction unlocked this box: it is not over before this door has closed again."""
        o = self._open.get(txn)
        if o is None:
            return
        old = self._holder.get(box_no)
        if old is not None and old != txn:  # the door passes to the newer transaction
            self._release(old, box_no)
        self._holder[box_no] = txn
        o.holding.add(box_no)
        if box_no not in o.boxes:
            o.boxes.append(box_no)
            for cb in self.on_boxes:
                cb(txn, tuple(o.boxes))

    def door_closed(self, box_no: str) -> None:
        txn = self._holder.pop(box_no, None)
        if txn is not None:
            self._release(txn, box_no)

    def door_never_opened(self, box_no: str) -> None:
        """The unlock failed: nothing to wait for at that door."""
        self.door_closed(box_no)

    def flow_ended(self, txn: str | None = None) -> None:
        """The screens of ``txn`` (default: the current one) went home."""
        txn = txn or self.current
        if txn is None:
            return
        if txn == self.current:
            self.current = None
        o = self._open.get(txn)
        if o is not None:
            o.flow_done = True
            self._maybe_complete(txn)

    def _release(self, txn: str, box_no: str) -> None:
        o = self._open.get(txn)
        if o is not None:
            o.holding.discard(box_no)
            self._maybe_complete(txn)

    def _maybe_complete(self, txn: str) -> None:
        o = self._open.get(txn)
        if o is None or not o.flow_done or o.holding:
            return
        del self._open[txn]
        for cb in self.on_complete:
            cb(txn)
