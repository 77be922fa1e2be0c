"""Packet framing of the ZhianTec ZFM-20 / R305 / R307 / AS608 fingerprint sensors.

Why this exists: pyfingerprint (the host side we use) parses replies with a fixed read loop and cannot help
the *other* end of the wire. The emulator, and any fuzzer or line sniffer, need a parser that takes bytes in
whatever chunks a UART or pty delivers (pyfingerprint writes one byte per call), never raises on what it is
fed, skips line noise by scanning for the ``EF 01`` start code, and reports a frame with a wrong checksum as a
result of its own (a sensor answers such a frame with "receive error", it does not crash).

Frame: ``EF 01 | address u32 | pid u8 | length u16 = len(payload) + 2 | payload | sum u16`` where
``sum = pid + both length bytes + every payload byte`` (low 16 bits), all big-endian. Pure Python, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

START = b"\xef\x01"
DEFAULT_ADDRESS = 0xFFFFFFFF
HEADER_LEN = 9  # start code 2 + address 4 + pid 1 + length 2
MAX_PAYLOAD = 256  # the largest data-packet size a sensor can be set to


class Pid(IntEnum):
    """Packet identifier (the byte after the address)."""

    COMMAND = 0x01
    DATA = 0x02
    ACK = 0x07
    END = 0x08


class Instruction(IntEnum):
    """First payload byte of a command packet (only those the emulator answers)."""

    GEN_IMG = 0x01
    IMG2TZ = 0x02
    MATCH = 0x03
    SEARCH = 0x04
    REG_MODEL = 0x05
    STORE = 0x06
    DELETE = 0x0C
    EMPTY = 0x0D
    SET_SYS_PARA = 0x0E
    READ_SYS_PARA = 0x0F
    SET_PWD = 0x12
    VFY_PWD = 0x13
    GET_RANDOM = 0x14
    TEMPLATE_NUM = 0x1D
    READ_INDEX_TABLE = 0x1F


class Confirm(IntEnum):
    """First payload byte of an acknowledge packet."""

    OK = 0x00
    RECEIVE_ERROR = 0x01
    NO_FINGER = 0x02
    IMAGE_FAIL = 0x03
    NOT_MATCHING = 0x08
    NOT_FOUND = 0x09
    ENROL_MISMATCH = 0x0A
    BAD_POSITION = 0x0B
    DELETE_FAIL = 0x10
    CLEAR_FAIL = 0x11
    WRONG_PASSWORD = 0x13
    NO_VALID_IMAGE = 0x15
    FLASH_ERROR = 0x18
    BAD_REGISTER = 0x1A
    MUST_VERIFY_PASSWORD = 0x21


@dataclass(frozen=True)
class Packet:
    """One well-formed frame."""

    pid: int
    payload: bytes
    address: int = DEFAULT_ADDRESS


@dataclass(frozen=True)
class BadChecksum:
    """A frame whose header and length made sense but whose checksum did not match."""

    pid: int
    payload: bytes
    address: int
    expected: int
    received: int


def checksum(pid: int, payload: bytes) -> int:
    length = len(payload) + 2
    return (pid + (length >> 8) + (length & 0xFF) + sum(payload)) & 0xFFFF


def encode(pid: int, payload: bytes, address: int = DEFAULT_ADDRESS) -> bytes:
    """The bytes of one frame; ``ValueError`` if a field does not fit it."""
    if not 0 <= len(payload) <= 0xFFFF - 2:
        raise ValueError(f"payload of {len(payload)} bytes does not fit a frame")
    if not 0 <= pid <= 0xFF:
        raise ValueError(f"pid must be one byte, got {pid}")
    if not 0 <= address <= 0xFFFFFFFF:
        raise ValueError(f"address must fit 32 bits, got {address}")
    length = len(payload) + 2
    return (START + address.to_bytes(4, "big") + bytes((pid,)) + length.to_bytes(2, "big") + bytes(payload)
            + checksum(pid, payload).to_bytes(2, "big"))


class PacketParser:
    """Incremental frame parser: ``feed()`` any chunk, get back the frames it completed.

    A candidate frame is rejected (and the scan moves on by ONE byte, so a real frame hidden behind a false
    ``EF 01`` is still found) when its pid is unknown or its length is impossible; a complete candidate
    with a wrong sum is returned as ``BadChecksum`` and the scan also moves on by one byte. A false header
    that claims more bytes than ever arrive would hold the buffer forever, so a caller that sees the line go
    idle calls ``idle()``: the partial frame at the head is abandoned and the rest rescanned.
    """

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self._buf = bytearray()
        self._max_len = max_payload + 2
        self.discarded = 0  # bytes skipped as garbage (including the first byte of each bad-checksum frame)

    @property
    def pending(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Packet | BadChecksum]:
        self._buf += data
        return self._scan()

    def idle(self) -> list[Packet | BadChecksum]:
        """The line went quiet: give up on the partial frame at the head and rescan what is left."""
        out: list[Packet | BadChecksum] = []
        while self._buf:
            self._skip(1)
            out += self._scan()
        return out

    def reset(self) -> None:
        self.discarded += len(self._buf)
        self._buf.clear()

    def _skip(self, n: int) -> None:
        del self._buf[:n]
        self.discarded += n

    def _scan(self) -> list[Packet | BadChecksum]:
        out: list[Packet | BadChecksum] = []
        buf = self._buf
        while True:
            start = buf.find(START)
            if start < 0:
                # keep a trailing EF: it may be the first half of a start code split across chunks
                keep = 1 if buf.endswith(b"\xef") else 0
                self._skip(len(buf) - keep)
                return out
            if start:
                self._skip(start)
            if len(buf) < HEADER_LEN:
                return out
            pid = buf[6]
            length = int.from_bytes(buf[7:9], "big")
            if pid not in _PIDS or not 2 <= length <= self._max_len:
                self._skip(1)
                continue
            end = HEADER_LEN + length
            if len(buf) < end:
                return out
            address = int.from_bytes(buf[2:6], "big")
            payload = bytes(buf[HEADER_LEN:end - 2])
            received = int.from_bytes(buf[end - 2:end], "big")
            expected = checksum(pid, payload)
            if received == expected:
                del buf[:end]
                out.append(Packet(pid, payload, address))
            else:
                self._skip(1)
                out.append(BadChecksum(pid, payload, address, expected, received))


_PIDS = frozenset(int(p) for p in Pid)
