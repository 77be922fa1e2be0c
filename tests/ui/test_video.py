"""The whole cabinet on video: a deposit and a pickup through the screens, on the synthetic camera, leave clips
that decode, start with their pre-roll, carry the overlay, and whose hashes are the ones in the audit chain;
an evidence bundle of the parcel carries both clips and verifies. Also: the camera-offline deposit policy."""

from __future__ import annotations

import hashlib

import av
import numpy as np
import pytest

from hardware.camera import SyntheticSource
from kiosk import audit, evidence, evidence_check
from tests.ui.conftest import Harness
from tests.ui.test_end_to_end import Cabinet

FAST = {"preroll_s = 5 ": "preroll_s = 2 ", "postroll_s = 3 ": "postroll_s = 1 "}
TRACKING = "SF5550001234"


@pytest.fixture
def filmed(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path, edits=FAST)
    h.service.add_courier("C1001", "Li Wei", "135790")
    h.comp.fingerprint_device.emulator.enrol_directly(1, 7)
    h.service.assign_finger("C1001", 1)
    c = Cabinet(h)
    yield c
    c.close()
    h.stop()


def decode(path) -> tuple[list[int], list[float], np.ndarray]:
    """Frame numbers drawn by the synthetic camera, presentation times, and the last picture."""
    indices, times, last = [], [], None
    with av.open(str(path)) as f:
        for frame in f.decode(video=0):
            last = frame.to_ndarray(format="bgr24")
            indices.append(SyntheticSource.decode_index(last))
            times.append(float(frame.time))
    return indices, times, last


def test_deposit_and_pickup_are_filmed_and_tied_to_the_audit_chain(filmed, tmp_path):
    c, h = filmed, filmed.h
    saved = []
    h.kiosk.clip_recorded.connect(saved.append)
    h.qtbot.waitUntil(lambda: h.kiosk.devices.get("recorder", (False,))[0], timeout=5000)
    h.qtbot.wait(2300)  # a kiosk that has been running a while: the 2 s pre-roll is full
    box = c.deposit(TRACKING)
    h.qtbot.waitUntil(lambda: len(saved) == 1, timeout=8000)  # home + door shut + post-roll
    c.open_box(box, c.password(TRACKING))
    c.tap("pickup.accept")
    c.finish(box, item_left=False)
    h.qtbot.waitUntil(lambda: len(saved) == 2, timeout=8000)

    fps = h.comp.camera_thread.fps
    courier_clip, pickup_clip = sorted(saved, key=lambda k: k.started)
    assert (courier_clip.kind, pickup_clip.kind) == ("courier", "pickup")
    assert all(k.boxes == (box,) and k.complete for k in saved)
    (parcel,) = h.service.parcels(tracking=TRACKING)
    assert [k.id for k in h.service.clips(tracking=TRACKING)] == [pickup_clip.id, courier_clip.id]
    events = {e.id: e for e in audit.events(h.service.store.conn)}
    for clip in saved:
        path = h.service.clip_path(clip)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == clip.sha256 == events[clip.event_id].data["sha256"]
        assert clip.parcels == (parcel.id,)
        indices, times, last = decode(path)
        # every frame there, in order, none twice; the count matches the recorded duration at the camera's rate
        assert indices == list(range(indices[0], indices[0] + len(indices)))
        assert len(indices) == clip.frames
        assert abs(times[-1] - (clip.ended - clip.started)) < 0.2
        assert abs(len(indices) - (clip.ended - clip.started) * fps) <= fps * 0.25 + 2
        # the pre-roll: video from before the transaction began, at least most of the configured 2 s
        assert 1.0 <= clip.preroll_s <= 3.5
        # the overlay: the recorded frame N differs from the camera's own frame N in the text box at the bottom
        # left (cabinet id, time, transaction and box) and is otherwise the same picture, give or take H.264
        raw = SyntheticSource(*last.shape[1::-1]).render(indices[-1])
        diff = np.abs(raw.astype(int) - last.astype(int))
        height, width = last.shape[:2]
        assert diff[int(height * 0.92):, : width // 4].mean() > 40, "no overlay at the bottom left"
        assert diff[int(height * 0.1):int(height * 0.85)].mean() < 8
    assert audit.verify(h.service.store.conn).ok

    bundle = evidence.build(h.service, TRACKING, tmp_path / "evidence.zip")
    assert sorted(bundle.clips) == sorted(f"{k.txn}-{k.part}: included" for k in saved)
    assert evidence_check.verify(bundle.path).ok


def test_deposits_pause_while_the_camera_is_offline_when_the_config_says_so(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path, edits={**FAST, "require_camera_for_deposit = false":
                                        "require_camera_for_deposit = true"})
    try:
        h.service.add_courier("C1001", "Li Wei", "135790")
        c = Cabinet(h)
        source = h.comp.camera_thread.source
        h.qtbot.waitUntil(lambda: h.kiosk.devices.get("camera", (False,))[0], timeout=5000)
        source.set_unplugged(True)
        h.qtbot.waitUntil(lambda: not h.kiosk.devices["camera"][0], timeout=5000)
        faults = [e for e in audit.events(h.service.store.conn) if e.kind == "device_fault"]
        assert {e.data["device"] for e in faults} == {"camera", "recorder"}  # the gap in the video is explained
        h.tap("home.courier_pin")
        h.wait_screen("courier.login")
        h.type("C1001", "kbd")
        h.tap("kbd.done")
        h.type("135790", "keypad")
        h.tap("courier.login.submit")
        h.wait_screen("courier.menu")
        c.tap("courier.deposit")
        assert h.screen() == "courier.menu"
        assert "camera is offline" in h.window.current().notice.text()
        source.set_unplugged(False)
        h.qtbot.waitUntil(lambda: h.kiosk.devices["camera"][0], timeout=8000)
        c.tap("courier.deposit")
        h.wait_screen("courier.size")
        c.close()
    finally:
        h.stop()
