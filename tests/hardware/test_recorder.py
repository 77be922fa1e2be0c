"""Recorder: real H.264 clips read back with PyAV and OpenCV (and ffprobe when installed).

Most tests feed frames by hand through a fake feed with fake capture times, so frame N is at N/fps seconds and
the wall clock agrees: the numbers are exact and fast. SyntheticSource draws each frame's number as a strip
that survives H.264, so a decoded clip says which frames it holds. One test runs a real CameraThread.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from hardware import recorder as rec
from hardware.camera import CameraThread, SyntheticSource
from hardware.clip_writer import HashingFile, playable_frames, probe_clip
from hardware.overlay import draw_overlay, overlay_lines
from hardware.recorder import ClipInfo, Recorder

# OpenCV's worker pool grows by a thread at its first parallel conversion and keeps it for the process: grow
# it now, before the thread-leak guard (tests/conftest.py) takes its snapshots.
cv2.cvtColor(np.zeros((240, 320, 3), np.uint8), cv2.COLOR_BGR2YUV_I420)

FPS = 30.0
T0 = 5000.0  # fake monotonic time of frame 0
WALL0 = 1_780_000_000.0  # wall clock at frame 0
CLOCK = lambda: datetime(2026, 6, 1, 12, 0, 0)  # noqa: E731 - the synthetic pattern's own clock text


class FakeFeed:
    """Stands for a CameraThread: the test calls the recorder's callbacks itself."""

    def __init__(self) -> None:
        self.on_frame: Callable | None = None
        self.on_status: Callable | None = None
        self.subscribed = threading.Event()

    def subscribe(self, on_frame=None, on_status=None):
        self.on_frame, self.on_status = on_frame, on_status
        self.subscribed.set()

        def unsubscribe() -> None:
            self.on_frame = self.on_status = None
        return unsubscribe


class Rig:
    """A recorder on a fake feed, with its callbacks collected (any thread) and bounded waits."""

    def __init__(self, out: Path, width: int = 320, height: int = 240, **options) -> None:
        self.feed = FakeFeed()
        self.src = SyntheticSource(width, height, FPS, clock=CLOCK)
        self.now = T0
        self.cond = threading.Condition()
        self.clips: list[ClipInfo] = []
        self.faults: list[str] = []
        self.oks = 0
        opts = dict(cabinet_id="CAB-7", fps=FPS, preroll_s=1.0, postroll_s=0.5, keyframe_s=1.0,
                    min_free_bytes=0, wall_clock=self.wall)
        opts.update(options)
        self.rec = Recorder(self.feed, out, on_clip=self._clip, on_fault=self._fault, on_ok=self._ok, **opts)
        self.rec.start()
        assert self.feed.subscribed.wait(3), "recorder did not subscribe"

    def wall(self) -> float:
        return WALL0 + (self.now - T0)

    def _clip(self, info: ClipInfo) -> None:
        with self.cond:
            self.clips.append(info)
            self.cond.notify_all()

    def _fault(self, message: str) -> None:
        with self.cond:
            self.faults.append(message)
            self.cond.notify_all()

    def _ok(self) -> None:
        with self.cond:
            self.oks += 1
            self.cond.notify_all()

    def frames(self, first: int, stop: int, *, offset: float = 0.0, src: SyntheticSource | None = None) -> None:
        """Deliver frames first..stop-1 at capture time T0 + offset + i/FPS, each handled before the next
        batch (the mailbox holds 8: keep it from dropping)."""
        src = src or self.src
        for i in range(first, stop):
            self.now = T0 + offset + i / FPS
            frame = src.render(i)
            frame.flags.writeable = False
            self.feed.on_frame(frame, self.now)
            if i % 4 == 3 or i == stop - 1:
                self.settle()

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until every frame delivered so far has been handled."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.rec.stats
            if s["frames_handled"] + s["dropped"] >= s["frames_in"]:
                return
            assert time.monotonic() < deadline, f"recorder stuck: {s}"
            time.sleep(0.001)

    def status(self, state: str, message: str = "") -> None:
        self.feed.on_status(state, message or f"camera {state}")

    def wait(self, pred: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
        with self.cond:
            assert self.cond.wait_for(pred, timeout), f"timed out waiting for {what}: clips {self.clips}, " \
                                                      f"faults {self.faults}"

    def wait_clips(self, n: int, timeout: float = 5.0) -> list[ClipInfo]:
        self.wait(lambda: len(self.clips) >= n, timeout, f"{n} clips")
        return list(self.clips)

    def wait_fault(self, part: str, timeout: float = 5.0) -> str:
        self.wait(lambda: any(part in f for f in self.faults), timeout, f"fault {part!r}")
        return next(f for f in self.faults if part in f)


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    rigs: list[Rig] = []

    def make(**options) -> Rig:
        rig = Rig(tmp_path / "video", **options)
        rigs.append(rig)
        return rig
    yield make
    for rig in rigs:
        assert rig.rec.stop(5.0), "recorder thread did not stop"


def decode(path: Path) -> tuple[list[int], list[float], list[np.ndarray], list[bool]]:
    """Frame numbers, presentation times (s), the frames and keyframe flags, decoded by PyAV."""
    idx, times, frames, keys = [], [], [], []
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            img = f.to_ndarray(format="bgr24")
            idx.append(SyntheticSource.decode_index(img))
            times.append(float(f.pts * f.time_base))
            frames.append(img)
            keys.append(bool(f.key_frame))
    return idx, times, frames, keys


def read_cv2(path: Path) -> list[int]:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"OpenCV cannot open {path}"
    out = []
    try:
        for _ in range(10_000):
            ok, frame = cap.read()
            if not ok:
                break
            out.append(SyntheticSource.decode_index(frame))
    finally:
        cap.release()
    return out


def overlay_box(frame_shape: tuple[int, ...], lines: list[str]) -> tuple[slice, slice]:
    """The region draw_overlay paints for these lines (found by drawing on a blank frame)."""
    blank = np.full(frame_shape, 128, np.uint8)
    draw_overlay(blank, lines)
    ys, xs = np.nonzero((blank != 128).any(axis=2))
    return slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)


