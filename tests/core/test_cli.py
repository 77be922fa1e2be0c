"""The kiosk command line, run as a user would: a real process, a real config file, a real database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import default_config_path, with_data_dir


@pytest.fixture
def config(tmp_path: Path) -> Path:
    text = with_data_dir(default_config_path().read_text(), "state")
    p = tmp_path / "cabinet.toml"
    p.write_text(text)
    return p


def kiosk(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


def test_courier_add_list_remove(config):
    r = kiosk("courier", "add", "C1001", "--name", "Li Wei", "--config", str(config), stdin="246810\n")
    assert r.returncode == 0, r.stderr
    assert "C1001" in r.stdout and "246810" not in r.stdout + r.stderr
    r = kiosk("--config", str(config), "courier", "list")
    assert r.returncode == 0 and "C1001" in r.stdout and "Li Wei" in r.stdout
    r = kiosk("courier", "add", "C1001", "--name", "Li Wei", "--config", str(config), stdin="246810\n")
    assert r.returncode == 1 and r.stderr.strip() == "error: courier C1001 already exists"
    r = kiosk("courier", "remove", "C1001", "--config", str(config))
    assert r.returncode == 0
    assert "C1001" not in kiosk("courier", "list", "--config", str(config)).stdout
    assert "C1001" in kiosk("courier", "list", "--all", "--config", str(config)).stdout
    r = kiosk("courier", "remove", "C1001", "--config", str(config))
    assert r.returncode == 1 and "no active courier C1001" in r.stderr
    # The log shows who did what, and the secret file was created beside the data, 0600.
    ev = kiosk("events", "--config", str(config))
    assert "courier_added" in ev.stdout and "courier_removed" in ev.stdout
    assert oct((config.parent / "state" / "cabinet.key").stat().st_mode & 0o777) == "0o600"


def test_a_weak_pin_is_refused(config):
    r = kiosk("courier", "add", "C1001", "--name", "Li Wei", "--config", str(config), stdin="12\n")
    assert r.returncode == 1 and "PIN must be 6–12 digits" in r.stderr


def test_bad_config_is_one_clear_line(tmp_path, config):
    config.write_text(config.read_text().replace("max_tries = 3", "max_tries = -1"))
    r = kiosk("courier", "list", "--config", str(config))
    assert r.returncode == 1
    assert r.stderr.strip() == "error: lockout.max_tries: must be 1–20, got -1"
    r = kiosk("courier", "list", "--config", str(tmp_path / "missing.toml"))
    assert r.returncode == 1 and "config file not found" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args, message", [
    (["courier"], "the following arguments are required: ACTION"),
    (["courier", "add"], "the following arguments are required: number, --name"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["events", "--limit", "many"], "invalid int value: 'many'"),
])
def test_bad_arguments_are_one_clear_line(args, message):
    r = kiosk(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("error: kiosk")


def test_maintainer_pin_prints_a_hash_that_verifies():
    from kiosk import pins
    r = kiosk("maintainer-pin", stdin="97531864\n")
    assert r.returncode == 0 and "97531864" not in r.stdout
    h = r.stdout.split('"')[1]
    assert pins.verify_pin("97531864", h) and not pins.verify_pin("97531865", h)
