"""Run every benchmark of DESIGN §8 and print one table: figure | median | p99 | target | ok.

Why subprocesses: each bench script owns its process (a QApplication, pinned CPU affinity, its own RSS, a
spawned emulator), so running them one after another in fresh interpreters keeps one from skewing the next,
and each stays runnable on its own. They print their usual human report and, with ``--json``, one JSON line
per figure (bench/jsonout.py); this script collects those lines, keeps every script's full output in a log
folder, and prints the machine it ran on above the table (the numbers mean nothing without it).

The large cabinet (200 boxes) needs its fixture: ``bench/large_cabinet.py`` builds it first (cached under
``~/.cache/parcel-locker``; reused on the next run). The default history is 100 k parcels so a run fits in a
few minutes; ``--full`` uses the 1 M parcels of DESIGN §8 (building takes about a minute the first time),
``--parcels N`` any size. RSS growth over 10,000 transactions is the soak's figure: bench/soak.py takes about
an hour, so it runs only with ``--soak N``.

Run: bench/run_all [--quick] [--full | --parcels N] [--only ui,camera,...] [--soak N] [--out results.json]
Exit status: 0 all targets met, 1 a target missed, 2 a script failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SMALL_PARCELS = 100_000
FULL_PARCELS = 1_000_000


@dataclass
class Step:
    key: str  # for --only
    script: str
    full: list[str]
    quick: list[str]
    timeout: float = 900.0
    json: bool = True  # the script takes --json
    verdict: str = ""  # without --json: a row named this whose ok is the script's exit status
    rows: list[dict] = field(default_factory=list)


def steps(parcels: int) -> list[Step]:
    large = ["--parcels", str(parcels)]
    return [
        Step("ui", "bench_ui.py", [], ["--taps", "100", "--pickups", "15", "--starts", "3"]),
        Step("memory", "bench_memory.py", [], ["--seconds", "5", "--settle", "4"]),
        Step("camera", "bench_camera.py", [], ["--seconds", "3", "--runs", "2"]),
        Step("fingerprint", "bench_fingerprint.py", [], ["--n", "100"]),
        Step("recorder", "bench_recorder.py", [],
             ["--runs", "2", "--seconds", "3", "--encode-seconds", "3"]),
        Step("mqtt", "bench_mqtt.py", [], ["--runs", "2", "--messages", "500", "--latency", "100"]),
        Step("large", "large_cabinet.py", large, large, timeout=3600.0, json=False),
        Step("large", "bench_large.py", large, large, timeout=1800.0),
    ]


# ------------------------------------------------------------------------------------------------ machine

def machine() -> list[tuple[str, str]]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                cpu = value.strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                  if ln.startswith("MemTotal:"))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    os_name = platform.system()
    try:
        pretty = next(ln.split("=", 1)[1].strip('"') for ln in Path("/etc/os-release").read_text().splitlines()
                      if ln.startswith("PRETTY_NAME="))
        os_name = f"{pretty}, kernel {platform.release()}"
    except (OSError, StopIteration):
        pass
    try:
        import PySide6

        pyside = PySide6.__version__
    except ImportError:
        pyside = "not installed"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [("CPU", f"{cpu} ({platform.machine()})"), ("cores", f"{os.cpu_count()} ({usable} usable)"),
            ("memory", mem), ("Python", platform.python_version()), ("PySide6", pyside), ("OS", os_name),
            ("Qt platform", "offscreen")]


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


# ------------------------------------------------------------------------------------------------ running

def run_step(step: Step, quick: bool, logs: Path, log) -> tuple[int, float]:
    args = [sys.executable, str(BENCH / step.script), *(step.quick if quick else step.full)]
    if step.json:
        args.append("--json")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    shown = " ".join(["python", f"bench/{step.script}", *args[2:]])
    log(f"running {shown} …")
    t0 = time.perf_counter()
    out_path = logs / f"{Path(step.script).stem}.log"
    try:
        r = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=step.timeout)
        code, stdout, stderr = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        code = -1
        stdout = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        stderr = f"timed out after {step.timeout:g} s"
    elapsed = time.perf_counter() - t0
    out_path.write_text(f"$ {shown}\n{stdout}\n--- stderr ---\n{stderr}", encoding="utf-8")
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and "figure" in row:
                row["script"] = step.script
                step.rows.append(row)
    if step.json and not step.rows:
        last = next((ln for ln in reversed(stderr.strip().splitlines()) if ln.strip()), "no output")
        step.rows.append({"figure": f"{step.script} FAILED (exit {code})", "median": None, "p99": None,
                          "unit": "", "target": None, "ok": False, "error": last[-200:], "script": step.script})
    elif step.verdict and code in (0, 1):
        step.rows.append({"figure": step.verdict, "median": None, "p99": None, "unit": "", "target": "≤ 2 %",
                          "ok": code == 0, "note": f"exit status of bench/{step.script}; numbers in {out_path}",
                          "script": step.script})
    elif not step.json and code != 0:
        step.rows.append({"figure": f"{step.script} FAILED (exit {code})", "median": None, "p99": None,
                          "unit": "", "target": None, "ok": False, "error": stderr.strip()[-200:],
                          "script": step.script})
    log(f"  … exit {code} in {elapsed:.0f} s, {len(step.rows)} figures (log {out_path})")
    return code, elapsed


def soak_step(n: int) -> Step:
    takes_json = "--json" in (BENCH / "soak.py").read_text(encoding="utf-8")
    return Step("soak", "soak.py", ["--transactions", str(n)], ["--transactions", str(n)], timeout=4 * 3600.0,
                json=takes_json, verdict="" if takes_json else f"RSS growth over {n:,} transactions (soak)")


# ------------------------------------------------------------------------------------------------ table

def cell(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def verdict(ok: bool | None) -> str:
    return {True: "ok", False: "**NO**", None: "—"}[ok]


def table(rows: list[dict]) -> list[str]:
    out = ["| figure | median | p99 | target | ok |", "|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['figure']} | {cell(r.get('median'), r.get('unit', ''))} | "
                   f"{cell(r.get('p99'), r.get('unit', ''))} | {r.get('target') or '—'} | {verdict(r.get('ok'))} |")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs (fewer samples, seconds, runs)")
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help=f"large cabinet with {FULL_PARCELS:,} parcels (§8)")
    size.add_argument("--parcels", type=int, default=SMALL_PARCELS, help="large cabinet's history size")
    ap.add_argument("--only", default="", help="comma-separated: ui,memory,camera,fingerprint,recorder,mqtt,"
                                               "large,soak")
    ap.add_argument("--soak", type=int, default=0, metavar="N", help="also run bench/soak.py with N transactions")
    ap.add_argument("--logs", type=Path, help="where each script's full output goes (default: a new temp dir)")
    ap.add_argument("--out", type=Path, help="also write every result row and the machine here as JSON")
    a = ap.parse_args(argv)
    if a.parcels < 1:
        ap.error("--parcels must be ≥ 1")
    parcels = FULL_PARCELS if a.full else a.parcels
    todo = steps(parcels)
    if a.soak:
        todo.append(soak_step(a.soak))
    if a.only:
        keys = {k.strip() for k in a.only.split(",") if k.strip()}
        unknown = keys - {s.key for s in todo} - {"soak"}
        if unknown:
            ap.error(f"--only: unknown {', '.join(sorted(unknown))}")
        todo = [s for s in todo if s.key in keys]
    logs = a.logs or Path(tempfile.mkdtemp(prefix="bench-run_all-"))
    logs.mkdir(parents=True, exist_ok=True)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    load0 = loadavg()
    t0 = time.perf_counter()
    codes = [run_step(s, a.quick, logs, log)[0] for s in todo]
    total = time.perf_counter() - t0
    rows = [r for s in todo for r in s.rows]
    if not a.only and not any(s.key == "soak" for s in todo):
        rows.append({"figure": "RSS growth over 10,000 transactions", "median": None, "p99": None, "unit": "",
                     "target": "≤ 2 %", "ok": None,
                     "note": "not run here (about an hour): python bench/soak.py, or bench/run_all --soak 10000"})

    info = machine() + [("load average (1 min) before / after", f"{load0} / {loadavg()}"
                                                                     " (other work on the machine skews the numbers)")]
    print(f"Benchmarks (DESIGN §8){' — quick run' if a.quick else ''}, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {total / 60:.1f} min")
    for k, v in info:
        print(f"- {k}: {v}")
    print(f"- large cabinet: 200 boxes, {parcels:,} parcels of history"
          + ("" if parcels >= FULL_PARCELS else " (DESIGN §8 says 1 M: --full)"))
    print()
    print("\n".join(table(rows)))
    notes = [r for r in rows if r.get("note") or r.get("error")]
    if notes:
        print("\nNotes:")
        for r in notes:
            print(f"- {r['figure']}: {r.get('error') or r.get('note')}")
    print(f"\np99 of a higher-is-better figure (encode speed, throughput) is its slow tail; with a few runs, the"
          f" slowest run. Full outputs: {logs}")
    if a.out:
        a.out.write_text(json.dumps({"machine": dict(info), "parcels": parcels, "quick": a.quick, "rows": rows},
                                    ensure_ascii=False, indent=1), encoding="utf-8")
    if any("error" in r for r in rows):
        return 2
    if any(c not in (0, 1) for c in codes):  # bench_camera exits 1 when over target: that is a figure, not a crash
        return 2
    return 1 if any(r.get("ok") is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
