"""Frames of a Kerong KR-CU16 style RS485 lock-control board: encoder and incremental parser, pure Python.

Why its own module: the driver (``kerong.py``) and the emulator (``kerong_emulator.py``) must speak exactly the
same bytes, and the byte-level rules (framing, checksum, resync after noise) deserve tests of their own.

Frame (every byte on the wire, both directions)::

    02 | addr | cmd | data (0..4 bytes, fixed per cmd) | 03 | sum

- ``addr = board << 4 | lock``: board 0–15 on the chain, lock 0–15 on the board (locks are printed 1–16 on the
  board, so lock index ``n`` is printed lock ``n + 1``).
- ``sum`` = low byte of the sum of every earlier byte of the frame (STX to ETX included).
- The data length is fixed by the command (table ``DATA_LEN``). That, not a search for ``03``, delimits a
  frame: ``03`` may well occur inside data or as an address.

Commands (master → board) and replies (board → master). Every request is answered by one status reply::

    30 STATUS      02 addr 30 03 sum          status; ``addr`` names one lock, the reply covers the whole board
    31 UNLOCK      02 addr 31 03 sum          pulse the relay of lock ``addr & 0x0F``
    32 STATUS_ALL  02 addr 32 03 sum          status of the board (lock nibble ignored, 0 by convention)
    33 UNLOCK_ALL  02 addr 33 03 sum          pulse all 16 relays of the board
    37 SET_PULSE   02 addr 37 p 03 sum        relay pulse length = p × 10 ms (p = 1..255; 0 = board default)
    35 STATUS reply 02 addr 35 h1 h2 i1 i2 03 sum

In the 35 reply ``addr`` echoes the request; ``h1``/``h2`` are the door ("hook") bits of locks 0–7 / 8–15 and
``i1``/``i2`` the "item inside" (IR) bits of locks 0–7 / 8–15, bit ``n`` of each byte = lock ``n`` (LSB first).
A set door bit means the door is **open**, a set IR bit means an item is **inside**. Replies to 31/33 are taken
after the pulse was started, so an unlocked door that sprang open already reads open.

The parser accepts any chunking (byte at a time or many frames at once) and reports three distinct things:
:class:`Frame` (valid), :class:`BadChecksum` (well formed, wrong sum: a corrupted frame, dropped whole) and
:class:`Garbage` (bytes that cannot start a frame: skipped one by one until a plausible frame start). Every fed
byte ends up in exactly one reported item or stays buffered (``pending``), which the property tests check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

STX = 0x02
ETX = 0x03

STATUS = 0x30
UNLOCK = 0x31
STATUS_ALL = 0x32
UNLOCK_ALL = 0x33
REPLY_STATUS = 0x35
SET_PULSE = 0x37

DATA_LEN: dict[int, int] = {STATUS: 0, UNLOCK: 0, STATUS_ALL: 0, UNLOCK_ALL: 0, SET_PULSE: 1, REPLY_STATUS: 4}
LOCKS_PER_BOARD = 16
PULSE_UNIT_MS = 10


def checksum(data: bytes | bytearray) -> int:
    """Low byte of the sum of ``data``."""
    return sum(data) & 0xFF


def address(board: int, lock: int = 0) -> int:
    if not 0 <= board <= 15:
        raise ValueError(f"board must be 0-15, got {board}")
    if not 0 <= lock <= 15:
        raise ValueError(f"lock must be 0-15, got {lock}")
    return board << 4 | lock


def channel_to_board_lock(channel: int) -> tuple[int, int]:
    """Config channel (1-based, 1–256) → (board, lock): channel c is board (c-1)//16, lock (c-1)%16."""
    if not 1 <= channel <= 256:
        raise ValueError(f"channel must be 1-256, got {channel}")
    return (channel - 1) // LOCKS_PER_BOARD, (channel - 1) % LOCKS_PER_BOARD


@dataclass(frozen=True)
class Frame:
    addr: int
    cmd: int
    data: bytes = b""

    @property
    def board(self) -> int:
        return self.addr >> 4

    @property
    def lock(self) -> int:
        return self.addr & 0x0F

    def encode(self) -> bytes:
        expected = DATA_LEN.get(self.cmd)
        if expected is None:
            raise ValueError(f"unknown command 0x{self.cmd:02x}")
        if len(self.data) != expected:
            raise ValueError(f"command 0x{self.cmd:02x} takes {expected} data bytes, got {len(self.data)}")
        if not 0 <= self.addr <= 0xFF:
            raise ValueError(f"address must be one byte, got {self.addr}")
        body = bytes((STX, self.addr, self.cmd)) + bytes(self.data) + bytes((ETX,))
        return body + bytes((checksum(body),))


