"""Evidence bundles, built from a real SQLite cabinet and real files, then checked and tampered with."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import av
import numpy as np
import pytest

from kiosk import audit, cli, evidence, evidence_check
from kiosk.config import default_config_path, load, with_data_dir
from kiosk.model import InvalidInput
from tests.core.conftest import Cabinet, make_config

DAY = 86400.0
TRACKING = "SF100200300"
FRAMES = 10


def make_mp4(path: Path, shade: int) -> Path:
    """A real 1 s H.264 clip (10 frames of 160x120), as small as the recorder's would be large."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(FRAMES):
            img = np.full((120, 160, 3), (shade + 20 * i) % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def record(cab: Cabinet, txn: str, *, started: float, boxes: tuple[str, ...], real: bool = False):
    """A clip file in the video dir and its record, as the recorder leaves them."""
    path = cab.cfg.video_dir / datetime.fromtimestamp(started).strftime("%Y-%m-%d") / f"{txn}-1.mp4"
    if real:
        make_mp4(path, shade=len(txn) * 7 + int(txn[1:]))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(txn.encode() * 300)
    body = path.read_bytes()
    return cab.svc.record_clip(txn=txn, part=1, kind="courier", path=path, started=started, ended=started + 1,
                               txn_started=started, preroll_s=0.0, frames=FRAMES, bytes=len(body),
                               sha256=hashlib.sha256(body).hexdigest(), boxes=boxes, complete=True)


@dataclasses.dataclass
class Story:
    cab: Cabinet
    parcel_id: int
    clips: list
    other: str  # someone else's tracking number, whose events sit between ours


def story(cab: Cabinet, real: bool = False) -> Story:
    """Deposit on camera, someone else's parcel, then a pickup refused on camera (the door shut on it)."""
    c = cab.courier()
    t1 = cab.svc.begin_txn("courier", "courier:C1001")
    p, pw = cab.deposit(c, tracking=TRACKING)
    cab.svc.end_txn()
    k1 = record(cab, t1, started=cab.clock.now(), boxes=(p.box_no,), real=real)
    cab.clock.advance(60)
    cab.deposit(c, tracking="JD555666777")
    cab.clock.advance(3600)
    t2 = cab.svc.begin_txn("pickup", "customer")
    cab.svc.pickup(p.box_no, pw)
    cab.svc.reject(p.id, "damaged")
    cab.svc.end_txn()
    cab.locks.close(p.box_no, item=True)
    cab.svc.door_closed(p.box_no)
    k2 = record(cab, t2, started=cab.clock.now() - 20, boxes=(p.box_no,), real=real)
    cab.clock.advance(60)
    cab.deposit(c, tracking="YT123123123")  # a later event: the chain runs past the parcel's last one
    return Story(cab, p.id, [k1, k2], "JD555666777")


@pytest.fixture
def built(cab, tmp_path):
    s = story(cab)
    out = tmp_path / "out" / "bundle.zip"
    out.parent.mkdir()
    return s, evidence.build(cab.svc, TRACKING, out)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rewrite(path: Path, changes: dict[str, bytes | None], *, fix_hashes: bool = True) -> None:
    """Write the bundle again with some members changed (None: removed); with ``fix_hashes`` the manifest's
    file list and SHA256SUMS are made to match, as someone covering their tracks would."""
    files = members(path)
    for name, body in changes.items():
        if body is None:
            files.pop(name, None)
        else:
            files[name] = body
    if fix_hashes:
        manifest = json.loads(files["manifest.json"])
        manifest["files"] = [{"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                             for n, b in files.items() if n not in ("manifest.json", "SHA256SUMS")]
        if "manifest.json" not in changes:
            files["manifest.json"] = json.dumps(manifest).encode()
        files["SHA256SUMS"] = "".join(f"{hashlib.sha256(b).hexdigest()}  {n}\n" for n, b in files.items()
                                      if n != "SHA256SUMS").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in files.items():
            zf.writestr(name, body)


def flip(body: bytes, at: int | None = None) -> bytes:
    i = len(body) // 2 if at is None else at
    return body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1:]


def flip_raw(path: Path, name: str) -> None:
    """Flip one byte of a member's data inside the zip file itself (its CRC-32 is left as it was)."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    with open(path, "r+b") as f:
        f.seek(info.header_offset)
        header = f.read(30)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ 0x01]))


def named(v: evidence_check.Verdict, what: str) -> bool:
    return any(what in p for p in v.problems)


# ------------------------------------------------------------------------------------------------- build


def test_bundle_with_real_video_verifies_by_program_and_by_hand(cab, tmp_path):
    s = story(cab, real=True)
    out = tmp_path / "bundle.zip"
    b = evidence.build(cab.svc, " sf100200300 ", out)  # typed as people type it
    assert b.tracking == TRACKING and b.warnings == [] and b.parcels == 1
    assert b.clips == ["T000001-1: included", "T000002-1: included"]
    v = evidence_check.verify(out)
    assert v.ok, v.problems
    assert (v.tracking, v.cabinet, v.clips_included) == (TRACKING, cab.cfg.cabinet_id, ["T000001-1", "T000002-1"])
    assert v.fingerprint == b.fingerprint == hashlib.sha256(members(out)["SHA256SUMS"]).hexdigest()

    files = members(out)
    clip_names = {f"clips/{k.txn}-1.mp4" for k in s.clips}
    assert set(files) == {"manifest.json", "SHA256SUMS", "README.txt", "parcel.json", "timeline.txt",
                          "events.json", "chain.json"} | clip_names
    with zipfile.ZipFile(out) as zf:  # video is stored as it is, text is compressed
        assert {i.filename: i.compress_type for i in zf.infolist() if i.filename.endswith(".mp4")} == \
            dict.fromkeys(clip_names, zipfile.ZIP_STORED)
        assert zf.getinfo("chain.json").compress_type == zipfile.ZIP_DEFLATED
    for k in s.clips:  # the bundle carries the recorded file, byte for byte, and it decodes
        body = files[f"clips/{k.txn}-1.mp4"]
        assert body == cab.svc.clip_path(k).read_bytes()
        with av.open(io.BytesIO(body)) as container:
            assert sum(1 for _ in container.decode(video=0)) == FRAMES

    manifest = json.loads(files["manifest.json"])
    head = cab.store.conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    assert manifest["chain"]["head"] == {"id": head[0], "hash": head[1]}
    assert manifest["cabinet"] == {"id": cab.cfg.cabinet_id, "site": cab.cfg.site, "address": cab.cfg.address}
    assert manifest["software"].startswith("kiosk ") and manifest["exported_ts"] == cab.clock.now()
    for f in manifest["files"]:
        assert (len(files[f["name"]]), hashlib.sha256(files[f["name"]]).hexdigest()) == (f["size"], f["sha256"])

    # events.json: the parcel's events and its clips' events, in full; nobody else's
    ours = [e for e in audit.events(cab.store.conn) if e.tracking == TRACKING or e.id in {k.event_id for k in s.clips}]
    events = json.loads(files["events.json"])["events"]
    assert [e["id"] for e in events] == [e.id for e in ours] == manifest["events"]
    assert {e["kind"] for e in events} >= {"deposit_started", "deposit_stored", "clip_recorded", "pickup_opened",
                                           "parcel_refused"}
    assert s.other.encode() not in files["events.json"] + files["chain.json"] + files["timeline.txt"]
    # chain.json: every event from our first to the head, others only as digests
    links = json.loads(files["chain.json"])["links"]
    assert [x["id"] for x in links] == list(range(ours[0].id, head[0] + 1))
    assert all(set(x) == {"id", "prev_hash", "digest", "hash"} for x in links)
    assert json.loads(files["parcel.json"])["parcels"][0]["state"] == "refused"
    timeline = files["timeline.txt"].decode()
    assert all(f"#{e.id} " in timeline for e in ours) and "refused the parcel (reason: damaged)" in timeline

    if shutil.which("sha256sum"):  # the README's check by hand, literally
        unpacked = tmp_path / "unpacked"
        zipfile.ZipFile(out).extractall(unpacked)
        r = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=unpacked, capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0 and r.stdout.count(": OK") == len(files) - 1, r.stdout + r.stderr


def test_deleted_and_missing_clips_are_listed_with_their_logged_hash(tmp_path):
    cfg = make_config(tmp_path)
    cab = Cabinet(tmp_path, dataclasses.replace(cfg, video=dataclasses.replace(cfg.video, retention_days=30)))
    c = cab.courier()
    t1 = cab.svc.begin_txn("courier", "courier:C1001")
    p, pw = cab.deposit(c, tracking=TRACKING)
    cab.svc.end_txn()
    old = record(cab, t1, started=cab.clock.now() - 40 * DAY, boxes=(p.box_no,))
    t2 = cab.svc.begin_txn("pickup", "customer")
    cab.svc.pickup(p.box_no, pw)
    cab.svc.accept(p.id)
    cab.svc.end_txn()
    lost = record(cab, t2, started=cab.clock.now(), boxes=(p.box_no,))
    assert [k.id for k in cab.svc.apply_retention(free_bytes=lambda _: 10**12)] == [old.id]
    cab.svc.clip_path(lost).unlink()  # gone from the disk without the cabinet knowing
    out = tmp_path / "b.zip"
    b = evidence.build(cab.svc, TRACKING, out)
    deleted_on = datetime.fromtimestamp(cab.clock.now()).strftime("%Y-%m-%d")
    assert b.clips == [f"T000001-1: not available (deleted {deleted_on}, age)",
                       "T000002-1: not available (file missing from the cabinet at export)"]
    v = evidence_check.verify(out)
    assert v.ok, v.problems
    assert v.clips_included == [] and len(v.clips_unavailable) == 2
    files = members(out)
    assert not any(n.startswith("clips/") for n in files)
    events = json.loads(files["events.json"])["events"]
    recorded = {e["data"]["txn"]: e["data"]["sha256"] for e in events if e["kind"] == "clip_recorded"}
    assert recorded == {"T000001": old.sha256, "T000002": lost.sha256}  # the hashes stay as evidence
    deleted = [e for e in events if e["kind"] == "clips_deleted"]
    assert deleted and deleted[0]["data"]["clips"][0]["sha256"] == old.sha256
    cab.store.close()


def test_build_refuses_unknown_parcels_and_unwritable_places(cab, tmp_path):
    story(cab)
    with pytest.raises(evidence.EvidenceError, match="no parcel with tracking number NOPE1234 in this cabinet"):
        evidence.build(cab.svc, "nope1234", tmp_path / "x.zip")
    with pytest.raises(InvalidInput, match="tracking number must be"):
        evidence.build(cab.svc, "x", tmp_path / "x.zip")
    with pytest.raises(evidence.EvidenceError, match="directory .*missing does not exist"):
        evidence.build(cab.svc, TRACKING, tmp_path / "missing" / "x.zip")
    (tmp_path / "plain").write_text("")
    with pytest.raises(evidence.EvidenceError, match="plain is not a directory"):
        evidence.build(cab.svc, TRACKING, tmp_path / "plain" / "x.zip")
    with pytest.raises(evidence.EvidenceError, match="it is a directory"):
        evidence.build(cab.svc, TRACKING, tmp_path)
    # a parcel row with no event at all (written behind the service's back): nothing to prove
    cab.store.conn.execute("INSERT INTO parcels (tracking, box_no, courier_id, consent, state, created, updated)"
                           " VALUES ('GHOST0001', 'A01', 1, 1, 'cancelled', 0, 0)")
    with pytest.raises(evidence.EvidenceError, match="parcel GHOST0001 has no audit events"):
        evidence.build(cab.svc, "GHOST0001", tmp_path / "x.zip")
    assert not list(tmp_path.glob("*.zip")) and not list(tmp_path.glob(".*.part"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_build_into_a_read_only_directory_says_so(cab, tmp_path):
    story(cab)
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(evidence.EvidenceError, match="cannot write .*Permission denied"):
        evidence.build(cab.svc, TRACKING, ro / "x.zip")


def test_a_failed_build_leaves_no_half_written_bundle(cab, tmp_path, monkeypatch):
    story(cab)
    out = tmp_path / "b.zip"
    out.write_bytes(b"the previous bundle")

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(evidence, "_stream_clip", disk_full)
    with pytest.raises(evidence.EvidenceError, match="cannot write .*b.zip: No space left on device"):
        evidence.build(cab.svc, TRACKING, out)
    assert out.read_bytes() == b"the previous bundle"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.zip", "cabinet.key", "kiosk.sqlite3",
                                                           "kiosk.sqlite3-shm", "kiosk.sqlite3-wal", "video"]


def test_a_clip_file_changed_on_the_cabinet_is_a_warning_and_fails_verification(cab, tmp_path):
    s = story(cab)
    path = cab.svc.clip_path(s.clips[0])
    path.write_bytes(flip(path.read_bytes()))
    b = evidence.build(cab.svc, TRACKING, tmp_path / "b.zip")
    assert len(b.warnings) == 1 and "clip T000001-1: the file on disk is not the one" in b.warnings[0]
    v = evidence_check.verify(tmp_path / "b.zip")
    assert v.problems == ["clip T000001-1 (clips/T000001-1.mp4) is not the file the audit log recorded "
                          f"(SHA-256 differs from event {s.clips[0].event_id})"]


# ------------------------------------------------------------------------------------------------- tampering


MEMBERS = ["clips/T000001-1.mp4", "events.json", "chain.json", "manifest.json", "parcel.json", "timeline.txt",
           "README.txt", "SHA256SUMS"]


@pytest.mark.parametrize("name", MEMBERS)
def test_one_byte_changed_in_any_member_is_named(built, name):
    _, b = built
    rewrite(b.path, {name: flip(members(b.path)[name])}, fix_hashes=False)
    v = evidence_check.verify(b.path)
    assert v.readable and not v.ok
    assert named(v, name), v.problems  # a changed line of SHA256SUMS: "<file>: … does not match SHA256SUMS"
    if name.endswith(".mp4"):
        assert f"{name}: SHA-256 does not match the manifest" in v.problems
        assert named(v, "clip T000001-1 (clips/T000001-1.mp4) is not the file the audit log recorded")


@pytest.mark.parametrize("name", ["clips/T000002-1.mp4", "events.json", "chain.json", "manifest.json"])
def test_one_byte_damaged_inside_the_zip_is_named(built, name):
    _, b = built
    flip_raw(b.path, name)
    v = evidence_check.verify(b.path)
    assert v.readable and not v.ok
    assert named(v, f"{name}: damaged inside the zip"), v.problems


def test_edited_event_data_is_caught_by_its_chain_digest_even_with_every_file_hash_fixed(built):
    s, b = built
    doc = json.loads(members(b.path)["events.json"])
    refused = next(e for e in doc["events"] if e["kind"] == "parcel_refused")
    refused["data"]["reason"] = "wrong_item"
    rewrite(b.path, {"events.json": json.dumps(doc).encode()})
    v = evidence_check.verify(b.path)
    assert v.problems == [f"events.json: event {refused['id']} does not match its chain digest"]


def test_removed_or_edited_links_in_the_chain_are_named(built):
    s, b = built
    doc = json.loads(members(b.path)["chain.json"])
    other = next(e.id for e in audit.events(s.cab.store.conn, tracking=s.other))
    doc["links"] = [x for x in doc["links"] if x["id"] != other]
    rewrite(b.path, {"chain.json": json.dumps(doc).encode()})
    v = evidence_check.verify(b.path)
    assert v.problems == [f"chain: event {other} missing (links jump from {other - 1} to {other + 1})"]

    doc = json.loads(members(b.path)["chain.json"])
    doc["links"][2]["digest"] = "0" * 64
    rewrite(b.path, {"chain.json": json.dumps(doc).encode()})
    v = evidence_check.verify(b.path)
    lid = doc["links"][2]["id"]
    assert f"chain: link {lid} broken (its hash does not match its previous hash and digest)" in v.problems


def test_an_event_left_out_of_the_bundle_is_named(built):
    _, b = built
    doc = json.loads(members(b.path)["events.json"])
    gone = doc["events"].pop(1)
    rewrite(b.path, {"events.json": json.dumps(doc).encode()})
    v = evidence_check.verify(b.path)
    assert f"events.json: does not hold the events the manifest lists (missing {gone['id']})" in v.problems
    assert named(v, "timeline.txt: line")  # the timeline still shows it


def test_a_clip_swapped_for_another_valid_clip_is_caught_by_the_audit_hash(cab, tmp_path):
    story(cab, real=True)
    out = tmp_path / "b.zip"
    evidence.build(cab.svc, TRACKING, out)
    other = make_mp4(tmp_path / "other.mp4", shade=200).read_bytes()  # a real clip, just not this one
    manifest = json.loads(members(out)["manifest.json"])
    manifest["clips"][0].update(sha256=hashlib.sha256(other).hexdigest(), bytes=len(other))
    rewrite(out, {"clips/T000001-1.mp4": other, "manifest.json": json.dumps(manifest).encode()})
    files = members(out)  # rewrite() fixed the file list; now make the manifest and the sums agree with it
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = [{"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                         for n, b in files.items() if n not in ("manifest.json", "SHA256SUMS")]
    rewrite(out, {"manifest.json": json.dumps(manifest).encode()})
    v = evidence_check.verify(out)
    clip_event = manifest["clips"][0]["event_id"]
    assert v.problems == [
        f"clip T000001-1: the manifest's file or SHA-256 differs from its clip_recorded event {clip_event}",
        f"clip T000001-1 (clips/T000001-1.mp4) is not the file the audit log recorded "
        f"(SHA-256 differs from event {clip_event})"]


def test_a_bundle_rewritten_consistently_is_caught_against_the_cabinet(built):
    """Unkeyed hashes cannot stop whoever recomputes all of them; the cabinet's own chain head can."""
    s, b = built
    files = members(b.path)
    events = json.loads(files["events.json"])
    chain = json.loads(files["chain.json"])
    refused = next(e for e in events["events"] if e["kind"] == "parcel_refused")
    refused["data"]["reason"] = "wrong_item"
    by_id = {e["id"]: e for e in events["events"]}
    prev = chain["links"][0]["prev_hash"]
    for link in chain["links"]:
        if link["id"] in by_id:
            e = by_id[link["id"]]
            link["digest"] = audit.content_digest(e["id"], e["ts"], e["kind"], e["actor"], e["box_no"],
                                                  e["parcel_id"], e["tracking"], audit.encode_data(e["data"]))
        link["prev_hash"], link["hash"] = prev, audit.link_hash(prev, link["id"], link["digest"])
        prev = link["hash"]
        if link["id"] in by_id:
            by_id[link["id"]].update(prev_hash=link["prev_hash"], hash=link["hash"])
    manifest = json.loads(files["manifest.json"])
    manifest["chain"]["head"]["hash"] = prev
    timeline = files["timeline.txt"].replace(b"reason: damaged", b"reason: wrong_item")
    rewrite(b.path, {"events.json": json.dumps(events).encode(), "chain.json": json.dumps(chain).encode(),
                     "manifest.json": json.dumps(manifest).encode(), "timeline.txt": timeline})
    rewrite(b.path, {})  # the manifest's file list and the sums, recomputed
    assert evidence_check.verify(b.path).ok  # on its own the forgery holds together…
    v = evidence_check.verify(b.path, against=s.cab.store.conn, cabinet_id=s.cab.cfg.cabinet_id)
    head = manifest["chain"]["head"]["id"]
    assert len(v.problems) == 1  # …but not against the cabinet's log
    assert v.problems[0].startswith(f"chain head event {head}: this cabinet's audit log has a different hash")
    assert evidence_check.verify(b.path, against=s.cab.store.conn, cabinet_id="ELSEWHERE").problems == [
        f"the bundle is from cabinet {s.cab.cfg.cabinet_id}, not from this cabinet (ELSEWHERE)"]


def test_a_genuine_bundle_matches_the_cabinet_it_came_from(built):
    s, b = built
    v = evidence_check.verify(b.path, against=s.cab.store.conn, cabinet_id=s.cab.cfg.cabinet_id)
    assert v.ok and v.against == f"the chain head (event {b.head_id}) is in this cabinet's audit log"


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"just some text, not a zip at all\n"), "not a zip file"),
    (lambda p: p.write_bytes(b""), "empty file, not a zip"),
    (lambda p: p.write_bytes(p.with_name("good.zip").read_bytes()[:3000]), "truncated or damaged zip"),
    (lambda p: None, "no such file"),
    (lambda p: p.mkdir(), "is a directory"),
])
def test_unreadable_bundles_say_why_in_one_line(built, tmp_path, make, message):
    _, b = built
    shutil.copy(b.path, tmp_path / "good.zip")
    bad = tmp_path / "bad.zip"
    make(bad)
    v = evidence_check.verify(bad)
    assert not v.readable and not v.ok and len(v.problems) == 1
    assert v.problems[0] == f"{bad}: {message}" or v.problems[0].startswith(f"{bad}: {message}")


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_exports_verifies_and_reports_errors(tmp_path, capsys):
    config = tmp_path / "cabinet.toml"
    config.write_text(with_data_dir(default_config_path().read_text(), "state"))
    cab = Cabinet(tmp_path, load(config))
    story(cab)
    cab.store.close()
    out = tmp_path / "bundle.zip"

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.run(list(args))
        o = capsys.readouterr()
        return code, o.out, o.err

    code, stdout, err = run("evidence", TRACKING, "--out", str(out), "--config", str(config))
    assert code == cli.EXIT_OK, err
    assert f"evidence for parcel {TRACKING} written to {out}" in stdout and "clip T000002-1: included" in stdout
    reopened = Cabinet(tmp_path, load(config))
    exported = [e for e in audit.events(reopened.store.conn) if e.kind == "evidence_exported"]
    reopened.store.close()
    assert [(e.data["tracking"], e.data["path"]) for e in exported] == [(TRACKING, str(out))]
    assert exported[0].data["fingerprint"] in stdout  # the log names the exact bundle that left
    code, stdout, err = run("evidence", "--verify", str(out))
    assert code == cli.EXIT_OK and stdout.startswith(f"evidence ok: parcel {TRACKING}, cabinet ")
    assert "clips matching the audit log: T000001-1, T000002-1" in stdout
    code, stdout, _ = run("evidence", "--verify", str(out), "--against-cabinet", "--config", str(config))
    assert code == cli.EXIT_OK and "is in this cabinet's audit log" in stdout

    assert run("evidence", "NOPE1234", "--out", str(tmp_path / "n.zip"), "--config", str(config)) == (
        cli.EXIT_FAIL, "", "error: no parcel with tracking number NOPE1234 in this cabinet\n")
    code, _, err = run("evidence", TRACKING, "--out", str(tmp_path / "no" / "b.zip"), "--config", str(config))
    assert code == cli.EXIT_FAIL and err == f"error: cannot write {tmp_path / 'no' / 'b.zip'}: directory " \
                                            f"{tmp_path / 'no'} does not exist\n"
    (tmp_path / "notes.zip").write_text("hello")
    assert run("evidence", "--verify", str(tmp_path / "notes.zip")) == (
        cli.EXIT_FAIL, "", f"error: {tmp_path / 'notes.zip'}: not a zip file\n")
    (tmp_path / "cut.zip").write_bytes(out.read_bytes()[:2000])
    code, _, err = run("evidence", "--verify", str(tmp_path / "cut.zip"))
    assert code == cli.EXIT_FAIL and err.startswith(f"error: {tmp_path / 'cut.zip'}: truncated") and err.count("\n") == 1

    rewrite(out, {"parcel.json": flip(members(out)["parcel.json"])}, fix_hashes=False)
    code, stdout, err = run("evidence", "--verify", str(out))
    assert code == cli.EXIT_FAIL and stdout == ""
    assert err.startswith(f"evidence NOT verified: {out}") and "parcel.json: SHA-256 does not match" in err

    clip = next(config.parent.glob("state/video/*/T000001-1.mp4"))
    clip.write_bytes(flip(clip.read_bytes()))  # changed on the cabinet: exported as found, with a warning
    code, stdout, err = run("evidence", TRACKING, "--out", str(out), "--config", str(config))
    assert code == cli.EXIT_FAIL and "clip T000001-1: included" in stdout
    assert err.startswith("warning: clip T000001-1: the file on disk is not the one its clip_recorded event")

    for args in (["evidence"], ["evidence", TRACKING], ["evidence", TRACKING, "--verify", str(out)],
                 ["evidence", TRACKING, "--out", "x.zip", "--against-cabinet"]):
        code, _, err = run(*args)
        assert code == cli.EXIT_USAGE and err.startswith("error: evidence:") and err.count("\n") == 1


