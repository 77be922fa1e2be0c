"""A chain of emulated Kerong KR-CU16 style lock boards on a pseudo-terminal.

Why: the real driver (``kerong.py``) must be tested byte for byte, through a real serial port, with doors that
open and close, items that come and go and a bus that misbehaves, on a laptop and in CI. ``os.openpty()``
gives a real tty: the driver opens ``emulator.port`` with pyserial exactly as it would open ``/dev/ttyUSB0``.
The kiosk's ``emulate lockboard`` command and the simulator panel use it too.

Behaviour of each emulated board (16 locks), as the real ones:

- it answers every valid request addressed to it with one status reply (see ``kerong_protocol``) and ignores
  frames with a bad checksum, frames for other addresses and noise;
- an unlock pulse springs the door open (``auto_open=True``), unless that door is stuck (``set_stuck``);
- the test side moves doors and items with ``open_door``/``close_door``/``set_item`` (thread-safe).

Fault injection (``set_fault``, for every board or one board):

- ``"no_reply"``: the board is dead: it neither acts on requests nor answers;
- ``"bad_checksum"``: the board acts, its reply has a wrong sum;
- ``"duplicate_address"``: a second board with the same address answers right after the real one with a
  different state (the master sees two replies that disagree);
- ``"garbage"``: the board acts, the line carries noise (no byte is a frame start) instead of its reply.

``hold_replies(n, board)`` makes a board busy for a while: it takes the next ``n`` requests addressed to it
without a word, then acts on them and answers them all at once, as a board (or an emulator thread) that stalled
long enough for the master to time out and retry. Its late replies arrive together with the newest one.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import threading
import time
import tty
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from hardware import kerong_protocol as kp

RECORDS_KEPT = 1_000  # requests and pulses remembered for tests and the simulator (minutes of polling)

Fault = Literal["no_reply", "bad_checksum", "duplicate_address", "garbage"]
FAULTS: tuple[Fault, ...] = ("no_reply", "bad_checksum", "duplicate_address", "garbage")


@dataclass(frozen=True)
class Pulse:
    board: int
    lock: int  # 0-15
    at: float  # time.monotonic()


@dataclass
class _Board:
    doors: list[bool] = field(default_factory=lambda: [False] * kp.LOCKS_PER_BOARD)
    items: list[bool] = field(default_factory=lambda: [False] * kp.LOCKS_PER_BOARD)
    stuck: list[bool] = field(default_factory=lambda: [False] * kp.LOCKS_PER_BOARD)
    hold: int = 0  # requests still to be taken in silence (hold_replies)
    held: list[kp.Frame] = field(default_factory=list)  # taken, answered when the hold ends
    pulse_units: int = 50
    fault: Fault | None = None


class KerongEmulator:
    """Boards at the given addresses (0–15) on one pty. ``start()``, use ``.port``, ``stop()``."""

    def __init__(self, boards: Iterable[int] = (0,), *, auto_open: bool = True, seed: int = 0) -> None:
        self._boards = {kp.address(b) >> 4: _Board() for b in boards}
        if not self._boards:
            raise ValueError("an emulator needs at least one board")
        self.auto_open = auto_open
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        # The newest records only: a simulated cabinet left running for days polls ~20 times a second.
        self._pulses: deque[Pulse] = deque(maxlen=RECORDS_KEPT)
        self._requests: deque[kp.Frame] = deque(maxlen=RECORDS_KEPT)
        self.bad_requests = 0
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.port: str = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._parser = kp.FrameParser()

    # -- life cycle -----------------------------------------------------------------------------------------

    def start(self) -> KerongEmulator:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"kerong-emulator {self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread (bounded) and close both ends of the pty. Idempotent."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1

    def __enter__(self) -> KerongEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the test side --------------------------------------------------------------------------------------

    def open_door(self, board: int, lock: int) -> None:
        with self._lock:
            self._board(board).doors[self._check_lock(lock)] = True

    def close_door(self, board: int, lock: int) -> None:
        with self._lock:
            self._board(board).doors[self._check_lock(lock)] = False

    def door_is_open(self, board: int, lock: int) -> bool:
        with self._lock:
            return self._board(board).doors[self._check_lock(lock)]

    def set_item(self, board: int, lock: int, inside: bool) -> None:
        with self._lock:
            self._board(board).items[self._check_lock(lock)] = bool(inside)

    def set_stuck(self, board: int, lock: int, stuck: bool = True) -> None:
        """A stuck door does not spring open on a pulse (the pulse is still logged)."""
        with self._lock:
            self._board(board).stuck[self._check_lock(lock)] = bool(stuck)

    def set_fault(self, fault: Fault | None, board: int | None = None) -> None:
        """Inject a fault into one board, or every board when ``board`` is None; None clears it."""
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {FAULTS} or None")
        with self._lock:
            for b in self._boards if board is None else [board]:
                self._board(b).fault = fault

    def hold_replies(self, n: int, board: int) -> None:
        """The board's next ``n`` requests get no answer until the ``n``-th has arrived; then it acts on each
        and writes all ``n`` replies at once."""
        if n < 1:
            raise ValueError("hold_replies needs n ≥ 1")
        with self._lock:
            b = self._board(board)
            b.hold, b.held = n, []

    def pulses(self) -> list[Pulse]:
        """Every unlock pulse received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._pulses)

    def requests(self) -> list[kp.Frame]:
        """Every valid request frame received so far (for any address), oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def pulse_ms(self, board: int) -> int:
        with self._lock:
            return self._board(board).pulse_units * kp.PULSE_UNIT_MS

    # -- the board side -------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError:  # fds closed under us, or the pty went away
                return
            for item in self._parser.feed(data):
                if isinstance(item, kp.Frame):
                    reply = self._handle(item)
                    if reply:
                        self._write(reply)
                elif isinstance(item, kp.BadChecksum):
                    with self._lock:
                        self.bad_requests += 1

    def _write(self, data: bytes) -> None:
        # OSError: nobody reads and the buffer is full, or closed: a real line would drop the bytes too
        with contextlib.suppress(OSError):
            os.write(self._master, data)

    def _handle(self, frame: kp.Frame) -> bytes:
        with self._lock:
            self._requests.append(frame)
            board = self._boards.get(frame.board)
            if board is None or board.fault == "no_reply" or frame.cmd == kp.REPLY_STATUS:
                return b""
            if board.hold:
                board.held.append(frame)
                board.hold -= 1
                if board.hold:
                    return b""
                held, board.held = board.held, []
                return b"".join(self._answer(board, f) for f in held)
            return self._answer(board, frame)

    def _answer(self, board: _Board, frame: kp.Frame) -> bytes:
        """Act on one request and return the board's reply (as its fault shapes it); caller holds the lock."""
        if frame.cmd == kp.UNLOCK:
            self._pulse(frame.board, board, frame.lock)
        elif frame.cmd == kp.UNLOCK_ALL:
            for lock in range(kp.LOCKS_PER_BOARD):
                self._pulse(frame.board, board, lock)
        elif frame.cmd == kp.SET_PULSE:
            board.pulse_units = frame.data[0] or 50
        reply = kp.status_reply(frame.addr, board.doors, board.items).encode()
        fault = board.fault
        if fault == "bad_checksum":
            return reply[:-1] + bytes(((reply[-1] + 1) & 0xFF,))
        if fault == "garbage":
            return bytes(self._rng.choice([b for b in range(256) if b != kp.STX]) for _ in range(len(reply)))
        if fault == "duplicate_address":
            twin = kp.status_reply(frame.addr, [not d for d in board.doors], board.items).encode()
            return reply + twin
        return reply

    def _pulse(self, board_no: int, board: _Board, lock: int) -> None:
        self._pulses.append(Pulse(board_no, lock, time.monotonic()))
        if self.auto_open and not board.stuck[lock]:
            board.doors[lock] = True

    def _board(self, board: int) -> _Board:
        try:
            return self._boards[board]
        except KeyError:
            raise KeyError(f"no emulated board {board}; boards are {sorted(self._boards)}") from None

    @staticmethod
    def _check_lock(lock: int) -> int:
        if not 0 <= lock < kp.LOCKS_PER_BOARD:
            raise ValueError(f"lock must be 0-15, got {lock}")
        return lock
