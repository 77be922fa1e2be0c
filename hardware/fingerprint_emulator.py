"""A ZFM-20 / R30x / AS608 fingerprint sensor that lives on a pty.

Why: the driver must be tested with the REAL pyfingerprint code and a real serial port, byte for byte, on a
machine with no sensor; the simulated cabinet needs a sensor too. pyserial accepts a pty path (not
``loop://``), so this opens ``os.openpty()``, puts the slave in raw mode (no echo, no line editing) and serves
the wire protocol on the master from its own thread. ``.port`` is the slave path to give to the driver.

A "finger" is an int; a template is the id of the finger it came from, so identification is exact and
deterministic. Templates (and the sensor password) can persist to a JSON file, as a real sensor keeps them
in flash, so a simulated cabinet keeps its courier enrolments across restarts.

Every public method is thread-safe. Faults can be injected for the driver's error paths:
``silence`` (commands are read, nothing is answered), ``bad_checksum`` (replies carry a wrong sum),
``garbage`` (noise instead of the reply), ``slow`` (each reply is delayed ``slow_s`` seconds),
``wrong_password`` (VfyPwd is always refused).

``line_rate=True`` paces each exchange like a real UART at ``baudrate`` (10 bits a byte: start, 8 data, stop):
the reply leaves only after the command's and the reply's bytes would have crossed the wire. A pty carries
bytes in microseconds, so without it "protocol time" is the emulator's, ~100x shorter than a sensor's; the
benchmark of the driver's overhead (bench/bench_fingerprint.py) measures against both.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import select
import threading
import time
import tty
from collections import Counter
from pathlib import Path
from typing import Literal, get_args

from hardware.fingerprint_protocol import (
    DEFAULT_ADDRESS, BadChecksum, Confirm, Instruction, Packet, PacketParser, Pid, encode,
)

Fault = Literal["silence", "bad_checksum", "garbage", "slow", "wrong_password"]
FAULTS: tuple[str, ...] = get_args(Fault)

_IDLE_S = 0.3  # a gap this long inside a frame abandons it (a real UART receiver resyncs the same way)
_PACKET_SIZE_CODES = (32, 64, 128, 256)


def _u16(n: int) -> bytes:
    return n.to_bytes(2, "big")


def score_for(finger: int) -> int:
    """The match score the emulator reports for a finger (deterministic, in the range real sensors give)."""
    return 50 + (finger * 37) % 200


class FingerprintEmulator:
    """Serves one simulated sensor on a pty until ``stop()``. Also a context manager."""

    def __init__(self, *, capacity: int = 300, password: int = 0, address: int = DEFAULT_ADDRESS,
                 store_path: str | Path | None = None, security_level: int = 3, packet_size: int = 128,
                 baudrate: int = 57600, slow_s: float = 0.5, seed: int = 0, line_rate: bool = False) -> None:
        if not 1 <= capacity <= 1024:
            raise ValueError("capacity must be 1..1024 (four index pages of 256)")
        self._lock = threading.Lock()
        self._tx_lock = threading.Lock()  # inject() and the serving thread must not interleave frames
        self._capacity = capacity
        self._address = address
        self._password = password
        self._security = security_level
        self._packet_code = _PACKET_SIZE_CODES.index(packet_size)
        self._baud_code = baudrate // 9600
        self._byte_s = 10 / baudrate if line_rate else 0.0  # wire time of one byte, 0 = as fast as the pty
        self._store_path = Path(store_path) if store_path is not None else None
        self._templates: dict[int, int] = {}
        self._load()
        self._verified = password == 0
        self._finger: int | None = None
        self._image: int | None = None
        self._char: dict[int, int | None] = {1: None, 2: None}
        self._fault: Fault | None = None
        self.slow_s = slow_s
        self._rng = random.Random(seed)
        self._served: Counter[int] = Counter()
        self._bad_frames = 0

        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        fcntl.fcntl(self._master, fcntl.F_SETFL, fcntl.fcntl(self._master, fcntl.F_GETFL) | os.O_NONBLOCK)
        self.port: str = os.ttyname(self._slave)
        self._wake_r, self._wake_w = os.pipe()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"fingerprint-emulator {self.port}",
                                        daemon=True)
        self._thread.start()

    # ---- control API (any thread) -------------------------------------------------------------------

    def place_finger(self, finger: int) -> None:
        if finger < 0:
            raise ValueError("a finger is a non-negative int")
        with self._lock:
            self._finger = finger

    def lift_finger(self) -> None:
        with self._lock:
            self._finger = None

    def power_cycle(self) -> None:
        """Forget what RAM holds (image, char buffers, password verification); templates stay in "flash"."""
        with self._lock:
            self._verified = self._password == 0
            self._image = None
            self._char = {1: None, 2: None}

    def inject(self, data: bytes) -> None:
        """Send raw bytes to the host now, unasked (a stale reply, a power-up 0x55, line noise)."""
        self._send(bytes(data))

    def templates(self) -> dict[int, int]:
        """Stored templates as ``{slot: finger}``."""
        with self._lock:
            return dict(self._templates)

    def enrol_directly(self, slot: int, finger: int) -> None:
        """Put a template in a slot without the protocol (to seed a simulated cabinet or a benchmark)."""
        with self._lock:
            if not 0 <= slot < self._capacity:
                raise ValueError(f"slot {slot} outside 0..{self._capacity - 1}")
            self._templates[slot] = finger
            self._save()

    def set_fault(self, fault: Fault | None, *, slow_s: float | None = None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        with self._lock:
            self._fault = fault
            if slow_s is not None:
                self.slow_s = slow_s

    @property
    def fault(self) -> Fault | None:
        with self._lock:
            return self._fault

    def served(self) -> Counter[int]:
        """How many commands of each instruction code were answered (or swallowed by a fault)."""
        with self._lock:
            return Counter(self._served)

    @property
    def bad_frames(self) -> int:
        """Frames received with a wrong checksum."""
        with self._lock:
            return self._bad_frames

    def stop(self) -> None:
        """Stop serving, join the thread, close every fd. Idempotent. The host's port then reads EIO."""
        if self._stop.is_set():
            return
        self._stop.set()
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=5)
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> FingerprintEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- persistence ---------------------------------------------------------------------------------

    def _load(self) -> None:
        if self._store_path is None or not self._store_path.exists():
            return
        data = json.loads(self._store_path.read_text())
        self._templates = {int(k): int(v) for k, v in data.get("templates", {}).items()
                           if 0 <= int(k) < self._capacity}
        self._password = int(data.get("password", self._password))

    def _save(self) -> None:
        if self._store_path is None:
            return
        tmp = self._store_path.with_suffix(self._store_path.suffix + ".tmp")
        tmp.write_text(json.dumps({"password": self._password,
                                   "templates": {str(k): v for k, v in sorted(self._templates.items())}}))
        os.replace(tmp, self._store_path)

    # ---- serving thread ------------------------------------------------------------------------------

    def _serve(self) -> None:
        parser = PacketParser()
        last_rx = time.monotonic()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master, self._wake_r], [], [], _IDLE_S)
            if self._wake_r in ready:
                return
            frames: list[Packet | BadChecksum]
            if ready:
                try:
                    data = os.read(self._master, 4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:  # EIO: nobody has the slave open (cannot happen while we hold it)
                    self._stop.wait(0.05)
                    continue
                last_rx = time.monotonic()
                frames = parser.feed(data)
            elif parser.pending and time.monotonic() - last_rx >= _IDLE_S:
                frames = parser.idle()
            else:
                continue
            for frame in frames:
                self._answer(frame)

    def _answer(self, frame: Packet | BadChecksum) -> None:
        with self._lock:
            if frame.address != self._address:
                return  # a real sensor ignores frames for another address
            fault = self._fault
            if isinstance(frame, BadChecksum):
                self._bad_frames += 1
                if fault == "silence":
                    return
                reply = bytes((Confirm.RECEIVE_ERROR,))
            elif frame.pid != Pid.COMMAND or not frame.payload:
                return
            else:
                self._served[frame.payload[0]] += 1
                if fault == "silence":
                    return
                reply = self._execute(frame.payload[0], frame.payload[1:], fault)
            delay = self.slow_s if fault == "slow" else 0.0
            wire = encode(Pid.ACK, reply, self._address)
            delay += (11 + len(frame.payload) + len(wire)) * self._byte_s  # the command's bytes, then the reply's
        if fault == "bad_checksum":
            wire = wire[:-1] + bytes(((wire[-1] + 1) & 0xFF,))
        elif fault == "garbage":
            wire = bytes(self._rng.choice(range(0xEF)) for _ in range(len(wire) + 4))  # never starts EF
        if delay and self._stop.wait(delay):
            return
        self._send(wire)

    def _send(self, data: bytes) -> None:
        with self._tx_lock:
            self._send_locked(memoryview(data))

    def _send_locked(self, view: memoryview) -> None:
        while view and not self._stop.is_set():
            try:
                n = os.write(self._master, view)
            except BlockingIOError:
                select.select([], [self._master], [], 0.05)  # host not reading: wait, but keep stoppable
                continue
            except OSError:
                return
            view = view[n:]

    def _execute(self, ins: int, args: bytes, fault: Fault | None) -> bytes:
        """Answer one instruction (lock held). Returns the ack payload: confirmation code + data."""
        ok = bytes((Confirm.OK,))
        if ins == Instruction.VFY_PWD:
            self._verified = fault != "wrong_password" and args[:4] == self._password.to_bytes(4, "big")
            return ok if self._verified else bytes((Confirm.WRONG_PASSWORD,))
        if not self._verified:
            return bytes((Confirm.MUST_VERIFY_PASSWORD,))
        try:
            return self._dispatch(ins, args, ok)
        except IndexError:  # arguments too short
            return bytes((Confirm.RECEIVE_ERROR,))

    def _dispatch(self, ins: int, args: bytes, ok: bytes) -> bytes:
        if ins == Instruction.READ_SYS_PARA:
            return (ok + _u16(0) + _u16(0) + _u16(self._capacity) + _u16(self._security)
                    + self._address.to_bytes(4, "big") + _u16(self._packet_code) + _u16(self._baud_code))
        if ins == Instruction.TEMPLATE_NUM:
            return ok + _u16(len(self._templates))
        if ins == Instruction.READ_INDEX_TABLE:
            return self._index_page(args[0])
        if ins == Instruction.GEN_IMG:
            if self._finger is None:
                return bytes((Confirm.NO_FINGER,))
            self._image = self._finger
            return ok
        if ins == Instruction.IMG2TZ:
            if args[0] not in (1, 2):
                return bytes((Confirm.BAD_REGISTER,))
            if self._image is None:
                return bytes((Confirm.NO_VALID_IMAGE,))
            self._char[args[0]] = self._image
            return ok
        if ins == Instruction.MATCH:
            one, two = self._char[1], self._char[2]
            if one is None or one != two:
                return bytes((Confirm.NOT_MATCHING,))
            return ok + _u16(score_for(one))
        if ins == Instruction.REG_MODEL:
            one, two = self._char[1], self._char[2]
            if one is None or one != two:
                return bytes((Confirm.ENROL_MISMATCH,))
            return ok
        if ins == Instruction.STORE:
            return self._store(args[0], int.from_bytes(args[1:3], "big"))
        if ins == Instruction.SEARCH:
            return self._search(args[0], int.from_bytes(args[1:3], "big"), int.from_bytes(args[3:5], "big"))
        if ins == Instruction.DELETE:
            return self._delete(int.from_bytes(args[0:2], "big"), int.from_bytes(args[2:4], "big"))
        if ins == Instruction.EMPTY:
            self._templates.clear()
            self._save()
            return ok
        if ins == Instruction.SET_PWD:
            self._password = int.from_bytes(args[0:4], "big")
            self._save()
            return ok
        if ins == Instruction.SET_SYS_PARA:
            return self._set_param(args[0], args[1])
        if ins == Instruction.GET_RANDOM:
            return ok + self._rng.getrandbits(32).to_bytes(4, "big")
        return bytes((Confirm.RECEIVE_ERROR,))

    def _index_page(self, page: int) -> bytes:
        if page > 3:
            return bytes((Confirm.BAD_POSITION,))
        bits = bytearray(32)
        for slot in self._templates:
            if page * 256 <= slot < (page + 1) * 256:
                rel = slot - page * 256
                bits[rel // 8] |= 1 << (rel % 8)
        return bytes((Confirm.OK,)) + bytes(bits)

    def _store(self, buffer: int, slot: int) -> bytes:
        if buffer not in (1, 2) or not 0 <= slot < self._capacity or self._char[buffer] is None:
            return bytes((Confirm.BAD_POSITION,))
        self._templates[slot] = self._char[buffer]  # type: ignore[assignment]
        self._save()
        return bytes((Confirm.OK,))

    def _search(self, buffer: int, start: int, count: int) -> bytes:
        finger = self._char.get(buffer)
        if finger is not None:
            for slot in sorted(self._templates):
                if start <= slot < start + count and self._templates[slot] == finger:
                    return bytes((Confirm.OK,)) + _u16(slot) + _u16(score_for(finger))
        return bytes((Confirm.NOT_FOUND,))

    def _delete(self, slot: int, count: int) -> bytes:
        if count < 1 or slot + count > self._capacity:
            return bytes((Confirm.DELETE_FAIL,))
        for s in range(slot, slot + count):
            self._templates.pop(s, None)
        self._save()
        return bytes((Confirm.OK,))

    def _set_param(self, number: int, value: int) -> bytes:
        if number == 4 and 1 <= value <= 12:
            self._baud_code = value
        elif number == 5 and 1 <= value <= 5:
            self._security = value
        elif number == 6 and 0 <= value <= 3:
            self._packet_code = value
        else:
            return bytes((Confirm.BAD_REGISTER,))
        return bytes((Confirm.OK,))


def main() -> None:
    """``python -m hardware.fingerprint_emulator [STORE.json]``: serve until Ctrl-C, print the port."""
    import sys

    emu = FingerprintEmulator(store_path=sys.argv[1] if len(sys.argv) > 1 else None)
    print(emu.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
