"""10^4 password guesses spread over every box: the service evaluates only what the throttle and lockouts allow.

Why measured this way: "the throttle works" means nothing without a number. We count how many guesses the
service actually *compared* (``passwords.matches`` is wrapped with a counter, and each compared wrong guess
leaves one audit event), against the limit that follows from ``ThrottleConfig`` alone: in any sliding window
of ``window_minutes``, ``free_failures`` guesses plus as many as the doubling delays (capped) fit in the window.
The guesses are made deterministic by leaving out every live password (checked by digest just before each
guess), so no run can open a parcel by luck; the chance a real attacker had is then bounded from the number of
guesses the service compared against a live password, and printed.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kiosk import passwords
from kiosk.config import ThrottleConfig
from kiosk.model import BoxLocked, Opened, Throttled, WrongPassword
from tests.core.conftest import Cabinet

GUESSES = 10_000
KEYPAD_S = 0.5  # an attacker at the keypad: a guess every half second, far faster than anyone types 6 digits
PARCELS = 6
ISSUING = ("deposit_stored", "password_reissued", "lockout_cleared")  # events that hand out a new password
EVALUATED = ("pickup_failed", "box_locked", "pickup_opened", "pickup_expired")  # a guess that was compared


def max_per_window(t: ThrottleConfig) -> int:
    """Most failed guesses any sliding window of ``window_minutes`` can hold under the throttle.

    Guess k (counting from the oldest one still in the window) finds at least k-1 failures in its window, so
    past ``free_failures`` it waits min(base * 2^(k-1-free), cap) after the previous one; those waits must all
    fit inside the window."""
    window, spent, extra = t.window_minutes * 60, 0.0, 0
    for extra in range(100_000):  # bounded: with a positive cap the window fills long before this
        delay = min(t.base_delay_s * 2 ** min(extra, 30), t.max_delay_s)
        if spent + delay >= window:
            break
        spent += delay
    return t.free_failures + extra


@dataclass
class Attack:
    cab: Cabinet
    compared: int = 0  # calls of passwords.matches
    results: Counter = field(default_factory=Counter)
    evaluated_at: list[float] = field(default_factory=list)  # times of attempts the service compared
    refused_at: list[float] = field(default_factory=list)
    skipped_live: int = 0  # candidate guesses left out because they were a live password
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def live_digests(self) -> set[bytes]:
        rows = self.cab.store.conn.execute("SELECT digest FROM passwords WHERE used_at IS NULL AND void_at IS NULL")
        return {bytes(r[0]) for r in rows}

    def guess_for(self, box: str) -> str:
        """This box's next code in the attacker's sequence, never one that is a live password right now."""
        live = self.live_digests()
        for _ in range(1000):
            n = self.counters[box]
            self.counters[box] += 1
            offset = sum(map(ord, box)) * 1009  # each box its own start; stable from run to run
            code = f"{(n * 7919 + offset) % 10**6:06d}"  # 7919 is prime to 10^6: no repeat within 10^6 guesses
            if passwords.digest(self.cab.keys.password_key, code) not in live:
                return code
            self.skipped_live += 1
        raise AssertionError("no guess outside the live passwords")

    def attempt(self, box: str) -> object:
        svc = self.cab.svc
        svc.expire_lockouts()  # what pickup() does first: a reissued password is known before we pick a guess
        code = self.guess_for(box)
        before = self.compared
        last_event = svc.store.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        r = svc.pickup(box, code)
        kinds = [k for (k,) in svc.store.conn.execute("SELECT kind FROM events WHERE id > ?", (last_event,))]
        evaluated = self.compared > before
        assert evaluated == any(k in EVALUATED for k in kinds), (r, kinds)  # two witnesses agree
        now = svc.clock.now()
        (self.evaluated_at if evaluated else self.refused_at).append(now)
        name = type(r).__name__
        if isinstance(r, BoxLocked) and evaluated:
            name = "BoxLocked (3rd wrong)"
        elif isinstance(r, BoxLocked):
            name = "BoxLocked (refused)"
        self.results[name] += 1
        assert not isinstance(r, Opened)
        if isinstance(r, Throttled):
            assert not evaluated and r.retry_at > now
        return r


@pytest.fixture
def attack(tmp_path: Path, monkeypatch) -> Attack:
    cab = Cabinet(tmp_path)
    c = cab.courier()
    sizes = ["S", "M", "L"]
    for i in range(PARCELS):
        cab.deposit(c, sizes[i % 3], f"SF{900100 + i}")
    a = Attack(cab)
    real = passwords.matches

    def counting(key: bytes, entered: str, stored: bytes) -> bool:
        a.compared += 1
        return real(key, entered, stored)

    monkeypatch.setattr(passwords, "matches", counting)
    yield a
    cab.store.close()


def check_limits(a: Attack) -> dict[str, float]:
    """The throttle bound in every sliding window, max_tries per password, no guess on a locked box; no parcel
    opened. Returns the numbers for the report."""
    cab, cfg = a.cab, a.cab.cfg
    window = cfg.throttle.window_minutes * 60
    bound = max_per_window(cfg.throttle)
    times = sorted(a.evaluated_at)
    worst = max((i - bisect.bisect_right(times, t - window) + 1 for i, t in enumerate(times)), default=0)
    assert worst <= bound, f"{worst} guesses evaluated within {window:g} s; the throttle allows {bound}"

    conn = cab.store.conn
    events = conn.execute("SELECT ts, kind, box_no, parcel_id FROM events ORDER BY id").fetchall()
    per_password: dict[int, int] = defaultdict(int)
    live_guesses, locked_since = 0, {}
    for ts, kind, box, pid in events:
        if kind in ISSUING and pid is not None:
            per_password[pid] = 0
        elif kind in ("pickup_failed", "box_locked") and pid is not None:
            per_password[pid] += 1
            live_guesses += 1
            assert per_password[pid] <= cfg.lockout.max_tries, f"parcel {pid}: more guesses than max_tries"
            if box in locked_since:  # the previous lockout of this box must have run its full time
                assert ts >= locked_since[box] + cfg.lockout.minutes * 60 - 1e-6
            if kind == "box_locked":
                locked_since[box] = ts
        assert kind not in ("pickup_opened", "parcel_collected"), "a guess opened a box"
    assert all(p.state in ("stored", "overdue") for p in cab.svc.parcels()), "every parcel is still inside"
    assert len(cab.locks.unlocks) == PARCELS  # only the couriers' openings for their deposits
    assert a.skipped_live < 5  # leaving out live passwords hardly changes the attack

    space = len(passwords.ALPHABETS[cfg.passwords.alphabet]) ** cfg.passwords.length
    # Each compared guess against a live password hits with probability at most 1/(space - max_tries + 1)
    # (a careful attacker never repeats a guess on one password); the union bound over all of them:
    p_hit = live_guesses / (space - cfg.lockout.max_tries + 1)
    return {"worst_window": worst, "bound": bound, "live_guesses": live_guesses, "p_hit": p_hit,
            "evaluated": len(times)}


def window_table(a: Attack, window: float) -> str:
    start = min(a.evaluated_at + a.refused_at)
    rows: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for t in a.evaluated_at:
        rows[int((t - start) // window)][0] += 1
    for t in a.refused_at:
        rows[int((t - start) // window)][1] += 1
    lines = [f"{'window':>8} {'evaluated':>10} {'refused':>8}"]
    lines += [f"{i:>8} {ev:>10} {ref:>8}" for i, (ev, ref) in sorted(rows.items())]
    return "\n".join(lines)


def test_throttle_bound_from_the_config():
    assert max_per_window(ThrottleConfig()) == 23  # 10 free, then 2+4+8+16+32 s and eight 60 s waits < 600 s
    assert max_per_window(ThrottleConfig(free_failures=3, window_minutes=1, base_delay_s=10, max_delay_s=10)) == 8


def test_hammering_10k_guesses_over_every_box(attack):
    """A guess every half second, round the boxes, whatever the screen says."""
    a, cab = attack, attack.cab
    boxes = [b.no for b in cab.cfg.boxes]
    for i in range(GUESSES):
        a.attempt(boxes[i % len(boxes)])
        cab.clock.advance(KEYPAD_S)
        if i % 120 == 0:
            cab.svc.tick()  # the screen's timer: lockout ends, pruning
    n = check_limits(a)
    window = cab.cfg.throttle.window_minutes * 60
    print(f"\nhammering: {GUESSES} guesses in {GUESSES * KEYPAD_S / 60:.0f} simulated min over {len(boxes)} boxes"
          f" ({PARCELS} parcels): {n['evaluated']} evaluated, {len(a.refused_at)} refused; {dict(a.results)}")
    print(f"worst {window:g}-s window: {n['worst_window']} evaluated (throttle allows {n['bound']});"
          f" guesses against a live password: {n['live_guesses']}; hit probability <= {n['p_hit']:.2e}")
    print(window_table(a, window))
    assert len(a.evaluated_at) + len(a.refused_at) == GUESSES
    assert a.results["Throttled"] > 0.9 * GUESSES  # the brake, not luck, stopped them
    periods = -(-GUESSES * KEYPAD_S // window)
    assert n["evaluated"] <= n["bound"] * periods
    assert n["p_hit"] < 1e-3


def test_patient_attacker_who_waits_out_every_brake(attack):
    """The best an attacker can do: guess again the moment the throttle allows, only at boxes that hold a
    parcel and are not locked out, for a simulated day (or 10^4 guesses)."""
    a, cab = attack, attack.cab
    svc, clock = cab.svc, cab.clock
    occupied = [p.box_no for p in svc.parcels()]
    start, day = clock.now(), 24 * 3600
    i = 0
    for _ in range(GUESSES):
        if clock.now() - start >= day:
            break
        free = [b for b in occupied if svc.box_parcel(b) is not None
                and not any(lo.box_no == b for lo in svc.lockouts())]
        if not free:  # every parcel box is locked out: wait for the first lockout to end
            clock.set(min(lo.until for lo in svc.lockouts()))
            svc.expire_lockouts()
            continue
        r = a.attempt(free[i % len(free)])
        i += 1
        if isinstance(r, Throttled):
            clock.set(r.retry_at)
        else:
            assert isinstance(r, (WrongPassword, BoxLocked))
            clock.advance(KEYPAD_S)
        if i % 50 == 0:
            svc.tick()
    n = check_limits(a)
    hours = (clock.now() - start) / 3600
    per_day = n["evaluated"] * 24 / hours
    print(f"\npatient attacker: {n['evaluated']} guesses evaluated in {hours:.1f} simulated h"
          f" ({per_day:.0f}/day), {len(a.refused_at)} refused; worst window {n['worst_window']}"
          f" (bound {n['bound']}); hit probability over the run <= {n['p_hit']:.2e}"
          f" (a year at this rate: <= {per_day * 365 / 10**6:.2f} expected hits)")
    windows_per_day = day / (cab.cfg.throttle.window_minutes * 60)
    assert n["evaluated"] <= n["bound"] * (windows_per_day + 1)
    # Per-box lockouts: max_tries per password, then a full lockout before the next password exists.
    lockouts_per_day = day / (cab.cfg.lockout.minutes * 60)
    assert n["evaluated"] <= PARCELS * cab.cfg.lockout.max_tries * (lockouts_per_day + 1)
    assert n["evaluated"] >= cab.cfg.throttle.free_failures  # the attack did run
    assert n["p_hit"] < 1e-2
