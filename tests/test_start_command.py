"""The README's start command, as a user runs it: on the simulated cabinet, twice on the same data."""

from __future__ import annotations

import subprocess
import sys

from kiosk.config import default_config_path


def test_kiosk_run_simulate_does_the_whole_scenario_and_keeps_its_data(tmp_path):
    cfg = tmp_path / "cabinet.toml"
    cfg.write_text(default_config_path().read_text().replace(
        'data_dir = "~/.local/share/parcel-locker/simulated"', 'data_dir = "state"'))
    for run in (1, 2):
        r = subprocess.run([sys.executable, "-m", "kiosk", "run", "--simulate", "--config", str(cfg)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "scenario passed" in r.stdout and "FAIL" not in r.stdout
        assert "lock board emulated on /dev/pts/" in r.stdout
    # Two runs, two collected parcels, one chain.
    v = subprocess.run([sys.executable, "-m", "kiosk", "events", "--verify", "--config", str(cfg)],
                       capture_output=True, text=True, timeout=60)
    assert v.returncode == 0 and "audit chain ok" in v.stdout
    ev = subprocess.run([sys.executable, "-m", "kiosk", "events", "--config", str(cfg)],
                        capture_output=True, text=True, timeout=60).stdout
    assert ev.count("parcel_collected") == 2 and ev.count("door_opened") == 4


def test_kiosk_run_without_simulate_says_what_is_missing():
    r = subprocess.run([sys.executable, "-m", "kiosk", "run"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "only --simulate" in r.stderr
