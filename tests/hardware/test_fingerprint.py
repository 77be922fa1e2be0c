"""The fingerprint driver, driving the REAL pyfingerprint, against the emulator over a pty; and the parser.

Every emulator is stopped (thread joined, fds closed) by a fixture finaliser; every wait is bounded.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st
from pyfingerprint.pyfingerprint import PyFingerprint

from hardware.fingerprint import (
    AlreadyEnrolled, Cancelled, EnrolMismatch, EnrolStep, FingerprintDriver, FingerprintFault, FingerTimeout,
    GarbledReply, LinkFault, Match, PortGone, SensorSilent, StoreFailed, WrongSensorPassword,
)
from hardware.fingerprint_emulator import FingerprintEmulator, score_for
from hardware.fingerprint_protocol import BadChecksum, Confirm, Instruction, Packet, PacketParser, Pid, encode

# ---- fixtures ----------------------------------------------------------------------------------------

MakeEmu = Callable[..., FingerprintEmulator]
MakeDriver = Callable[..., FingerprintDriver]


@pytest.fixture
def make_emulator() -> Iterator[MakeEmu]:
    made: list[FingerprintEmulator] = []

    def make(**kwargs: object) -> FingerprintEmulator:
        emu = FingerprintEmulator(**kwargs)  # type: ignore[arg-type]
        made.append(emu)
        return emu

    yield make
    for emu in made:
        emu.stop()


@pytest.fixture
def make_driver() -> Iterator[MakeDriver]:
    made: list[FingerprintDriver] = []

    def make(port: str, **kwargs: object) -> FingerprintDriver:
        drv = FingerprintDriver(port, **kwargs)  # type: ignore[arg-type]
        made.append(drv)
        return drv

    yield make
    for drv in made:
        drv.close()


@pytest.fixture
def emu(make_emulator: MakeEmu) -> FingerprintEmulator:
    return make_emulator()


@pytest.fixture
def drv(emu: FingerprintEmulator, make_driver: MakeDriver) -> FingerprintDriver:
    d = make_driver(emu.port, reply_timeout=0.3)
    d.connect()
    return d


def scripted(emu: FingerprintEmulator, second_finger: int, log: list[str]) -> Callable[[str], None]:
    """An enrolment partner: lifts when asked, then puts ``second_finger`` down."""

    def on_step(step: str) -> None:
        log.append(step)
        if step == EnrolStep.LIFT_FINGER:
            emu.lift_finger()
        elif step == EnrolStep.PLACE_AGAIN:
            emu.place_finger(second_finger)

    return on_step


# ---- driver ↔ emulator -------------------------------------------------------------------------------


def test_connect_reports_capacity_count_and_slots(make_emulator: MakeEmu, make_driver: MakeDriver) -> None:
    emu = make_emulator(capacity=300)
    emu.enrol_directly(3, 11)
    emu.enrol_directly(260, 12)  # second index page
    drv = make_driver(emu.port)
    drv.connect()
    assert drv.is_connected
    assert drv.capacity() == 300
    assert drv.template_count() == 2
    assert drv.slots_in_use() == [3, 260]


def test_enrol_identify_delete(emu: FingerprintEmulator, drv: FingerprintDriver) -> None:
    steps: list[str] = []
    emu.place_finger(7)
    slot = drv.enrol(scripted(emu, 7, steps))
    assert slot == 0
    assert steps == [EnrolStep.PLACE_FINGER, EnrolStep.LIFT_FINGER, EnrolStep.PLACE_AGAIN, EnrolStep.STORED]
    assert emu.templates() == {0: 7}
    assert drv.template_count() == 1

    assert drv.identify(1.0) == Match(slot=0, score=score_for(7))
    emu.place_finger(8)
    assert drv.identify(1.0) is None  # a finger, but not one we know

    drv.delete(0)
    emu.place_finger(7)
    assert drv.identify(1.0) is None
    assert drv.template_count() == 0


def test_identify_costs_four_exchanges(emu: FingerprintEmulator, drv: FingerprintDriver) -> None:
    emu.enrol_directly(5, 3)
    emu.place_finger(3)
    drv.stats.reset()
    assert drv.identify(1.0) == Match(5, score_for(3))
    # GenImg, Img2Tz, ReadSysPara (pyfingerprint asks the capacity before every Search), Search
    assert drv.stats.exchanges == 4
    assert drv.stats.bytes_in == 12 + 12 + 28 + 16


def test_line_rate_paces_each_exchange_like_a_57600_baud_uart(make_emulator: MakeEmu,
                                                                make_driver: MakeDriver) -> None:
    """bench_fingerprint judges the driver's overhead against this pacing: it must cost what the wire would."""
    emu = make_emulator(line_rate=True)
    emu.enrol_directly(5, 3)
    emu.place_finger(3)
    drv = make_driver(emu.port)
    drv.connect()
    drv.stats.reset()
    t0 = time.perf_counter()
    assert drv.identify(1.0) == Match(5, score_for(3))
    took = time.perf_counter() - t0
    wire = (drv.stats.bytes_in + drv.stats.bytes_out) * 10 / 57600
    assert wire > 0.015  # four exchanges, ~120 bytes
    assert took >= wire * 0.95, (took, wire)


