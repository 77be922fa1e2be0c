"""The soak (bench/soak.py) in CI: the same code, ~60 transactions instead of 10,000.

Sixty transactions are too few for an RSS trend (the allocator and Qt's caches are still settling), so the RSS
growth is only printed; threads, open file descriptors and Qt widgets must not grow, every transaction must end
in its expected state (the soak raises otherwise), and video retention must keep the clips within the quota.
The long run is ``python bench/soak.py`` (its docstring has the command).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[1] / "bench" / "soak.py"


def load_soak():
    spec = importlib.util.spec_from_file_location("bench_soak", SOAK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_soak_short_run_leaks_no_threads_or_files_and_every_transaction_ends_as_expected(qapp, tmp_path, capsys):
    soak = load_soak()
    lines: list[str] = []
    r = soak.run(60, 20, tmp_path / "cabinet", log=lines.append, judge_rss=False)
    with capsys.disabled():
        print("\n" + "\n".join(lines) + "\n" + soak.summary(r))

    assert r.transactions == 60 and sum(r.done.values()) == 60
    assert r.done == {"deposit": 24, "accept": 12, "refuse": 12, "lockout": 12}  # the mix, each one checked
    assert r.end.threads <= r.baseline.threads, [(s.txn, s.threads) for s in r.samples]
    assert r.end.fds <= r.baseline.fds, [(s.txn, s.fds) for s in r.samples]
    assert r.end.widgets <= r.baseline.widgets, [(s.txn, s.widgets) for s in r.samples]
    assert r.clips_deleted > 0  # the recorder kept recording and retention kept the quota
    assert r.end.video_kb <= soak.QUOTA_MB * 1024
    assert r.failures == []  # (the RSS growth is printed, not judged)
    # The diagnostic columns read real counters here (glibc, a shared libsqlite3): SQLite's page cache grows
    # as the database does.
    assert r.baseline.heap_free_kb >= 0 and 0 < r.baseline.sqlite_kb < r.end.sqlite_kb, [
        (s.txn, s.sqlite_kb, s.heap_free_kb) for s in r.samples]
