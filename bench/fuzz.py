"""The long fuzz run: the CI fuzz tests (tests/fuzz/) with 10^5 inputs per property instead of a few hundred.

Why a wrapper around pytest rather than a fuzzer of its own: the properties, strategies and the contract each
target must keep live in one place, tests/fuzz/, and CI already runs them with ``FUZZ_EXAMPLES`` small. This
script only turns the knob up, lifts pytest-timeout (a 10^5 run takes minutes per property, not seconds) and
reads hypothesis' own statistics back, so "inputs run" is what hypothesis actually executed, not a request.

Run (from the repository root; ~1–2 h on 2 cores for the full 10^5):

    python bench/fuzz.py                       # 100000 inputs per property, every target
    python bench/fuzz.py --examples 5000       # a shorter run
    python bench/fuzz.py --target frames config

Prints one line per property (inputs run, failing inputs, verdict) and one per target (inputs run and crashes
found: properties that found a failing input). Known crashes in code the fuzz suite does not own are pinned by
strict ``xfail`` tests and listed as "known". Exit status 1 if any target found a crash. Hypothesis keeps each
failing input in .hypothesis/ (git-ignored), so the next run tries it first.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "frames": "tests/fuzz/test_fuzz_frames.py",
    "config": "tests/fuzz/test_fuzz_config.py",
    "commands": "tests/fuzz/test_fuzz_commands.py",
    "inputs": "tests/fuzz/test_fuzz_inputs.py",
}
# "- 200 passing, 0 failing, and 8 invalid test cases" (older hypothesis: "... examples")
COUNTS = re.compile(r"- (\d+) passing(?: examples)?, (\d+) failing(?: examples)?, and (\d+) invalid")
HEADER = re.compile(r"^(\S+\.py::\S+):$")


@dataclass
class Property:
    name: str
    inputs: int = 0
    failing: int = 0
    outcome: str = "?"  # passed, failed, error, known (xfail), skipped


@dataclass
class Target:
    name: str
    seconds: float = 0.0
    props: dict[str, Property] = field(default_factory=dict)

    @property
    def inputs(self) -> int:
        return sum(p.inputs for p in self.props.values())

    @property
    def crashes(self) -> int:
        return sum(p.outcome in ("failed", "error") for p in self.props.values())

    @property
    def known(self) -> int:
        return sum(p.outcome == "known" for p in self.props.values())


def run_target(name: str, examples: int, extra: list[str]) -> Target:
    target = Target(name)
    with tempfile.TemporaryDirectory(prefix="fuzz-bench-") as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", TARGETS[name], "-q", "-p", "no:cacheprovider", "--timeout=0",
               "--hypothesis-show-statistics", f"--junitxml={junit}", *extra]
        env = {**os.environ, "FUZZ_EXAMPLES": str(examples), "QT_QPA_PLATFORM": "offscreen"}
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        target.seconds = time.monotonic() - start
        current: Property | None = None
        for line in proc.stdout.splitlines():
            if m := HEADER.match(line.strip()):
                test = m.group(1).split("::", 1)[1]
                current = target.props.setdefault(test, Property(test))
            elif current is not None and (m := COUNTS.search(line)):
                current.inputs += int(m.group(1)) + int(m.group(2))
                current.failing += int(m.group(2))
        if junit.exists():
            for case in ET.parse(junit).getroot().iter("testcase"):
                prop = target.props.setdefault(case.get("name", "?"), Property(case.get("name", "?")))
                kinds = {child.tag for child in case}
                skipped = case.find("skipped")
                if "failure" in kinds:
                    prop.outcome = "failed"
                elif "error" in kinds:
                    prop.outcome = "error"
                elif skipped is not None and "xfail" in (skipped.get("type", "") + skipped.get("message", "")):
                    prop.outcome = "known"
                elif skipped is not None:
                    prop.outcome = "skipped"
                else:
                    prop.outcome = "passed"
        if proc.returncode not in (0, 1) or target.crashes:
            lines = (proc.stdout + proc.stderr).splitlines()
            found = [ln for ln in lines if ln.startswith(("E ", "FAILED", "ERROR"))] or lines
            tail = "\n".join(found[-60:])
            print(f"--- {name}: pytest exit {proc.returncode}; the failing inputs and errors:\n{tail}\n---",
                  file=sys.stderr)
        if proc.returncode not in (0, 1) and not target.props:
            target.props["(pytest)"] = Property("(pytest)", outcome="error")
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=100_000, help="inputs per property (FUZZ_EXAMPLES)")
    ap.add_argument("--target", nargs="+", choices=sorted(TARGETS), default=list(TARGETS))
    ap.add_argument("pytest_args", nargs="*", help="passed to pytest after --, e.g. -- -k tracking")
    args = ap.parse_args(argv)

    results = []
    for name in args.target:
        print(f"fuzzing {name} with FUZZ_EXAMPLES={args.examples} ...", flush=True)
        t = run_target(name, args.examples, args.pytest_args)
        results.append(t)
        for p in sorted(t.props.values(), key=lambda p: p.name):
            failing = f"  {p.failing} failing" if p.failing else ""
            print(f"  {p.name:<72} {p.inputs:>9} inputs  {p.outcome}{failing}")
    print()
    print(f"{'target':<10} {'inputs run':>12} {'crashes':>8} {'known':>6} {'seconds':>9}")
    for t in results:
        print(f"{t.name:<10} {t.inputs:>12} {t.crashes:>8} {t.known:>6} {t.seconds:>9.1f}")
    print(f"{'total':<10} {sum(t.inputs for t in results):>12} {sum(t.crashes for t in results):>8} "
          f"{sum(t.known for t in results):>6} {sum(t.seconds for t in results):>9.1f}")
    return 1 if any(t.crashes for t in results) else 0


if __name__ == "__main__":
    sys.exit(main())
