"""Builds the configured devices from ``[hardware.*]``: real drivers, or the emulators behind the same drivers.

Why one place: the kiosk, ``kiosk selftest`` and the tests must agree on what "kind = kerong" means. Each
builder validates its options with the config's own reader, so a technician reads
``hardware.locks.port: missing (required)`` rather than a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Config, ConfigError, options_reader
from kiosk.ports import DoorEvents, LockBank

from .camera import FrameSource, source_from_config
from .fingerprint import FingerprintDriver
from .fingerprint_emulator import FingerprintEmulator


@dataclass
class Locks:
    """A running lock bank and how to stop it (and, when emulated, the hands that move its doors)."""

    bank: LockBank
    stop: Callable[[], None]
    simulated: Any = None  # hardware.simulated.SimulatedLocks when the board is emulated


@dataclass
class Fingerprint:
    make_driver: Callable[[], FingerprintDriver]
    port: str
    emulator: FingerprintEmulator | None = None
    stops: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for s in self.stops:
            s()


def build_locks(cfg: Config, events: DoorEvents, *, simulate: bool = False) -> Locks:
    dev = cfg.hardware.locks
    kind = "emulated" if simulate else dev.kind
    r = options_reader(dict(dev.options), "hardware.locks")
    if kind == "emulated":
        from .simulated import SimulatedLocks

        r.rest()  # a real board's options do not apply to the emulated one
        sim = SimulatedLocks(cfg, events)
        return Locks(sim.bank, sim.stop, sim)
    if kind == "kerong":
        from .kerong import KerongBank

        port = r.get("port", str, check=bool, problem="must name the serial device")
        opts = dict(baudrate=r.get("baudrate", int, default=19200, check=lambda v: v > 0, problem="must be > 0"),
                    timeout=r.get("timeout", float, default=0.15, check=lambda v: 0 < v <= 5, problem="must be 0–5 s"),
                    retries=r.get("retries", int, default=2, check=lambda v: 0 <= v <= 10, problem="must be 0–10"),
                    pulse_ms=r.get("pulse_ms", int, default=500, check=lambda v: 50 <= v <= 2550,
                                   problem="must be 50–2550"))
        r.done()
        bank = KerongBank(port, {b.no: b.lock for b in cfg.boxes}, events,
                          ir_boxes=[b.no for b in cfg.boxes if b.ir], **opts)
        bank.start()
        return Locks(bank, bank.stop)
    if kind == "gpio":
        from .gpio_bank import GpioBank, GpioBox

        relays = r.get("relay_pins", list, check=bool, problem="must list one GPIO pin per lock channel")
        doors = r.get("door_pins", list, check=bool, problem="must list one GPIO pin per sensor channel")
        irs = r.get("ir_pins", list, default=[])
        flags = {k: r.get(k, bool, default=True) for k in ("relay_active_high", "door_open_high", "ir_inside_high")}
        pulse_ms = r.get("pulse_ms", int, default=500, check=lambda v: 50 <= v <= 5000, problem="must be 50–5000")
        r.done()
        boxes = {}
        for b in cfg.boxes:
            if b.lock > len(relays) or b.sensor > len(doors):
                raise ConfigError(f"hardware.locks: box {b.no} uses lock {b.lock} / sensor {b.sensor}, but only "
                                  f"{len(relays)} relay_pins / {len(doors)} door_pins are listed")
            ir_pin = irs[b.sensor - 1] if b.ir and b.sensor <= len(irs) else None
            boxes[b.no] = GpioBox(relays[b.lock - 1], doors[b.sensor - 1], ir_pin, **flags)
        bank = GpioBank(boxes, events, pulse_ms=pulse_ms)
        bank.start()
        return Locks(bank, bank.close)
    raise ConfigError(f"hardware.locks.kind: unknown kind {kind!r}")


def build_fingerprint(cfg: Config, *, simulate: bool = False) -> Fingerprint | None:
    dev = cfg.hardware.fingerprint
    kind = "emulated" if simulate else dev.kind
    r = options_reader(dict(dev.options), "hardware.fingerprint")
    if kind == "none":
        r.done()
        return None
    if kind == "emulated":
        store = r.get("store", str, default=str(cfg.data_dir / "fingerprint-emulator.json"))
        r.rest()
        emu = FingerprintEmulator(store_path=store)
        return Fingerprint(lambda: FingerprintDriver(emu.port), emu.port, emu, [emu.stop])
    if kind == "zfm":
        port = r.get("port", str, check=bool, problem="must name the serial device")
        baud = r.get("baudrate", int, default=57600, check=lambda v: v % 9600 == 0 and 9600 <= v <= 115200,
                     problem="must be a multiple of 9600 up to 115200")
        password = r.get("password", int, default=0, check=lambda v: 0 <= v <= 0xFFFFFFFF, problem="must be 32-bit")
        address = r.get("address", int, default=0xFFFFFFFF, check=lambda v: 0 <= v <= 0xFFFFFFFF,
                        problem="must be 32-bit")
        r.done()
        return Fingerprint(lambda: FingerprintDriver(port, baud, address, password), port)
    raise ConfigError(f"hardware.fingerprint.kind: unknown kind {kind!r}")


def build_camera(cfg: Config, *, simulate: bool = False) -> FrameSource | None:
    dev = cfg.hardware.camera
    kind = "synthetic" if simulate else dev.kind
    try:
        return source_from_config(kind, {} if simulate and dev.kind != "synthetic" else dev.options)
    except (ValueError, TypeError) as e:
        raise ConfigError(str(e) if str(e).startswith("hardware.") else f"hardware.camera: {e}") from None
