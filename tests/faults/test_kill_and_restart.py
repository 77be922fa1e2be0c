"""SIGKILL of the whole kiosk (Composition on the emulators) between the steps of a deposit and of a pickup,
then a restart on the same data directory with the cabinet's doors as a person would find them.

What must hold after every restart: every event committed before the kill is still there and the hash chain
verifies; every parcel's state is the one its last event says (tests/core/test_durability.check_consistent);
``recover()`` settled the sessions whose doors are shut; a door found open with no deposit or pickup on it is
logged (``door_open_at_start``) and raises an alarm the maintainer's screen lists.

The killed child's emulated lock board dies with it, so the restarted app gets a fresh emulator preset to the
physical state chosen per case (door still open, closed with the parcel inside, closed empty). CI runs a
subset of the kill points; ``KIOSK_FAULTS_ALL=1`` runs all of them (about 3 s each). One more case runs with
video on: the clip being written at the kill is registered at the restart from the file itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

import hardware.simulated
from hardware.clip_writer import playable_frames, probe_clip
from hardware.kerong_emulator import KerongEmulator
from kiosk import audit
from kiosk.clips import file_sha256
from kiosk.config import load
from kiosk.model import Opened
from tests.core.test_durability import check_consistent
from tests.faults.app_child import STEPS, TRACKING
from tests.ui.conftest import Harness, write_config

CHILD = Path(__file__).with_name("app_child.py")
EDITS = {"enabled = true": "enabled = false"}  # no video: the kill points are about doors and the database
ALL = os.environ.get("KIOSK_FAULTS_ALL") == "1"

# (script, kill before step, door open at restart?, item inside?, state after recover(), alarm?)
# The doors are what a person finds after the crash: a deposit killed right after its pulse finds the door
# open (the courier may be there), a pickup whose customer accepted and went finds the door open and nobody.
CASES = [
    ("deposit", "login", False, False, None, False),             # nothing started: no parcel at all
    ("deposit", "reserve", False, False, None, False),           # logged in only
    ("deposit", "door_open", False, False, "cancelled", False),  # reserved, door never seen open, box empty
    ("deposit", "item_in", True, False, "reserved", False),      # door open, courier still there: left open
    ("deposit", "door_closed", True, True, "reserved", False),   # parcel in, door open: closes later → stored
    ("deposit", "door_closed", False, True, "stored", False),    # parcel in, door pushed shut while down
    ("deposit", "end", False, True, "stored", False),            # stored before the kill
    ("pickup", "begin", False, True, "stored", False),
    ("pickup", "password", False, True, "stored", False),
    ("pickup", "door_open", False, True, "stored", False),       # opened, door shut, parcel inside: restored
    ("pickup", "accept", True, True, "picking", False),          # customer at the open door: session goes on
    ("pickup", "accept", False, False, "collected", False),      # took it and shut the door while down
    ("pickup", "item_out", True, True, "collected", True),       # accepted, then nobody: door open
    ("pickup", "door_closed", True, False, "collected", True),   # taken, door left open
    ("pickup", "end", False, False, "collected", False),
]
CI = {("deposit", "door_open", False), ("deposit", "door_closed", True), ("pickup", "door_open", False),
      ("pickup", "door_closed", True)}


def case_id(case: tuple) -> str:
    script, step, is_open, inside, *_ = case
    return f"{script}-before-{step}-{'open' if is_open else 'closed'}-{'item' if inside else 'empty'}"


PARAMS = [pytest.param(*c, id=case_id(c)) for c in CASES if ALL or c[:3] in CI]


def kill_at(config: Path, script: str, step: str, before_kill: Callable[[], None] | None = None) -> int:
    """Run the child, SIGKILL it at ``step``'s marker (after ``before_kill`` returns); returns the number of
    events it had committed."""
    proc = subprocess.Popen([sys.executable, str(CHILD), str(config), script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in STEPS[script]:  # bounded: one marker per step
            line = proc.stdout.readline().split()
            assert line and line[0] == "STEP", (line, proc.stderr.read()[-3000:] if proc.poll() is not None else "")
            if line[1] == step:
                if before_kill is not None:
                    before_kill()
                proc.send_signal(signal.SIGKILL)
                assert proc.wait(timeout=10) == -signal.SIGKILL
                return int(line[2])
            proc.stdin.write("go\n")
            proc.stdin.flush()
        raise AssertionError(f"no marker {step}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            f.close()


def preset_board(monkeypatch, config, box_no: str | None, is_open: bool, inside: bool) -> None:
    """The restarted app's emulator starts with the box's door and IR as the crash left them."""
    where = hardware.simulated.board_lock(config.box(box_no).lock) if box_no else None

    class Found(KerongEmulator):
        def start(self):
            if where is not None:
                (self.open_door if is_open else self.close_door)(*where)
                self.set_item(*where, inside)
            return super().start()

    monkeypatch.setattr(hardware.simulated, "KerongEmulator", Found)


def box_of(db: Path) -> str | None:
    """The box the killed run reserved, read from the database directly (no app running)."""
    import sqlite3

    if not db.exists():
        return None
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT box_no FROM parcels WHERE tracking = ?", (TRACKING,)).fetchone()
    return row[0] if row else None


def password(h: Harness, tmp_path: Path) -> str:
    """The newest password the courier's handheld got: from the restarted app, else from the killed one."""
    sent = [m["password"] for m in h.kiosk.messages if m.get("tracking") == TRACKING and "password" in m]
    return sent[-1] if sent else (tmp_path / "state" / "password").read_text()


