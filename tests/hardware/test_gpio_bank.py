"""The GPIO lock bank on gpiozero's real MockFactory: relay pulses, door and IR events, the door-watch rules."""

from __future__ import annotations


import time
from collections.abc import Iterator

import pytest
from gpiozero import Device
from gpiozero.exc import GPIOPinInUse
from gpiozero.pins.mock import MockFactory, MockPin

from hardware.gpio_bank import GpioBank, GpioBox
from kiosk.ports import DeviceUnavailable, LockBank
from tests.hardware.recorder import Recorder

WAIT = 2.0


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


RELAY, DOOR, IR = 17, 27, 22  # A01
RELAY2, DOOR2 = 23, 24  # A02, no IR sensor
PULSE_MS = 40


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    previous = Device.pin_factory
    Device.pin_factory = MockFactory()
    yield Device.pin_factory
    Device.pin_factory.reset()
    Device.pin_factory = previous


@pytest.fixture
def events() -> Recorder:
    return Recorder(wait=WAIT)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def boxes(**overrides) -> dict[str, GpioBox]:
    # pull-downs: the mock pins start low, so every door reads closed and every box empty at start.
    return {"A01": GpioBox(RELAY, DOOR, IR, pull_up=False, **overrides),
            "A02": GpioBox(RELAY2, DOOR2, None, pull_up=False, **overrides)}


@pytest.fixture
def bank(factory, events, clock) -> Iterator[GpioBank]:
    b = GpioBank(boxes(), events, pulse_ms=PULSE_MS, clock=clock)
    yield b
    b.close()


def pin(factory: MockFactory, number: int) -> MockPin:
    return factory.pin(number)


def relay_levels(factory: MockFactory, number: int) -> list[bool]:
    return [bool(s.state) for s in pin(factory, number).states]


def wait_pulses(factory: MockFactory, number: int, count: int, rest: bool = False) -> list[bool]:
    """Levels of a relay pin once ``count`` pulses have finished (bounded wait)."""
    expected = [rest] + [not rest, rest] * count
    deadline = time.monotonic() + WAIT
    while relay_levels(factory, number) != expected:
        assert time.monotonic() < deadline, f"relay {number}: {relay_levels(factory, number)} != {expected}"
        time.sleep(0.005)
    return relay_levels(factory, number)


def test_unlock_pulses_the_relay_without_blocking(factory, events, bank):
    assert isinstance(bank, LockBank)
    assert relay_levels(factory, RELAY) == [False]  # off at start
    t0 = time.monotonic()
    bank.unlock("A01")
    assert time.monotonic() - t0 < PULSE_MS / 1000  # the caller does not wait for the pulse
    wait_pulses(factory, RELAY, 1)
    on_time = pin(factory, RELAY).states[2].timestamp  # time spent high before going low again
    assert 0.03 <= on_time < 0.5
    assert relay_levels(factory, RELAY2) == [False]


def test_commanded_opening_and_closing(factory, events, bank):
    bank.unlock("A01")
    pin(factory, DOOR).drive_high()
    assert events.calls() == [("door_changed", "A01", True)]
    assert bank.is_door_open("A01") is True
    pin(factory, DOOR).drive_low()
    assert events.calls() == [("door_changed", "A01", True), ("door_changed", "A01", False)]
    assert bank.is_door_open("A01") is False


def test_an_uncommanded_opening_is_tamper(factory, events, bank, clock):
    bank.unlock("A02")
    clock.advance(3.1)
    bank.tick()  # first window over: retry pulse
    clock.advance(3.1)
    bank.tick()  # second window over: open_not_detected
    assert events.calls() == [("open_not_detected", "A02")]
    pin(factory, DOOR).drive_high()  # A01: never commanded
    pin(factory, DOOR2).drive_high()  # A02: its windows are over
    assert events.calls()[1:] == [("tamper", "A01"), ("door_changed", "A01", True),
                                  ("tamper", "A02"), ("door_changed", "A02", True)]


def test_a_stuck_lock_is_retried_once_then_open_not_detected(factory, events, bank, clock):
    bank.unlock("A01")
    wait_pulses(factory, RELAY, 1)
    clock.advance(2.9)
    bank.tick()
    assert events.calls() == []
    clock.advance(0.2)
    bank.tick()
    wait_pulses(factory, RELAY, 2)  # the retry
    assert events.calls() == []
    clock.advance(3.1)
    bank.tick()
    assert events.calls() == [("open_not_detected", "A01")]
    clock.advance(10)
    bank.tick()
    assert len(relay_levels(factory, RELAY)) == 5  # no third pulse


def test_a_late_opening_within_the_retry_window_is_fine(factory, events, bank, clock):
    bank.unlock("A01")
    clock.advance(3.1)
    bank.tick()
    clock.advance(1.0)
    pin(factory, DOOR).drive_high()
    clock.advance(5)
    bank.tick()
    assert events.calls() == [("door_changed", "A01", True)]


def test_sensor_bounce_inside_the_window_is_not_tamper(factory, events, bank):
    bank.unlock("A01")
    for _ in range(2):
        pin(factory, DOOR).drive_high()
        pin(factory, DOOR).drive_low()
    assert events.calls("tamper") == []
    assert len(events.calls("door_changed")) == 4


