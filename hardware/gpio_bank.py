"""``GpioBank``: locks and door sensors wired straight to GPIO pins, through gpiozero.

Why: small cabinets (a Raspberry Pi and a relay board, no lock controller) drive each lock's relay and read
each door's reed switch and optional IR "item inside" sensor on their own pins. gpiozero gives one API for the
Pi (lgpio pin factory) and for tests (``MockFactory``), so the same code runs on both.

How:

- one ``DigitalOutputDevice`` per relay, off at start; an unlock pulses it for ``pulse_ms`` with
  ``blink(n=1, background=True)``, so the caller never waits for the pulse;
- one ``DigitalInputDevice`` per door sensor and per IR sensor (not ``Button``: it starts a hold thread per
  device that we do not need); gpiozero calls us back on its own threads (on the calling thread with the mock),
  and we read the device's current value there, so a missed edge cannot leave a stale state behind;
- :class:`~hardware.door_watch.DoorWatch` decides what readings mean, exactly as for the RS485 board bank;
  ``start()`` runs a small ticker thread that lets it retry pulses and time out (``tick()`` does one step by
  hand, for tests with a fake clock);
- ``close()`` stops the ticker and every pulse and releases every pin.

Wiring defaults: a reed switch between the pin and ground with the internal pull-up (``pull_up=True``), so
the pin reads high when the door is open (``door_open_high=True``); an IR module whose output is high when an
item is inside (``ir_inside_high=True``); a relay board energised by a high pin (``relay_active_high=True``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gpiozero import DigitalInputDevice, DigitalOutputDevice
from gpiozero.exc import DeviceClosed

from hardware.door_watch import DoorWatch
from kiosk.ports import DeviceUnavailable, DoorEvents

log = logging.getLogger(__name__)
Pin = int | str


@dataclass(frozen=True)
class GpioBox:
    relay_pin: Pin
    door_pin: Pin
    ir_pin: Pin | None = None
    relay_active_high: bool = True
    door_open_high: bool = True  # the pin level that means "door open"
    ir_inside_high: bool = True  # the pin level that means "item inside"
    pull_up: bool | None = True  # internal pull for both inputs; None = floating (external resistors)


def _input(pin: Pin, level_means_yes: bool, pull_up: bool | None, bounce: float | None,
           factory: Any) -> tuple[DigitalInputDevice, bool]:
    """An input device and whether its ``is_active`` means "yes" (open / inside)."""
    if pull_up is None:
        dev = DigitalInputDevice(pin, pull_up=None, active_state=level_means_yes, bounce_time=bounce,
                                 pin_factory=factory)
        return dev, True
    dev = DigitalInputDevice(pin, pull_up=pull_up, bounce_time=bounce, pin_factory=factory)
    return dev, level_means_yes == (not pull_up)  # with a pull-up, "active" is the low level


class GpioBank:
    """LockBank on GPIO pins. ``boxes`` maps box_no → :class:`GpioBox` (or a tuple of its fields)."""

    def __init__(
        self,
        boxes: Mapping[str, GpioBox | Sequence[Any]],
        events: DoorEvents,
        *,
        pulse_ms: int = 500,
        open_timeout: float = 3.0,
        open_too_long: float = 120.0,
        on_open_too_long: Callable[[str, float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        tick_interval: float = 0.1,
        bounce_time: float | None = 0.02,
        pin_factory: Any = None,
    ) -> None:
        self._config = {box: cfg if isinstance(cfg, GpioBox) else GpioBox(*cfg) for box, cfg in boxes.items()}
        self._pulse_s = pulse_ms / 1000
        self._tick_interval = tick_interval
        self._watch = DoorWatch(self._config, events, self._pulse, clock=clock, open_timeout=open_timeout,
                                open_too_long=open_too_long, on_open_too_long=on_open_too_long)
        self._relays: dict[str, DigitalOutputDevice] = {}
        self._doors: dict[str, tuple[DigitalInputDevice, bool]] = {}
        self._irs: dict[str, tuple[DigitalInputDevice, bool]] = {}
        self._pulse_lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._closed = False
        try:
            for box, cfg in self._config.items():
                self._relays[box] = DigitalOutputDevice(cfg.relay_pin, active_high=cfg.relay_active_high,
                                                        initial_value=False, pin_factory=pin_factory)
                self._doors[box] = _input(cfg.door_pin, cfg.door_open_high, cfg.pull_up, bounce_time, pin_factory)
                if cfg.ir_pin is not None:
                    self._irs[box] = _input(cfg.ir_pin, cfg.ir_inside_high, cfg.pull_up, bounce_time, pin_factory)
        except BaseException:
            self._release()
            raise
        for box, (dev, _) in self._doors.items():
            dev.when_activated = dev.when_deactivated = lambda b=box: self._read_door(b)
            self._read_door(box)
        for box, (dev, _) in self._irs.items():
            dev.when_activated = dev.when_deactivated = lambda b=box: self._read_item(b)
            self._read_item(box)

    # -- LockBank -------------------------------------------------------------------------------------------

    def unlock(self, box_no: str) -> None:
        self._check(box_no)
        if self._closed:
            raise DeviceUnavailable("the GPIO lock bank is closed")
        self._watch.unlock(box_no)

    def is_door_open(self, box_no: str) -> bool | None:
        self._check(box_no)
        return self._watch.is_door_open(box_no)

    def item_inside(self, box_no: str) -> bool | None:
        self._check(box_no)
        return self._watch.item_inside(box_no) if box_no in self._irs else None

    # -- life cycle -----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the ticker that drives retries and timeouts (every ``tick_interval`` seconds)."""
        if self._ticker is None and not self._closed:
            self._ticker = threading.Thread(target=self._tick_loop, name="gpio-bank ticker", daemon=True)
            self._ticker.start()

    def tick(self) -> None:
        """One step of the door watch (retry pulses, ``open_not_detected``, open too long)."""
        self._watch.tick()

    def close(self) -> None:
        """Stop the ticker and any pulse, release every pin. Idempotent."""
        self._closed = True
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(2.0)
            self._ticker = None
        self._release()

    stop = close

    def __enter__(self) -> GpioBank:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------------------------

    def _check(self, box_no: str) -> None:
        if box_no not in self._config:
            raise KeyError(f"unknown box {box_no!r}: the GPIO lock bank has {sorted(self._config)}")

    def _pulse(self, box_no: str) -> None:
        with self._pulse_lock:
            if not self._closed:
                self._relays[box_no].blink(on_time=self._pulse_s, off_time=0, n=1, background=True)

    def _read_door(self, box_no: str) -> None:
        if box_no in self._irs:  # IR first: whoever handles "door closed" must see what is inside
            self._read_item(box_no)
        dev, active_means_open = self._doors[box_no]
        try:
            is_open = dev.is_active == active_means_open
        except DeviceClosed:  # a callback racing close()
            return
        self._watch.door_reading(box_no, is_open)

    def _read_item(self, box_no: str) -> None:
        dev, active_means_inside = self._irs[box_no]
        try:
            inside = dev.is_active == active_means_inside
        except DeviceClosed:
            return
        self._watch.item_reading(box_no, inside)

    def _tick_loop(self) -> None:
        while not self._stop.wait(self._tick_interval):
            try:
                self._watch.tick()
            except Exception:  # keep timing out the other doors whatever one callback did
                log.exception("GPIO lock bank tick")

    def _release(self) -> None:
        with self._pulse_lock:
            inputs = [dev for dev, _ in self._doors.values()] + [dev for dev, _ in self._irs.values()]
            for dev in inputs:
                dev.close()  # closing the pin drops its callback; closing twice is harmless
            for relay in self._relays.values():
                if relay.closed:
                    continue
                relay.off()  # stop a pulse in progress (close() alone would leave the relay energised)
                relay.close()