@pytest.mark.parametrize("script, step, is_open, inside, state, alarm", PARAMS)
def test_kill_then_restart(qtbot, tmp_path, monkeypatch, script, step, is_open, inside, state, alarm):
    config_path = write_config(tmp_path, edits=EDITS)
    committed = kill_at(config_path, script, step)
    config = load(config_path)
    box = box_of(config.db_path)
    assert (box is None) == (script == "deposit" and step in ("login", "reserve"))
    preset_board(monkeypatch, config, box, is_open, inside)
    h = Harness(qtbot, tmp_path, edits=EDITS)
    try:
        svc = h.service
        events = audit.events(svc.store.conn)
        assert len(events) >= committed  # nothing committed before the kill is lost
        alarms = h.comp.app.maintainer.alarms
        h.comp.recover_when_doors_known()
        parcels = svc.parcels(tracking=TRACKING)
        if state is None:
            assert parcels == []
        else:
            (p,) = parcels
            assert p.state == state
        check_consistent(SimpleNamespace(store=svc.store, svc=svc))
        door_alarms = [line for _ts, kind, line in alarms if kind == "door_open_at_start"]
        logged = [e for e in audit.events(svc.store.conn) if e.kind == "door_open_at_start"]
        if alarm:
            assert door_alarms == [box]
            assert [e.box_no for e in logged] == [box]
        else:
            assert door_alarms == [] and logged == []
        if is_open and state in ("reserved", "picking"):  # the session goes on: closing the door settles it
            # The courier puts the parcel in (a deposit) or the customer leaves it (no choice made), then shuts it.
            h.sim.put_item(box, True)
            qtbot.waitUntil(lambda: h.sim.bank.item_inside(box) is True, timeout=5000)
            h.close_door(box)
            qtbot.waitUntil(lambda: svc.parcel(p.id).state not in ("reserved", "picking"), timeout=5000)
            assert svc.parcel(p.id).state == ("stored" if state == "reserved" else "refused")
            check_consistent(SimpleNamespace(store=svc.store, svc=svc))
        if parcels and svc.parcel(p.id).state == "stored":  # the courier's password opens the box
            assert isinstance(svc.pickup(box, password(h, tmp_path)), Opened)
    finally:
        h.stop()


def test_a_clip_cut_by_the_kill_is_registered_at_restart(qtbot, tmp_path, monkeypatch):
    """Video on: the app dies mid-deposit while the door is open and its clip is being written. The clip has no
    sidecar (that comes at the end), so at the restart the recorder's probe reads the file and the core registers
    it: listed for the parcel, hashed as found, marked incomplete, in the audit chain."""
    config_path = write_config(tmp_path)
    config = load(config_path)
    clip_probe: dict = {}

    def clip_has_video() -> None:  # bounded: the pre-roll's first fragment reaches the disk within seconds
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for mp4 in config.video_dir.glob("*/*.mp4"):
                try:
                    clip_probe.update(probe_clip(mp4), path=mp4)
                except ValueError:
                    continue  # the header is there, no fragment yet
                if clip_probe["frames"] > 0:
                    return
            time.sleep(0.2)
        raise AssertionError("no playable fragment in the clip within 20 s")

    kill_at(config_path, "deposit", "item_in", before_kill=clip_has_video)
    mp4 = clip_probe["path"]
    assert not mp4.with_suffix(".json").exists()
    box = box_of(config.db_path)
    preset_board(monkeypatch, config, box, True, False)
    h = Harness(qtbot, tmp_path)
    try:
        svc = h.service
        (p,) = svc.parcels(tracking=TRACKING)
        [clip] = [k for k in svc.clips(tracking=TRACKING) if k.file == svc.clip_file(mp4)]
        assert clip.kind == "deposit" and clip.boxes == (box,) and not clip.complete
        assert clip.note.startswith("cut short") and clip.frames >= clip_probe["frames"]
        assert clip.frames == playable_frames(mp4) and clip.sha256 == file_sha256(mp4)
        recorded = [e for e in audit.events(svc.store.conn) if e.kind == "clip_recorded"]
        assert [e.data["sha256"] for e in recorded] == [clip.sha256]
        assert audit.verify(svc.store.conn).ok
    finally:
        h.stop()
