"""The coverage-guided fuzz run (bench/fuzz_atheris.py) in small: every target, 2000 inputs each, a fixed seed.

Why here and not only in bench/: CI keeps the harness itself honest. Every target must run the inputs asked
for, find no crash, and reach more branches than its seed corpus alone did (so libFuzzer's mutation is guided
by the coverage of the instrumented parsers: a harness whose parsers were not instrumented reaches 0 edges, one
that only replayed the seeds reaches the "seeds" number). And the harness must be able to fail: a target with
a planted bug one flipped bit away from its seeds is reported as a crash, with the input kept, exit status 1.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "fuzz_atheris.py"
RUNS = 2000
# Edges reached with --runs 2000 (libFuzzer seeds 1, 2, 3; the seed corpus alone in brackets): fingerprint 38 (33),
# lock board 32 (28), config 350–360 (309), commands 57 (46), commands re-signed 59–62 (47). The floors sit well below; that mutation got
# past the seed corpus is asserted on its own (cov > seeds).
FLOORS = {"frames-fingerprint": 30, "frames-lockboard": 25, "config": 250, "commands": 40,
          "commands-signed": 50}
LINE = re.compile(r"^(\S+)\s+inputs\s+(\d+)\s+cov\s+(\d+) edges \(seeds\s+(\d+)\)\s+crashes (0|1 \((.*)\))\s+[\d.]+ s$")


def run(*args: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def lines(stdout: str) -> dict[str, re.Match[str]]:
    out = {}
    for line in stdout.splitlines():
        m = LINE.match(line)
        if m:
            out[m.group(1)] = m
    return out


@pytest.mark.timeout(180)
def test_every_target_runs_its_inputs_without_a_crash_and_beyond_its_seeds(tmp_path):
    proc = run("--runs", str(RUNS), "--seed", "1", "--crashes", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-4000:]
    got = lines(proc.stdout)
    assert sorted(got) == sorted(FLOORS), proc.stdout
    for name, m in got.items():
        inputs, cov, seed_cov, crashes = int(m.group(2)), int(m.group(3)), int(m.group(4)), m.group(5)
        assert inputs == RUNS, m.group(0)
        assert crashes == "0", m.group(0)
        assert cov >= FLOORS[name], m.group(0)
        assert cov > seed_cov > 0, m.group(0)  # the seeds reached the parser, mutation reached further
    assert not any(tmp_path.iterdir())  # no crashing input kept


@pytest.mark.timeout(120)
def test_a_planted_bug_is_found_reported_and_kept(tmp_path):
    proc = run("--runs", str(RUNS), "--seed", "1", "--target", "selfcheck", "--crashes", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr[-4000:]
    m = lines(proc.stdout)["selfcheck"]
    assert m.group(5).startswith("1 ") and "IndexError: planted bug" in m.group(6), m.group(0)
    assert int(m.group(2)) < RUNS  # libFuzzer stopped at the crash
    (crash,) = (tmp_path / "selfcheck").iterdir()
    assert str(crash) in m.group(6)
    # the kept input replays the crash without libFuzzer; the real lock-board target takes it fine
    replay = run("--target", "selfcheck", "--replay", str(crash), timeout=60)
    assert replay.returncode != 0 and "IndexError: planted bug" in replay.stderr
    fine = run("--target", "frames-lockboard", "--replay", str(crash), timeout=60)
    assert fine.returncode == 0, fine.stderr[-2000:]


def test_without_atheris_it_says_so_and_exits_2():
    code = ("import runpy, sys; sys.modules['atheris'] = None; sys.argv = ['fuzz_atheris.py'];"
            f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout.count("\n") == 1 and "atheris is not installed" in proc.stdout