def with_overlay(rig: Rig, i: int, clips=()) -> np.ndarray:
    img = rig.src.render(i)
    draw_overlay(img, overlay_lines(WALL0 + i / FPS, "CAB-7", clips))
    return img


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


# ------------------------------------------------------------------------------------------------ tests

def test_a_clip_has_preroll_postroll_overlay_and_its_hash(make_rig, tmp_path):
    rig = make_rig()
    rig.frames(0, 100)
    rig.rec.start_clip("T000042", "deposit", ["A07"])
    assert rig.rec.recording == {"T000042"}
    rig.frames(100, 160)
    rig.rec.stop_clip("T000042")
    rig.frames(160, 200)
    [clip] = rig.wait_clips(1)
    assert rig.rec.recording == set()

    day = datetime.fromtimestamp(WALL0 + 99 / FPS).strftime("%Y-%m-%d")
    assert clip.path == tmp_path / "video" / day / "T000042-1.mp4"
    assert (clip.txn, clip.part, clip.kind, clip.boxes, clip.complete, clip.note) == \
        ("T000042", 1, "deposit", ("A07",), True, "")
    data = clip.path.read_bytes()
    assert clip.sha256 == hashlib.sha256(data).hexdigest() and clip.bytes == len(data)
    sidecar = json.loads(clip.path.with_suffix(".json").read_text())
    assert sidecar == clip.to_json() and sidecar["path"] == "T000042-1.mp4"
    assert ClipInfo.from_sidecar(clip.path.with_suffix(".json")) == clip

    idx, times, frames, keys = decode(clip.path)
    first = idx[0]
    assert idx == list(range(first, 175)), "frames missing or out of order (post-roll ends at 159 + 0.5 s)"
    assert keys[0] and first % 30 == 0, "the pre-roll starts on a keyframe"
    assert 30 <= 99 - first <= 60, "pre-roll covers at least preroll_s and at most one GOP more"
    assert clip.frames == len(idx)
    assert clip.preroll_s == pytest.approx((99 - first) / FPS, abs=1e-3)
    assert clip.started == pytest.approx(WALL0 + first / FPS) and clip.ended == pytest.approx(WALL0 + 174 / FPS)
    assert clip.txn_started == pytest.approx(WALL0 + 99 / FPS)
    assert times[0] == 0.0 and times[-1] == pytest.approx((174 - first) / FPS, abs=1e-3)  # rebased, 30 fps
    with av.open(str(clip.path)) as c:
        assert float(c.duration / 1e6) == pytest.approx((175 - first) / FPS, abs=0.04)
        assert c.streams.video[0].codec_context.name == "h264"
    assert read_cv2(clip.path) == idx, "OpenCV reads the same frames"

    # overlay: during the transaction the frame carries the time, the cabinet and "T000042 A07"
    k = 130 - first
    txn_lines = overlay_lines(WALL0 + 130 / FPS, "CAB-7", [("T000042", ("A07",))])
    region = overlay_box(frames[k].shape, txn_lines)
    assert mad(frames[k][region], with_overlay(rig, 130, [("T000042", ("A07",))])[region]) < 6
    assert mad(frames[k][region], rig.src.render(130)[region]) > 20, "no overlay burned in"
    assert mad(frames[k][region], with_overlay(rig, 130)[region]) > 10, "transaction line missing"
    # before the transaction (pre-roll): time and cabinet only
    assert mad(frames[0][region], with_overlay(rig, first)[region]) < 6
    assert mad(frames[k], with_overlay(rig, 130, [("T000042", ("A07",))])) < 4, "the picture itself is intact"

    if shutil.which("ffprobe"):
        out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,pix_fmt,width,height",
                              "-of", "json", str(clip.path)], capture_output=True, text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["streams"] == [{"codec_name": "h264", "width": 320, "height": 240,
                                                      "pix_fmt": "yuv420p"}]


