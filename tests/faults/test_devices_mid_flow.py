"""Devices that fail in the middle of a flow, a corrupted config and a clock that jumps.

The whole app runs offscreen on the emulators (tests/ui/conftest.Harness); faults are injected with what the
emulators offer: the lock board stops answering (``no_reply``, as an unplugged RS485 cable looks to the
master), the fingerprint sensor goes silent. What must hold: the person's parcel is never lost, the maintainer
sees the fault, the device is used again once it answers. The config and clock cases need no devices.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import audit
from kiosk.model import BoxLocked, Opened, Throttled
from tests.core.conftest import PIN, Cabinet
from tests.ui.conftest import Harness

NO_VIDEO = {"enabled = true": "enabled = false"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path, edits=NO_VIDEO)
    h.service.add_courier("C1001", "Li Wei", PIN)
    h.comp.fingerprint_device.emulator.enrol_directly(1, 7)
    h.service.assign_finger("C1001", 1)
    yield h
    h.stop()


def faults(h: Harness, device: str) -> list[str]:
    return [line for _ts, kind, line in h.comp.app.maintainer.alarms if kind == "fault" and line.startswith(device)]


def test_lock_board_unplugged_and_replugged_mid_deposit(app, qtbot):
    h, svc = app, app.service
    courier = svc.login_pin("C1001", PIN)
    p = svc.start_deposit(courier, "M", "SF-UNPLUG-1", consent=True)
    qtbot.waitUntil(lambda: h.kiosk.door_open(p.box_no) is True, timeout=5000)
    h.sim.emulator.set_fault("no_reply")  # the cable is pulled while the courier is at the open door
    qtbot.waitUntil(lambda: bool(faults(h, "lockboard")) and h.kiosk.door_open(p.box_no) is None, timeout=8000)
    assert h.kiosk.devices["lockboard"][0] is False
    h.sim.put_item(p.box_no, True)  # the courier finishes meanwhile: nobody can read it yet
    h.sim.close_door(p.box_no)
    qtbot.wait(300)
    assert svc.parcel(p.id).state == "reserved"  # nothing decided on a door nobody can read
    h.sim.emulator.set_fault(None)  # plugged back
    qtbot.waitUntil(lambda: svc.parcel(p.id).state == "stored", timeout=8000)
    qtbot.waitUntil(lambda: h.kiosk.devices["lockboard"][0] is True, timeout=5000)
    assert [e.kind for e in audit.events(svc.store.conn, parcel_id=p.id)].count("tamper") == 0
    assert svc.verify_log().ok
    password = [m for m in h.kiosk.messages if m.get("tracking") == "SF-UNPLUG-1"][-1]["password"]
    assert isinstance(svc.pickup(p.box_no, password), Opened)  # the board works again


def test_fingerprint_sensor_silent_mid_login_then_back(app, qtbot):
    h = app
    emu, worker = h.comp.fingerprint_device.emulator, h.kiosk.fingerprint
    identified = []
    worker.finger_identified.connect(lambda slot, score: identified.append(slot))
    h.wait_screen("home")
    qtbot.waitUntil(lambda: h.kiosk.devices.get("fingerprint", (False,))[0], timeout=5000)
    emu.set_fault("silence")  # the sensor dies as the courier puts a finger on it
    emu.place_finger(7)
    qtbot.waitUntil(lambda: bool(faults(h, "fingerprint")), timeout=8000)
    assert identified == [] and h.screen() == "home"
    assert h.kiosk.devices["fingerprint"][0] is False
    emu.lift_finger()
    courier = h.service.login_pin("C1001", PIN)  # the fallback works while the sensor is out
    assert courier.number == "C1001"
    emu.set_fault(None)
    qtbot.waitUntil(lambda: h.kiosk.devices["fingerprint"][0] is True, timeout=10000)
    emu.place_finger(7)
    try:
        h.wait_screen("courier.menu", timeout=8000)  # the finger logs in again, through the screens
    finally:
        emu.lift_finger()
    assert identified[-1] == 1


# ---- a corrupted config: one line naming the problem, exit 1, no traceback -----------------------------------

def bad_configs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = (ROOT / "assets" / "simulated.toml").read_text()
    out = {}
    for name, text, expect in (
            ("garbage", b"\x00\xff\xfe\x12garbage", "not UTF-8 text"),
            ("toml", b"[cabinet\nid = 1\n", "not valid TOML"),
            ("type", good.replace("max_tries = 3 ", 'max_tries = "three" ').encode(), "lockout.max_tries"),
            ("range", good.replace("length = 6 ", "length = -2 ").encode(), "passwords.length")):
        path = tmp_path / f"{name}.toml"
        path.write_bytes(text)
        out[name] = (path, expect)
    return out


@pytest.mark.parametrize("command", ["selftest", "run"])
def test_a_corrupted_config_stops_with_one_line_naming_the_key(tmp_path, command):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for name, (path, expect) in bad_configs(tmp_path).items():
        r = subprocess.run([sys.executable, "-m", "kiosk", command, "--config", str(path), "--simulate"],
                           capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
        assert r.returncode == 1, (name, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and expect in lines[0], (name, r.stderr)
        assert "Traceback" not in r.stderr + r.stdout


# ---- a clock jump in the core ------------------------------------------------------------------------------

def test_clock_jumps_forward_two_days_and_back_an_hour(tmp_path):
    cab = Cabinet(tmp_path)
    try:
        svc, clock, cfg = cab.svc, cab.clock, cab.cfg
        c = cab.courier()
        locked, pw_locked = cab.deposit(c, tracking="SF-LOCK-1", size="S")
        kept, pw_kept = cab.deposit(c, tracking="SF-KEEP-1", size="M")
        wrong = "".join(str((int(ch) + 1) % 10) for ch in pw_locked)
        results = [svc.pickup(locked.box_no, wrong) for _ in range(cfg.lockout.max_tries)]
        assert isinstance(results[-1], BoxLocked)
        for i in range(cfg.throttle.free_failures):  # enough failures elsewhere to start the throttle
            svc.pickup("A01" if locked.box_no != "A01" else "A02", f"{i:06d}")
        assert isinstance(svc.pickup(kept.box_no, pw_kept), Throttled)

        clock.advance(2 * 86400 + 60)  # forward two days: throttle window, lockout and storage time all pass
        ticked = svc.tick()
        assert ticked["reissued"] == 1 and ticked["overdue"] >= 1 and ticked["pruned"] >= 1
        assert svc.lockouts() == []
        assert svc.parcel(kept.id).state == "overdue"  # free_hours = 48 passed
        new_pw = cab.last_password(c.number)  # the lockout's end sent a new one
        assert isinstance(svc.pickup(locked.box_no, new_pw), Opened)

        clock.advance(-3600)  # back one hour (NTP correction): nothing breaks, nothing un-happens
        assert svc.tick() == {"reissued": 0, "overdue": 0, "pruned": 0}
        assert svc.parcel(kept.id).state == "overdue"
        assert isinstance(svc.pickup(kept.box_no, pw_kept), Opened)  # an overdue parcel can still be collected
        assert svc.apply_retention(lambda _p: 10 * 2**30) == []  # no clip, no crash
        assert svc.verify_log().ok
        ts = [e.ts for e in audit.events(cab.store.conn)]
        assert min(ts[i + 1] - ts[i] for i in range(len(ts) - 1)) >= -3600  # the log shows the jump as it was
    finally:
        cab.store.close()



# ---- the camera unplugged in the middle of a clip ----------------------------------------------------------

def test_camera_unplugged_mid_clip_closes_it_cleanly_and_recording_resumes(qtbot, tmp_path):
    import av

    h = Harness(qtbot, tmp_path, edits={"preroll_s = 5 ": "preroll_s = 1 ", "postroll_s = 3 ": "postroll_s = 1 "})
    try:
        saved = []
        h.kiosk.clip_recorded.connect(saved.append)
        qtbot.waitUntil(lambda: h.kiosk.devices.get("recorder", (False,))[0], timeout=5000)
        source = h.kiosk.camera_source  # the SyntheticSource, whose cable can be "pulled"
        txn = h.kiosk.begin_txn("pickup", "customer")
        qtbot.wait(800)
        source.set_unplugged(True)
        qtbot.waitUntil(lambda: h.kiosk.devices.get("camera", (True,))[0] is False, timeout=8000)
        h.kiosk.end_txn()
        qtbot.waitUntil(lambda: len(saved) >= 1, timeout=10000)
        cut = saved[0]
        assert cut.txn == txn and cut.complete is False and cut.note
        with av.open(str(h.service.clip_path(cut))) as f:
            assert sum(1 for _ in f.decode(video=0)) >= 1  # the file is closed and decodes
        source.set_unplugged(False)
        qtbot.waitUntil(lambda: h.kiosk.devices["camera"][0] is True, timeout=10000)
        txn2 = h.kiosk.begin_txn("pickup", "customer")
        qtbot.wait(500)
        h.kiosk.end_txn()
        qtbot.waitUntil(lambda: any(c.txn == txn2 for c in saved), timeout=10000)
        assert [c for c in saved if c.txn == txn2][0].frames > 0
        assert h.service.verify_log().ok
    finally:
        h.stop()