def test_enrol_takes_first_free_slot_and_refuses_duplicates(emu: FingerprintEmulator,
                                                            drv: FingerprintDriver) -> None:
    emu.enrol_directly(0, 1)
    emu.place_finger(2)
    assert drv.enrol(scripted(emu, 2, [])) == 1
    emu.place_finger(2)
    with pytest.raises(AlreadyEnrolled) as info:
        drv.enrol(scripted(emu, 2, []))
    assert info.value.slot == 1
    emu.place_finger(2)
    assert drv.enrol(scripted(emu, 2, []), allow_duplicate=True) == 2


def test_clear(emu: FingerprintEmulator, drv: FingerprintDriver) -> None:
    for slot in range(3):
        emu.enrol_directly(slot, 40 + slot)
    drv.clear()
    assert drv.template_count() == 0
    assert emu.templates() == {}


def test_enrol_with_two_different_fingers_is_a_mismatch(emu: FingerprintEmulator, drv: FingerprintDriver) -> None:
    emu.place_finger(7)
    with pytest.raises(EnrolMismatch, match="different fingers"):
        drv.enrol(scripted(emu, 8, []))
    assert emu.templates() == {}


def test_enrol_refuses_when_memory_full_before_asking(make_emulator: MakeEmu, make_driver: MakeDriver) -> None:
    emu = make_emulator(capacity=2)
    emu.enrol_directly(0, 1)
    emu.enrol_directly(1, 2)
    steps: list[str] = []
    with pytest.raises(StoreFailed, match="full"):
        make_driver(emu.port).enrol(steps.append)
    assert steps == []


def test_waits_are_bounded(emu: FingerprintEmulator, drv: FingerprintDriver) -> None:
    t0 = time.monotonic()
    assert drv.identify(0.3) is None
    assert 0.3 <= time.monotonic() - t0 < 1.0
    t0 = time.monotonic()
    with pytest.raises(FingerTimeout, match="no finger"):
        drv.enrol(finger_timeout_s=0.2)
    assert time.monotonic() - t0 < 1.0
    emu.place_finger(4)
    with pytest.raises(FingerTimeout, match="not lifted"):
        drv.enrol(finger_timeout_s=0.2)  # nobody lifts
    assert drv.wait_for_finger(0.0) and not drv.wait_for_lift(0.1)


def test_cancel_from_another_thread(emu: FingerprintEmulator, drv: FingerprintDriver) -> None:
    timer = threading.Timer(0.2, drv.cancel)
    timer.start()
    t0 = time.monotonic()
    try:
        assert drv.identify(5.0) is None
    finally:
        timer.join()
    assert time.monotonic() - t0 < 1.5
    timer = threading.Timer(0.2, drv.cancel)
    timer.start()
    try:
        with pytest.raises(Cancelled):
            drv.enrol(finger_timeout_s=5.0)
    finally:
        timer.join()


