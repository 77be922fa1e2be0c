"""`kiosk selftest` and `kiosk emulate`, run as a technician would: real processes, real ptys, real drivers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hardware.fingerprint_emulator import FingerprintEmulator
from hardware.kerong_emulator import KerongEmulator
from kiosk.config import default_config_path, with_data_dir

DEFAULT = default_config_path().read_text()


def config(tmp_path: Path, locks: str = 'kind = "emulated"', fingerprint: str = 'kind = "emulated"') -> Path:
    text = with_data_dir(DEFAULT, "state")
    head, _, _ = text.partition("[hardware.locks]")
    text = head + f'[hardware.locks]\n{locks}\n\n[hardware.fingerprint]\n{fingerprint}\n\n' \
                  '[hardware.camera]\nkind = "synthetic"\n'
    p = tmp_path / "cabinet.toml"
    p.write_text(text)
    return p


def selftest(cfg: Path) -> tuple[int, dict[str, tuple[str, str]]]:
    r = subprocess.run([sys.executable, "-m", "kiosk", "selftest", "--config", str(cfg)], capture_output=True,
                       text=True, timeout=120)
    rows = {}
    for line in r.stdout.splitlines()[1:]:
        device, state, detail = line.split(maxsplit=2)
        rows[device] = (state, detail)
    return r.returncode, rows


def test_selftest_on_the_simulated_cabinet_is_all_ok(tmp_path):
    rc, rows = selftest(config(tmp_path))
    assert rc == 0, rows
    assert set(rows) == {"database", "secret", "disk", "lockboard", "fingerprint", "camera"}
    assert all(state == "ok" for state, _ in rows.values())
    assert "24 boxes read" in rows["lockboard"][1] and "capacity 300" in rows["fingerprint"][1]


def test_selftest_names_the_fault_when_the_devices_are_gone(tmp_path):
    board, sensor = KerongEmulator((0, 1)).start(), FingerprintEmulator()
    board_port, sensor_port = board.port, sensor.port
    board.stop()
    sensor.stop()  # unplugged: the pty paths no longer exist
    rc, rows = selftest(config(tmp_path, f'kind = "kerong"\nport = "{board_port}"',
                               f'kind = "zfm"\nport = "{sensor_port}"'))
    assert rc == 1
    assert rows["lockboard"][0] == "FAULT" and board_port in rows["lockboard"][1]
    assert rows["fingerprint"][0] == "FAULT" and sensor_port in rows["fingerprint"][1]
    assert rows["database"][0] == rows["camera"][0] == "ok"


def test_selftest_reports_a_malformed_device_option_by_key(tmp_path):
    rc, rows = selftest(config(tmp_path, 'kind = "kerong"'))
    assert rc == 1 and rows["lockboard"] == ("FAULT", "hardware.locks.port: missing (required)")


class Emulator:
    """`kiosk emulate …` in a child process, driven through its stdin."""

    def __init__(self, *args: str) -> None:
        self.p = subprocess.Popen([sys.executable, "-m", "kiosk", "emulate", *args], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.title = self.p.stdout.readline().strip()
        self.port = self.title.split(" on ")[1].split()[0]

    def say(self, line: str) -> str:
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def quit(self) -> int:
        self.p.stdin.write("quit\n")
        self.p.stdin.close()
        rc = self.p.wait(timeout=30)
        self.p.stdout.close()
        self.p.stderr.close()
        return rc


@pytest.fixture
def lockboard():
    emu = Emulator("lockboard", "--boards", "0", "1")
    yield emu
    if emu.p.poll() is None:
        assert emu.quit() == 0


def test_emulated_lockboard_serves_the_real_driver_and_takes_commands(tmp_path, lockboard):
    assert lockboard.title.startswith("lockboard emulator on /dev/pts/") and "boards 0, 1" in lockboard.title
    cfg = config(tmp_path, f'kind = "kerong"\nport = "{lockboard.port}"')
    rc, rows = selftest(cfg)
    assert rc == 0 and rows["lockboard"][0] == "ok" and "open: none" in rows["lockboard"][1]
    assert lockboard.say("open 1 2") == "opened"  # channel 19 = board 1, lock 2 = box C03
    rc, rows = selftest(cfg)
    assert "open: C03" in rows["lockboard"][1]
    assert lockboard.say("fault no_reply") == "fault no_reply"
    rc, rows = selftest(cfg)
    assert rc == 1 and rows["lockboard"][0] == "FAULT" and "does not answer" in rows["lockboard"][1]
    assert lockboard.say("fault none") == "fault none"
    assert lockboard.say("stall 0 3") == "board 0 holds its next 3 replies"  # late, all at once: still one board
    rc, rows = selftest(cfg)
    assert rc == 0 and rows["lockboard"][0] == "ok", rows
    assert lockboard.say("stall 0 0").startswith("error: hold_replies needs n")
    assert lockboard.say("fault sideways").startswith("error: fault must be one of")
    assert lockboard.say("open 1").startswith("error:")
    assert lockboard.quit() == 0


def test_emulated_fingerprint_sensor_serves_the_real_driver(tmp_path):
    emu = Emulator("fingerprint", "--store", str(tmp_path / "fp.json"))
    try:
        assert emu.say("place 4") == "placed"
        assert emu.say("templates") == "none"
        rc, rows = selftest(config(tmp_path, fingerprint=f'kind = "zfm"\nport = "{emu.port}"'))
        assert rows["fingerprint"] == ("ok", f"{emu.port}: capacity 300, 0 templates")
        assert emu.say("fault silence") == "fault silence"
        rc, rows = selftest(config(tmp_path, fingerprint=f'kind = "zfm"\nport = "{emu.port}"'))
        assert rows["fingerprint"][0] == "FAULT" and "does not answer" in rows["fingerprint"][1]
    finally:
        assert emu.quit() == 0
