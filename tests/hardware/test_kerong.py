"""The Kerong RS485 lock-board bank: frame codec, and the real driver against the emulator over a real pty."""

from __future__ import annotations

import itertools
import os
import re

import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware import kerong_protocol as kp
from hardware.kerong import KerongBank
from hardware.kerong_emulator import KerongEmulator
from kiosk.ports import DeviceUnavailable, LockBank
from tests.hardware.recorder import Recorder

WAIT = 3.0  # bound for anything the bus should do within a few poll cycles


def wait_until(predicate, timeout: float = WAIT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.01)


CHANNELS = {"A01": 1, "A02": 2, "A04": 4, "B01": 17, "B16": 32}


@pytest.fixture
def emulator() -> Iterator[KerongEmulator]:
    emu = KerongEmulator(boards=(0, 1)).start()
    yield emu
    emu.stop()


@pytest.fixture
def events() -> Recorder:
    return Recorder(wait=WAIT)


def make_bank(port: str, events: Recorder, **kw) -> KerongBank:
    options = dict(timeout=0.1, retries=2, poll_interval=0.05, open_timeout=0.6, reopen_interval=0.1)
    options.update(kw)
    return KerongBank(port, CHANNELS, events, **options)


@pytest.fixture
def bank(emulator: KerongEmulator, events: Recorder) -> Iterator[KerongBank]:
    b = make_bank(emulator.port, events)
    b.start()
    wait_until(lambda: all(b.is_door_open(box) is not None for box in CHANNELS), what="first readings")
    yield b
    b.stop()


# -- protocol -----------------------------------------------------------------------------------------------

def test_frames_match_the_documented_bytes():
    assert kp.unlock(0, 1) == bytes([0x02, 0x01, 0x31, 0x03, 0x37])
    assert kp.status_all(2) == bytes([0x02, 0x20, 0x32, 0x03, (0x02 + 0x20 + 0x32 + 0x03) & 0xFF])
    assert kp.set_pulse(0, 500) == bytes([0x02, 0x00, 0x37, 50, 0x03, (0x02 + 0x37 + 50 + 0x03) & 0xFF])
    reply = kp.status_reply(0x10, [i in (0, 9) for i in range(16)], [i == 15 for i in range(16)]).encode()
    assert reply[:7] == bytes([0x02, 0x10, 0x35, 0b0000_0001, 0b0000_0010, 0x00, 0b1000_0000])
    assert reply[7] == 0x03 and reply[8] == sum(reply[:8]) & 0xFF
    assert kp.channel_to_board_lock(1) == (0, 0)
    assert kp.channel_to_board_lock(16) == (0, 15)
    assert kp.channel_to_board_lock(17) == (1, 0)
    with pytest.raises(ValueError):
        kp.channel_to_board_lock(0)


def test_parser_byte_at_a_time_with_03_inside_the_data():
    frame = kp.status_reply(0x03, [True, True] + [False] * 14, [True, True] + [False] * 14)  # data 03 00 03 00
    raw = frame.encode() + kp.unlock(0, 3)
    parser = kp.FrameParser()
    items = [item for b in raw for item in parser.feed(bytes([b]))]
    assert items == [frame, kp.Frame(0x03, kp.UNLOCK)]
    assert kp.decode_status(items[0]).doors_open[:3] == (True, True, False)
    assert parser.pending == b""


def test_parser_resyncs_after_garbage_and_reports_it_distinctly():
    garbage = bytes([0xFF, 0x02, 0x99, 0x03, 0x02, 0x01])  # two false STX starts: unknown cmd, then cmd 0x01
    items = kp.FrameParser().feed(garbage + kp.status_all(1))
    assert items == [kp.Garbage(garbage), kp.Frame(0x10, kp.STATUS_ALL)]


def test_parser_reports_a_bad_checksum_and_keeps_going():
    bad = bytearray(kp.unlock(0, 5))
    bad[-1] ^= 0x55
    items = kp.FrameParser().feed(bytes(bad) + kp.unlock(0, 6))
    assert items == [kp.BadChecksum(bytes(bad)), kp.Frame(0x06, kp.UNLOCK)]


