"""How much memory does the kiosk hold? RSS of the real app process, idle on its home screen.

DESIGN §8 target: RSS ≤ 200 MB. Why a separate process and not the benchmark's own: ``bench_ui`` also prints
the RSS of the process it drives (the app plus the benchmark's hands), but the figure the target is about is
what ``kiosk run`` itself holds on a cabinet. Two compositions are measured, each in a process of its own,
sampling ``VmRSS`` from ``/proc/PID/status`` every 0.25 s after it settles; verdicts are on the peak (``VmHWM``):

- **cabinet** (the target's figure): ``kiosk run`` as on a cabinet, its real drivers (the Kerong lock-board
  driver, pyfingerprint) talking over ptys to ``kiosk emulate lockboard`` and ``kiosk emulate fingerprint``
  running as processes of their own (as the hardware is not inside the kiosk's process on a cabinet), the
  synthetic camera feeding preview, pre-roll recorder and scanner. Idle first, then busy: every 3 s a door is
  opened and shut on the emulated board (a transaction on camera: the recorder writes a clip) and a finger is
  placed and lifted on the emulated sensor (the driver identifies it).
- **simulate**: ``kiosk run --simulate``, the developer's composition: emulators inside the kiosk's process
  and the simulator panel beside it, idle.

Growth over 10,000 transactions is the soak's figure (bench/soak.py).

Run: python bench/bench_memory.py [--seconds 20] [--settle 5] [--json]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jsonout  # noqa: E402  (bench/ is on sys.path when run as a script)
from bench_ui import write_config  # noqa: E402

TARGET_MB = 200.0
ROOT = Path(__file__).resolve().parents[1]


def status_mb(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _sample(proc: subprocess.Popen, seconds: float, act=None) -> tuple[list[float], float]:
    """VmRSS every 0.25 s for ``seconds``; ``act(i)`` is called every 3 s (busy phase)."""
    samples: list[float] = []
    peak = 0.0
    t0 = time.monotonic()
    acted = -1
    while time.monotonic() - t0 < seconds:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited ({proc.returncode}): {proc.stderr.read()[-500:]}")
        if act is not None and int((time.monotonic() - t0) / 3) > acted:
            acted += 1
            act(acted)
        s = status_mb(proc.pid)
        samples.append(s["VmRSS"])
        peak = s["VmHWM"]
        time.sleep(0.25)
    return samples, peak


def measure(seconds: float, settle: float) -> tuple[list[float], float]:
    """The simulate composition, idle."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        cfg = write_config(Path(tmp))
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--config", str(cfg), "--simulate"],
                                cwd=tmp, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(settle)
            return _sample(proc, seconds)
        finally:
            _stop(proc)


class Emulator:
    """``kiosk emulate DEVICE`` in its own process; its first line names the pty; lines on stdin act."""

    def __init__(self, device: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "kiosk", "emulate", device], env=ENV, cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1)
        first = self.proc.stdout.readline()  # "... emulator on /dev/pts/N (...)"
        if " on /dev/" not in first:
            _stop(self.proc)
            raise RuntimeError(f"kiosk emulate {device} did not start: {first!r}")
        self.port = first.split(" on ", 1)[1].split()[0]

    def say(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def stop(self) -> None:
        _stop(self.proc)


def cabinet_config(tmp: Path, lock_port: str, finger_port: str) -> Path:
    """The simulated cabinet's config with the real drivers pointed at the emulators' ptys."""
    p = write_config(tmp)
    text = p.read_text()
    for table, kind, port in (("locks", "kerong", lock_port), ("fingerprint", "zfm", finger_port)):
        text, n = re.subn(rf'(?m)^(\[hardware\.{table}\]\n)kind = "emulated"', rf'\1kind = "{kind}"\nport = "{port}"',
                          text)
        if n != 1:
            raise RuntimeError(f"the simulated config has no [hardware.{table}] kind = \"emulated\" line")
    p.write_text(text)
    return p


def measure_cabinet(seconds: float, settle: float) -> tuple[list[float], list[float], float, int]:
    """The cabinet composition: (idle samples, busy samples, peak, doors opened while busy)."""
    locks, finger = Emulator("lockboard"), Emulator("fingerprint")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
            cfg = cabinet_config(Path(tmp), locks.port, finger.port)
            proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--config", str(cfg)], cwd=tmp,
                                    env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            opened = 0

            def act(i: int) -> None:
                nonlocal opened
                lock = 1 + i % 8  # a different door each time, as people do
                if locks.say(f"open 0 {lock}") == "opened":
                    opened += 1
                finger.say("place 7")
                time.sleep(1.0)
                locks.say(f"close 0 {lock}")
                finger.say("lift")

            try:
                time.sleep(settle)
                idle, _ = _sample(proc, seconds / 2)
                busy, peak = _sample(proc, seconds, act)
                clips = len(list(Path(tmp).glob("**/video/**/*.mp4")))
                if opened and not clips:
                    raise RuntimeError("doors opened on camera but no clip was recorded: the busy phase is not busy")
                return idle, busy, peak, opened
            finally:
                _stop(proc)
    finally:
        locks.stop()
        finger.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="sampling time after settling")
    ap.add_argument("--settle", type=float, default=5.0, help="seconds after start before sampling")
    ap.add_argument("--json", action="store_true", help="also print one JSON line per figure (bench/run_all)")
    a = ap.parse_args()
    jsonout.ENABLED = a.json
    idle, busy, cab_peak, opened = measure_cabinet(a.seconds, a.settle)
    rss, peak = measure(a.seconds, a.settle)
    print(f"RSS of the kiosk process (offscreen), sampled every 0.25 s after {a.settle:g} s; 1 MB = 2^20 B")
    rows = [("RSS, kiosk run on a cabinet (idle)", idle, cab_peak, True, "real drivers → emulator processes"),
            ("RSS, kiosk run on a cabinet (busy)", busy, cab_peak, True,
             f"{opened} doors opened + fingers placed in {a.seconds:g} s"),
            ("RSS, kiosk run --simulate (idle)", rss, peak, False, "emulators + simulator panel in-process")]
    for name, samples, pk, judged, note in rows:
        ok = pk <= TARGET_MB
        print(f"{name:<38} median {statistics.median(samples):8.1f} MB   p99 {jsonout.pct(samples, 0.99):8.1f} MB   "
              f"peak {pk:.1f} MB   target ≤ {TARGET_MB:g} MB   "
              f"{('ok' if ok else 'OVER') if judged else '(developer composition)'}   ({note})")
        jsonout.emit(name, statistics.median(samples), jsonout.pct(samples, 0.99), "MB",
                     f"peak ≤ {TARGET_MB:g} MB" if judged else "—", ok if judged else None, n=len(samples),
                     note=f"peak VmHWM {pk:.1f} MB; {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