def test_second_thread_is_refused_not_interleaved(emu: FingerprintEmulator, drv: FingerprintDriver) -> None:
    worker = threading.Thread(target=drv.identify, args=(3.0,), name="fp-worker")
    worker.start()
    try:
        time.sleep(0.1)
        with pytest.raises(RuntimeError, match="two threads"):
            drv.template_count()
    finally:
        drv.cancel()
        worker.join(timeout=3)
    assert not worker.is_alive()
    assert drv.template_count() == 0  # the line was not corrupted


# ---- faults ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "expected", "bound_s"), [
    ("bad_checksum", GarbledReply, 0.5),
    ("garbage", GarbledReply, 0.5),
    ("slow", SensorSilent, 1.0),  # reply after 0.6 s, driver waits 0.3 s
])
def test_fault_is_reported_then_recovered(emu: FingerprintEmulator, drv: FingerprintDriver, fault: str,
                                          expected: type[FingerprintFault], bound_s: float) -> None:
    emu.enrol_directly(9, 5)
    emu.place_finger(5)
    emu.set_fault(fault, slow_s=0.6)  # type: ignore[arg-type]
    t0 = time.monotonic()
    with pytest.raises(expected) as info:
        drv.identify(2.0)
    assert time.monotonic() - t0 < bound_s
    assert emu.port in str(info.value) and "\n" not in str(info.value)
    assert not drv.is_connected
    emu.set_fault(None)
    # the next call reopens, drains any stale reply, re-verifies, and answers correctly
    assert drv.identify(1.0) == Match(9, score_for(5))
    assert drv.template_count() == 1


@pytest.mark.parametrize("unsolicited", [
    encode(Pid.ACK, bytes((Confirm.OK, 0, 5, 0, 200))),  # a stale "found in slot 5" Search reply
    b"\x55",  # what some sensors send after power-up
])
def test_bytes_arriving_unasked_are_never_taken_as_a_reply(emu: FingerprintEmulator, drv: FingerprintDriver,
                                                            unsolicited: bytes) -> None:
    emu.enrol_directly(5, 1)
    emu.place_finger(2)  # not enrolled
    emu.inject(unsolicited)
    time.sleep(0.05)  # let it reach the host's input buffer
    assert drv.identify(1.0) is None
    emu.place_finger(1)
    assert drv.identify(1.0) == Match(5, score_for(1))


def test_silent_sensor_reported_within_3_s_with_default_timeouts(emu: FingerprintEmulator,
                                                                 make_driver: MakeDriver) -> None:
    drv = make_driver(emu.port)  # timeout=0.1 → reply window 1.2 s, as DESIGN says
    drv.connect()
    emu.set_fault("silence")
    t0 = time.monotonic()
    with pytest.raises(SensorSilent, match=f"does not answer on {emu.port}"):
        drv.template_count()
    assert 1.0 <= time.monotonic() - t0 < 3.0
    emu.set_fault(None)
    assert drv.template_count() == 0


def test_silent_from_the_start_fails_connect_quickly(make_emulator: MakeEmu, make_driver: MakeDriver) -> None:
    emu = make_emulator()
    emu.set_fault("silence")
    drv = make_driver(emu.port)
    t0 = time.monotonic()
    with pytest.raises(SensorSilent):
        drv.connect()
    assert time.monotonic() - t0 < 3.0
    assert emu.served()[Instruction.VFY_PWD] == 1


def test_slow_reply_within_the_reply_window_is_fine(emu: FingerprintEmulator, make_driver: MakeDriver) -> None:
    # pyfingerprint alone, with a 0.1 s serial timeout, fails any reply that starts later than 0.1 s
    emu.enrol_directly(0, 3)
    emu.place_finger(3)
    emu.set_fault("slow", slow_s=0.15)
    drv = make_driver(emu.port, timeout=0.1)
    assert drv.identify(2.0) == Match(0, score_for(3))