def test_parser_waits_for_the_rest_of_a_frame():
    parser = kp.FrameParser()
    raw = kp.set_pulse(3, 200)
    assert parser.feed(raw[:4]) == []
    assert parser.pending == raw[:4]
    assert parser.feed(raw[4:]) == [kp.Frame(0x30, kp.SET_PULSE, bytes([20]))]


frames = st.builds(
    lambda addr, cmd, data: kp.Frame(addr, cmd, bytes(data[:kp.DATA_LEN[cmd]])),
    st.integers(0, 255), st.sampled_from(sorted(kp.DATA_LEN)), st.binary(min_size=4, max_size=4))


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@settings(max_examples=200, deadline=None)
@given(st.lists(frames, max_size=12), st.lists(st.integers(0, 10_000), max_size=30))
def test_any_chunking_yields_the_same_frames(fs, cuts):
    parser = kp.FrameParser()
    out = [item for chunk in chunked(b"".join(f.encode() for f in fs), cuts) for item in parser.feed(chunk)]
    assert out == fs
    assert parser.pending == b""


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=12).map(lambda b: b.replace(b"\x02", b"")), frames), max_size=8),
       st.lists(st.integers(0, 10_000), max_size=30))
def test_garbage_between_frames_is_skipped_and_reported(pairs, cuts):
    stream = b"".join(junk + f.encode() for junk, f in pairs)
    parser = kp.FrameParser()
    out = [item for chunk in chunked(stream, cuts) for item in parser.feed(chunk)]
    assert [i for i in out if isinstance(i, kp.Frame)] == [f for _, f in pairs]
    assert b"".join(i.raw for i in out if isinstance(i, kp.Garbage)) == b"".join(j for j, _ in pairs)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.lists(st.integers(0, 10_000), max_size=30))
def test_any_bytes_every_byte_is_accounted_for(data, cuts):
    parser = kp.FrameParser()
    out = [item for chunk in chunked(data, cuts) for item in parser.feed(chunk)]
    consumed = sum(len(i.encode()) if isinstance(i, kp.Frame) else len(i.raw) for i in out)
    assert consumed + len(parser.pending) == len(data)
    assert len(parser.pending) < 9  # never holds more than one possible frame


@given(frames, st.integers(1, 255))
def test_a_corrupted_sum_is_a_bad_checksum(frame, delta):
    raw = bytearray(frame.encode())
    raw[-1] = (raw[-1] + delta) & 0xFF
    assert kp.FrameParser().feed(bytes(raw)) == [kp.BadChecksum(bytes(raw))]


@given(st.integers(0, 255), st.lists(st.booleans(), min_size=16, max_size=16),
       st.lists(st.booleans(), min_size=16, max_size=16))
def test_status_round_trip(addr, doors, items):
    frame = kp.FrameParser().feed(kp.status_reply(addr, doors, items).encode())[0]
    assert kp.decode_status(frame) == kp.BoardStatus(tuple(doors), tuple(items))


# -- driver against the emulator ----------------------------------------------------------------------------

def test_start_sets_pulse_length_and_reads_every_board_before_anything_else(emulator, events, bank):
    assert isinstance(bank, LockBank)
    first = emulator.requests()[:4]
    assert [(f.board, f.cmd) for f in first] == [(0, kp.SET_PULSE), (0, kp.STATUS_ALL),
                                                 (1, kp.SET_PULSE), (1, kp.STATUS_ALL)]
    assert emulator.pulse_ms(0) == emulator.pulse_ms(1) == 500
    assert emulator.pulses() == []
    assert all(bank.is_door_open(b) is False and bank.item_inside(b) is False for b in CHANNELS)
    assert events.calls() == []


def test_unlock_pulses_the_door_opens_and_closes(emulator, events, bank):
    t0 = time.monotonic()
    bank.unlock("A02")
    assert time.monotonic() - t0 < 0.05  # queued, not sent on the caller's thread
    events.wait_for("door_changed", "A02", True)
    assert [(p.board, p.lock) for p in emulator.pulses()] == [(0, 1)]
    assert bank.is_door_open("A02") is True
    emulator.close_door(0, 1)
    events.wait_for("door_changed", "A02", False)
    assert bank.is_door_open("A02") is False
    assert events.calls("tamper") == [] and events.calls("open_not_detected") == []