def test_overlapping_clips_each_get_every_frame(make_rig):
    rig = make_rig(postroll_s=0.0)
    rig.frames(0, 40)
    rig.rec.start_clip("T000001", "pickup", ["A01"])
    rig.frames(40, 70)
    rig.rec.start_clip("T000002", "deposit", [])
    rig.rec.set_boxes("T000002", ["B02", "B03"])
    rig.frames(70, 100)
    rig.rec.stop_clip("T000001")
    assert rig.rec.recording == {"T000001", "T000002"}, "in its post-roll a clip is still recording"
    rig.frames(100, 130)
    rig.rec.stop_clip("T000002")
    rig.frames(130, 140)
    clips = {c.txn: c for c in rig.wait_clips(2)}
    a, b = decode(clips["T000001"].path)[0], decode(clips["T000002"].path)[0]
    assert a == list(range(a[0], 100)) and a[0] <= 39 - 30
    assert b == list(range(b[0], 130)) and b[0] <= 69 - 30
    assert clips["T000002"].boxes == ("B02", "B03")
    # while both are open, both transaction lines are burned in
    frames = decode(clips["T000002"].path)[2]
    both = [("T000001", ("A01",)), ("T000002", ("B02", "B03"))]
    expected = with_overlay(rig, 90, both)
    region = overlay_box(expected.shape, overlay_lines(WALL0 + 3, "CAB-7", both))
    assert mad(frames[90 - b[0]][region], expected[region]) < 6


