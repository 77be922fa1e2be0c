"""Courier fingerprint sensor (ZhianTec ZFM-20 / R305 / R307 / AS608) on a UART, driven by pyfingerprint 1.5.

Why a wrapper around pyfingerprint rather than pyfingerprint itself:

* pyfingerprint opens the port with a 2 s timeout and reads byte by byte; a silent sensor blocks 12 × 2 s.
  Worse, it stores a timed-out read as an empty byte at the head of the packet, so ANY reply that starts
  after the first read timeout fails; simply cutting the timeout to 0.1 s would break a real sensor's
  Search (up to ~1 s for 1:1000). So the serial object inside it (``_PyFingerprint__serial``) is replaced,
  right after it is opened and before the first VfyPwd, by ``_Link``: the first byte of a reply may take
  ``reply_timeout`` (default 12 × ``timeout`` = 1.2 s, DESIGN's figure), later bytes ``timeout`` each, and
  a timeout raises at once instead of feeding pyfingerprint empty bytes. ``_Link`` also coalesces
  pyfingerprint's one-byte writes into one write per packet, caps a reply's size (a babbling line cannot
  keep us reading), and meters the time spent in serial I/O for the benchmark.
* every pyfingerprint error is a bare ``Exception`` with an English sentence; they are mapped here to
  ``FingerprintFault`` subclasses with one human line each, which is what the UI and the audit log show.
* after a link fault the line may still carry a stale or half reply that would be read as the answer to the
  next command (a stale Search reply could name the wrong courier), so the next call reopens the port,
  drains it until it has been quiet, and verifies the password before doing anything else.

NOT THREAD-SAFE: one driver, one thread (two threads on one UART interleave frames). The Qt worker owns it on
its QThread. The only method that may be called from another thread is ``cancel()``. Using the driver from
two threads at once raises ``RuntimeError`` rather than corrupting the line.
"""

from __future__ import annotations

import functools
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

import serial
from pyfingerprint.pyfingerprint import PyFingerprint

P = ParamSpec("P")
T = TypeVar("T")


# ---- faults ------------------------------------------------------------------------------------------