def test_item_inside_is_reported(emulator, events, bank):
    emulator.set_item(0, 3, True)
    events.wait_for("item_changed", "A04", True)
    assert bank.item_inside("A04") is True
    emulator.set_item(0, 3, False)
    events.wait_for("item_changed", "A04", False)
    assert bank.item_inside("A04") is False


def test_boards_are_told_apart_by_address(emulator, events, bank):
    bank.unlock("B16")
    events.wait_for("door_changed", "B16", True)
    assert [(p.board, p.lock) for p in emulator.pulses()] == [(1, 15)]
    assert not emulator.door_is_open(0, 15)
    emulator.set_item(1, 0, True)
    events.wait_for("item_changed", "B01", True)
    assert bank.item_inside("A01") is False
    assert {c[1] for c in events.calls()} == {"B16", "B01"}
    with pytest.raises(KeyError, match="Z99"):
        bank.unlock("Z99")
    with pytest.raises(KeyError, match="Z99"):
        bank.is_door_open("Z99")


def test_unlock_still_pulses_when_the_sensor_already_reads_open(emulator, events, bank):
    emulator.open_door(0, 0)
    events.wait_for("door_changed", "A01", True)
    bank.unlock("A01")
    wait_until(lambda: len(emulator.pulses()) == 1, what="pulse")
    time.sleep(0.9)  # past the open window: an already-open door is not "open not detected"
    assert events.calls("open_not_detected") == []
    assert len(emulator.pulses()) == 1


def test_a_door_opened_without_a_command_is_tamper(emulator, events, bank):
    emulator.open_door(1, 0)
    events.wait_for("tamper", "B01")
    events.wait_for("door_changed", "B01", True)
    assert events.calls()[0] == ("tamper", "B01")
    assert emulator.pulses() == []


def test_a_stuck_door_is_retried_once_then_open_not_detected(emulator, events, bank):
    emulator.set_stuck(0, 0)
    t0 = time.monotonic()
    bank.unlock("A01")
    events.wait_for("open_not_detected", "A01")
    elapsed = time.monotonic() - t0
    assert 1.1 <= elapsed < 2.5  # two windows of 0.6 s
    pulses = emulator.pulses()
    assert [(p.board, p.lock) for p in pulses] == [(0, 0), (0, 0)]
    assert pulses[1].at - pulses[0].at >= 0.5
    assert events.calls("door_changed") == [] and bank.is_door_open("A01") is False


def test_a_door_open_too_long_raises_the_alarm(emulator, events):
    alarms: list[tuple[str, float]] = []
    b = make_bank(emulator.port, events, open_too_long=0.3, on_open_too_long=lambda box, s: alarms.append((box, s)))
    b.start()
    try:
        b.unlock("A01")
        events.wait_for("door_changed", "A01", True)
        wait_until(lambda: alarms, what="open-too-long alarm")
        assert alarms[0][0] == "A01" and alarms[0][1] >= 0.3
        time.sleep(0.2)
        assert len(alarms) == 1  # once per opening
    finally:
        b.stop()


FAULT_MESSAGES = {
    "no_reply": r"board 0 does not answer on /dev/",
    "bad_checksum": r"board 0 answers with bad checksums",
    "duplicate_address": r"two boards answer address 0",
    "garbage": r"board 0 answers garbage",
}