def test_a_long_clip_is_split_into_parts_on_keyframes_without_losing_a_frame(make_rig):
    rig = make_rig(max_clip_s=1.0, preroll_s=0.5, postroll_s=0.0)
    rig.frames(0, 45)
    rig.rec.start_clip("T000003", "maintenance", ["C01"])
    rig.frames(45, 150)
    rig.rec.stop_clip("T000003")
    rig.frames(150, 160)
    rig.wait(lambda: not rig.rec.recording, what="the clip to end")
    parts = sorted(rig.clips, key=lambda c: c.part)
    assert [c.part for c in parts] == list(range(1, len(parts) + 1)) and len(parts) >= 4
    seen: list[int] = []
    for c in parts:
        idx, times, _, keys = decode(c.path)
        assert keys[0], f"part {c.part} does not start on a keyframe"
        assert times[-1] + 1 / FPS <= 1.0 + 1e-6, f"part {c.part} is longer than max_clip_s"
        assert c.frames == len(idx) and c.complete and c.path.name == f"T000003-{c.part}.mp4"
        seen += idx
    assert seen == list(range(seen[0], 150)), "parts must continue frame by frame"
    assert parts[1].preroll_s == 0 and parts[1].txn_started == parts[1].started


def test_disk_reserve_pauses_recording_reports_once_and_resumes(make_rig, monkeypatch, tmp_path):
    free = {"bytes": 10 * 2**30}
    real = shutil.disk_usage
    monkeypatch.setattr(rec.shutil, "disk_usage", lambda p: real(p)._replace(free=free["bytes"]))
    monkeypatch.setattr(rec, "DISK_CHECK_S", 0.1)
    rig = make_rig(min_free_bytes=100 * 2**20, postroll_s=0.0)
    rig.frames(0, 60)
    rig.rec.start_clip("T000004", "deposit", ["A02"])
    rig.frames(60, 90)
    free["bytes"] = 99 * 2**20
    message = rig.wait_fault("disk")
    assert message == "recording paused: disk almost full (99 MB free)"
    [part1] = rig.wait_clips(1)
    assert not part1.complete and part1.note == "disk almost full (99 MB free)"
    assert decode(part1.path)[0][-1] >= 89 - 1
    files = sorted((tmp_path / "video").rglob("*.mp4"))
    encoded = rig.rec.stats["frames_encoded"]
    rig.frames(90, 150)  # two seconds of video while the disk stays short: nothing written, pre-roll kept
    time.sleep(0.3)
    assert sorted((tmp_path / "video").rglob("*.mp4")) == files
    assert rig.rec.stats["frames_encoded"] == encoded + 60
    assert rig.faults == [message], "reported once"
    oks = rig.oks
    free["bytes"] = 10 * 2**30
    rig.wait(lambda: rig.oks > oks, what="recording to resume")
    rig.frames(150, 170)
    rig.rec.stop_clip("T000004")
    rig.frames(170, 175)
    _, part2 = rig.wait_clips(2)
    idx = decode(part2.path)[0]
    assert part2.part == 2 and part2.complete and idx[-1] == 169
    assert idx[0] > 89 and idx[0] <= 150 - 30, "part 2 starts with the pre-roll it has not written yet"

    # a clip asked for while the disk is short is not opened at all
    free["bytes"] = 1
    rig.rec.start_clip("T000005", "pickup")
    rig.frames(175, 180)
    rig.wait_fault("(0 MB free)")
    assert not list((tmp_path / "video").rglob("T000005*"))
    rig.rec.stop_clip("T000005")
    rig.frames(180, 185)
    rig.wait(lambda: not rig.rec.recording, what="T000005 to end")


def test_a_failing_write_finishes_the_clip_reports_and_recording_goes_on(make_rig, monkeypatch):
    monkeypatch.setattr(rec, "WRITE_RETRY_S", 0.1)
    full = threading.Event()
    real_write = HashingFile.write

    def write(self, data):
        if full.is_set():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)
    monkeypatch.setattr(HashingFile, "write", write)
    rig = make_rig(postroll_s=0.0)
    rig.frames(0, 30)
    rig.rec.start_clip("T000006", "pickup", ["A03"])
    rig.frames(30, 150)  # enough to have flushed fragments to disk
    full.set()
    rig.frames(150, 300)
    message = rig.wait_fault("cannot write video")
    assert message == "recording paused: cannot write video ([Errno 28] No space left on device)"
    [part1] = rig.wait_clips(1)
    assert not part1.complete and "No space left" in part1.note
    idx = decode(part1.path)[0]
    assert part1.frames == len(idx) > 30 and idx == list(range(idx[0], idx[0] + len(idx)))
    assert part1.sha256 == hashlib.sha256(part1.path.read_bytes()).hexdigest()
    encoded = rig.rec.stats["frames_encoded"]
    rig.frames(300, 310)
    assert rig.rec.stats["frames_encoded"] == encoded + 10, "the thread keeps encoding"
    full.clear()
    oks = rig.oks
    rig.wait(lambda: rig.oks > oks, what="recording to resume")
    rig.frames(310, 340)
    rig.rec.stop_clip("T000006")
    rig.frames(340, 345)
    _, part2 = rig.wait_clips(2)
    assert part2.part == 2 and part2.complete and decode(part2.path)[0][-1] == 339


