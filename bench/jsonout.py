"""Machine-readable results of the bench scripts: one JSON line per DESIGN §8 figure, for ``bench/run_all``.

Why a line per figure on stdout instead of parsing the human report: each script keeps printing what a person
reads at a terminal, and with ``--json`` it also prints, from the very same numbers, lines like

    {"figure": "tap → repaint", "median": 0.28, "p99": 0.78, "unit": "ms", "target": "p99 ≤ 16.7 ms", "ok": true}

which ``run_all`` picks out of the subprocess's output (any line that parses as a JSON object with a
``figure`` key) to build one table. ``ok`` is ``None`` for a figure that has no §8 target. For a figure where
higher is better (encode speed, throughput) the ``p99`` field holds the bad tail, i.e. the slowest 1 % —
with a handful of runs that is the slowest run.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Sequence

ENABLED = False  # a script sets this from its --json flag; emit() is silent otherwise


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def emit(figure: str, median: float | None, p99: float | None, unit: str, target: str | None,
         ok: bool | None, **extra: object) -> None:
    """Print one result line (only with --json)."""
    if not ENABLED:
        return
    row = {"figure": figure, "median": _round(median), "p99": _round(p99), "unit": unit, "target": target,
           "ok": ok, **extra}
    print(json.dumps(row, ensure_ascii=False), flush=True)
    sys.stdout.flush()


def emit_samples(figure: str, values: Sequence[float], unit: str, limit: float | None, *,
                 higher_is_better: bool = False, basis: str = "p99", note: str = "") -> None:
    """Median and tail of ``values``; the verdict compares ``basis`` ("p99" or "median") with ``limit``."""
    if not values:
        emit(figure, None, None, unit, None, None, n=0, note=note or "no samples")
        return
    median = statistics.median(values)
    tail = pct(values, 0.01) if higher_is_better else pct(values, 0.99)
    if limit is None:
        target, ok = None, None
    else:
        judged = median if basis == "median" else tail
        ok = judged >= limit if higher_is_better else judged <= limit
        target = f"{basis} {'≥' if higher_is_better else '≤'} {limit:g} {unit}".rstrip()
    extra: dict[str, object] = {"n": len(values)}
    if note:
        extra["note"] = note
    emit(figure, median, tail, unit, target, ok, **extra)


def _round(v: float | None) -> float | None:
    return None if v is None else float(f"{v:.4g}")
