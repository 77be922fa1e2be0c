"""The disk fills up while the kiosk records: video gives way, the database and the audit log never do.

The whole app runs offscreen on the emulators with video on (tests/ui/conftest.Harness, short pre/post-roll).
A full disk is simulated by the free space the recorder and the retention see: ``hardware.recorder`` and
``kiosk.clips`` both do ``import shutil`` and call ``shutil.disk_usage``, so each gets a stand-in ``shutil``
of its own (patching ``shutil.disk_usage`` itself would change it for the whole process, maintainer screens
included). The free space reported is just under the reserve by the size of the oldest clip, so the
retention must delete exactly that one, and the recorder must stop writing.
"""

from __future__ import annotations

import shutil
import types

import av

import hardware.recorder as recorder_module
import kiosk.clips as clips_module
from kiosk import audit
from kiosk.model import Opened
from tests.core.conftest import PIN
from tests.ui.conftest import Harness

SHORT_ROLLS = {"preroll_s = 5 ": "preroll_s = 1 ", "postroll_s = 3 ": "postroll_s = 1 "}


def test_disk_full_during_recording_prunes_clips_and_database_writes_still_succeed(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(recorder_module, "DISK_CHECK_S", 0.2)  # notice the full disk (and its end) quickly
    h = Harness(qtbot, tmp_path, edits=SHORT_ROLLS)
    try:
        svc, kiosk = h.service, h.kiosk
        reserve = svc.config.video.min_free_mb * 2**20
        saved = []
        kiosk.clip_recorded.connect(saved.append)
        qtbot.waitUntil(lambda: kiosk.devices.get("recorder", (False,))[0], timeout=5000)

        def record_one() -> str:
            txn = kiosk.begin_txn("pickup", "customer")
            qtbot.wait(400)
            kiosk.end_txn()
            qtbot.waitUntil(lambda: any(c.txn == txn for c in saved), timeout=10000)
            return txn

        first, second = record_one(), record_one()  # two clips recorded normally
        clips_before = {c.txn: c for c in saved}
        assert clips_before[first].complete and clips_before[second].complete
        oldest = clips_before[first]

        low = {"on": False}
        real = shutil.disk_usage

        def disk_usage(path):
            usage = real(path)
            return usage._replace(free=reserve - oldest.bytes) if low["on"] else usage

        fake = types.SimpleNamespace(disk_usage=disk_usage)
        monkeypatch.setattr(recorder_module, "shutil", fake)
        monkeypatch.setattr(clips_module, "shutil", fake)

        cut_txn = kiosk.begin_txn("pickup", "customer")  # a clip is being written when the disk fills
        qtbot.wait(500)
        low["on"] = True
        qtbot.waitUntil(lambda: kiosk.devices["recorder"][0] is False, timeout=5000)
        assert "disk almost full" in kiosk.devices["recorder"][1]
        faults = [e for e in audit.events(svc.store.conn) if e.kind == "device_fault"
                  and e.data.get("device") == "recorder"]
        assert faults and "disk almost full" in faults[-1].data["message"]
        qtbot.waitUntil(lambda: any(c.txn == cut_txn for c in saved), timeout=5000)
        cut = [c for c in saved if c.txn == cut_txn][0]
        assert cut.complete is False and "disk almost full" in cut.note
        with av.open(str(svc.clip_path(cut))) as f:
            assert sum(1 for _ in f.decode(video=0)) >= 1  # closed cleanly: the file decodes
        kiosk.end_txn()

        kiosk.tick()  # retention: the oldest clip goes to give the reserve back, the others stay
        by_txn = {c.txn: c for c in svc.clips()}
        assert by_txn[first].deleted_reason == "disk" and by_txn[first].deleted_at is not None
        assert by_txn[second].deleted_at is None and by_txn[cut_txn].deleted_at is None
        assert not svc.clip_path(by_txn[first]).exists() and svc.clip_path(by_txn[second]).exists()
        deleted = [e for e in audit.events(svc.store.conn) if e.kind == "clips_deleted"]
        assert len(deleted) == 1
        assert [(k["id"], k["reason"]) for k in deleted[0].data["clips"]] == [(by_txn[first].id, "disk")]

        # the database still takes writes: a whole deposit and pickup, recorded while no video is written
        courier = svc.add_courier("C1001", "Li Wei", PIN)
        txn_dep = kiosk.begin_txn("deposit", courier.number)
        p = svc.start_deposit(courier, "M", "SF-DISKFULL-1", consent=True)
        qtbot.waitUntil(lambda: kiosk.door_open(p.box_no) is True, timeout=5000)
        h.close_door(p.box_no, item=True)
        qtbot.waitUntil(lambda: svc.parcel(p.id).state == "stored", timeout=5000)
        kiosk.end_txn()
        password = [m for m in kiosk.messages if m.get("tracking") == "SF-DISKFULL-1"][-1]["password"]
        assert isinstance(svc.pickup(p.box_no, password), Opened)
        qtbot.waitUntil(lambda: kiosk.door_open(p.box_no) is True, timeout=5000)
        h.close_door(p.box_no, item=False)
        qtbot.waitUntil(lambda: svc.parcel(p.id).state == "collected", timeout=5000)
        assert kiosk.devices["recorder"][0] is False  # still paused throughout
        assert not any(c.txn == txn_dep for c in saved)  # no clip was started into the reserve
        assert svc.verify_log().ok

        low["on"] = False  # space is back: recording resumes
        qtbot.waitUntil(lambda: kiosk.devices["recorder"][0] is True, timeout=5000)
        again = record_one()
        clip = [c for c in saved if c.txn == again][-1]
        assert clip.complete and clip.frames > 0 and svc.clip_path(clip).exists()
        assert [e for e in audit.events(svc.store.conn) if e.kind == "device_ok"
                and e.data.get("device") == "recorder"][-1].id > faults[-1].id
        assert svc.verify_log().ok
    finally:
        h.stop()