def test_an_unreadable_clip_is_removed(make_rig, monkeypatch, tmp_path):
    monkeypatch.setattr(rec, "WRITE_RETRY_S", 60.0)
    real_write = HashingFile.write
    calls = {"n": 0}

    def write(self, data):  # the header goes out, then the disk is full
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError(errno.EIO, "Input/output error")
        return real_write(self, data)
    monkeypatch.setattr(HashingFile, "write", write)
    rig = make_rig(postroll_s=0.0)
    rig.frames(0, 10)
    rig.rec.start_clip("T000007", "pickup")
    rig.frames(10, 200)
    rig.wait_fault("Input/output error")
    rig.rec.stop_clip("T000007")
    rig.frames(200, 210)
    rig.wait(lambda: not rig.rec.recording, what="the clip to end")
    assert rig.clips == [] and not list((tmp_path / "video").rglob("*.mp4"))


def test_camera_offline_is_reported_and_the_clip_keeps_the_freeze(make_rig):
    rig = make_rig(postroll_s=0.0)
    rig.frames(0, 60)
    oks = rig.oks
    assert oks == 1, "the first encoded frame reports ok"
    rig.rec.start_clip("T000008", "deposit", ["A04"])
    rig.frames(60, 75)
    rig.status("offline", "camera offline: synthetic stopped delivering frames")
    assert rig.wait_fault("camera") == "camera offline: recording paused"
    assert rig.rec.recording == {"T000008"}, "the clip stays open while the camera is away"
    rig.status("online")
    rig.frames(75, 105, offset=4.0)  # four seconds without frames
    rig.wait(lambda: rig.oks > oks, what="recording ok again")
    rig.rec.stop_clip("T000008")
    rig.frames(105, 110, offset=4.0)
    [clip] = rig.wait_clips(1)
    idx, times, _, _ = decode(clip.path)
    gap = times[idx.index(75)] - times[idx.index(74)]
    assert gap == pytest.approx(4.0 + 1 / FPS, abs=1e-3), "a stall is a freeze, not a speed-up"
    assert idx[-1] == 104 and rig.faults == ["camera offline: recording paused"]


def test_a_clip_ending_while_the_camera_is_offline_is_finished_after_the_postroll(make_rig):
    rig = make_rig(postroll_s=0.2)
    rig.frames(0, 40)
    rig.rec.start_clip("T000009", "pickup", ["A05"])
    rig.frames(40, 60)
    rig.status("offline")
    rig.rec.stop_clip("T000009")
    t0 = time.monotonic()
    [clip] = rig.wait_clips(1, timeout=3.0)
    assert 0.15 < time.monotonic() - t0 < 1.5
    assert not clip.complete and clip.note == "camera offline at the end of the clip"
    assert decode(clip.path)[0][-1] == 59


def test_stop_finishes_an_open_clip(make_rig):
    rig = make_rig()
    rig.frames(0, 40)
    rig.rec.start_clip("T000010", "return", ["A06"])
    rig.frames(40, 70)
    assert rig.rec.stop(5.0)
    [clip] = rig.clips
    assert not clip.complete and clip.note == "recorder stopped"
    idx = decode(clip.path)[0]
    assert idx[-1] == 69 and clip.frames == len(idx)
    assert clip.sha256 == hashlib.sha256(clip.path.read_bytes()).hexdigest()