def test_wrong_password(make_emulator: MakeEmu, make_driver: MakeDriver) -> None:
    emu = make_emulator(password=0x1234)
    t0 = time.monotonic()
    with pytest.raises(WrongSensorPassword, match="password"):
        make_driver(emu.port).connect()
    assert time.monotonic() - t0 < 1.0
    drv = make_driver(emu.port, password=0x1234)
    drv.connect()
    emu.set_fault("wrong_password")
    with pytest.raises(WrongSensorPassword):
        drv.reconnect()
    emu.set_fault(None)
    assert drv.template_count() == 0


def test_power_cycled_sensor_asks_for_password_again(make_emulator: MakeEmu, make_driver: MakeDriver) -> None:
    emu = make_emulator(password=0x1234)
    drv = make_driver(emu.port, password=0x1234)
    drv.connect()
    emu.power_cycle()
    with pytest.raises(WrongSensorPassword, match="power-cycled") as info:
        drv.template_count()
    assert info.value.code == Confirm.MUST_VERIFY_PASSWORD
    assert drv.template_count() == 0


def test_missing_port(make_driver: MakeDriver, tmp_path: Path) -> None:
    with pytest.raises(PortGone, match="is gone"):
        make_driver(str(tmp_path / "ttyNOPE")).connect()


def test_port_gone_then_back_with_enrolments_kept(make_emulator: MakeEmu, make_driver: MakeDriver,
                                                  tmp_path: Path) -> None:
    store = tmp_path / "sensor.json"
    link = tmp_path / "ttyFINGER"  # like a udev /dev/serial/by-id link
    first = make_emulator(store_path=store)
    first.enrol_directly(2, 77)
    link.symlink_to(first.port)
    drv = make_driver(str(link))
    assert drv.template_count() == 1

    first.stop()
    with pytest.raises(LinkFault):  # PortGone (EIO) on Linux
        drv.template_count()
    with pytest.raises(PortGone):
        drv.template_count()  # still gone: a clear fault, quickly

    second = make_emulator(store_path=store)
    tmp = tmp_path / "ttyFINGER.new"
    tmp.symlink_to(second.port)
    os.replace(tmp, link)
    second.place_finger(77)
    assert drv.identify(1.0) == Match(2, score_for(77))


def test_emulator_answers_a_corrupted_command_with_receive_error(emu: FingerprintEmulator) -> None:
    frame = bytearray(encode(Pid.COMMAND, bytes((Instruction.TEMPLATE_NUM,))))
    frame[-1] ^= 0xFF
    with serial.Serial(emu.port, 57600, timeout=1) as port:
        port.write(bytes(frame))
        reply = PacketParser().feed(port.read(12))
    assert reply == [Packet(Pid.ACK, bytes((Confirm.RECEIVE_ERROR,)))]
    assert emu.bad_frames == 1


def test_emulator_requires_password_before_commands(make_emulator: MakeEmu) -> None:
    emu = make_emulator(password=0xCAFE)
    fp = PyFingerprint(emu.port, 57600, 0xFFFFFFFF, 0xCAFE)
    try:
        fp._PyFingerprint__serial.timeout = 1  # type: ignore[attr-defined]
        with pytest.raises(Exception, match="0x21"):
            fp.getTemplateCount()
        assert fp.verifyPassword() is True
        assert fp.getTemplateCount() == 0
    finally:
        fp._PyFingerprint__serial.close()  # type: ignore[attr-defined]


def test_emulator_ignores_frames_for_another_address(make_emulator: MakeEmu, make_driver: MakeDriver) -> None:
    emu = make_emulator(address=0x12345678)
    with pytest.raises(SensorSilent):
        make_driver(emu.port, reply_timeout=0.2).connect()
    assert make_driver(emu.port, address=0x12345678).template_count() == 0


def test_set_fault_rejects_unknown(emu: FingerprintEmulator) -> None:
    with pytest.raises(ValueError):
        emu.set_fault("fire")  # type: ignore[arg-type]


