"""deploy/install.sh into a temporary root: the tree and its modes, no command run on the real system (apt,
useradd, chown, systemctl are stubs that record any call), --dry-run changes nothing, --upgrade keeps edits."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from kiosk.config import load
from kiosk.keys import Keyring

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "install.sh"
SYSTEM_COMMANDS = ("apt-get", "apt", "dpkg", "useradd", "usermod", "groupadd", "chown", "chgrp", "systemctl",
                   "udevadm", "runuser", "sudo", "pip", "pip3", "python3")
SH = shutil.which("dash") or "/bin/sh"  # POSIX sh, as on Debian


@pytest.fixture
def stubs(tmp_path):
    """A PATH whose system commands record their call and fail."""
    d = tmp_path / "stubs"
    d.mkdir()
    calls = tmp_path / "calls"
    for name in SYSTEM_COMMANDS:
        p = d / name
        p.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexit 97\n')
        p.chmod(0o755)
    env = dict(os.environ, PATH=f"{d}:/usr/bin:/bin")
    return env, calls


def install(env, *args, check=True):
    r = subprocess.run([SH, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_the_script_is_posix_sh():
    r = subprocess.run([SH, "-n", str(SCRIPT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "set -eu" in SCRIPT.read_text()


def test_install_into_a_root_writes_the_tree_with_its_modes_and_runs_nothing_on_the_system(tmp_path, stubs):
    env, calls = stubs
    root = tmp_path / "root"
    r = install(env, "--root", str(root), "--pi")
    assert not calls.exists(), calls.read_text()
    expected = {
        "opt/parcel-kiosk": 0o755,
        "etc/parcel-kiosk": 0o750,
        "etc/parcel-kiosk/kiosk.toml": 0o640,
        "etc/parcel-kiosk/env": 0o640,
        "etc/parcel-kiosk/secrets": 0o700,
        "etc/parcel-kiosk/secrets/cabinet.key": 0o600,
        "var/lib/parcel-kiosk": 0o750,
        "var/lib/parcel-kiosk/backups": 0o750,
        "var/log/parcel-kiosk": 0o750,
        "etc/systemd/system/parcel-kiosk.service": 0o644,
        "etc/systemd/journald.conf.d/parcel-kiosk.conf": 0o644,
        "etc/udev/rules.d/99-parcel-kiosk.rules": 0o644,
    }
    for rel, m in expected.items():
        assert oct(mode(root / rel)) == oct(m), rel
    assert (root / "opt/parcel-kiosk/src/kiosk/__main__.py").exists()
    assert (root / "opt/parcel-kiosk/src/pyproject.toml").exists()
    assert not list((root / "opt/parcel-kiosk/src").rglob("__pycache__"))
    assert (root / "etc/systemd/system/parcel-kiosk.service").read_text() == \
        (REPO / "deploy/parcel-kiosk.service").read_text()
    assert "\nGPIOZERO_PIN_FACTORY=lgpio\n" in (root / "etc/parcel-kiosk/env").read_text()  # --pi
    assert not (root / "etc/systemd/system/parcel-kiosk.service.d").exists()  # eglfs by default
    # The secret is one the kiosk accepts (hex, 0600), and the installed config loads.
    key_file = root / "etc/parcel-kiosk/secrets/cabinet.key"
    assert len(bytes.fromhex(key_file.read_text().strip())) == 32
    Keyring.load_or_create(key_file)  # raises SecretError on a bad or too-open file
    assert load(root / "etc/parcel-kiosk/kiosk.toml").cabinet_id
    # What it would do on the real system is said, not done.
    out = r.stdout
    for cmd in ("apt-get install", "python3-lgpio", "cage", "espeak-ng", "useradd --system", "usermod -a -G gpio",
                "usermod -a -G dialout", "chown root:kiosk", "systemctl enable parcel-kiosk.service",
                "pip install"):
        assert cmd in out, cmd
    assert "xvfb" not in out and "mosquitto" not in out  # test-only packages stay off the cabinet


def test_upgrade_keeps_the_edited_config_the_rules_and_the_secret_and_migrates(tmp_path, stubs):
    env, calls = stubs
    root = tmp_path / "root"
    install(env, "--root", str(root))
    toml = root / "etc/parcel-kiosk/kiosk.toml"
    toml.write_text(toml.read_text().replace('id = "CHANGE-ME-0001"', 'id = "SZ-FT-0007"'))
    rules = root / "etc/udev/rules.d/99-parcel-kiosk.rules"
    rules.write_text(rules.read_text() + "# this cabinet's ports\n")
    key = (root / "etc/parcel-kiosk/secrets/cabinet.key").read_text()
    (root / "opt/parcel-kiosk/src/stale.py").write_text("old release file")

    r = install(env, "--root", str(root), "--upgrade", "--cage")
    assert not calls.exists(), calls.read_text()
    assert load(toml).cabinet_id == "SZ-FT-0007"
    assert (root / "etc/parcel-kiosk/kiosk.toml.dist").exists()  # the new version, to compare
    assert rules.read_text().endswith("# this cabinet's ports\n")
    assert (root / "etc/parcel-kiosk/secrets/cabinet.key").read_text() == key
    assert not (root / "opt/parcel-kiosk/src/stale.py").exists()  # the code is replaced, not merged
    assert (root / "etc/systemd/system/parcel-kiosk.service.d/cage.conf").exists()
    assert mode(root / "etc/pam.d/parcel-kiosk") == 0o644
    out = r.stdout.splitlines()
    order = [next(i for i, line in enumerate(out) if what in line) for what in
             ("systemctl stop parcel-kiosk", "pip install", "migrate --config", "systemctl start parcel-kiosk")]
    assert order == sorted(order), "stop, install, back up + migrate, start"
    assert any("--backup" in line and "var/lib/parcel-kiosk/backups" in line for line in out)


def test_dry_run_changes_nothing(tmp_path, stubs):
    env, calls = stubs
    root = tmp_path / "root"
    root.mkdir()
    r = install(env, "--root", str(root), "--dry-run", "--pi", "--upgrade")
    assert list(root.iterdir()) == [] and not calls.exists()
    assert "would: install -d -m 0700" in r.stdout and "would (system): systemctl stop" in r.stdout


def test_dry_run_on_the_real_root_changes_nothing_either(tmp_path, stubs):
    env, calls = stubs
    if Path("/etc/parcel-kiosk").exists():
        pytest.skip("the kiosk is installed on this machine")
    r = install(env, "--dry-run")
    assert not calls.exists(), calls.read_text()
    assert not Path("/etc/parcel-kiosk").exists() and not Path("/opt/parcel-kiosk").exists()
    assert "would (system): useradd" in r.stdout and "would: install -m 0640" in r.stdout


def test_an_unknown_option_is_refused(tmp_path, stubs):
    env, _ = stubs
    r = install(env, "--rooot", str(tmp_path), check=False)
    assert r.returncode == 2 and "unknown option --rooot" in r.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="as root this would be a real install")
def test_a_real_install_needs_root(stubs):
    env, calls = stubs
    r = install(env, check=False)
    assert r.returncode == 1 and "run as root" in r.stderr and not calls.exists()
