"""How fast does the touchscreen answer? Tap → repaint, valid password → unlock command, cold start → home.

DESIGN §8 targets: tap → repaint p99 ≤ 16.7 ms (one frame at 60 Hz); valid password → unlock command
p99 ≤ 20 ms; cold start to the home screen ≤ 1.5 s. Everything runs the real app offscreen on the emulated
devices (lock board and fingerprint sensor over ptys), driven by mouse clicks on the widgets:

- tap → repaint: a click on a keypad key of the pickup screen, until the password field's Paint event has
  run (an event filter stamps it with ``time.perf_counter``); the event loop is pumped by hand between the
  two, so the number is the GUI thread's own work (input handling, the field's update, the repaint).
- valid password → unlock: from the click on ``pickup.submit`` to ``KerongBank.unlock`` being called (the
  bank's method is wrapped to stamp the call), i.e. the screen, the flow and the service's verification
  transaction (HMAC, SQLite with synchronous=FULL) — not the serial frame, which the bus master sends after.
  Each pickup is a real parcel: deposited through the service, its door closed on the emulator, the password
  read from the simulated handheld, typed on the keypad, the parcel accepted and the door closed again.
- RSS while it works (for reference): this process holds the full app (screens, the emulated lock board and
  fingerprint sensor inside it, the synthetic camera with its preview, recorder and scanner) plus the
  benchmark's own hands while it runs the taps and pickups above; ``VmRSS`` is sampled after every tenth tap
  and every pickup. DESIGN §8's RSS target is judged by bench/bench_memory.py on ``kiosk run`` as a cabinet
  runs it (its own process, real drivers, emulators outside it); the growth over 10,000 transactions is the
  soak's figure (bench/soak.py).
- cold start: a fresh Python process (``python -c``) that imports the app, builds ``kiosk.__main__.Composition``
  with ``--simulate`` devices and shows the window, until the home screen's first Paint; measured from just
  before the process is spawned (interpreter start and imports included).

Run: python bench/bench_ui.py [--taps 200] [--pickups 50] [--starts 5] [--json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jsonout  # bench/ is on sys.path when run as a script

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGETS = {"tap": 16.7, "unlock": 20.0, "start": 1500.0}  # ms, p99 (DESIGN §8)


def rss_mb(key: str = "VmRSS") -> float:
    """Resident set size of this process in MB (``VmHWM`` for the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, values: list[float], target: float, note: str = "") -> None:
    if not values:
        print(f"{name:<34} n/a {note}")
        return
    p99 = pct(values, 0.99)
    verdict = "ok" if p99 <= target else "OVER"
    print(f"{name:<34} median {statistics.median(values):8.2f} ms   p99 {p99:8.2f} ms   target p99 ≤ {target:g} ms"
          f"   {verdict}   (n={len(values)}{', ' + note if note else ''})")


def write_config(tmp: Path) -> Path:
    from kiosk.config import default_config_path, with_data_dir

    text = with_data_dir(default_config_path().read_text(), "state")
    text = text.replace('language = "zh"', 'language = "en"')
    tmp.mkdir(parents=True, exist_ok=True)
    p = tmp / "cabinet.toml"
    p.write_text(text)
    return p


def flow_ready(module: str) -> bool:
    src = (Path(__file__).resolve().parents[1] / "ui" / f"{module}.py").read_text(encoding="utf-8")
    return "not ready yet" not in src


# ---------------------------------------------------------------------------------------------- in-process


