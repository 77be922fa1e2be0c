"""``kiosk selftest``: each configured device, checked through its real driver, in one table.

Why: the first thing a technician runs at a cabinet that misbehaves, and the last thing after wiring one.
Every check is bounded in time and turns any failure into one line that names the device and the reason.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk import audit
from kiosk.config import Config
from kiosk.keys import Keyring
from kiosk.store import Store

from .factory import build_camera, build_fingerprint, build_locks

MIN_FREE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Check:
    device: str
    ok: bool
    detail: str


class _FaultSink:
    """DoorEvents that remembers the first fault a bank reports and ignores the rest."""

    def __init__(self) -> None:
        self.first_fault: str | None = None
        self.seen = threading.Event()

    def fault(self, device: str, message: str) -> None:
        self.first_fault = self.first_fault or message
        self.seen.set()

    def door_changed(self, box_no: str, is_open: bool) -> None: ...

    def item_changed(self, box_no: str, inside: bool) -> None: ...

    def open_not_detected(self, box_no: str) -> None: ...

    def tamper(self, box_no: str) -> None: ...


def _run(device: str, check: Callable[[], str]) -> Check:
    try:
        return Check(device, True, check())
    except Exception as e:  # a self-test reports every failure, whatever its type
        return Check(device, False, f"{e}".splitlines()[0] if str(e) else type(e).__name__)


def check_database(cfg: Config) -> str:
    store = Store(cfg.db_path)
    try:
        v = audit.verify(store.conn)
        if not v.ok:
            raise RuntimeError(f"audit chain broken at event {v.bad_id}: {v.problem}")
        return f"schema v{store.version}, {v.count} events, chain ok"
    finally:
        store.close()


def check_disk(cfg: Config) -> str:
    free = shutil.disk_usage(cfg.data_dir).free
    if free < MIN_FREE_BYTES:
        raise RuntimeError(f"only {free / 2**20:.0f} MiB free in {cfg.data_dir}")
    return f"{free / 2**30:.1f} GiB free in {cfg.data_dir}"


def check_locks(cfg: Config, simulate: bool, wait_s: float = 3.0) -> str:
    sink = _FaultSink()
    locks = build_locks(cfg, sink, simulate=simulate)
    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and not sink.seen.is_set():
            if all(locks.bank.is_door_open(b.no) is not None for b in cfg.boxes):
                opened = [b.no for b in cfg.boxes if locks.bank.is_door_open(b.no)]
                kind = "emulated board" if locks.simulated else cfg.hardware.locks.kind
                return f"{kind}: {len(cfg.boxes)} boxes read, open: {', '.join(opened) or 'none'}"
            time.sleep(0.05)
        raise RuntimeError(sink.first_fault or f"no door reading within {wait_s:.0f} s")
    finally:
        locks.stop()


def check_fingerprint(cfg: Config, simulate: bool) -> str:
    fp = build_fingerprint(cfg, simulate=simulate)
    if fp is None:
        return "not configured (kind = none)"
    try:
        driver = fp.make_driver()
        try:
            driver.connect()
            return f"{'emulated sensor' if fp.emulator else fp.port}: capacity {driver.capacity()}, " \
                   f"{driver.template_count()} templates"
        finally:
            driver.close()
    finally:
        fp.stop()


def check_camera(cfg: Config, simulate: bool) -> str:
    source = build_camera(cfg, simulate=simulate)
    if source is None:
        return "not configured (kind = none)"
    source.open()
    try:
        source.grab()
        frame = source.retrieve()
        return f"{getattr(source, 'name', type(source).__name__)}: {frame.shape[1]}x{frame.shape[0]} frame read"
    finally:
        source.close()


def run(cfg: Config, simulate: bool = False) -> list[Check]:
    return [
        _run("database", lambda: check_database(cfg)),
        _run("secret", lambda: (Keyring.load_or_create(cfg.secret_file), f"{cfg.secret_file} (0600)")[1]),
        _run("disk", lambda: check_disk(cfg)),
        _run("lockboard", lambda: check_locks(cfg, simulate)),
        _run("fingerprint", lambda: check_fingerprint(cfg, simulate)),
        _run("camera", lambda: check_camera(cfg, simulate)),
    ]


def table(checks: list[Check]) -> str:
    lines = [f"{'device':<12} {'state':<6} detail"]
    lines += [f"{c.device:<12} {'ok' if c.ok else 'FAULT':<6} {c.detail}" for c in checks]
    return "\n".join(lines)