def test_unlock_pulses_even_when_the_door_already_reads_open(factory, events, bank, clock):
    pin(factory, DOOR).drive_high()
    assert events.calls() == [("tamper", "A01"), ("door_changed", "A01", True)]
    bank.unlock("A01")
    wait_pulses(factory, RELAY, 1)
    clock.advance(3.1)
    bank.tick()
    clock.advance(3.1)
    bank.tick()
    assert relay_levels(factory, RELAY) == [False, True, False]  # the open door needs no retry
    assert events.calls("open_not_detected") == []


def test_item_sensor(factory, events, bank):
    assert bank.item_inside("A01") is False
    assert bank.item_inside("A02") is None  # no IR sensor
    pin(factory, IR).drive_high()
    assert events.calls() == [("item_changed", "A01", True)]
    assert bank.item_inside("A01") is True
    pin(factory, IR).drive_low()
    assert events.calls()[-1] == ("item_changed", "A01", False)


def test_open_too_long_alarms_once_per_opening(factory, events, bank, clock):
    bank.unlock("A01")
    pin(factory, DOOR).drive_high()
    clock.advance(119)
    bank.tick()
    assert events.calls("fault") == []
    clock.advance(2)
    bank.tick()
    bank.tick()
    assert events.calls("fault") == [("fault", "door", "door A01 has been open for 121 s")]
    pin(factory, DOOR).drive_low()
    clock.advance(500)
    bank.tick()
    assert len(events.calls("fault")) == 1


def test_custom_open_too_long_callback(factory, events, clock):
    alarms: list[tuple[str, float]] = []
    b = GpioBank(boxes(), events, clock=clock, open_too_long=30, on_open_too_long=lambda *a: alarms.append(a))
    try:
        pin(factory, DOOR2).drive_high()
        clock.advance(31)
        b.tick()
        assert alarms == [("A02", 31)]
        assert events.calls("fault") == []
    finally:
        b.close()


def test_default_wiring_reed_to_ground_and_active_low_relay(factory, events, clock):
    cfg = {"A01": GpioBox(RELAY, DOOR, IR, relay_active_high=False, ir_inside_high=False)}  # pull-ups
    b = GpioBank(cfg, events, pulse_ms=PULSE_MS, clock=clock)
    try:
        # the pull-ups leave the inputs high: the door reads open (reported, not a tamper), the box empty
        assert events.calls() == [("door_changed", "A01", True)]
        assert b.is_door_open("A01") is True and b.item_inside("A01") is False
        pin(factory, DOOR).drive_low()
        pin(factory, IR).drive_low()
        assert events.calls()[1:] == [("door_changed", "A01", False), ("item_changed", "A01", True)]
        assert pin(factory, RELAY).state is True  # active low: at rest the pin is high
        pin(factory, RELAY).clear_states()
        b.unlock("A01")
        wait_pulses(factory, RELAY, 1, rest=True)
    finally:
        b.close()


def test_the_ticker_thread_drives_timeouts_on_its_own(factory, events):
    b = GpioBank(boxes(), events, pulse_ms=PULSE_MS, open_timeout=0.15, tick_interval=0.02)
    b.start()
    try:
        b.unlock("A02")
        events.wait_for("open_not_detected", "A02")
        wait_pulses(factory, RELAY2, 2)
    finally:
        b.close()


def test_close_releases_every_pin_and_unknown_boxes_are_refused(factory, events, clock):
    b = GpioBank(boxes(), events, pulse_ms=2000, clock=clock)
    b.start()
    b.unlock("A01")  # a long pulse in progress is cut by close()
    with pytest.raises(KeyError, match="Z99"):
        b.unlock("Z99")
    with pytest.raises(KeyError, match="Z99"):
        b.item_inside("Z99")
    with pytest.raises(GPIOPinInUse):
        GpioBank(boxes(), events)
    t0 = time.monotonic()
    b.close()
    assert time.monotonic() - t0 < 1.0
    assert relay_levels(factory, RELAY)[-1] is False
    assert pin(factory, DOOR).when_changed is None
    with pytest.raises(DeviceUnavailable):
        b.unlock("A01")
    again = GpioBank(boxes(), events)  # every pin is free again
    again.close()
    b.close()  # idempotent


def test_a_failed_construction_releases_what_it_reserved(factory, events):
    bad = {"A01": GpioBox(RELAY, DOOR, IR, pull_up=False), "A02": GpioBox(RELAY2, DOOR, None, pull_up=False)}
    with pytest.raises(GPIOPinInUse):
        GpioBank(bad, events)
    GpioBank(boxes(), events).close()


def test_a_failing_event_sink_does_not_swallow_later_events(factory, events, clock, caplog):
    class Broken(Recorder):
        def tamper(self, box_no: str) -> None:
            raise RuntimeError("sink bug")

    sink = Broken()
    b = GpioBank(boxes(), sink, clock=clock)
    try:
        pin(factory, DOOR).drive_high()
        assert sink.calls() == [("door_changed", "A01", True)]
        assert "sink bug" in caplog.text
    finally:
        b.close()
