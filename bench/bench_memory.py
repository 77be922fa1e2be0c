"""How much memory does the kiosk hold? RSS of the real app process, idle on its home screen.

DESIGN §8 target: RSS ≤ 200 MB. Why a separate process and not the benchmark's own: ``bench_ui`` also prints
the RSS of the process it drives (the app plus the benchmark's hands), but the figure the target is about is
what ``kiosk run`` itself holds on a cabinet. So this starts ``python -m kiosk run --simulate`` offscreen
(emulated lock board and fingerprint sensor, the synthetic camera feeding preview, pre-roll recorder and code
scanner, plus the simulator panel a real cabinet does not have), lets it settle, and samples ``VmRSS`` from
``/proc/PID/status`` every 0.25 s; the verdict is on the peak (``VmHWM``). Growth over 10,000 transactions
is the soak's figure (bench/soak.py).

Run: python bench/bench_memory.py [--seconds 20] [--settle 5] [--json]
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


def measure(seconds: float, settle: float) -> tuple[list[float], float]:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        cfg = write_config(Path(tmp))
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--config", str(cfg), "--simulate"],
                                cwd=tmp, env=dict(os.environ, QT_QPA_PLATFORM="offscreen",
                                                  PYTHONPATH=str(ROOT)),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        samples: list[float] = []
        peak = 0.0
        try:
            t0 = time.monotonic()
            while time.monotonic() - t0 < settle + seconds:
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited ({proc.returncode}): {proc.stderr.read()[-500:]}")
                if time.monotonic() - t0 >= settle:
                    s = status_mb(proc.pid)
                    samples.append(s["VmRSS"])
                    peak = s["VmHWM"]
                time.sleep(0.25)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        return samples, peak


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="sampling time after settling")
    ap.add_argument("--settle", type=float, default=5.0, help="seconds after start before sampling")
    ap.add_argument("--json", action="store_true", help="also print one JSON line per figure (bench/run_all)")
    a = ap.parse_args()
    jsonout.ENABLED = a.json
    rss, peak = measure(a.seconds, a.settle)
    ok = peak <= TARGET_MB
    print(f"kiosk run --simulate (offscreen), idle on the home screen, {len(rss)} samples over {a.seconds:g} s")
    print(f"{'RSS, kiosk run --simulate':<34} median {statistics.median(rss):8.1f} MB   p99 "
          f"{jsonout.pct(rss, 0.99):8.1f} MB   peak {peak:.1f} MB   target ≤ {TARGET_MB:g} MB   "
          f"{'ok' if ok else 'OVER'}")
    jsonout.emit("RSS, kiosk run --simulate (idle)", statistics.median(rss), jsonout.pct(rss, 0.99), "MB",
                 f"peak ≤ {TARGET_MB:g} MB", ok, n=len(rss), note=f"peak VmHWM {peak:.1f} MB; 1 MB = 2^20 B")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