@dataclass(frozen=True)
class BadChecksum:
    """A well-formed frame whose sum does not match: line noise or two talkers."""

    raw: bytes


@dataclass(frozen=True)
class Garbage:
    """Bytes that are not part of any frame."""

    raw: bytes


Item = Frame | BadChecksum | Garbage


@dataclass(frozen=True)
class BoardStatus:
    doors_open: tuple[bool, ...]  # 16 entries, lock 0..15
    items_inside: tuple[bool, ...]


# -- request builders ---------------------------------------------------------------------------------------

def unlock(board: int, lock: int) -> bytes:
    return Frame(address(board, lock), UNLOCK).encode()


def status(board: int, lock: int = 0) -> bytes:
    return Frame(address(board, lock), STATUS).encode()


def status_all(board: int) -> bytes:
    return Frame(address(board), STATUS_ALL).encode()


def unlock_all(board: int) -> bytes:
    return Frame(address(board), UNLOCK_ALL).encode()


def set_pulse(board: int, pulse_ms: int) -> bytes:
    units = round(pulse_ms / PULSE_UNIT_MS)
    if not 1 <= units <= 255:
        raise ValueError(f"pulse length must be {PULSE_UNIT_MS}-{255 * PULSE_UNIT_MS} ms, got {pulse_ms}")
    return Frame(address(board), SET_PULSE, bytes((units,))).encode()


# -- status reply -------------------------------------------------------------------------------------------

def _pack_bits(bits: Sequence[bool]) -> bytes:
    if len(bits) != LOCKS_PER_BOARD:
        raise ValueError(f"need {LOCKS_PER_BOARD} values, got {len(bits)}")
    value = sum(1 << n for n, bit in enumerate(bits) if bit)
    return bytes((value & 0xFF, value >> 8))


def _unpack_bits(low: int, high: int) -> tuple[bool, ...]:
    value = low | high << 8
    return tuple(bool(value >> n & 1) for n in range(LOCKS_PER_BOARD))


def status_reply(addr: int, doors_open: Sequence[bool], items_inside: Sequence[bool]) -> Frame:
    return Frame(addr, REPLY_STATUS, _pack_bits(doors_open) + _pack_bits(items_inside))


def decode_status(frame: Frame) -> BoardStatus:
    if frame.cmd != REPLY_STATUS or len(frame.data) != 4:
        raise ValueError(f"not a status reply: {frame}")
    h1, h2, i1, i2 = frame.data
    return BoardStatus(_unpack_bits(h1, h2), _unpack_bits(i1, i2))


# -- parser -------------------------------------------------------------------------------------------------

class FrameParser:
    """Incremental parser: ``feed(chunk)`` returns the items completed by that chunk, in wire order."""

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def pending(self) -> bytes:
        """Bytes held back as the possible start of a frame."""
        return bytes(self._buf)

    def reset(self) -> None:
        self._buf.clear()

    def feed(self, data: bytes | bytearray) -> list[Item]:
        self._buf += data
        out: list[Item] = []
        junk = bytearray()
        buf = self._buf
        while buf:
            if buf[0] != STX:
                cut = buf.find(STX)
                cut = len(buf) if cut < 0 else cut
                junk += buf[:cut]
                del buf[:cut]
                continue
            if len(buf) < 3:
                break
            n = DATA_LEN.get(buf[2])
            if n is None:  # not a command we know: this STX was noise
                junk.append(buf.pop(0))
                continue
            size = 3 + n + 2
            if len(buf) < size:
                break
            if buf[size - 2] != ETX:
                junk.append(buf.pop(0))
                continue
            raw = bytes(buf[:size])
            del buf[:size]
            if junk:
                out.append(Garbage(bytes(junk)))
                junk.clear()
            if checksum(raw[:-1]) != raw[-1]:
                out.append(BadChecksum(raw))
            else:
                out.append(Frame(raw[1], raw[2], raw[3:-2]))
        if junk:
            out.append(Garbage(bytes(junk)))
        return out
