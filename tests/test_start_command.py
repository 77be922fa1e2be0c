"""The README's start command, as a user runs it, and the headless scenario."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from kiosk.config import default_config_path, with_data_dir


def config(tmp_path):
    cfg = tmp_path / "cabinet.toml"
    cfg.write_text(with_data_dir(default_config_path().read_text(), "state"))
    return cfg


def test_kiosk_run_simulate_starts_the_app_and_stops_cleanly_on_sigterm(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    p = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--simulate", "--windowed", "--config",
                          str(config(tmp_path))], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        db = tmp_path / "state" / "kiosk.sqlite3"
        while time.monotonic() < deadline and not db.exists():  # the app has opened its database
            time.sleep(0.1)
        time.sleep(2.0)  # let it reach the home screen and poll the emulated board
        assert p.poll() is None, p.communicate()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 0, err
    assert "Traceback" not in err


def test_kiosk_run_without_a_display_says_what_to_do(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    r = subprocess.run([sys.executable, "-m", "kiosk", "run", "--simulate", "--config", str(config(tmp_path))],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "no display" in r.stderr and "QT_QPA_PLATFORM" in r.stderr


def test_scenario_does_a_whole_deposit_and_pickup_and_keeps_its_data(tmp_path):
    cfg = config(tmp_path)
    for _ in (1, 2):
        r = subprocess.run([sys.executable, "-m", "kiosk", "scenario", "--config", str(cfg)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "scenario passed" in r.stdout and "FAIL" not in r.stdout
        assert "lock board emulated on /dev/pts/" in r.stdout
    ev = subprocess.run([sys.executable, "-m", "kiosk", "events", "--config", str(cfg)],
                        capture_output=True, text=True, timeout=60).stdout
    assert ev.count("parcel_collected") == 2 and ev.count("door_opened") == 4
    v = subprocess.run([sys.executable, "-m", "kiosk", "events", "--verify", "--config", str(cfg)],
                       capture_output=True, text=True, timeout=60)
    assert v.returncode == 0 and "audit chain ok" in v.stdout
