"""deploy/parcel-kiosk.service: systemd-analyze verify accepts it (and the cage drop-in), it is the watchdog
unit the app is built for, and the hardening leaves writable exactly the paths the cabinet config writes to."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.config import load

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNIT = DEPLOY / "parcel-kiosk.service"
CAGE = DEPLOY / "cage" / "cage.conf"


def analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    return tool


def staged(tmp_path: Path, text: str) -> Path:
    """The unit with its executables pointed at stubs under tmp_path: verify checks that ExecStart exists."""
    for exe in ("opt/parcel-kiosk/venv/bin/kiosk", "usr/bin/cage"):
        stub = tmp_path / exe
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    text = text.replace("/opt/parcel-kiosk/venv", f"{tmp_path}/opt/parcel-kiosk/venv")
    text = text.replace("/usr/bin/cage", f"{tmp_path}/usr/bin/cage")
    out = tmp_path / "parcel-kiosk.service"
    out.write_text(text)
    return out


def verify(tool: str, unit: Path) -> subprocess.CompletedProcess:
    return subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=60)


def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    r = verify(analyze(), staged(tmp_path, UNIT.read_text()))
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr  # warnings (unknown keys) count too


def test_systemd_analyze_verify_accepts_the_unit_with_the_cage_drop_in(tmp_path):
    # A drop-in is read after the unit, as if appended: "ExecStart=" then resets the command list.
    r = verify(analyze(), staged(tmp_path, UNIT.read_text() + "\n" + CAGE.read_text()))
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def test_verify_does_catch_a_broken_unit(tmp_path):
    """The two checks above can fail: a typo'd key warns, a missing program fails."""
    tool = analyze()
    r = verify(tool, staged(tmp_path, UNIT.read_text().replace("ProtectHome=", "ProtectHom=")))
    assert "Unknown key" in r.stderr
    bad = tmp_path / "bad.service"
    bad.write_text(UNIT.read_text())  # ExecStart=/opt/parcel-kiosk/... does not exist on this machine
    if Path("/opt/parcel-kiosk/venv/bin/kiosk").exists():
        pytest.skip("the kiosk is installed on this machine")
    assert verify(tool, bad).returncode != 0


def unit_settings(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_it_is_the_watchdog_unit_the_app_is_built_for():
    s = unit_settings(UNIT.read_text())
    for key, value in {"Type": "notify", "NotifyAccess": "main", "WatchdogSec": "30", "Restart": "always",
                       "RestartSec": "2", "User": "kiosk", "ProtectSystem": "strict", "PrivateTmp": "yes",
                       "NoNewPrivileges": "yes", "ProtectHome": "yes", "StartLimitIntervalSec": "0"}.items():
        assert s.get(key) == [value], key
    assert s["ExecStart"] == ["/opt/parcel-kiosk/venv/bin/kiosk run --config /etc/parcel-kiosk/kiosk.toml"]
    assert "QT_QPA_PLATFORM=eglfs" in s["Environment"]
    assert "PrivateDevices" not in s  # the serial ports, the display and the touch panel are devices
    cage = unit_settings(CAGE.read_text())
    assert cage["NotifyAccess"] == ["all"] and cage["ExecStart"][0] == ""  # the child (kiosk) notifies
    assert "kiosk run --config /etc/parcel-kiosk/kiosk.toml" in cage["ExecStart"][1]


def test_every_path_the_cabinet_config_writes_is_writable_under_the_hardening():
    writable = [Path(p) for p in unit_settings(UNIT.read_text())["ReadWritePaths"][0].split()]
    assert writable == [Path("/var/lib/parcel-kiosk"), Path("/var/log/parcel-kiosk")]
    cfg = load(DEPLOY / "kiosk.toml")
    for path in (cfg.data_dir, cfg.db_path, cfg.video_dir, cfg.log_dir):
        assert any(path == w or w in path.parents for w in writable), f"{path} is read-only under the unit"
    # The secret lives in read-only /etc, so install.sh must create it (the kiosk cannot on first start).
    assert Path("/etc/parcel-kiosk") in cfg.secret_file.parents


def test_the_journald_drop_in_bounds_the_journal():
    p = configparser.ConfigParser()
    p.read(DEPLOY / "journald" / "parcel-kiosk.conf")
    assert p["Journal"]["SystemMaxUse"] and p["Journal"]["Storage"] == "persistent"