def test_an_event_stored_in_another_json_spelling_still_verifies(cab, tmp_path):
    """Events the kiosk did not write itself (an import, an older version) keep their exact stored text."""
    story(cab)
    c = cab.store.conn
    eid, prev = c.execute("SELECT id + 1, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    parcel_id, box = c.execute("SELECT id, box_no FROM parcels WHERE tracking = ?", (TRACKING,)).fetchone()
    text, ts = '{"note": "checked by hand",  "by": "site manager"}', cab.clock.now() + 1
    h = audit.chain_hash(prev, eid, ts, "inspected", "maintainer", box, parcel_id, TRACKING, text)
    c.execute("INSERT INTO events (id, ts, kind, actor, box_no, parcel_id, tracking, data, prev_hash, hash)"
              " VALUES (?, ?, 'inspected', 'maintainer', ?, ?, ?, ?, ?, ?)",
              (eid, ts, box, parcel_id, TRACKING, text, prev, h))
    assert audit.verify(c).ok
    b = evidence.build(cab.svc, TRACKING, tmp_path / "b.zip")
    last = json.loads(members(b.path)["events.json"])["events"][-1]
    assert last["data_text"] == text and last["data"] == {"note": "checked by hand", "by": "site manager"}
    assert "inspected (note: checked by hand, by: site manager)" in members(b.path)["timeline.txt"].decode()
    assert evidence_check.verify(b.path).ok


def test_a_log_edited_behind_the_kiosks_back_is_a_warning_and_a_named_link(cab, tmp_path):
    s = story(cab)
    other = next(e.id for e in audit.events(cab.store.conn, tracking=s.other))
    c = cab.store.conn
    c.execute("DROP TRIGGER events_no_update")  # someone with the database file and sqlite3
    c.execute("UPDATE events SET actor = 'courier:NOBODY' WHERE id = ?", (other,))
    b = evidence.build(cab.svc, TRACKING, tmp_path / "b.zip")
    assert b.warnings == [f"the cabinet's audit chain is broken at event {other} (kiosk events --verify);"
                          " the bundle will not verify"]
    assert evidence_check.verify(b.path).problems == [
        f"chain: link {other} broken (its hash does not match its previous hash and digest)"]


def test_any_flipped_byte_that_changes_content_fails_verification_and_none_raises(built, tmp_path):
    """Every 29th byte of the whole zip, headers and directory included. A flip that changes no member's
    content (a date field, deflate's slack bits) may pass; one that changes content must not."""
    _, b = built
    data = b.path.read_bytes()
    original = members(b.path)
    bad = tmp_path / "flipped.zip"
    failed = 0
    for pos in range(0, len(data), 29):
        bad.write_bytes(flip(data, pos))
        v = evidence_check.verify(bad)  # never raises, whatever the byte
        if not v.ok:
            failed += 1
            continue
        assert members(bad) == original, f"byte {pos} changed content and verified ok"
    assert failed > 0.9 * (len(data) // 29)
