"""Does the kiosk stay fast as history grows? 200 boxes and 1 M finished parcels (issue 7).

DESIGN §8 target: 200 boxes and 1 M parcels: pickup verify p99 ≤ 5 ms. The other numbers (the maintainer's
log viewer, the overdue sweep, a full audit-chain walk) have no §8 target; they are printed to show that
none of them scans the history.

Everything runs the real ``CabinetService`` on a working copy of the fixture built by
``bench/large_cabinet.py`` (real schema, real keys, ``synchronous=FULL`` as on a cabinet), with the in-memory
``tests.fakes.FakeLocks`` for the lock boards (this measures the core, not the RS485 bus) and a ``FakeClock``
so the throttle and the overdue sweep can be driven without waiting:

- pickup, right password: ``service.pickup(box, password)`` on a stored parcel until it returns ``Opened``
  (throttle check, lockout check, the parcel and its live password, HMAC, the state change, the audit event,
  one fsynced commit). Between samples, untimed, the customer accepts, the door closes and a courier deposits
  a new parcel, so about 150 parcels stay in the cabinet.
- pickup, wrong password: the same call returning ``WrongPassword`` (also writes a failure and an event).
  At most two per parcel (the third would lock the box), and the clock moves past the throttle window after
  every ten, so every sample is a real verification, never a ``Throttled`` short cut.
- log viewer: ``service.events(limit=200)`` (newest first) and ``service.events(tracking=...)`` for random
  tracking numbers from the history.
- overdue sweep: ``service.sweep_overdue()`` with nothing due, and with exactly 50 parcels due (the clock is
  set to the 50th earliest due time; each such run is one sample, as the sweep changes them).
- ``kiosk.audit.verify`` over the whole chain of the freshly copied fixture, once (seconds).

Run: python bench/bench_large.py [--parcels 1000000] [--cache DIR] [--samples 200] [--json]
(build a small one first: python bench/bench_large.py --parcels 20000)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jsonout  # noqa: E402  (bench/ is on sys.path when run as a script)
import large_cabinet  # noqa: E402

from kiosk import config  # noqa: E402
from kiosk.clock import FakeClock  # noqa: E402
from kiosk.keys import Keyring  # noqa: E402
from kiosk.model import Opened, WrongPassword  # noqa: E402
from kiosk.service import CabinetService  # noqa: E402
from kiosk.store import Store  # noqa: E402
from tests.fakes import FakeLocks  # noqa: E402

PICKUP_TARGET = 5.0  # ms, p99 (DESIGN §8)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, values: list[float], target: float | None, note: str = "") -> None:
    if not values:
        print(f"{name:<38} n/a {note}")
        return
    p99 = pct(values, 0.99)
    goal = f"target p99 ≤ {target:g} ms   {'ok' if p99 <= target else 'OVER'}" if target else "(no §8 target)"
    print(f"{name:<38} median {statistics.median(values):8.2f} ms   p99 {p99:8.2f} ms   {goal}"
          f"   (n={len(values)}{', ' + note if note else ''})")


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - t) * 1000, out


class Bench:
    def __init__(self, cfg_path: Path, fx: large_cabinet.Fixture) -> None:
        self.cfg = config.load(cfg_path)
        self.store = Store(self.cfg.db_path)
        keys = Keyring.load_or_create(self.cfg.secret_file)
        boxes = [b.no for b in self.cfg.boxes]
        self.locks = FakeLocks(boxes, ir=set(boxes))
        self.clock = FakeClock(fx.now)
        self.svc = CabinetService(self.cfg, self.store, keys, self.locks, self.clock)
        self.live = dict(fx.live)  # box → (parcel id, tracking, password)
        self.courier = self.svc.courier(next(iter(fx.couriers)))
        self.fx = fx
        self.rnd = random.Random(42)
        self.serial = 0

    def _deposit(self) -> None:
        """A courier puts a new parcel in (untimed), so the cabinet stays about as full."""
        self.serial += 1
        p = self.svc.start_deposit(self.courier, "S", f"BENCH{self.serial:07d}", consent=True)
        self.locks.close(p.box_no, item=True)
        self.svc.door_closed(p.box_no)
        for m in self.svc.take_outbox():
            if m.kind == "password":
                self.live[m.payload["box"]] = (p.id, m.payload["tracking"], m.payload["password"])

    def sweep_idle(self, n: int) -> list[float]:
        out = []
        for _ in range(n):
            ms, done = timed(self.svc.sweep_overdue)
            assert not done, "a parcel was due in the 'nothing due' sweep"
            out.append(ms)
        return out

    def log_latest(self, n: int) -> list[float]:
        out = []
        for _ in range(n):
            ms, evs = timed(self.svc.events, None, 200)
            assert len(evs) == 200
            out.append(ms)
        return out

    def log_tracking(self, n: int) -> list[float]:
        out = []
        for _ in range(n):
            tracking = f"SF{7_000_000_000 + self.rnd.randrange(self.fx.parcels)}"
            ms, evs = timed(self.svc.events, tracking, 200)
            assert len(evs) == large_cabinet.EVENTS_PER_PARCEL, (tracking, len(evs))
            out.append(ms)
        return out

    def pickup_wrong(self, n: int) -> list[float]:
        out, tries = [], {}
        window = self.cfg.throttle.window_minutes * 60 + 1
        boxes = sorted(self.live)
        for i in range(n):
            box = boxes[i % len(boxes)]
            if tries.get(box, 0) >= self.cfg.lockout.max_tries - 1:
                raise SystemExit(f"--samples {n}: too many wrong tries for {len(boxes)} stored parcels")
            right = self.live[box][2]
            wrong = f"{(int(right) + 1 + self.rnd.randrange(999_998)) % 1_000_000:06d}"
            ms, res = timed(self.svc.pickup, box, wrong)
            assert isinstance(res, WrongPassword) and res.tries_left is not None, res
            tries[box] = tries.get(box, 0) + 1
            out.append(ms)
            if (i + 1) % (self.cfg.throttle.free_failures - 1) == 0:
                self.clock.advance(window)  # past the throttle's window: the next try is not delayed
            else:
                self.clock.advance(2.0)
        self.clock.advance(window)
        return out

    def pickup_right(self, n: int) -> list[float]:
        out = []
        for _ in range(n):
            box = self.rnd.choice(sorted(self.live))
            pid, _tracking, code = self.live.pop(box)
            ms, res = timed(self.svc.pickup, box, code)
            assert isinstance(res, Opened) and res.parcel.id == pid, res
            out.append(ms)
            self.svc.accept(pid)  # untimed: the customer takes it, the door closes, a courier refills
            self.locks.close(box, item=False)
            self.svc.door_closed(box)
            self._deposit()
            self.clock.advance(5.0)
        return out

    def sweep_due(self, rounds: int, due: int = 50) -> list[float]:
        out = []
        for _ in range(rounds):
            dues = [r[0] for r in self.store.query(
                "SELECT due_at FROM parcels WHERE state = 'stored' ORDER BY due_at LIMIT ?", (due + 1,))]
            if len(dues) < due or (len(dues) > due and dues[due] == dues[due - 1]):
                break
            self.clock.set(dues[due - 1])
            ms, done = timed(self.svc.sweep_overdue)
            assert len(done) == due, len(done)
            out.append(ms)
        return out

    def close(self) -> None:
        self.store.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=1_000_000, help="finished parcels of history")
    ap.add_argument("--cache", type=Path, default=large_cabinet.DEFAULT_CACHE, help="where built fixtures are kept")
    ap.add_argument("--samples", type=int, default=200, help="samples per timed operation (≥ 200 for a p99)")
    ap.add_argument("--json", action="store_true", help="also print one JSON line per figure (bench/run_all)")
    a = ap.parse_args(argv)
    jsonout.ENABLED = a.json
    fx = large_cabinet.build(a.cache, a.parcels)
    print(f"fixture: {large_cabinet.BOXES} boxes on {(large_cabinet.BOXES - 1) // large_cabinet.BOARD_LOCKS + 1} "
          f"boards, {fx.parcels:,} finished parcels, {len(fx.live)} stored (built in {fx.build_s:.1f} s, "
          f"{fx.dir})")
    with tempfile.TemporaryDirectory(prefix="bench-large-") as tmp:
        t = time.perf_counter()
        cfg_path = large_cabinet.working_copy(fx, Path(tmp))
        print(f"working copy in {time.perf_counter() - t:.1f} s")
        b = Bench(cfg_path, fx)
        try:
            t = time.perf_counter()
            v = b.svc.verify_log()
            verify_s = time.perf_counter() - t
            if not v.ok:
                print(f"audit chain of the fixture is BROKEN: {v.problem}")
                return 1
            sweep_idle = b.sweep_idle(a.samples)
            latest = b.log_latest(a.samples)
            by_tracking = b.log_tracking(a.samples)
            wrong = b.pickup_wrong(a.samples)
            right = b.pickup_right(a.samples)
            sweep_due = b.sweep_due(3)
        finally:
            b.close()
    print()
    report("pickup verify, right password", right, PICKUP_TARGET, "Opened, fsynced commit")
    report("pickup verify, wrong password", wrong, PICKUP_TARGET, "WrongPassword, fsynced commit")
    report("log viewer: events(limit=200)", latest, None)
    report("log viewer: events(tracking=…)", by_tracking, None)
    report("overdue sweep, nothing due", sweep_idle, None)
    report("overdue sweep, 50 due", sweep_due, None, "one sweep per sample")
    print(f"{'audit.verify, whole chain':<38} {verify_s:8.1f} s   ok, {v.count:,} events   (no §8 target)")
    size = f"{large_cabinet.BOXES} boxes, {fx.parcels:,} parcels"
    jsonout.emit_samples(f"pickup verify, right password ({size})", right, "ms", PICKUP_TARGET)
    jsonout.emit_samples(f"pickup verify, wrong password ({size})", wrong, "ms", PICKUP_TARGET)
    jsonout.emit_samples(f"log viewer, newest 200 events ({size})", latest, "ms", None)
    jsonout.emit_samples(f"log viewer, one parcel's events ({size})", by_tracking, "ms", None)
    jsonout.emit_samples(f"overdue sweep, nothing due ({size})", sweep_idle, "ms", None)
    jsonout.emit_samples(f"overdue sweep, 50 due ({size})", sweep_due, "ms", None)
    jsonout.emit(f"audit.verify, whole chain ({v.count:,} events)", verify_s, None, "s", None, None, n=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