def test_the_preroll_is_bounded_and_forgets_frames_from_before_an_outage(make_rig):
    rig = make_rig(width=128, height=96, preroll_s=1.0, keyframe_s=0.5)
    rig.frames(0, 600)  # 20 s
    packets = rig.rec.stats["preroll_packets"]
    assert 30 <= packets <= (1.0 + 0.5) * FPS + 2, packets
    assert rig.rec.stats["preroll_bytes"] < 200_000
    rig.frames(600, 610, offset=10.0)  # the camera was away for 10 s
    rig.rec.start_clip("T000011", "pickup")
    rig.frames(610, 640, offset=10.0)
    rig.rec.stop_clip("T000011", postroll_s=0.0)
    rig.frames(640, 645, offset=10.0)
    [clip] = rig.wait_clips(1)
    idx = decode(clip.path)[0]
    assert idx[0] == 600 and idx[-1] == 639, "a minutes-old picture is not pre-roll"


def test_a_camera_with_another_resolution_starts_a_new_part(make_rig):
    rig = make_rig(postroll_s=0.0)
    rig.frames(0, 40)
    rig.rec.start_clip("T000012", "maintenance", ["D01"])
    rig.frames(40, 60)
    odd = SyntheticSource(161, 121, FPS, clock=CLOCK)  # replugged: another size, and an odd one
    rig.frames(60, 100, src=odd)
    rig.rec.stop_clip("T000012")
    rig.frames(100, 105, src=odd)
    part1, part2 = rig.wait_clips(2)
    assert part1.complete and part2.part == 2 and part2.complete
    with av.open(str(part2.path)) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (160, 120), "cropped to even for yuv420p"
    assert decode(part1.path)[0][-1] == 59
    assert decode(part2.path)[0] == list(range(60, 100))


def test_an_encoder_failure_is_reported_and_the_encoder_rebuilt(make_rig, monkeypatch):
    monkeypatch.setattr(rec, "ENCODER_RETRY_S", 0.0)
    failures = {"left": 1}
    real_open = rec.open_encoder

    class Flaky:
        def __init__(self, enc):
            self.enc, self.n = enc, 0

        def encode(self, img, pts, key):
            self.n += 1
            if self.n == 50 and failures["left"]:
                failures["left"] -= 1
                raise av.error.InvalidDataError(1094995529, "simulated")
            return self.enc.encode(img, pts, key)

        def close(self):
            self.enc.close()
    monkeypatch.setattr(rec, "open_encoder", lambda *a, **k: Flaky(real_open(*a, **k)))
    rig = make_rig(postroll_s=0.0)
    rig.frames(0, 30)
    rig.rec.start_clip("T000013", "deposit", ["A08"])
    rig.frames(30, 80)
    assert rig.wait_fault("encoder failed").startswith("encoder failed: ")
    rig.wait(lambda: rig.oks >= 2, what="ok after the rebuild")
    rig.rec.stop_clip("T000013")
    rig.frames(80, 85)
    part1, part2 = rig.wait_clips(2)
    assert not part1.complete and part1.note.startswith("encoder failed")
    assert decode(part1.path)[0][-1] == 48 and decode(part2.path)[0] == list(range(50, 80))


def test_bad_input_is_refused_or_ignored_with_a_clear_message(make_rig, caplog, tmp_path):
    with pytest.raises(ValueError, match="preset must be one of"):
        Recorder(FakeFeed(), tmp_path, cabinet_id="C", fps=30, preset="turbo")
    with pytest.raises(ValueError, match="fps must be > 0"):
        Recorder(FakeFeed(), tmp_path, cabinet_id="C", fps=0)
    rig = make_rig()
    with pytest.raises(ValueError, match="transaction id"):
        rig.rec.start_clip("../etc/passwd", "pickup")
    rig.feed.on_frame(np.zeros((240, 320), np.uint8), T0)  # grey: not what a camera thread delivers
    rig.settle()
    assert "not HxWx3 uint8 BGR" in caplog.text
    rig.rec.stop_clip("T999999")  # not recording: logged, nothing else
    rig.frames(0, 5)
    assert rig.rec.stats["frames_encoded"] == 5 and rig.rec.is_alive()