@pytest.mark.parametrize("fault", sorted(FAULT_MESSAGES))
def test_each_fault_is_reported_and_the_driver_recovers(emulator, events, bank, fault):
    emulator.set_fault(fault, board=0)
    _, device, message = events.wait_for("fault", timeout=2.0)
    assert device == "lockboard"
    assert re.search(FAULT_MESSAGES[fault], message), message
    assert emulator.port in message
    wait_until(lambda: bank.is_door_open("A01") is None, what="board 0 boxes unknown")
    assert bank.is_door_open("B01") is False  # board 1 is fine
    assert bank.faults() == {0: message}
    time.sleep(0.3)
    assert len(events.calls("fault")) == 1  # reported once, not every poll

    emulator.set_fault(None)
    wait_until(lambda: bank.is_door_open("A01") is False, what="recovery")
    assert bank.faults() == {}
    mark = events.mark()
    bank.unlock("A01")
    events.wait_for("door_changed", "A01", True, after=mark)
    assert events.calls("tamper") == []


@pytest.mark.parametrize("held", [2, 3])
def test_a_board_that_stalls_past_the_retries_is_not_taken_for_a_duplicate_address(emulator, events, bank, held):
    """A stalled board answers the master's timed-out tries late, together with the newest one: that is one
    board, late, not two boards on one address (the soak met it as a false maintainer alarm). With 3 held, the
    last of the master's 3 tries gets all 3 replies at once."""
    mark = len(emulator.requests())
    emulator.hold_replies(held, board=0)
    wait_until(lambda: sum(r.board == 0 for r in emulator.requests()[mark:]) >= held + 2, what="polls after it")
    assert events.calls("fault") == [] and bank.faults() == {}
    assert bank.is_door_open("A01") is False
    emulator.set_fault("duplicate_address", board=0)  # two boards really answering still is one
    _, _, message = events.wait_for("fault", timeout=2.0)
    assert "two boards answer address 0" in message


def test_the_port_disappears_and_is_reopened(tmp_path, events):
    link = tmp_path / "ttyLOCKS"
    first = KerongEmulator(boards=(0, 1)).start()
    second: KerongEmulator | None = None
    os.symlink(first.port, link)
    b = make_bank(str(link), events)
    b.start()
    try:
        wait_until(lambda: b.is_door_open("A01") is False, what="first reading")
        first.stop()
        _, _, message = events.wait_for("fault", "lockboard")
        assert str(link) in message
        wait_until(lambda: b.is_door_open("A01") is None, what="unknown after loss")
        with pytest.raises(DeviceUnavailable):
            b.unlock("A01")
        second = KerongEmulator(boards=(0, 1)).start()
        second.set_item(0, 0, True)
        link.unlink()
        os.symlink(second.port, link)
        wait_until(lambda: b.item_inside("A01") is True, what="reopened port")
        b.unlock("A01")
        events.wait_for("door_changed", "A01", True)
        assert [(p.board, p.lock) for p in second.pulses()] == [(0, 0)]
    finally:
        b.stop()
        first.stop()
        if second is not None:
            second.stop()


def test_unlock_before_start_is_refused_and_stop_is_bounded(emulator, events):
    b = make_bank(emulator.port, events)
    with pytest.raises(DeviceUnavailable):
        b.unlock("A01")
    b.start()
    emulator.set_fault("no_reply")  # the master is busy retrying when we stop it
    time.sleep(0.2)
    t0 = time.monotonic()
    b.stop()
    assert time.monotonic() - t0 < 1.0
    with pytest.raises(DeviceUnavailable):
        b.unlock("A01")


def test_bad_configuration_is_refused(events):
    with pytest.raises(ValueError, match="share channel 1"):
        KerongBank("/dev/null", {"A01": 1, "A02": 1}, events)
    with pytest.raises(ValueError, match="channel"):
        KerongBank("/dev/null", {"A01": 0}, events)
    with pytest.raises(ValueError, match="ir_boxes"):
        KerongBank("/dev/null", {"A01": 1}, events, ir_boxes=["B01"])


def test_boxes_without_an_ir_sensor_report_none(emulator, events):
    b = make_bank(emulator.port, events, ir_boxes=["A01"])
    b.start()
    try:
        wait_until(lambda: b.is_door_open("A02") is False, what="first reading")
        assert b.item_inside("A01") is False and b.item_inside("A02") is None
        emulator.set_item(0, 1, True)
        emulator.set_item(0, 0, True)
        events.wait_for("item_changed", "A01", True)
        assert events.calls("item_changed", "A02") == []
    finally:
        b.stop()
