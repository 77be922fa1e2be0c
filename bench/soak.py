"""Soak: thousands of transactions through the whole app offscreen; memory, threads and files must not grow.

Why it is built this way:

- It is the production composition (``kiosk.__main__.Composition`` with ``simulate=True``): the real screens
  and flows, the lock board and fingerprint sensor emulated over ptys with their worker threads, the synthetic
  camera feeding the preview, the recorder (H.264, a clip per transaction) and the label scanner, the 30 s
  ticker. Nothing is stubbed; a leak anywhere in that chain shows here.
- People act like the end-to-end tests' hands (tests/ui/test_end_to_end.py): the courier puts a finger on the
  emulated sensor, every screen is driven by mouse clicks on its widgets (keypad and keyboard keys included),
  parcels go in and out and doors are pushed shut on the emulated board (``SimulatedLocks.put_item`` /
  ``close_door``). Passwords are read from what the kiosk delivered to the courier's handheld
  (``Kiosk.messages``, the bounded list the simulated transport keeps). No flow method is called directly:
  every step is a tap, a finger or a door. The simulator *panel* is not opened: its handheld list keeps every
  message forever by design (a developer's window), which would be the soak measuring itself.
- The mix repeats ``deposit, deposit, pickup+accept, lockout, pickup+refuse+take-back``: 40 % deposits, 20 %
  accepted pickups, 20 % lockouts (3 wrong passwords → the box locks → the courier's finger clears it → a new
  password), 20 % refusals taken back by the courier (the customer opens the box with the password issued
  after the lockout). Deposits and removals balance, so the cabinet never fills. Each transaction is checked:
  the parcel ends in the expected state, the box is free or locked as it should be, the screen is home again.
- Samples (RSS from /proc/self/status VmRSS, threads from /proc/self/task, open fds from /proc/self/fd) are
  taken every K transactions at a quiet moment: home screen, no clip open (the recorder's post-roll has ended),
  and after one ``Kiosk.tick()`` (the same call the 30 s timer makes: lockouts, overdue parcels, clip
  retention, outbox). RSS is the median of five readings 200 ms apart (the camera's frames in flight move one
  reading by a megabyte). The first 5 % of transactions are warm-up (caches, Qt's glyph atlas, the allocator's
  arenas); the baseline is the first sample after them. Two diagnostic columns say where memory went: SQLite's
  own heap (its page cache fills to ``cache_size``, 2 MB, until the database is bigger than that, ~600
  transactions) and the bytes glibc keeps freed (they grew ~1 MB per thousand transactions before
  kiosk/memory.py capped the arenas).
- Video keeps recording as in production; the soak's config sets ``video.quota_mb = 1`` so retention deletes
  clips all along, and the soak checks that the clips on disk at the end (none open then) stay within the
  quota, and that retention did delete some. The throttle's ``free_failures`` is raised: 20 % lockouts
  at soak speed would otherwise trip the terminal-wide brake on purpose-built wrong passwords (that brake has
  its own tests in tests/security/). The post-roll is 1 s (production: 3 s) so quiet moments come sooner.
  Night mode is on all day with no backlight device, so the night veil comes and goes with every person.
- The lock-board emulator keeps only its newest 1,000 requests and pulses, and the kiosk its newest 200
  messages for the simulated handheld: both are measured as part of the app, and both are full within the
  warm-up (a run with per-type object counts showed them as the only Python objects that grew, until full).

Limits (exit 1 when broken): RSS growth from the baseline to the end < 2 %; threads, open fds and Qt widgets
at the end not above the baseline; every transaction ended as expected; clips on disk within the quota.
Python's object count is printed beside them (it moves by a few hundred with what happens to be queued).

Run: QT_QPA_PLATFORM=offscreen python bench/soak.py [--transactions 10000] [--sample-every 100]
     (about 2 transactions/s on 2 cores: 10,000 take about 80 minutes; ``--keep DIR`` keeps the data dir)
CI:  tests/test_soak.py runs the same code with 60 transactions.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RSS_LIMIT_PCT = 2.0
WARMUP = 0.05
MIX = ("deposit", "deposit", "accept", "lockout", "refuse")
COURIER, COURIER_PIN, FINGER, SLOT = "S0001", "135790", 7, 1
QUOTA_MB = 1
EDITS = {  # the soak's config, beside the simulated cabinet's (whole "key = value" texts swapped)
    'language = "zh"': 'language = "en"',
    "free_failures = 10\n": "free_failures = 1000000\n",
    "quota_mb = 4096": f"quota_mb = {QUOTA_MB}",
    "postroll_s = 3 ": "postroll_s = 1 ",
    # Night all day, no backlight: every transaction lifts the night veil on the first touch and lowers it at
    # home (the busier path), whatever time the soak runs at.
    'night_start = "22:00"': 'night_start = "00:00"',
    'night_end = "06:00"': 'night_end = "23:59"',
    'backlight = "auto"': 'backlight = "none"',
}


class SoakFailure(RuntimeError):
    """A transaction did not end as expected (the message says which and where the screens were)."""


@dataclass
class Sample:
    txn: int  # transactions done
    seconds: float  # since the soak began
    rss_kb: int
    threads: int
    fds: int
    clips_on_disk: int
    video_kb: int
    widgets: int  # QApplication.allWidgets(): a screen that builds widgets and never frees them shows here
    py_objects: int  # objects the garbage collector tracks, after a collection
    sqlite_kb: int = -1  # SQLite's own heap (sqlite3_memory_used: mostly page caches, full at their cache_size)
    heap_free_kb: int = -1  # glibc: freed but kept by the allocator (mallinfo2 fordblks); -1 off glibc


@dataclass
class Result:
    transactions: int
    seconds: float
    samples: list[Sample]
    baseline: Sample
    done: dict[str, int] = field(default_factory=dict)  # transactions of each kind that ended as expected
    clips_deleted: int = 0
    failures: list[str] = field(default_factory=list)  # broken limits, one line each
    rss_judged: bool = True

    @property
    def end(self) -> Sample:
        return self.samples[-1]

    @property
    def rss_growth_pct(self) -> float:
        return (self.end.rss_kb - self.baseline.rss_kb) * 100.0 / self.baseline.rss_kb

    @property
    def rate(self) -> float:
        return self.transactions / self.seconds if self.seconds else 0.0


# ---------------------------------------------------------------------------------------------- process


def run_events(ms: int) -> None:
    """Wait with the event loop running and the GIL free: QTest.qWait holds the GIL, so every worker thread
    stood still while the soak waited (see ui.demo_hands.run_events)."""
    from ui.demo_hands import run_events as run

    run(ms)


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


RSS_READINGS, RSS_GAP_MS = 5, 200


def rss_kb_settled(wait: Callable[[int], None]) -> int:
    """The median of a few readings while the event loop runs: the camera's frames in flight (each its own
    ~1 MB mmap, see kiosk/memory.py) move a single reading by a megabyte either way."""
    readings = []
    for i in range(RSS_READINGS):
        if i:
            wait(RSS_GAP_MS)
        readings.append(rss_kb())
    return sorted(readings)[len(readings) // 2]


def sqlite_kb() -> int:
    """SQLite's own allocation counter, from the library the kiosk's sqlite3 module loaded; -1 when not found
    (e.g. a Python with SQLite linked in statically)."""
    import ctypes

    try:
        lib = next(line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()
                   if "libsqlite3" in line)
        fn = ctypes.CDLL(lib).sqlite3_memory_used
    except (StopIteration, OSError, AttributeError):
        return -1
    fn.restype = ctypes.c_int64
    return int(fn()) // 1024


def heap_free_kb() -> int:
    from kiosk import memory

    info = memory.heap_info()
    return info["fordblks"] // 1024 if info is not None else -1


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def write_config(tmp: Path) -> Path:
    from kiosk.config import default_config_path, with_data_dir

    text = with_data_dir(default_config_path().read_text(), "state")
    for old, new in EDITS.items():
        if old not in text:
            raise RuntimeError(f"the simulated cabinet's config has no {old.strip()!r} to change")
        text = text.replace(old, new, 1)
    tmp.mkdir(parents=True, exist_ok=True)
    p = tmp / "cabinet.toml"
    p.write_text(text)
    return p


# ---------------------------------------------------------------------------------------------- the cabinet


class Cabinet:
    """The running kiosk and the hands: taps on the screen, a finger on the sensor, doors on the board."""

    def __init__(self, tmp: Path) -> None:
        from PySide6.QtTest import QTest

        from kiosk.__main__ import Composition

        self.QTest = QTest
        self.comp = Composition(str(write_config(tmp)), simulate=True)
        try:
            self.kiosk = self.comp.kiosk
            self.service = self.comp.service
            self.window = self.comp.app.window
            self.sim = self.comp.locks.simulated
            self.bank = self.comp.locks.bank
            self.window.show()
            self.wait(lambda: all(self.bank.is_door_open(b.no) is not None for b in self.kiosk.config.boxes),
                      "the lock board to report every door", 10)
            c = self.service.add_courier(COURIER, "Soak Courier", COURIER_PIN)
            self.comp.fingerprint_device.emulator.enrol_directly(SLOT, FINGER)
            self.courier = self.service.assign_finger(c.number, SLOT)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent

        window = getattr(self.comp, "app", None) and self.comp.app.window
        if window is not None:
            window.allow_close()
            window.close()
        self.comp.stop()
        QCoreApplication.removePostedEvents(None, QEvent.Type.MetaCall)
        if window is not None:
            window.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    # ---- looking -----------------------------------------------------------------------------------

    def screen(self) -> str:
        cur = self.window.current()
        return cur.name if cur else ""

    def wait(self, cond: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise SoakFailure(f"timed out after {timeout:g} s waiting for {what} (screen {self.screen()!r})")
            run_events(2)

    def wait_screen(self, name: str, timeout: float = 5.0) -> None:
        self.wait(lambda: self.screen() == name, f"screen {name}", timeout)

    def _visible(self, name: str):
        from PySide6.QtWidgets import QWidget

        for root in (self.window.current(), self.window):
            if root is None:
                continue
            for w in root.findChildren(QWidget, name):
                if w.isVisible() and w.isEnabled():
                    return w
        return None

    # ---- hands -------------------------------------------------------------------------------------

    def tap(self, name: str) -> None:
        """Click a widget once it shows (a widget added to a shown screen becomes visible an event later)."""
        from PySide6.QtCore import Qt

        found: list = []
        self.wait(lambda: bool(found.append(self._visible(name)) or found[-1] is not None), f"widget {name}", 3)
        self.QTest.mouseClick(found[-1], Qt.MouseButton.LeftButton)

    def type(self, text: str, prefix: str) -> None:
        for ch in text:
            self.tap(f"{prefix}.{ch}")

    def finger_login(self) -> None:
        emu = self.comp.fingerprint_device.emulator
        self.wait_screen("home")
        emu.place_finger(FINGER)
        try:
            self.wait_screen("courier.menu", 8)
        finally:
            emu.lift_finger()

    def logout(self) -> None:
        self.tap("courier.logout")
        self.wait_screen("home")

    def shut(self, box: str, item: bool) -> None:
        """Put the parcel in (or take it out), let the IR sensor read it, push the door shut."""
        self.sim.put_item(box, item)
        self.wait(lambda: self.bank.item_inside(box) is item, f"the IR sensor of {box} to read {item}")
        self.sim.close_door(box)
        self.wait(lambda: self.bank.is_door_open(box) is False, f"door {box} to close")

    def door_opens(self, box: str) -> None:
        self.wait(lambda: self.bank.is_door_open(box) is True, f"door {box} to open")

    def password(self, tracking: str, reason: str) -> str:
        def newest() -> dict | None:
            for m in reversed(self.kiosk.messages):
                if m.get("type") == "password" and m.get("tracking") == tracking:
                    return m
            return None

        self.wait(lambda: (newest() or {}).get("reason") == reason, f"a {reason} password for {tracking}")
        return newest()["password"]

    def enter(self, box: str, password: str) -> None:
        if self.screen() != "pickup":
            self.tap("home.pickup")
            self.wait_screen("pickup")
        for fld, text in (("pickup.box", box), ("pickup.password", password)):
            self.tap(fld)
            self.tap("keypad.clear")
            self.type(text, "keypad")
        self.tap("pickup.submit")

    def state(self, parcel_id: int) -> str:
        return self.service.parcel(parcel_id).state


@dataclass
class Stored:
    parcel_id: int
    tracking: str
    box: str
    password: str


class Soak:
    """The transactions, each checked; ``stored`` holds the parcels waiting for a customer, oldest first."""

    def __init__(self, cab: Cabinet) -> None:
        self.cab = cab
        self.stored: list[Stored] = []
        self.serial = 0
        self.done: dict[str, int] = {}

    def run_one(self, i: int) -> str:
        kind = MIX[i % len(MIX)]
        free = sum(self.cab.service.free_counts().values())
        if kind != "deposit" and not self.stored:
            kind = "deposit"
        elif kind == "deposit" and free <= 2:
            kind = "accept"
        try:
            getattr(self, kind)()
        except SoakFailure as e:
            raise SoakFailure(f"transaction {i + 1} ({kind}): {e}") from None
        self.done[kind] = self.done.get(kind, 0) + 1
        return kind

    # ---- the transactions --------------------------------------------------------------------------

    def deposit(self) -> None:
        c = self.cab
        self.serial += 1
        tracking = f"SK{self.serial:08d}"
        c.finger_login()
        c.tap("courier.deposit")
        c.wait_screen("courier.size")
        c.tap("courier.size.S")
        c.wait_screen("courier.form")
        c.tap("courier.tracking")
        c.type(tracking, "kbd")
        c.tap("kbd.done")
        c.tap("courier.consent")
        c.tap("courier.open")
        c.wait_screen("courier.door")
        (p,) = c.service.parcels(tracking=tracking)
        c.door_opens(p.box_no)
        c.shut(p.box_no, item=True)
        c.wait_screen("courier.sent")
        if c.state(p.id) != "stored":
            raise SoakFailure(f"parcel {tracking} is {c.state(p.id)!r}, not stored")
        c.tap("courier.done")
        c.wait(lambda: c.screen() in ("home", "courier.menu"), "home or the courier menu")
        if c.screen() == "courier.menu":
            c.logout()
        self.stored.append(Stored(p.id, tracking, p.box_no, c.password(tracking, "deposit")))

    def _open(self, s: Stored) -> None:
        c = self.cab
        c.enter(s.box, s.password)
        c.wait_screen("pickup.check")
        c.door_opens(s.box)

    def _thanks(self) -> None:
        c = self.cab
        c.wait_screen("pickup.thanks")
        c.tap("thanks.home")
        c.wait_screen("home")

    def accept(self) -> None:
        c, s = self.cab, self.stored.pop(0)
        self._open(s)
        c.tap("pickup.accept")
        c.wait_screen("pickup.close")
        c.shut(s.box, item=False)
        self._thanks()
        if c.state(s.parcel_id) != "collected" or c.service.box_parcel(s.box) is not None:
            raise SoakFailure(f"parcel {s.tracking} is {c.state(s.parcel_id)!r}; box {s.box} not free")

    def refuse(self) -> None:
        c, s = self.cab, self.stored.pop(0)
        self._open(s)
        c.tap("pickup.reject")
        c.wait_screen("pickup.reason")
        c.tap("reject.reason.damaged")
        c.wait_screen("pickup.close")
        c.shut(s.box, item=True)
        self._thanks()
        if c.state(s.parcel_id) != "refused":
            raise SoakFailure(f"refused parcel {s.tracking} is {c.state(s.parcel_id)!r}")
        c.finger_login()  # the courier takes it back
        c.tap("courier.returns")
        c.wait_screen("courier.returns")
        c.tap("courier.returns.open")
        c.door_opens(s.box)
        c.shut(s.box, item=False)
        c.wait_screen("courier.menu")
        c.logout()
        if c.state(s.parcel_id) != "returned" or c.service.box_parcel(s.box) is not None:
            raise SoakFailure(f"returned parcel {s.tracking} is {c.state(s.parcel_id)!r}; box {s.box} not free")

    def lockout(self) -> None:
        c, s = self.cab, self.stored[0]
        wrong = "".join(str((int(ch) + 1) % 10) for ch in s.password)
        for n in range(1, 4):
            c.enter(s.box, wrong)
            if n < 3:
                c.wait(lambda n=n: c.service.parcel(s.parcel_id).wrong_tries == n, f"wrong try {n}", 3)
        c.wait_screen("pickup.locked")
        if [lo.box_no for lo in c.service.lockouts()] != [s.box] or c.bank.is_door_open(s.box):
            raise SoakFailure(f"box {s.box} is not (only) locked after 3 wrong passwords")
        c.tap("locked.home")
        c.wait_screen("home")
        c.finger_login()  # the courier clears it; a new password goes to the handheld
        c.tap("courier.lockouts")
        c.wait_screen("courier.lockouts")
        c.tap(f"courier.lockout.{s.box}")
        c.wait(lambda: c.service.lockouts() == [], "the lockout to clear", 3)
        s.password = c.password(s.tracking, "lockout_cleared")
        c.tap("courier.lockouts.back")
        c.wait_screen("courier.menu")
        c.logout()
        if c.state(s.parcel_id) != "stored":
            raise SoakFailure(f"parcel {s.tracking} is {c.state(s.parcel_id)!r} after the lockout, not stored")


# ---------------------------------------------------------------------------------------------- the run


def video_on_disk(cab: Cabinet) -> tuple[int, int]:
    files = list(cab.kiosk.config.video_dir.glob("**/*.mp4"))
    return len(files), sum(f.stat().st_size for f in files if f.exists()) // 1024


def quiet(cab: Cabinet) -> None:
    """Home screen, no clip open (post-roll over), the periodic housekeeping done, events delivered."""
    cab.wait_screen("home")
    rec = cab.kiosk.recorder
    if rec is not None:
        cab.wait(lambda: not rec.recording, "the recorder to close its clips", 15)
    run_events(50)  # the clip's "saved" report crosses to the GUI thread and is logged
    cab.kiosk.tick()


def sample(cab: Cabinet, txn: int, t0: float) -> Sample:
    from PySide6.QtWidgets import QApplication

    quiet(cab)
    clips, kb = video_on_disk(cab)
    gc.collect()
    return Sample(txn, time.monotonic() - t0, rss_kb_settled(run_events), thread_count(), fd_count(), clips,
                  kb, len(QApplication.allWidgets()), len(gc.get_objects()), sqlite_kb(), heap_free_kb())


def run(transactions: int, sample_every: int, data: Path, log: Callable[[str], None] = print,
        judge_rss: bool = True) -> Result:
    """The soak; raises SoakFailure when a transaction does not end as expected. ``judge_rss=False`` (a run too
    short for a trend) reports the RSS growth without counting it as a failure."""
    cab = Cabinet(data)
    try:
        soak = Soak(cab)
        warmup = max(1, round(transactions * WARMUP))
        t0 = time.monotonic()
        samples = [sample(cab, 0, t0)]
        log(_row_header())
        log(_row(samples[0]))
        baseline: Sample | None = None
        for i in range(transactions):
            soak.run_one(i)
            n = i + 1
            if n % sample_every == 0 or n == transactions or (baseline is None and n == warmup):
                s = sample(cab, n, t0)
                samples.append(s)
                if baseline is None and n >= warmup:
                    baseline = s
                log(_row(s) + ("   ← baseline (after warm-up)" if s is baseline else ""))
        seconds = time.monotonic() - t0
        deleted = cab.service.store.conn.execute("SELECT COUNT(*) FROM clips WHERE deleted_at IS NOT NULL"
                                                 ).fetchone()[0]
        result = Result(transactions, seconds, samples, baseline or samples[-1], dict(soak.done), deleted)
        check(result, cab, judge_rss)
        return result
    finally:
        cab.stop()


def check(r: Result, cab: Cabinet, judge_rss: bool = True) -> None:
    r.rss_judged = judge_rss
    if judge_rss and r.rss_growth_pct >= RSS_LIMIT_PCT:
        r.failures.append(f"RSS grew {r.rss_growth_pct:.2f} % (limit < {RSS_LIMIT_PCT:g} %)")
    if r.end.threads > r.baseline.threads:
        r.failures.append(f"threads grew from {r.baseline.threads} to {r.end.threads}")
    if r.end.fds > r.baseline.fds:
        r.failures.append(f"open file descriptors grew from {r.baseline.fds} to {r.end.fds}")
    if r.end.widgets > r.baseline.widgets:
        r.failures.append(f"widgets grew from {r.baseline.widgets} to {r.end.widgets} (a screen keeps old ones)")
    quota_kb = cab.kiosk.config.video.quota_mb * 1024
    if r.end.video_kb > quota_kb:
        r.failures.append(f"clips on disk take {r.end.video_kb} kB, over the {quota_kb} kB quota")
    if r.transactions >= 20 and r.clips_deleted == 0:
        r.failures.append("retention never deleted a clip (is the recorder recording?)")


def _row_header() -> str:
    return (f"{'txns':>7} {'seconds':>9} {'RSS kB':>9} {'threads':>7} {'fds':>5} {'clips':>6} {'video kB':>9} "
            f"{'widgets':>7} {'py objects':>10} {'SQLite kB':>9} {'heap free kB':>12}")


def _row(s: Sample) -> str:
    return (f"{s.txn:>7} {s.seconds:>9.1f} {s.rss_kb:>9} {s.threads:>7} {s.fds:>5} {s.clips_on_disk:>6} "
            f"{s.video_kb:>9} {s.widgets:>7} {s.py_objects:>10} {s.sqlite_kb:>9} {s.heap_free_kb:>12}")


def summary(r: Result) -> str:
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(r.done.items()))
    b, e = r.baseline, r.end
    return "\n".join([
        f"transactions: {r.transactions} in {r.seconds:.1f} s = {r.rate:.2f} transactions/s ({kinds})",
        f"RSS: baseline {b.rss_kb} kB (after {b.txn} transactions) → end {e.rss_kb} kB: "
        f"{r.rss_growth_pct:+.2f} % " + (f"(limit < {RSS_LIMIT_PCT:g} %)" if r.rss_judged
                                          else "(not judged: too few transactions for a trend)"),
        f"RSS over the second half (informative, not judged): {_half_growth(r)}",
        f"RSS trend (informative, not judged): {_trend(r)}",
        f"threads: {b.threads} → {e.threads}   open fds: {b.fds} → {e.fds}   (must not grow)   "
        f"widgets: {b.widgets} → {e.widgets}   Python objects: {b.py_objects} → {e.py_objects}",
        f"SQLite's heap: {b.sqlite_kb} → {e.sqlite_kb} kB (page caches fill to their cache_size as the database "
        f"grows)   allocator's free-but-held: {b.heap_free_kb} → {e.heap_free_kb} kB",
        f"video: {e.clips_on_disk} clips, {e.video_kb} kB on disk (quota {QUOTA_MB * 1024} kB); "
        f"{r.clips_deleted} clips deleted by retention",
        "soak passed" if not r.failures else "soak FAILED: " + "; ".join(r.failures),
    ])


def rss_slope(samples: list[Sample]) -> float | None:
    """Least-squares slope of RSS (kB) per transaction over ``samples``; None with fewer than three."""
    if len(samples) < 3:
        return None
    n = len(samples)
    mx = sum(s.txn for s in samples) / n
    my = sum(s.rss_kb for s in samples) / n
    sxx = sum((s.txn - mx) ** 2 for s in samples)
    return sum((s.txn - mx) * (s.rss_kb - my) for s in samples) / sxx if sxx else None


def _trend(r: Result) -> str:
    """The line through every sample from the baseline on: one sample's noise (frames in flight, a page cache
    mid-flush) moves the judged end-to-end figure by up to ~0.7 %, while a leak moves every later sample."""
    after = [s for s in r.samples if s.txn >= r.baseline.txn]
    slope = rss_slope(after)
    if slope is None:
        return "n/a (fewer than three samples)"
    span = r.end.txn - r.baseline.txn
    return (f"{slope * 1000:+.0f} kB per 1,000 transactions over {len(after)} samples = "
            f"{slope * span * 100.0 / r.baseline.rss_kb:+.2f} % over the {span} transactions after warm-up")


def _half_growth(r: Result) -> str:
    """From the first sample at or after half the run to the end: separates a slow warm-up from a steady leak."""
    mid = next(s for s in r.samples if s.txn >= r.transactions / 2)
    if mid is r.end:
        return "n/a (one sample)"
    pct = (r.end.rss_kb - mid.rss_kb) * 100.0 / mid.rss_kb
    return f"{mid.rss_kb} kB (after {mid.txn}) → {r.end.rss_kb} kB: {pct:+.2f} %"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--transactions", type=int, default=10_000, metavar="N")
    ap.add_argument("--sample-every", type=int, default=100, metavar="K")
    ap.add_argument("--keep", metavar="DIR", help="put the cabinet's data here and keep it (default: a temp dir)")
    args = ap.parse_args(argv)
    if args.transactions < 1 or args.sample_every < 1:
        ap.error("--transactions and --sample-every must be ≥ 1")
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication(sys.argv[:1])
    print(f"soak: {args.transactions} transactions, a sample every {args.sample_every}, mix {'/'.join(MIX)}, "
          f"pid {os.getpid()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            r = run(args.transactions, args.sample_every, Path(args.keep or tmp),
                    log=lambda line: print(line, flush=True))
        except SoakFailure as e:
            print(f"soak FAILED: {e}", file=sys.stderr)
            return 1
    print(summary(r))
    return 1 if r.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