# ---- parser ------------------------------------------------------------------------------------------


def feed_bytewise(parser: PacketParser, data: bytes) -> list[Packet | BadChecksum]:
    out: list[Packet | BadChecksum] = []
    for i in range(len(data)):
        out += parser.feed(data[i:i + 1])
    return out


def test_parser_reassembles_one_byte_at_a_time_and_resyncs_after_garbage() -> None:
    first = Packet(Pid.COMMAND, bytes((Instruction.VFY_PWD, 0, 0, 0, 0)))
    second = Packet(Pid.ACK, bytes((0, 1, 44)), address=0x01020304)
    wire = b"\x00\xef\x17garbage\xef" + encode(first.pid, first.payload) + b"\x01\xef\x02" \
        + encode(second.pid, second.payload, second.address)
    parser = PacketParser()
    assert feed_bytewise(parser, wire) == [first, second]
    assert parser.discarded == len(b"\x00\xef\x17garbage\xef") + 3
    assert parser.pending == 0


def test_parser_reports_bad_checksum_and_finds_the_next_frame() -> None:
    bad = bytearray(encode(Pid.ACK, b"\x00"))
    bad[-1] ^= 1
    good = encode(Pid.ACK, b"\x09")
    out = PacketParser().feed(bytes(bad) + good)
    assert isinstance(out[0], BadChecksum) and out[0].payload == b"\x00"
    assert out[0].expected != out[0].received
    assert out[1:] == [Packet(Pid.ACK, b"\x09")]


def test_parser_false_header_claiming_a_long_frame_is_dropped_when_the_line_idles() -> None:
    false_header = b"\xef\x01\xff\xff\xff\xff\x01\x01\x00"  # claims 256 bytes
    good = encode(Pid.ACK, b"\x00")
    parser = PacketParser()
    assert parser.feed(false_header + good) == []  # still waiting for the 256 claimed bytes
    assert parser.idle() == [Packet(Pid.ACK, b"\x00")]
    assert parser.pending == 0


packets = st.builds(Packet, st.sampled_from(list(Pid)), st.binary(max_size=64),
                    st.integers(min_value=0, max_value=0xFFFFFFFF))


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:])]


@settings(max_examples=200, deadline=None)
@given(st.lists(packets, max_size=8), st.lists(st.integers(min_value=0), max_size=40))
def test_property_any_chunking_recovers_every_packet(frames: list[Packet], cuts: list[int]) -> None:
    wire = b"".join(encode(p.pid, p.payload, p.address) for p in frames)
    parser = PacketParser()
    out: list[Packet | BadChecksum] = []
    for chunk in chunked(wire, cuts):
        out += parser.feed(chunk)
    assert out == frames
    assert parser.discarded == 0 and parser.pending == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=30).map(lambda b: b.replace(b"\xef", b"")), packets), max_size=6),
       st.lists(st.integers(min_value=0), max_size=40))
def test_property_garbage_between_packets_is_skipped(pairs: list[tuple[bytes, Packet]], cuts: list[int]) -> None:
    wire = b"".join(junk + encode(p.pid, p.payload, p.address) for junk, p in pairs)
    parser = PacketParser()
    out: list[Packet | BadChecksum] = []
    for chunk in chunked(wire, cuts):
        out += parser.feed(chunk)
    assert out == [p for _junk, p in pairs]
    assert parser.discarded == sum(len(junk) for junk, _p in pairs)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(min_value=0), max_size=60))
def test_property_random_bytes_never_crash(noise: bytes, cuts: list[int]) -> None:
    parser = PacketParser()
    out: list[Packet | BadChecksum] = []
    for chunk in chunked(noise, cuts):
        out += parser.feed(chunk)
    out += parser.idle()
    assert parser.pending == 0
    for item in out:
        assert isinstance(item, (Packet, BadChecksum))
        if isinstance(item, Packet):  # anything accepted re-encodes to bytes that were on the wire
            assert encode(item.pid, item.payload, item.address) in noise