class FingerprintFault(RuntimeError):
    """Anything that went wrong with the sensor; ``str(fault)`` is one line for a human."""

    def __init__(self, message: str, *, port: str | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.port = port
        self.code = code  # the sensor's confirmation code, when it sent one


class LinkFault(FingerprintFault):
    """The port or the line failed; the next call (or ``reconnect()``) reopens, drains and re-verifies."""


class PortGone(LinkFault):
    """The serial port does not exist or stopped working (unplugged USB adapter, I/O error)."""


class SensorSilent(LinkFault):
    """No reply within ``reply_timeout`` (sensor unpowered, wrong baud rate or address, reply too slow)."""


class GarbledReply(LinkFault):
    """Bytes came back but not a valid reply (noise, bad checksum, cut short, not an ack)."""


class WrongSensorPassword(LinkFault):
    """The sensor refused the configured password (or asks for it again after a power cycle)."""


class SensorError(FingerprintFault):
    """The sensor answered with an error confirmation code."""


class BadImage(SensorError):
    """The capture was unusable (smudged, too few features, partial finger): ask to try again."""


class EnrolMismatch(SensorError):
    """The two enrolment captures came from different fingers."""


class StoreFailed(SensorError):
    """The template could not be stored (memory full, flash error, bad slot)."""


class DeleteFailed(SensorError):
    """A template (or the whole database) could not be deleted."""


class FingerTimeout(FingerprintFault):
    """During enrolment the finger was not placed, or not lifted, in time."""


class AlreadyEnrolled(FingerprintFault):
    """Enrolment found this finger already stored in ``slot``."""

    def __init__(self, message: str, *, slot: int, port: str | None = None) -> None:
        super().__init__(message, port=port)
        self.slot = slot


class Cancelled(FingerprintFault):
    """``cancel()`` was called while an enrolment waited for the finger."""


# ---- results -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    slot: int
    score: int


class EnrolStep(StrEnum):
    """What ``enrol`` asks of the person (stable keys, for the UI to translate)."""

    PLACE_FINGER = "place_finger"
    LIFT_FINGER = "lift_finger"
    PLACE_AGAIN = "place_again"
    STORED = "stored"


@dataclass
class LinkStats:
    """Traffic and the time spent inside serial reads and writes (the protocol's share of a call)."""

    exchanges: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    io_s: float = 0.0

    def reset(self) -> None:
        self.exchanges = self.bytes_out = self.bytes_in = 0
        self.io_s = 0.0


# ---- the serial stand-in -----------------------------------------------------------------------------


class _NoReply(Exception):
    pass


class _ReplyCut(Exception):
    pass


class _ReplyTooLong(Exception):
    pass


class _Link:
    """Replaces pyfingerprint's ``serial.Serial``: reply deadlines, coalesced writes, size cap, metering."""

    def __init__(self, ser: serial.Serial, reply_timeout: float, stats: LinkStats, max_reply: int = 4096) -> None:
        self._ser = ser
        self._reply_timeout = reply_timeout
        self._stats = stats
        self._max_reply = max_reply
        self._out = bytearray()
        self._in = b""  # received, not yet handed to pyfingerprint from index _pos on
        self._pos = 0
        self._got = 0  # bytes of the current reply
        self._sent_at = time.perf_counter()

    def write(self, data: bytes) -> int:
        self._out += data
        return len(data)

    def read(self, size: int = 1) -> bytes:  # called once per byte by pyfingerprint: keep it lean
        if self._out:
            self._flush()
        pos = self._pos
        if pos + size > len(self._in):
            self._fill(size)
            pos = 0
        self._pos = pos + size
        return self._in[pos:pos + size]

    def _flush(self) -> None:
        # Anything received before a command is sent cannot be its answer (a late reply, the 0x55 some
        # sensors send at power-up, noise): drop it rather than hand it to pyfingerprint as the reply.
        self._in, self._pos = b"", 0
        t0 = time.perf_counter()
        try:
            self._ser.reset_input_buffer()
            self._ser.write(bytes(self._out))
        finally:
            self._sent_at = end = time.perf_counter()
            self._stats.io_s += end - t0
        self._stats.exchanges += 1
        self._stats.bytes_out += len(self._out)
        self._out.clear()
        self._got = 0

    def _fill(self, size: int) -> None:
        ser = self._ser
        self._in, self._pos = self._in[self._pos:], 0
        t0 = time.perf_counter()
        try:
            while len(self._in) < size:
                chunk = ser.read(1)
                if not chunk:
                    if self._got:
                        raise _ReplyCut(f"reply cut short after {self._got} bytes")
                    if time.perf_counter() - self._sent_at >= self._reply_timeout:
                        raise _NoReply()
                    continue
                waiting = ser.in_waiting
                if waiting:
                    chunk += ser.read(waiting)
                self._in += chunk
                self._got += len(chunk)
                self._stats.bytes_in += len(chunk)
                if self._got > self._max_reply:
                    raise _ReplyTooLong(f"reply longer than {self._max_reply} bytes")
        finally:
            self._stats.io_s += time.perf_counter() - t0

    def drain(self, quiet_s: float, limit_s: float) -> None:
        """Discard input until the line has been quiet for ``quiet_s`` (or ``limit_s`` passed)."""
        self._in, self._pos = b"", 0
        ser = self._ser
        ser.reset_input_buffer()
        start = last = time.monotonic()
        while quiet_s > 0:
            now = time.monotonic()
            if now - last >= quiet_s or now - start >= limit_s:
                return
            if ser.read(ser.in_waiting or 1):
                last = time.monotonic()

    # what pyfingerprint's constructor / destructor call
    def isOpen(self) -> bool:  # noqa: N802 (pyfingerprint's spelling)
        return bool(self._ser.is_open)

    def open(self) -> None:
        self._ser.open()

    def close(self) -> None:
        self._ser.close()


# ---- the driver --------------------------------------------------------------------------------------

_MESSAGES: dict[str, tuple[type[FingerprintFault], str]] = {
    "The received packet do not begin with a valid header!": (GarbledReply, "reply does not start with EF 01"),
    "The received packet is corrupted (the checksum is wrong)!": (GarbledReply, "reply has a wrong checksum"),
    "The received packet is no ack packet!": (GarbledReply, "reply is not an acknowledge packet"),
    "Communication error": (GarbledReply, "sensor reports it received a garbled command (code 01)"),
    "The address is wrong": (SensorError, "sensor reports a wrong address"),
    "Could not read image": (BadImage, "could not capture the finger, try again"),
    "The image is too messy": (BadImage, "finger image too smudged, try again"),
    "The image contains too few feature points": (BadImage, "finger image too small, press the whole finger"),
    "The image is invalid": (BadImage, "no usable finger image, try again"),
    "Could not store template in that position": (StoreFailed, "sensor refused the template slot"),
    "Error writing to flash": (StoreFailed, "sensor flash write failed"),
    "Invalid position": (DeleteFailed, "sensor refused the template slot"),
    "Unknown error 0x21": (WrongSensorPassword, "sensor asks for its password again (was it power-cycled?)"),
}


def _exclusive(method: Callable[P, T]) -> Callable[P, T]:
    """Refuse a second thread instead of letting it interleave frames on the UART."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        self: FingerprintDriver = args[0]  # type: ignore[assignment]
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("FingerprintDriver is used from two threads at once; it must stay on one")
        try:
            return method(*args, **kwargs)
        finally:
            self._busy.release()

    return guarded


class FingerprintDriver:
    """One fingerprint sensor on one serial port. Not thread-safe: see the module docstring.

    Calls connect lazily: the first call (or the first after a ``LinkFault``) opens the port and verifies
    the password. Every failure is a ``FingerprintFault``; every wait is bounded.
    """

    def __init__(self, port: str, baudrate: int = 57600, address: int = 0xFFFFFFFF, password: int = 0,
                 timeout: float = 0.1, *, reply_timeout: float | None = None, poll_interval: float = 0.01) -> None:
        if baudrate < 9600 or baudrate > 115200 or baudrate % 9600:
            raise ValueError(f"baudrate {baudrate} is not a multiple of 9600 in 9600..115200")
        if not 0 <= address <= 0xFFFFFFFF or not 0 <= password <= 0xFFFFFFFF:
            raise ValueError("address and password are 32-bit unsigned")
        self.port = port
        self.baudrate = baudrate
        self.address = address
        self._password = password
        self.timeout = timeout
        self.reply_timeout = 12 * timeout if reply_timeout is None else reply_timeout
        self.poll_interval = poll_interval
        self.stats = LinkStats()
        self._fp: PyFingerprint | None = None
        self._link: _Link | None = None
        self._drain_quiet = 0.0  # how long the next open waits for a quiet line (set by link faults)
        self._busy = threading.RLock()
        self._cancel = threading.Event()

    # ---- connection ----------------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        return self._fp is not None

    @_exclusive
    def connect(self) -> None:
        """Open the port and verify the password (no-op when already connected)."""
        if self._fp is None:
            self._open()

    @_exclusive
    def reconnect(self) -> None:
        self._teardown()
        self._open()

    @_exclusive
    def close(self) -> None:
        self._teardown()

    def __enter__(self) -> FingerprintDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cancel(self) -> None:
        """Thread-safe: the wait in progress stops (identify returns None, enrol raises Cancelled)."""
        self._cancel.set()

    # ---- queries -------------------------------------------------------------------------------------

    @_exclusive
    def capacity(self) -> int:
        return int(self._call(lambda fp: fp.getStorageCapacity()))

    @_exclusive
    def template_count(self) -> int:
        return int(self._call(lambda fp: fp.getTemplateCount()))

    @_exclusive
    def slots_in_use(self) -> list[int]:
        """Occupied template slots (to reconcile with the couriers table)."""
        capacity = self._call(lambda fp: fp.getStorageCapacity())
        used: list[int] = []
        for page in range((capacity + 255) // 256):
            index = self._call(lambda fp, page=page: fp.getTemplateIndex(page))
            used += [page * 256 + i for i, on in enumerate(index) if on and page * 256 + i < capacity]
        return used

    @_exclusive
    def finger_present(self) -> bool:
        """Capture once: is a finger on the glass right now?"""
        return bool(self._call(lambda fp: fp.readImage()))

    @_exclusive
    def wait_for_finger(self, timeout_s: float) -> bool:
        self._cancel.clear()
        return self._wait(True, timeout_s)

    @_exclusive
    def wait_for_lift(self, timeout_s: float) -> bool:
        self._cancel.clear()
        return self._wait(False, timeout_s)

    @_exclusive
    def identify(self, timeout_s: float) -> Match | None:
        """Wait up to ``timeout_s`` for a finger, then search it. None: no finger, unknown finger, cancelled."""
        self._cancel.clear()
        if not self._wait(True, timeout_s):
            return None
        self._call(lambda fp: fp.convertImage(1))
        slot, score = self._call(lambda fp: fp.searchTemplate())
        return None if slot < 0 else Match(int(slot), int(score))

    # ---- changes -------------------------------------------------------------------------------------

    @_exclusive
    def enrol(self, on_step: Callable[[str], None] | None = None, *, finger_timeout_s: float = 10.0,
              allow_duplicate: bool = False) -> int:
        """Two captures → RegModel → Store in the first free slot; returns the slot.

        ``on_step`` gets an ``EnrolStep`` before each thing the person must do, then ``STORED``.
        Raises StoreFailed (memory full) before asking for a finger, FingerTimeout, Cancelled,
        AlreadyEnrolled (unless ``allow_duplicate``), BadImage, EnrolMismatch, or a LinkFault.
        """
        step = on_step or (lambda _s: None)
        self._cancel.clear()
        capacity = self._call(lambda fp: fp.getStorageCapacity())
        if self._call(lambda fp: fp.getTemplateCount()) >= capacity:
            raise StoreFailed(f"fingerprint memory is full ({capacity} templates)", port=self.port)
        step(EnrolStep.PLACE_FINGER)
        self._require(True, finger_timeout_s)
        self._call(lambda fp: fp.convertImage(1))
        if not allow_duplicate:
            slot, _score = self._call(lambda fp: fp.searchTemplate())
            if slot >= 0:
                raise AlreadyEnrolled(f"this finger is already enrolled (slot {slot})", slot=slot, port=self.port)
        step(EnrolStep.LIFT_FINGER)
        self._require(False, finger_timeout_s)
        step(EnrolStep.PLACE_AGAIN)
        self._require(True, finger_timeout_s)
        self._call(lambda fp: fp.convertImage(2))
        if not self._call(lambda fp: fp.createTemplate()):
            raise EnrolMismatch("the two captures are from different fingers", port=self.port, code=0x0A)

        def store(fp: PyFingerprint) -> int:
            try:
                return int(fp.storeTemplate())
            except ValueError:  # pyfingerprint found no free slot in the index table
                raise StoreFailed("no free template slot on the fingerprint sensor", port=self.port) from None

        slot = self._call(store)
        step(EnrolStep.STORED)
        return slot

    @_exclusive
    def delete(self, slot: int) -> None:
        def run(fp: PyFingerprint) -> bool:
            try:
                return bool(fp.deleteTemplate(slot))
            except ValueError:
                raise DeleteFailed(f"template slot {slot} does not exist on the sensor", port=self.port) from None

        if not self._call(run):
            raise DeleteFailed(f"the sensor could not delete template slot {slot}", port=self.port, code=0x10)

    @_exclusive
    def clear(self) -> None:
        """Delete every template."""
        if not self._call(lambda fp: fp.clearDatabase()):
            raise DeleteFailed("the sensor could not clear its templates", port=self.port, code=0x11)

    # ---- internals -----------------------------------------------------------------------------------

    def _open(self) -> None:
        self._teardown()
        try:
            # pyfingerprint opens the port with timeout=2; swap in _Link before the first exchange
            fp = PyFingerprint(self.port, self.baudrate, self.address, self._password)
            ser: serial.Serial = fp._PyFingerprint__serial  # type: ignore[attr-defined]
            ser.timeout = self.timeout
            link = _Link(ser, self.reply_timeout, self.stats)
            fp._PyFingerprint__serial = link  # type: ignore[attr-defined]
            self._fp, self._link = fp, link
            link.drain(self._drain_quiet, limit_s=4 * max(self._drain_quiet, self.timeout))
            verified = fp.verifyPassword()
        except Exception as exc:  # noqa: BLE001 (pyfingerprint raises bare Exception)
            fault = self._classify(exc)
            self._teardown()
            self._broken(fault)
            raise fault from exc
        if not verified:
            fault = WrongSensorPassword(f"fingerprint sensor on {self.port} refuses the configured password",
                                        port=self.port, code=0x13)
            self._broken(fault)
            raise fault
        self._drain_quiet = 0.0

    def _teardown(self) -> None:
        link, self._link, self._fp = self._link, None, None
        if link is not None:
            try:
                link.close()
            except Exception:  # noqa: BLE001 (a vanished port may fail to close; it is gone either way)
                pass

    def _broken(self, fault: FingerprintFault) -> None:
        if isinstance(fault, LinkFault):
            self._teardown()
            if isinstance(fault, SensorSilent):
                self._drain_quiet = self.reply_timeout  # a late reply may still be on its way
            elif not isinstance(fault, WrongSensorPassword):
                self._drain_quiet = max(self._drain_quiet, self.timeout)

    def _call(self, fn: Callable[[PyFingerprint], Any]) -> Any:
        if self._fp is None:
            self._open()
        try:
            return fn(self._fp)
        except Exception as exc:  # noqa: BLE001 (pyfingerprint raises bare Exception)
            fault = self._classify(exc)
            self._broken(fault)
            raise fault from exc

    def _classify(self, exc: Exception) -> FingerprintFault:
        port = self.port
        if isinstance(exc, FingerprintFault):
            return exc
        if isinstance(exc, _NoReply):
            return SensorSilent(f"fingerprint sensor does not answer on {port} "
                                f"(no reply within {self.reply_timeout:.1f} s)", port=port)
        if isinstance(exc, (_ReplyCut, _ReplyTooLong)):
            return GarbledReply(f"fingerprint sensor on {port}: {exc}", port=port)
        if isinstance(exc, (OSError, termios.error)):  # SerialException is an OSError; tcflush raises termios.error
            return PortGone(f"fingerprint sensor port {port} is gone ({exc})", port=port)
        if isinstance(exc, (IndexError, TypeError, ValueError)):  # a reply too short for what it claims
            return GarbledReply(f"fingerprint sensor on {port}: malformed reply ({exc})", port=port)
        text = str(exc)
        if text in _MESSAGES:
            kind, detail = _MESSAGES[text]
            code = 0x21 if text.endswith("0x21") else None
            return kind(f"fingerprint sensor on {port}: {detail}", port=port, code=code)
        if text.startswith("Unknown error 0x"):
            code = int(text.rsplit("0x", 1)[1], 16)
            return SensorError(f"fingerprint sensor on {port} answered error code 0x{code:02X}", port=port,
                               code=code)
        return SensorError(f"fingerprint sensor on {port}: {text}", port=port)

    def _wait(self, present: bool, timeout_s: float) -> bool:
        """Capture until a finger is (or is no longer) there; at least one capture; False on timeout/cancel."""
        deadline = time.monotonic() + timeout_s
        while True:
            if bool(self._call(lambda fp: fp.readImage())) == present:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._cancel.is_set():
                return False
            if self._cancel.wait(min(self.poll_interval, remaining)):
                return False

    def _require(self, present: bool, timeout_s: float) -> None:
        if self._wait(present, timeout_s):
            return
        if self._cancel.is_set():
            raise Cancelled("enrolment cancelled", port=self.port)
        what = "no finger on the sensor" if present else "the finger was not lifted"
        raise FingerTimeout(f"{what} within {timeout_s:g} s", port=self.port)
