"""``KerongBank``: the cabinet's locks and door sensors on a chain of Kerong KR-CU16 style RS485 boards.

Why it is built this way:

- RS485 is half duplex and the boards only ever answer: so one bus-master thread per serial line owns the port,
  with strictly one request in flight. Callers never touch the port; ``unlock()`` queues and returns at once.
- Unlocks jump ahead of polls (a customer is waiting in front of the door); polls read every board's door and
  IR bits every ``poll_interval`` and feed :class:`~hardware.door_watch.DoorWatch`, which decides what the
  readings mean (opened, tamper, lock did not release, open too long) the same way as the GPIO bank.
- A request that gets no valid reply is retried ``retries`` times; then the board is reported once through
  ``DoorEvents.fault("lockboard", ...)`` with what went wrong (silent, bad checksums, garbage, two boards on one
  address), its boxes read as unknown (None), and polling goes on so the board is picked up again as soon as it
  answers. A port that disappears (USB adapter unplugged) is reported and reopened every ``reopen_interval``.
  A board that stalled past a timeout answers the unanswered tries late, together with the newest: up to that
  many extra replies are its own, not a second board on its address (a false alarm the soak met).
- A retried unlock whose reply was lost may pulse twice: harmless for a spring-loaded lock, and better than
  a customer in front of a shut door. An unlock waits for at most the one transaction in flight (with a dead
  board, its retries: ``(1 + retries) × timeout``).
- At (re)start the master first sets every board's pulse length and reads every board's state, before it
  sends any unlock. Kerong boards pulse their relays themselves (nothing stays energised), so "relays off" is
  simply: never send an unlock we were not asked for, and drop queued unlocks older than ``open_timeout``.

Channels: ``channels`` maps box_no → channel, 1-based as printed on the wiring plan; channel ``c`` is board
``(c-1) // 16`` (the board's address, 0–15), lock ``(c-1) % 16`` (printed lock ``(c-1) % 16 + 1``).
So channels 1–16 are board 0, 17–32 board 1, and so on.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import serial

from hardware import kerong_protocol as kp
from hardware.door_watch import DoorWatch
from kiosk.ports import DeviceUnavailable, DoorEvents

log = logging.getLogger(__name__)

DEVICE = "lockboard"
OK, NO_REPLY, BAD_CHECKSUM, GARBAGE, DUPLICATE = "ok", "no reply", "bad checksum", "garbage", "duplicate"


@dataclass(frozen=True)
class _Unlock:
    board: int
    lock: int
    queued_at: float


class KerongBank:
    """LockBank on an RS485 chain of lock boards. ``start()`` before use, ``stop()`` when done."""

    def __init__(
        self,
        port: str,
        channels: Mapping[str, int],
        events: DoorEvents,
        *,
        baudrate: int = 19200,
        timeout: float = 0.15,
        retries: int = 2,
        poll_interval: float = 0.2,
        pulse_ms: int = 500,
        ir_boxes: Iterable[str] | None = None,
        open_timeout: float = 3.0,
        open_too_long: float = 120.0,
        on_open_too_long: Callable[[str, float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        reopen_interval: float = 1.0,
        settle: float = 0.01,
    ) -> None:
        self.port = port
        self._events = events
        self._where: dict[str, tuple[int, int]] = {}
        seen: dict[tuple[int, int], str] = {}
        for box, channel in channels.items():
            where = kp.channel_to_board_lock(channel)
            if where in seen:
                raise ValueError(f"boxes {seen[where]} and {box} share channel {channel}")
            seen[where] = box
            self._where[box] = where
        self._box_at = seen
        self._boards = sorted({board for board, _ in seen})
        self._ir = set(self._where) if ir_boxes is None else set(ir_boxes)
        if unknown := self._ir - set(self._where):
            raise ValueError(f"ir_boxes names boxes without a channel: {sorted(unknown)}")
        kp.set_pulse(0, pulse_ms)  # validates the range now rather than on the bus
        self._baudrate, self._timeout, self._retries = baudrate, timeout, retries
        self._poll_interval, self._pulse_ms, self._settle = poll_interval, pulse_ms, settle
        self._reopen_interval, self._open_timeout = reopen_interval, open_timeout
        self._watch = DoorWatch(self._where, events, self._queue_pulse, clock=clock, open_timeout=open_timeout,
                                open_too_long=open_too_long, on_open_too_long=on_open_too_long)
        self._cond = threading.Condition()
        self._unlocks: collections.deque[_Unlock] = collections.deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._serial: serial.Serial | None = None
        self._port_fault: str | None = None
        self._faults: dict[int, str] = {}
        self._parser = kp.FrameParser()

    # -- LockBank -------------------------------------------------------------------------------------------

    def unlock(self, box_no: str) -> None:
        self._check(box_no)
        if self._thread is None or self._stop.is_set():
            raise DeviceUnavailable(f"lock board bus master on {self.port} is not running")
        if self._port_fault is not None:
            raise DeviceUnavailable(self._port_fault)
        self._watch.unlock(box_no)

    def is_door_open(self, box_no: str) -> bool | None:
        self._check(box_no)
        return self._watch.is_door_open(box_no)

    def item_inside(self, box_no: str) -> bool | None:
        self._check(box_no)
        return self._watch.item_inside(box_no) if box_no in self._ir else None

    # -- life cycle and status ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"kerong-bus {self.port}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the bus master and close the port; waits at most ``timeout`` seconds for the thread."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("kerong bus master on %s did not stop within %.1f s", self.port, timeout)
            self._thread = None
        self._close_port()

    def faults(self) -> dict[int, str]:
        """Boards currently in fault → the message reported; the port's own fault under key -1."""
        out = dict(self._faults)
        if self._port_fault is not None:
            out[-1] = self._port_fault
        return out

    @property
    def boards(self) -> tuple[int, ...]:
        return tuple(self._boards)

    # -- bus master -----------------------------------------------------------------------------------------

    def _check(self, box_no: str) -> None:
        if box_no not in self._where:
            raise KeyError(f"unknown box {box_no!r}: the lock board on {self.port} has {sorted(self._where)}")

    def _queue_pulse(self, box_no: str) -> None:
        board, lock = self._where[box_no]
        with self._cond:
            self._unlocks.append(_Unlock(board, lock, time.monotonic()))
            self._cond.notify_all()

    def _run(self) -> None:
        to_poll: list[int] = []
        next_cycle = 0.0
        initialised = False
        while not self._stop.is_set():
            self._watch.tick()
            if self._serial is None:
                initialised = False
                if not self._open_port():
                    self._stop.wait(self._reopen_interval)
                    continue
            try:
                if not initialised:
                    for board in self._boards:
                        self._transaction(board, kp.set_pulse(board, self._pulse_ms))
                        self._poll(board)
                    initialised, next_cycle = True, time.monotonic() + self._poll_interval
                    continue
                job = self._next_unlock()
                if job is not None:
                    self._apply(job.board, self._transaction(job.board, kp.unlock(job.board, job.lock)))
                    continue
                if not to_poll and time.monotonic() >= next_cycle:
                    to_poll, next_cycle = list(self._boards), time.monotonic() + self._poll_interval
                if to_poll:
                    self._poll(to_poll.pop(0))
                    continue
                with self._cond:
                    if not self._unlocks and not self._stop.is_set():
                        self._cond.wait(max(0.0, min(next_cycle - time.monotonic(), 0.05)))
            except (serial.SerialException, OSError) as exc:
                self._lose_port(exc)
            except Exception:  # a bug or a failing event sink must not kill the only bus master
                log.exception("kerong bus master on %s", self.port)
                self._stop.wait(0.1)

    def _next_unlock(self) -> _Unlock | None:
        with self._cond:
            while self._unlocks:
                job = self._unlocks.popleft()
                if time.monotonic() - job.queued_at <= self._open_timeout:
                    return job
                log.warning("dropping unlock of board %d lock %d: queued too long", job.board, job.lock)
        return None

    def _poll(self, board: int) -> None:
        self._apply(board, self._transaction(board, kp.status_all(board)))

    def _apply(self, board: int, reply: kp.Frame | None) -> None:
        if reply is None:
            return
        status = kp.decode_status(reply)
        for lock in range(kp.LOCKS_PER_BOARD):
            box = self._box_at.get((board, lock))
            if box is not None:
                # IR first: whoever handles "door closed" must already see what is inside the box.
                if box in self._ir:
                    self._watch.item_reading(box, status.items_inside[lock])
                self._watch.door_reading(box, status.doors_open[lock])

    def _transaction(self, board: int, request: bytes) -> kp.Frame | None:
        """Send ``request``, return the board's one valid reply, with retries; report and return None if none."""
        outcome, unanswered = NO_REPLY, 0
        for _ in range(1 + self._retries):
            if self._stop.is_set():
                return None
            outcome, reply = self._exchange(board, request, late=unanswered)
            unanswered += outcome == NO_REPLY
            if reply is not None:
                if board in self._faults:
                    log.info("board %d answers again on %s", board, self.port)
                    del self._faults[board]
                return reply
        self._board_failed(board, outcome)
        return None

    def _exchange(self, board: int, request: bytes, late: int = 0) -> tuple[str, kp.Frame | None]:
        """One request, one reply. ``late``: how many tries before this one went unanswered; a board that
        stalled answers them now, with this one (status replies carry no sequence number), so up to ``late``
        extra replies are its own late answers and the newest is kept. Beyond that, or with nothing
        unanswered, two replies mean two boards on one address."""
        ser = self._serial
        assert ser is not None
        if ser.in_waiting:
            stray = ser.read(ser.in_waiting)
            log.debug("discarding %d stray bytes on %s", len(stray), self.port)
        self._parser.reset()
        ser.write(request)
        addr = request[1]
        replies: list[kp.Frame] = []
        bad = junk = False
        now = time.monotonic()
        deadline = now + self._timeout
        while now < deadline and not self._stop.is_set():
            data = ser.read(max(1, ser.in_waiting))
            now = time.monotonic()
            for item in self._parser.feed(data):
                if isinstance(item, kp.Frame) and item.addr == addr and item.cmd == kp.REPLY_STATUS:
                    replies.append(item)
                    deadline = min(deadline, now + self._settle)
                elif isinstance(item, kp.BadChecksum):
                    bad = True
                else:
                    junk = True
        if len(replies) == 1:
            return OK, replies[0]
        if 1 < len(replies) <= 1 + late:
            log.info("board %d on %s answered %d tries at once (it stalled): the newest reply is used", board,
                     self.port, len(replies))
            return OK, replies[-1]
        if replies:
            return DUPLICATE, None
        return (BAD_CHECKSUM if bad else GARBAGE if junk else NO_REPLY), None

    def _board_failed(self, board: int, outcome: str) -> None:
        message = {
            NO_REPLY: f"board {board} does not answer on {self.port}",
            BAD_CHECKSUM: f"board {board} answers with bad checksums on {self.port}",
            GARBAGE: f"board {board} answers garbage on {self.port}",
            DUPLICATE: f"two boards answer address {board} on {self.port} (duplicate address?)",
        }[outcome]
        for (b, _), box in self._box_at.items():
            if b == board:
                self._watch.mark_unknown(box)
        if self._faults.get(board) != message:
            self._faults[board] = message
            log.warning("%s", message)
            self._events.fault(DEVICE, message)

    # -- the port -------------------------------------------------------------------------------------------

    def _open_port(self) -> bool:
        try:
            self._serial = serial.Serial(self.port, self._baudrate, bytesize=8, parity="N", stopbits=1,
                                         timeout=0.005, write_timeout=1.0, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            self._report_port(f"cannot open lock board port {self.port}: {exc}")
            return False
        if self._port_fault is not None:
            log.info("lock board port %s is back", self.port)
        self._port_fault = None
        return True

    def _lose_port(self, exc: BaseException) -> None:
        self._close_port()
        for box in self._where:
            self._watch.mark_unknown(box)
        self._report_port(f"lost lock board port {self.port}: {exc}")

    def _report_port(self, message: str) -> None:
        if self._port_fault is None:
            log.warning("%s", message)
            self._events.fault(DEVICE, message)
        self._port_fault = message

    def _close_port(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                ser.close()