def test_with_a_real_camera_thread_no_frame_is_lost(tmp_path):
    camera = CameraThread(SyntheticSource(320, 240, 30.0))
    clips: list[ClipInfo] = []
    done = threading.Event()
    recorder = Recorder(camera, tmp_path, cabinet_id="CAB-1", fps=30.0, preroll_s=0.5, postroll_s=0.3,
                        min_free_bytes=0, on_clip=lambda c: (clips.append(c), done.set()))
    recorder.start()
    camera.start()
    try:
        deadline = time.monotonic() + 5
        while recorder.stats["frames_encoded"] < 25 and time.monotonic() < deadline:
            time.sleep(0.02)
        recorder.start_clip("T000014", "pickup", ["A09"])
        started = time.monotonic()
        time.sleep(0.6)
        recorder.stop_clip("T000014")
        between = time.monotonic() - started
        assert done.wait(5), "no clip"
    finally:
        assert recorder.stop(5) and camera.stop(3)
    [clip] = clips
    idx, times, _, _ = decode(clip.path)
    assert idx == list(range(idx[0], idx[0] + len(idx))), "frames lost between camera and file"
    assert recorder.stats["dropped"] == 0
    assert clip.preroll_s >= 0.5 - 1 / 30
    assert times[-1] == pytest.approx(clip.preroll_s + between + 0.3, abs=0.2), "pre-roll + clip + post-roll"
    assert clip.ended - clip.started == pytest.approx(times[-1], abs=0.1), "wall clock agrees with the video"


def test_a_clip_cut_by_a_kill_still_says_what_it_is(tmp_path):
    """SIGKILL mid-clip leaves a fragmented MP4 without sidecar: probe_clip reads its transaction, part, kind,
    start and the frames its finished fragments hold, for the core to register it at the next start."""
    child = Path(__file__).with_name("kill_clip_child.py")
    r = subprocess.run([sys.executable, str(child), str(tmp_path), "200"], capture_output=True, timeout=60)
    assert r.returncode == -signal.SIGKILL, r.stderr.decode()[-2000:]
    [mp4] = list(tmp_path.glob("*/*.mp4"))
    assert mp4.name == "T000007-1.mp4" and not mp4.with_suffix(".json").exists()
    facts = probe_clip(mp4)
    frames = playable_frames(mp4)
    assert {k: facts[k] for k in ("txn", "part", "kind")} == {"txn": "T000007", "part": 1, "kind": "deposit"}
    assert 0 < facts["frames"] == frames < 200, "the fragment open at the kill is lost"
    idx, times, _, _ = decode(mp4)  # every frame counted is a real picture of the clip, in order
    assert len(idx) == frames and idx == list(range(idx[0], idx[0] + frames))
    assert idx[0] <= 60 - FPS and idx[-1] >= 199 - FPS, "pre-roll ≥ 1 s; at most one keyframe interval lost"
    assert facts["started"] == pytest.approx(WALL0 + 60 / FPS, abs=1.0)  # the request's time (whole seconds)
    assert facts["ended"] - facts["started"] == pytest.approx(times[-1] - times[0], abs=1e-3)


@pytest.mark.parametrize("name, body", [("T000001-1.mp4", b""), ("T000001-2.mp4", b"\x00\x00\x00\x18ftypisom"),
                                        ("holiday.mp4", None)])
def test_a_file_that_is_not_a_readable_clip_is_refused_by_the_probe(tmp_path, name, body):
    path = tmp_path / name
    if body is None:  # a real video, but not named or titled like one of the recorder's clips
        with av.open(str(path), "w") as out:
            s = out.add_stream("mpeg4", rate=10)
            s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
            for _ in range(3):
                out.mux(s.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="bgr24")))
            out.mux(s.encode())
    else:
        path.write_bytes(body)
    with pytest.raises(ValueError, match=name):
        probe_clip(path)