class Bench:
    def __init__(self, tmp: Path) -> None:
        from PySide6.QtCore import QEvent, QObject
        from PySide6.QtTest import QTest

        from kiosk.__main__ import Composition

        self.QTest = QTest
        self.comp = Composition(str(write_config(tmp)), simulate=True)
        self.window = self.comp.app.window
        self.window.show()
        self.svc = self.comp.service
        self.sim = self.comp.locks.simulated
        self.wait(lambda: all(self.comp.locks.bank.is_door_open(b.no) is not None for b in self.comp.ctx.config.boxes))

        bench = self

        class PaintStamp(QObject):
            def eventFilter(self, obj, e):  # noqa: N802 (Qt API)
                if e.type() == QEvent.Type.Paint and bench.painted is None:
                    bench.painted = time.perf_counter()
                return False

        self.painted: float | None = None
        self.stamp = PaintStamp()
        self.rss: list[float] = []  # MB, sampled while the app works

    def wait(self, cond, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting (screen {self.screen()!r})")
            self.QTest.qWait(5)

    def screen(self) -> str:
        cur = self.window.current()
        return cur.name if cur else ""

    def find(self, name: str, timeout: float = 3.0):
        """A visible, enabled widget of the current screen (waits: screens show some buttons a moment later)."""
        from PySide6.QtWidgets import QWidget

        deadline = time.monotonic() + timeout
        while True:
            for w in self.window.current().findChildren(QWidget, name):
                if w.isVisible() and w.isEnabled():
                    return w
            if time.monotonic() > deadline:
                raise LookupError(f"{name} not visible on {self.screen()}")
            self.QTest.qWait(5)

    def tap(self, name: str) -> None:
        from PySide6.QtCore import Qt

        self.QTest.mouseClick(self.find(name), Qt.MouseButton.LeftButton)

    def type(self, field: str, text: str) -> None:
        self.tap(field)
        self.find(field).clear()
        for ch in text:
            self.tap(f"keypad.{ch}")

    def stop(self) -> None:
        self.window.allow_close()
        self.window.close()
        self.comp.stop()

    # ---- tap → repaint ---------------------------------------------------------------------------------

    def taps(self, n: int) -> list[float]:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        self.tap("home.pickup")
        self.wait(lambda: self.screen() == "pickup")
        field = self.find("pickup.password")
        self.tap("pickup.password")
        key = self.find("keypad.5")
        field.installEventFilter(self.stamp)
        out = []
        try:
            for i in range(n + 10):
                if len(field.text()) >= max(1, field.maxLength() - 1):
                    field.clear()
                self.QTest.qWait(2)  # the clear's repaint happens outside the measurement
                self.painted = None
                t0 = time.perf_counter()
                self.QTest.mouseClick(key, Qt.MouseButton.LeftButton)
                deadline = t0 + 1.0
                while self.painted is None and time.perf_counter() < deadline:
                    QApplication.processEvents()
                if self.painted is None:
                    raise RuntimeError("the field never repainted after a tap")
                if i >= 10:  # warm-up taps are not counted
                    out.append((self.painted - t0) * 1000)
                if i % 10 == 9:
                    self.rss.append(rss_mb())
        finally:
            field.removeEventFilter(self.stamp)
        self.tap("pickup.back")
        self.wait(lambda: self.screen() == "home")
        return out

    # ---- valid password → unlock -------------------------------------------------------------------

    def pickups(self, n: int) -> list[float]:
        bank = self.comp.locks.bank
        original = bank.unlock
        called: list[float] = []
        armed = [False]

        def unlock(box_no: str) -> None:
            if armed[0]:
                called.append(time.perf_counter())
            original(box_no)

        bank.unlock = unlock  # the service holds this bank object: its next unlock goes through here
        courier = self.svc.courier("B0001") or self.svc.add_courier("B0001", "Bench Courier", "135790")
        out = []
        try:
            for i in range(n + 3):
                p = self.svc.start_deposit(courier, "S", f"BENCH{i:06d}", consent=True)
                self.wait(lambda: bank.is_door_open(p.box_no) is True)
                self.sim.put_item(p.box_no, True)
                self.wait(lambda: bank.item_inside(p.box_no) is True)
                self.sim.close_door(p.box_no)
                self.wait(lambda: any(m.get("tracking") == p.tracking and m.get("type") == "password"
                                      for m in self.comp.kiosk.messages))
                password = next(m["password"] for m in reversed(self.comp.kiosk.messages)
                                if m.get("tracking") == p.tracking and m.get("type") == "password")
                self.tap("home.pickup")
                self.wait(lambda: self.screen() == "pickup")
                self.type("pickup.box", p.box_no)
                self.type("pickup.password", password)
                called.clear()
                armed[0] = True
                t0 = time.perf_counter()
                self.tap("pickup.submit")
                armed[0] = False
                if not called:
                    raise RuntimeError(f"no unlock after a valid password (screen {self.screen()!r})")
                if i >= 3:
                    out.append((called[0] - t0) * 1000)
                self.wait(lambda: self.screen() == "pickup.check")
                self.wait(lambda: bank.is_door_open(p.box_no) is True)
                self.tap("pickup.accept")
                self.wait(lambda: self.screen() == "pickup.close")
                self.sim.put_item(p.box_no, False)
                self.wait(lambda: bank.item_inside(p.box_no) is False)
                self.sim.close_door(p.box_no)
                self.wait(lambda: self.screen() == "pickup.thanks")
                self.tap("thanks.home")
                self.wait(lambda: self.screen() == "home")
                self.rss.append(rss_mb())
        finally:
            bank.unlock = original
        return out


def core_pickups(n: int, tmp: Path) -> list[float]:
    """Fallback while the customer screens are not built: service.pickup → bank.unlock, no screen."""
    b = Bench(tmp)
    try:
        bank, svc = b.comp.locks.bank, b.svc
        original, called = bank.unlock, []
        bank.unlock = lambda box: (called.append(time.perf_counter()), original(box))
        courier = svc.add_courier("B0001", "Bench Courier", "135790")
        out = []
        for i in range(n):
            p = svc.start_deposit(courier, "S", f"BENCH{i:06d}", consent=True)
            b.wait(lambda: bank.is_door_open(p.box_no) is True)
            b.sim.put_item(p.box_no, True)
            b.wait(lambda: bank.item_inside(p.box_no) is True)
            b.sim.close_door(p.box_no)
            b.wait(lambda: any(m.get("tracking") == p.tracking for m in b.comp.kiosk.messages))
            pw = next(m["password"] for m in b.comp.kiosk.messages if m.get("tracking") == p.tracking)
            called.clear()
            t0 = time.perf_counter()
            svc.pickup(p.box_no, pw)
            out.append((called[0] - t0) * 1000)
            b.wait(lambda: bank.is_door_open(p.box_no) is True)
            svc.accept(p.id)
            b.sim.put_item(p.box_no, False)
            b.wait(lambda: bank.item_inside(p.box_no) is False)
            b.sim.close_door(p.box_no)
            b.wait(lambda: bank.is_door_open(p.box_no) is False)
        bank.unlock = original
        return out
    finally:
        b.stop()


# ---------------------------------------------------------------------------------------------- cold start

CHILD = r"""
import os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEvent, QObject, QTimer
from kiosk.__main__ import Composition
comp = Composition(sys.argv[1], simulate=True)
shown = []
class Stamp(QObject):
    def eventFilter(self, obj, e):
        if e.type() == QEvent.Type.Paint and not shown:
            shown.append(time.time())
            QTimer.singleShot(0, lambda: comp.qt.exit(0))  # quit() would ask the kiosk window, which refuses
        return False
stamp = Stamp()
comp.app.home_screen.installEventFilter(stamp)
comp.app.window.show()
QTimer.singleShot(10000, lambda: comp.qt.exit(1))
comp.qt.exec()
comp.app.window.allow_close()
comp.app.window.close()
comp.stop()
print("HOME", shown[0] if shown else -1, flush=True)
"""


def cold_starts(n: int, tmp: Path) -> list[float]:
    cfg = write_config(tmp)
    out = []
    for _ in range(n):
        t0 = time.time()
        r = subprocess.run([sys.executable, "-c", CHILD, str(cfg)], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        line = next((ln for ln in r.stdout.splitlines() if ln.startswith("HOME ")), "")
        shown = float(line.split()[1]) if line else -1
        if r.returncode != 0 or shown < 0:
            raise RuntimeError(f"the app did not reach the home screen: {r.stderr.strip()[-500:]}")
        out.append((shown - t0) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--taps", type=int, default=200)
    ap.add_argument("--pickups", type=int, default=50)
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="also print one JSON line per figure (bench/run_all)")
    args = ap.parse_args()
    jsonout.ENABLED = args.json
    rss: list[float] = []
    peak = 0.0
    customer = flow_ready("customer")
    with tempfile.TemporaryDirectory() as tmp:
        if customer:
            b = Bench(Path(tmp) / "a")
            try:
                taps = b.taps(args.taps)
                unlocks = b.pickups(args.pickups)
                rss, peak = b.rss, rss_mb("VmHWM")
            finally:
                b.stop()
            unlock_note = "screen + flow + service"
        else:
            taps = []
            unlocks = core_pickups(args.pickups, Path(tmp) / "b")
            unlock_note = "service only: the customer screens are not built yet"
        starts = cold_starts(args.starts, Path(tmp) / "c")
    print(f"UI benchmarks (offscreen, emulated devices, PySide6 {__import__('PySide6').__version__}, "
          f"Python {sys.version.split()[0]})")
    report("tap → repaint (keypad key)", taps, TARGETS["tap"], "" if customer else "customer screens not built yet")
    report("valid password → unlock command", unlocks, TARGETS["unlock"], unlock_note)
    report("cold start → home screen", starts, TARGETS["start"], "new process, imports included")
    if rss:
        print(f"{'RSS, this process (taps + pickups)':<34} median {statistics.median(rss):8.1f} MB   p99 "
              f"{pct(rss, 0.99):8.1f} MB   (reference: app + emulators + the benchmark; the target is "
              f"bench_memory's)   (n={len(rss)}, peak VmHWM {peak:.1f} MB)")
    jsonout.emit_samples("tap → repaint (keypad key)", taps, "ms", TARGETS["tap"])
    jsonout.emit_samples("valid password → unlock command", unlocks, "ms", TARGETS["unlock"], note=unlock_note)
    jsonout.emit_samples("cold start → home screen", starts, "ms", TARGETS["start"], note="new process")
    if rss:
        jsonout.emit("RSS, benchmark process during taps + pickups", statistics.median(rss), pct(rss, 0.99), "MB",
                     "—", None, n=len(rss),
                     note=f"peak VmHWM {peak:.1f} MB; app with emulators inside + the benchmark's hands (reference)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
