"""Transactions on camera, clip records tied to the audit chain, retention and orphan clips (core only)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime

import pytest

from kiosk import audit, clips
from kiosk.config import ConfigError, parse
from tests.core.conftest import Cabinet, make_config

DAY = 86400.0


class Listener:
    def __init__(self, svc) -> None:
        self.log: list[tuple] = []
        svc.txns.on_start.append(lambda t, k, a: self.log.append(("start", t, k, a)))
        svc.txns.on_boxes.append(lambda t, b: self.log.append(("boxes", t, b)))
        svc.txns.on_complete.append(lambda t: self.log.append(("complete", t)))

    def completed(self) -> list[str]:
        return [e[1] for e in self.log if e[0] == "complete"]


def fake_clip(cab: Cabinet, txn: str, *, started: float, size: int = 1000, boxes=("A01",), name: str | None = None):
    """A file in the video dir and its record, as the recorder would leave them."""
    day = datetime.fromtimestamp(started).strftime("%Y-%m-%d")
    path = cab.cfg.video_dir / day / (name or f"{txn}-1.mp4")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes([len(txn) % 256]) * size)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return cab.svc.record_clip(txn=txn, part=1, kind="courier", path=path, started=started, ended=started + 30,
                               txn_started=started + 5, preroll_s=5.0, frames=450, bytes=size, sha256=sha,
                               boxes=boxes, complete=True)


def test_courier_transaction_ends_when_flow_ended_and_door_closed(cab):
    heard = Listener(cab.svc)
    c = cab.courier()
    txn = cab.svc.begin_txn("courier", "courier:C1001")
    assert txn == "T000001" and heard.log == [("start", txn, "courier", "courier:C1001")]
    p = cab.svc.start_deposit(c, "M", "SF0001", consent=True)
    assert ("boxes", txn, (p.box_no,)) in heard.log
    cab.svc.end_txn()  # the courier went home with the door still open
    assert heard.completed() == []
    cab.locks.close(p.box_no, item=True)
    cab.svc.door_closed(p.box_no)
    assert heard.completed() == [txn]
    tagged = [e for e in audit.events(cab.store.conn) if e.data.get("txn") == txn]
    assert {e.kind for e in tagged} >= {"deposit_started", "deposit_stored"}
    ended = cab.store.conn.execute("SELECT ended FROM transactions WHERE id = ?", (txn,)).fetchone()[0]
    assert ended == cab.clock.now()


def test_a_new_flow_ends_the_old_one_and_a_door_stays_with_its_transaction(cab):
    heard = Listener(cab.svc)
    c = cab.courier()
    t1 = cab.svc.begin_txn("courier", "courier:C1001")
    p = cab.svc.start_deposit(c, "M", "SF0001", consent=True)
    t2 = cab.svc.begin_txn("pickup", "customer")  # the screen moved on; the deposit door is still open
    assert cab.svc.txns.current == t2 and heard.completed() == []
    cab.locks.close(p.box_no, item=True)
    cab.svc.door_closed(p.box_no)
    assert heard.completed() == [t1]
    stored = [e for e in audit.events(cab.store.conn) if e.kind == "deposit_stored"]
    assert stored[0].data["txn"] == t1  # the door's event belongs to the transaction that opened it
    cab.svc.end_txn()
    assert heard.completed() == [t1, t2]


def test_pickup_transaction_and_unlock_failure(cab):
    heard = Listener(cab.svc)
    c = cab.courier()
    p, pw = cab.deposit(c)
    txn = cab.svc.begin_txn("pickup", "customer")
    cab.svc.pickup(p.box_no, pw)
    cab.svc.end_txn()
    assert heard.completed() == []
    cab.svc.unlock_failed(p.box_no, "door did not open")
    assert heard.completed() == [txn]


def test_maintainer_opening_and_tamper_get_transactions_of_their_own(cab):
    heard = Listener(cab.svc)
    cab.svc.maintainer_open("A01", "check")
    start = [e for e in heard.log if e[0] == "start"]
    assert start[-1][2] == "maintenance"
    maint = start[-1][1]
    assert heard.completed() == []
    cab.locks.close("A01")
    cab.svc.door_closed("A01")
    assert heard.completed() == [maint]
    cab.svc.door_opened("A02", commanded=False)
    tamper = [e for e in heard.log if e[0] == "start"][-1]
    assert tamper[2] == "tamper"
    assert [e for e in audit.events(cab.store.conn) if e.kind == "tamper"][0].data["txn"] == tamper[1]
    cab.svc.door_closed("A02")
    assert heard.completed() == [maint, tamper[1]]


def test_clip_record_links_the_parcels_of_its_transaction_in_the_chain(cab):
    c = cab.courier()
    txn = cab.svc.begin_txn("courier", "courier:C1001")
    p1, _ = cab.deposit(c, tracking="SF0001")
    p2, _ = cab.deposit(c, tracking="SF0002")
    cab.svc.end_txn()
    clip = fake_clip(cab, txn, started=cab.clock.now() - 40, boxes=(p1.box_no, p2.box_no))
    assert clip.parcels == (p1.id, p2.id) and clip.trackings == ("SF0001", "SF0002")
    ev = [e for e in audit.events(cab.store.conn) if e.kind == "clip_recorded"][0]
    assert ev.id == clip.event_id and ev.data["sha256"] == clip.sha256 and ev.data["txn"] == txn
    assert ev.data["parcels"] == [p1.id, p2.id] and ev.data["file"] == clip.file
    assert not clip.file.startswith("/")
    assert audit.verify(cab.store.conn).ok
    assert [k.id for k in cab.svc.clips(tracking="SF0002")] == [clip.id]
    assert [k.id for k in cab.svc.clips(box=p1.box_no.lower())] == [clip.id]
    assert cab.svc.clips(box="Z99") == [] and cab.svc.clips(tracking="nope") == []
    today = datetime.fromtimestamp(clip.started).date()
    assert [k.id for k in cab.svc.clips(day=today)] == [clip.id]
    assert cab.svc.clips(day=date(2001, 1, 1)) == []
    assert cab.svc.clip_path(clip).is_file()


def test_retention_plan_by_age_quota_and_disk_never_a_held_clip():
    now = 100 * DAY
    clips_ = [(1, now - 40 * DAY, 10), (2, now - 20 * DAY, 10), (3, now - 10 * DAY, 10), (4, now - 1 * DAY, 10)]
    kw = dict(now=now, max_age_s=30 * DAY, quota_bytes=100, free_bytes=10_000, reserve_bytes=1000)
    assert clips.plan(clips_, set(), **kw) == [(1, "age")]
    assert clips.plan(clips_, {1}, **kw) == []
    assert clips.plan(clips_, set(), **{**kw, "quota_bytes": 15}) == [(1, "age"), (2, "quota"), (3, "quota")]
    # a held clip still counts against the quota, so newer ones go instead
    assert clips.plan(clips_, {2}, **{**kw, "quota_bytes": 15}) == [(1, "age"), (3, "quota"), (4, "quota")]
    # 25 bytes short of the reserve: the oldest go until the shortfall is covered
    assert clips.plan(clips_, set(), **{**kw, "free_bytes": 975}) == [(1, "age"), (2, "disk"), (3, "disk")]
    assert clips.plan(clips_, {2, 3, 4}, **{**kw, "free_bytes": 0}) == [(1, "age")]


def test_apply_retention_deletes_files_keeps_disputes_and_logs_it(tmp_path):
    cfg = make_config(tmp_path)
    cab = Cabinet(tmp_path, dataclasses.replace(cfg, video=dataclasses.replace(cfg.video, retention_days=30)))
    c = cab.courier()
    t_old = cab.svc.begin_txn("courier", "courier:C1001")
    p_old, pw_old = cab.deposit(c, tracking="OLD1")
    cab.svc.end_txn()
    t_ref = cab.svc.begin_txn("courier", "courier:C1001")
    p_ref, pw_ref = cab.deposit(c, tracking="REFUSED")
    cab.svc.end_txn()
    old = fake_clip(cab, t_old, started=cab.clock.now() - 40 * DAY)
    refused = fake_clip(cab, t_ref, started=cab.clock.now() - 35 * DAY, boxes=(p_ref.box_no,))
    cab.svc.pickup(p_ref.box_no, pw_ref)
    cab.svc.reject(p_ref.id, "damaged")  # an open dispute: its clip is held
    gone = cab.svc.apply_retention(free_bytes=lambda _: 10**12)
    assert [k.id for k in gone] == [old.id] and gone[0].deleted_reason == "age"
    assert not cab.svc.clip_path(old).exists() and cab.svc.clip_path(refused).exists()
    ev = [e for e in audit.events(cab.store.conn) if e.kind == "clips_deleted"][-1]
    assert ev.data["clips"] == [{"id": old.id, "file": old.file, "sha256": old.sha256, "reason": "age"}]
    assert cab.svc.apply_retention(free_bytes=lambda _: 10**12) == []
    listed = {k.id: k for k in cab.svc.clips()}
    assert listed[old.id].deleted_at is not None and listed[refused.id].deleted_at is None
    cab.locks.close(p_ref.box_no, item=True)
    cab.svc.door_closed(p_ref.box_no)
    cab.svc.collect_return(c, p_ref.id)  # the courier took it back: the dispute is over
    assert [k.id for k in cab.svc.apply_retention(free_bytes=lambda _: 10**12)] == [refused.id]
    assert audit.verify(cab.store.conn).ok
    cab.store.close()


def test_a_clip_without_a_row_is_registered_from_its_sidecar(cab):
    txn = cab.svc.begin_txn("pickup", "customer")
    started = cab.clock.now()
    folder = cab.cfg.video_dir / "2026-11-24"
    folder.mkdir(parents=True)
    for name, body, claimed in (("T000001-1", b"video", None), ("T000001-2", b"edited", b"original")):
        (folder / f"{name}.mp4").write_bytes(body)
        (folder / f"{name}.json").write_text(json.dumps({
            "txn": txn, "part": int(name[-1]), "kind": "pickup", "started": started, "ended": started + 9,
            "txn_started": started + 5, "preroll_s": 5.0, "frames": 135, "bytes": len(body),
            "sha256": hashlib.sha256(claimed or body).hexdigest(), "boxes": ["A01"], "complete": True,
            "note": ""}))
    (folder / "junk.json").write_text("{not json")
    (folder / "junk.mp4").write_bytes(b"x")
    adopted = cab.svc.adopt_orphan_clips()
    assert [(k.part, k.complete) for k in adopted] == [(1, True), (2, False)]
    assert "does not match" in adopted[1].note and adopted[0].note == "registered after restart"
    assert cab.svc.adopt_orphan_clips() == []  # once only


def test_a_clip_a_kill_left_without_sidecar_is_registered_from_the_file(cab, caplog):
    """The probe (the recorder's probe_clip, tested on a real killed clip in tests/hardware) reads the file; the
    core takes kind, start and boxes from the transaction's own records and hashes the file as found."""
    c = cab.courier()
    txn = cab.svc.begin_txn("courier", "courier:C1001")
    t0 = cab.clock.now()
    p, _ = cab.deposit(c, tracking="SF-CUT-1")
    folder = cab.cfg.video_dir / "2026-11-24"
    folder.mkdir(parents=True)
    (folder / f"{txn}-1.mp4").write_bytes(b"fragments up to the kill")
    (folder / "T000099-1.mp4").write_bytes(b"not a clip")
    fake_clip(cab, "T000050", started=t0, name="T000050-1.mp4")  # has its row: no sidecar needed
    probed: list[str] = []

    def probe(path):
        probed.append(path.name)
        if path.name != f"{txn}-1.mp4":
            raise ValueError(f"{path.name} is not a readable clip")
        return {"txn": txn, "part": 1, "kind": "what the file says", "started": t0 + 1, "ended": t0 + 8,
                "frames": 105}

    assert cab.svc.adopt_orphan_clips() == []  # without a probe nothing is guessed, and it says so
    assert "has no sidecar and no row" in caplog.text
    [clip] = cab.svc.adopt_orphan_clips(probe)
    assert sorted(probed) == [f"{txn}-1.mp4", "T000099-1.mp4"]  # not the one with a row
    assert (clip.txn, clip.part, clip.kind, clip.frames, clip.complete) == (txn, 1, "courier", 105, False)
    assert (clip.started, clip.ended, clip.txn_started, clip.preroll_s) == (t0 + 1, t0 + 8, t0, 0.0)
    assert clip.boxes == (p.box_no,) and clip.trackings == ("SF-CUT-1",)
    assert clip.sha256 == hashlib.sha256(b"fragments up to the kill").hexdigest() and clip.bytes == 24
    assert clip.note.startswith("cut short")
    assert "cannot register clip" in caplog.text and "T000099-1.mp4" in caplog.text
    ev = [e for e in audit.events(cab.store.conn) if e.kind == "clip_recorded"][-1]
    assert ev.data["sha256"] == clip.sha256 and ev.data["complete"] is False
    assert cab.svc.adopt_orphan_clips(probe) == []  # once only
    assert audit.verify(cab.store.conn).ok


@pytest.mark.parametrize("bad, message", [
    ({"min_free_mb": 10}, "video.min_free_mb: must be ≥ 50"),
    ({"preset": "turbo"}, "video.preset: must be one of"),
    ({"crf": 60}, "video.crf: must be 0–51"),
    ({"colour": True}, "video.colour: unknown key"),
])
def test_video_config_errors_name_the_key(tmp_path, bad, message):
    raw = {"cabinet": {"id": "C1", "site": "S", "lat": 0.0, "lon": 0.0, "data_dir": "d"},
           "boxes": [{"no": "A01", "size": "M", "lock": 1}], "video": bad}
    with pytest.raises(ConfigError, match=message):
        parse(raw, base_dir=tmp_path)


def test_video_dir_defaults_under_data_dir_and_resolves_relative(tmp_path):
    raw = {"cabinet": {"id": "C1", "site": "S", "lat": 0.0, "lon": 0.0, "data_dir": "d"},
           "boxes": [{"no": "A01", "size": "M", "lock": 1}]}
    assert parse(raw, base_dir=tmp_path).video_dir == tmp_path / "d" / "video"
    raw["video"] = {"dir": "clips"}
    assert parse(raw, base_dir=tmp_path).video_dir == tmp_path / "clips"
