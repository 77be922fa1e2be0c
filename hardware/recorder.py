"""Surveillance recording: H.264 clips per transaction, with a pre-roll, on a thread of its own (no Qt here).

Why it is built this way:

- The video must show what happened just BEFORE a transaction began (someone at the cabinet, a parcel in a
  hand), so the recorder encodes all the time and keeps the last few seconds as ENCODED packets (a few hundred
  kB, not hundreds of MB of raw frames). The pre-roll is cut at keyframes: a clip can only start on one, so
  the buffer always begins on a keyframe and covers at least ``preroll_s``.
- One encoder (``hardware.h264``) feeds every open clip (overlapping transactions each get every packet) and
  the pre-roll; each clip is only a muxer (``hardware.clip_writer``).
- Timestamps are the camera's capture times: a stalled or offline camera shows as a freeze, not a speed-up.
  Keyframes are forced by time (every ``keyframe_s``), so a slow camera does not stretch the pre-roll.
- The camera thread must never wait for us: frames cross through a small bounded mailbox; when it is full the
  frame is dropped and counted. Commands (start/stop a clip) and camera status take the same path, so they keep
  their order relative to the frames (the overlay line of a transaction appears exactly from its start).
- The database and audit log live on the same disk and must never be starved: below ``min_free_bytes`` the
  recorder finishes its open files (marked incomplete), reports once, keeps its in-memory pre-roll, and carries
  on in a new part when space returns. A failing write (ENOSPC, EIO) is handled the same way; an encoder error
  rebuilds the encoder. Nothing here lets an exception end the thread.
- Every finished file gets a JSON sidecar beside it with the ``ClipInfo`` fields, so a clip whose database row
  was lost can be registered later (``kiosk.clips.adopt_orphans``). A clip the process died in has no sidecar:
  ``clip_writer.probe_clip`` reads what the file itself says, for the same adoption.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np

from hardware.camera import OFFLINE, ONLINE, FrameCallback, StatusCallback
from hardware.clip_writer import ClipWriter, HashingFile, playable_frames
from hardware.h264 import PRESETS, TIME_BASE, H264Encoder, open_encoder
from hardware.overlay import draw_overlay, overlay_lines
from kiosk.clips import file_sha256, read_sidecar

log = logging.getLogger(__name__)

MAILBOX_FRAMES = 8  # frames waiting for the encoder before new ones are dropped (~0.27 s at 30 fps)
DISK_CHECK_S = 1.0  # free space is checked this often while writing, and while paused for lack of it
WRITE_RETRY_S = 5.0  # after a failed write, the next attempt to open a clip
ENCODER_RETRY_S = 1.0  # after an encoder failure, the next attempt to build one
POSTROLL_GRACE_S = 2.0  # a post-roll whose frames do not come ends this long after it should have
PREROLL_MAX_BYTES = 64 * 2**20  # a hard cap, in case timestamps stop advancing
_TXN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a transaction id is part of a file name


@dataclass(frozen=True)
class ClipInfo:
    """A finished clip file (one part of a transaction's video)."""

    txn: str  # "T000042"
    part: int  # 1, 2… (a clip longer than max_clip_s continues in part 2)
    kind: str
    path: Path  # absolute path of the .mp4
    started: float  # wall-clock epoch seconds of the first frame in the file (pre-roll included)
    ended: float  # wall-clock epoch seconds of the last frame
    txn_started: float  # wall clock when start_clip was called (or part began)
    preroll_s: float  # seconds of video before txn_started actually in the file
    frames: int
    bytes: int
    sha256: str  # hex of the finished file
    boxes: tuple[str, ...]
    complete: bool  # False if cut short (disk reserve reached, recorder stopped, camera gone at end)
    note: str  # "" or one line why incomplete

    def to_json(self) -> dict[str, Any]:
        """The sidecar's content: every field, ``path`` as the file name (the sidecar sits beside it)."""
        data = asdict(self)
        data["path"] = self.path.name
        data["boxes"] = list(self.boxes)
        return data

    @classmethod
    def from_sidecar(cls, sidecar: Path) -> ClipInfo:
        """Read a sidecar written by the recorder, as the core reads it when it adopts an orphan clip."""
        return cls(**read_sidecar(sidecar))


class FrameFeed(Protocol):
    """What the recorder subscribes to: a ``CameraThread``, or a fake in tests."""

    def subscribe(self, on_frame: FrameCallback | None = None,
                  on_status: StatusCallback | None = None) -> Callable[[], None]: ...


# ----------------------------------------------------------------------------------------------- state

@dataclass(slots=True)
class _Packet:
    data: bytes
    pts: int
    key: bool
    ts: float  # capture time (monotonic seconds)
    wall: float  # wall clock at capture


@dataclass
class _Part:
    number: int
    writer: ClipWriter
    txn_started: float
    began_ts: float | None  # capture time the part began at (for preroll_s), None: its first frame
    boxes: list[str]
    first: _Packet | None = None
    walls: list[float] = field(default_factory=list)  # of the frames written (a cut file keeps a prefix)
    stamps: list[float] = field(default_factory=list)  # their monotonic capture times


@dataclass
class _Txn:
    txn: str
    kind: str
    boxes: tuple[str, ...]
    folder: str  # "YYYY-MM-DD" of the transaction's start: every part goes there
    request: tuple[float, float | None]  # (wall, capture ts) the next part begins at
    part_no: int = 0
    part: _Part | None = None
    last_ts: float | None = None  # capture time of the last packet written (any part)
    stop_ts: float | None = None  # capture time the post-roll ends at
    stop_deadline: float | None = None  # monotonic: end anyway (frames do not come)
    stop_offline_deadline: float | None = None  # monotonic: end at once if the camera is offline by then
    seen_boxes: list[str] = field(default_factory=list)

    def add_boxes(self, boxes: tuple[str, ...]) -> None:
        self.boxes = boxes
        self.seen_boxes += [b for b in boxes if b not in self.seen_boxes]


class _Mailbox:
    """Camera thread → recorder thread: frames bounded (never blocks the sender), commands never dropped."""

    def __init__(self, max_frames: int) -> None:
        self._cond = threading.Condition()
        self._items: deque[tuple] = deque()
        self._frames = 0
        self._max = max_frames

    def put_frame(self, item: tuple) -> bool:
        with self._cond:
            if self._frames >= self._max:
                return False
            self._frames += 1
            self._items.append(item)
            self._cond.notify()
            return True

    def put(self, item: tuple) -> None:
        with self._cond:
            self._items.append(item)
            self._cond.notify()

    def take(self, timeout: float) -> list[tuple]:
        with self._cond:
            if not self._items:
                self._cond.wait(timeout)
            items = list(self._items)
            self._items.clear()
            self._frames = 0
            return items


# ----------------------------------------------------------------------------------------------- recorder

class Recorder(threading.Thread):
    """Encodes the camera continuously and writes one MP4 (or several parts) per transaction.

    ``start_clip``/``set_boxes``/``stop_clip``/``stop`` may be called from any thread and return at once; the
    work happens on this thread, in order with the frames. Callbacks (``on_clip``, ``on_fault``, ``on_ok``)
    run on this thread. ``on_ok`` (an addition to the contract) is called when recording works: at the first
    encoded frame, and again once every reported fault has cleared.
    """

    def __init__(self, feed: FrameFeed, out_dir: Path, *, cabinet_id: str, fps: float, preroll_s: float = 5.0,
                 postroll_s: float = 3.0, max_clip_s: float = 600.0, min_free_bytes: int = 200 * 2**20,
                 crf: int = 26, preset: str = "veryfast", keyframe_s: float = 1.0,
                 on_clip: Callable[[ClipInfo], None] | None = None,
                 on_fault: Callable[[str], None] | None = None,
                 wall_clock: Callable[[], float] = time.time,
                 on_ok: Callable[[], None] | None = None) -> None:
        super().__init__(name="recorder", daemon=True)
        if _version(av.__version__) < (18, 1):  # add_mux_stream, and its parameter sets taken from the stream
            raise RuntimeError(f"PyAV {av.__version__} cannot record clips: PyAV 18.1 or newer is needed")
        if "libx264" not in av.codecs_available:
            raise RuntimeError("this PyAV build has no libx264 encoder: cannot record H.264")
        if fps <= 0:
            raise ValueError(f"recorder fps must be > 0, got {fps}")
        if preroll_s < 0 or postroll_s < 0:
            raise ValueError(f"recorder pre/post-roll must be >= 0 s, got {preroll_s}/{postroll_s}")
        if max_clip_s <= 0 or keyframe_s <= 0:
            raise ValueError(f"recorder max_clip_s and keyframe_s must be > 0, got {max_clip_s}/{keyframe_s}")
        if not 0 <= crf <= 51:
            raise ValueError(f"recorder crf must be 0–51, got {crf}")
        if preset not in PRESETS:
            raise ValueError(f"recorder preset must be one of {', '.join(PRESETS)}, got {preset!r}")
        if min_free_bytes < 0:
            raise ValueError(f"recorder min_free_bytes must be >= 0, got {min_free_bytes}")
        self.feed = feed
        self.out_dir = Path(out_dir).absolute()
        self.cabinet_id = cabinet_id
        self.fps = float(fps)
        self.preroll_s, self.postroll_s, self.max_clip_s = float(preroll_s), float(postroll_s), float(max_clip_s)
        self.min_free_bytes = int(min_free_bytes)
        self.keyframe_s = float(keyframe_s)
        self._encoder_options = {"fps": self.fps, "crf": int(crf), "preset": preset, "keyframe_s": keyframe_s}
        # public: a Qt face (hardware.recorder_worker) may set them after construction, before start()
        self.on_clip, self.on_fault, self.on_ok = on_clip, on_fault, on_ok
        self._wall_clock = wall_clock
        self._mailbox = _Mailbox(MAILBOX_FRAMES)
        self._lock = threading.Lock()
        self._recording: dict[str, None] = {}  # open transactions, as callers see them (ordered)
        self._last_in: tuple[float, float] | None = None  # (capture ts, wall) of the newest frame received
        self._stop_requested = False
        # camera-thread counters (written there only)
        self._frames_in = 0
        self._dropped = 0
        # recorder-thread state
        self._period = 1.0 / self.fps
        self._duration = round(self._period / TIME_BASE)  # nominal packet duration (the last one needs it)
        self._txns: dict[str, _Txn] = {}
        self._encoder: H264Encoder | None = None
        self._encoder_retry_at = 0.0
        self._size: tuple[int, int] | None = None
        self._ts0: float | None = None
        self._last_pts = -1
        self._last_key_ts: float | None = None
        self._meta: dict[int, tuple[float, float]] = {}
        self._gops: deque[list[_Packet]] = deque()
        self._preroll_bytes = 0
        self._preroll_packets = 0
        self._camera_offline = False
        self._faults: dict[str, str] = {}
        self._ok_reported = False
        self._paused: str | None = None  # "disk" | "write" while no clip may be written
        self._retry_at = 0.0
        self._next_disk_check = 0.0
        self._bad_frame_logged = False
        self._frames_encoded = 0
        self._frames_handled = 0
        self._clips = 0

    # -- public API (any thread) ---------------------------------------------------------------------
    def start_clip(self, txn: str, kind: str, boxes: Iterable[str] = ()) -> None:
        """A transaction started: its clip begins with the pre-roll. Non-blocking."""
        if not isinstance(txn, str) or not _TXN_RE.fullmatch(txn):
            raise ValueError(f"transaction id must be 1–64 letters, digits, '-' or '_', got {txn!r}")
        last = self._last_in
        with self._lock:
            self._recording[txn] = None
        self._mailbox.put(("start", txn, str(kind), tuple(str(b) for b in boxes), self._wall_clock(),
                           last[0] if last else None))

    def set_boxes(self, txn: str, boxes: Iterable[str]) -> None:
        """The boxes a transaction has opened (the overlay shows them from the next frame on)."""
        self._mailbox.put(("boxes", txn, tuple(str(b) for b in boxes)))

    def stop_clip(self, txn: str, postroll_s: float | None = None) -> None:
        """The transaction is complete: its clip ends ``postroll_s`` (default: the recorder's) later."""
        post = self.postroll_s if postroll_s is None else max(0.0, float(postroll_s))
        last = self._last_in
        self._mailbox.put(("stop_clip", txn, post, last[0] if last else None, time.monotonic()))

    def stop(self, timeout: float = 5.0) -> bool:
        """Finish open clips (complete=False, "recorder stopped"), free the encoder, join; True if ended."""
        self._stop_requested = True
        self._mailbox.put(("stop",))
        if self.ident is None or self is threading.current_thread():
            return not self.is_alive()
        self.join(timeout)
        if self.is_alive():
            log.warning("recorder did not stop within %.1f s", timeout)
        return not self.is_alive()

    @property
    def recording(self) -> set[str]:
        """Transactions whose clip is open (including one in its post-roll)."""
        with self._lock:
            return set(self._recording)

    @property
    def stats(self) -> dict[str, int]:
        """frames_in (from the camera), frames_encoded, dropped (mailbox full), clips (files finished),
        frames_handled (taken from the mailbox), preroll_packets and preroll_bytes (in memory now)."""
        return {"frames_in": self._frames_in, "frames_encoded": self._frames_encoded, "dropped": self._dropped,
                "clips": self._clips, "frames_handled": self._frames_handled,
                "preroll_packets": self._preroll_packets, "preroll_bytes": self._preroll_bytes}

    # -- camera thread -------------------------------------------------------------------------------
    def _on_frame(self, frame: np.ndarray, ts: float) -> None:
        wall = self._wall_clock()
        self._frames_in += 1
        self._last_in = (ts, wall)
        if not self._mailbox.put_frame(("frame", frame, ts, wall)):
            self._dropped += 1

    def _on_status(self, state: str, message: str) -> None:
        self._mailbox.put(("status", state, message))

    # -- thread body ---------------------------------------------------------------------------------
    def run(self) -> None:
        unsubscribe = self.feed.subscribe(self._on_frame, self._on_status)
        try:
            running = True
            while running:
                for item in self._mailbox.take(0.25):
                    if item[0] == "stop":
                        running = False
                        break
                    self._guard(self._handle, item)
                self._guard(self._housekeeping)
        finally:
            unsubscribe()
            for t in list(self._txns.values()):
                self._guard(self._end_txn, t, False, "recorder stopped")
            self._drop_encoder()

    def _guard(self, fn: Callable[..., None], *args: Any) -> None:
        """Run one step; an unexpected error is logged and the thread goes on (it records for years)."""
        try:
            fn(*args)
        except Exception:  # noqa: BLE001
            log.exception("recorder step %s failed", getattr(fn, "__name__", fn))

    def _handle(self, item: tuple) -> None:
        kind = item[0]
        if kind == "frame":
            try:
                self._handle_frame(*item[1:])
            finally:
                self._frames_handled += 1
        elif kind == "status":
            self._handle_status(item[1], item[2])
        elif kind == "start":
            self._handle_start(*item[1:])
        elif kind == "boxes":
            t = self._txns.get(item[1])
            if t is None:
                log.warning("set_boxes for %s, which is not recording", item[1])
            else:
                t.add_boxes(item[2])
                if t.part is not None:
                    t.part.boxes += [b for b in item[2] if b not in t.part.boxes]
        elif kind == "stop_clip":
            self._handle_stop_clip(*item[1:])

    def _handle_status(self, state: str, message: str) -> None:
        if state == OFFLINE:
            self._camera_offline = True
            log.info("recorder: %s", message)
            self._set_fault("camera", "camera offline: recording paused")
        elif state == ONLINE:
            self._camera_offline = False
            self._clear_fault("camera")

    def _handle_start(self, txn: str, kind: str, boxes: tuple[str, ...], wall: float, ts: float | None) -> None:
        if txn in self._txns:
            log.warning("start_clip for %s, which is already recording", txn)
            return
        t = _Txn(txn, kind, (), f"{datetime.fromtimestamp(wall):%Y-%m-%d}", (wall, ts))
        t.add_boxes(boxes)
        self._txns[txn] = t
        log.info("clip %s (%s) starts", txn, kind)
        self._open_part(t)

    def _handle_stop_clip(self, txn: str, post: float, ts: float | None, mono: float) -> None:
        t = self._txns.get(txn)
        if t is None:
            log.warning("stop_clip for %s, which is not recording", txn)
            return
        if t.part is None or ts is None:  # nothing being written (paused, no camera yet): nothing to wait for
            self._end_txn(t, True, "")
            return
        t.stop_ts = ts + post
        t.stop_offline_deadline = mono + post
        t.stop_deadline = mono + post + POSTROLL_GRACE_S

    # -- frames → packets ----------------------------------------------------------------------------
    def _handle_frame(self, frame: np.ndarray, ts: float, wall: float) -> None:
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3 or min(frame.shape[:2]) < 16:
            if not self._bad_frame_logged:
                self._bad_frame_logged = True
                log.error("recorder: ignoring frames that are not HxWx3 uint8 BGR (got %s %s)",
                          frame.dtype, frame.shape)
            return
        h, w = frame.shape[0] & ~1, frame.shape[1] & ~1  # yuv420p needs even sizes: crop a pixel
        if self._size != (w, h):
            if self._size is not None:
                log.info("camera frame size changed from %dx%d to %dx%d: new encoder, clips go on in a new part",
                         *self._size, w, h)
                self._restart_encoding(wall, ts, True, "")
            self._size = (w, h)
        if self._encoder is None:
            if time.monotonic() < self._encoder_retry_at:
                return
            try:
                self._encoder = open_encoder(w, h, **self._encoder_options)
            except Exception as e:  # noqa: BLE001 - av errors, bad options: reported, retried
                self._encoder_failed(e, wall, ts)
                return
        if self._ts0 is None:
            self._ts0 = ts
        pts = max(round((ts - self._ts0) / TIME_BASE), self._last_pts + 1)
        self._last_pts = pts
        img = frame[:h, :w].copy()
        draw_overlay(img, overlay_lines(wall, self.cabinet_id, ((t.txn, t.boxes) for t in self._txns.values())))
        try:
            packets = self._encoder.encode(img, pts, self._keyframe_due(ts))
        except Exception as e:  # noqa: BLE001
            self._encoder_failed(e, wall, ts)
            return
        self._frames_encoded += 1
        self._clear_fault("encoder")
        self._maybe_ok()
        self._meta[pts] = (ts, wall)
        for data, ppts, key in packets:
            pts_ts, pts_wall = self._meta.pop(ppts, (ts, wall))
            self._handle_packet(_Packet(data, ppts, key, pts_ts, pts_wall))
        if len(self._meta) > 64:  # an encoder that swallowed frames: do not grow
            self._meta.clear()

    def _keyframe_due(self, ts: float) -> bool:
        slack = self._period / 2
        if self._last_key_ts is None or ts - self._last_key_ts >= self.keyframe_s - slack:
            return True
        return any(t.part is not None and t.part.first is not None
                   and ts - t.part.first.ts >= self.max_clip_s - slack for t in self._txns.values())

    def _handle_packet(self, p: _Packet) -> None:
        if p.key:
            self._last_key_ts = p.ts
            self._gops.append([p])
        elif self._gops:
            self._gops[-1].append(p)
        else:
            return  # cannot happen (an encoder starts with a keyframe); without one the packet is useless
        self._preroll_bytes += len(p.data)
        self._preroll_packets += 1
        self._trim_preroll(p.ts)
        for t in list(self._txns.values()):
            if t.stop_ts is not None and p.ts > t.stop_ts + 1e-6:
                self._end_txn(t, True, "")
                continue
            if t.part is None:
                if p.key:
                    self._open_part(t)  # pending (camera was not there, or after a pause): starts here
                continue
            self._deliver(t, p)

    def _trim_preroll(self, now: float) -> None:
        """Keep whole GOPs covering at least preroll_s before ``now``; drop GOPs older than that entirely."""
        horizon = now - self.preroll_s
        gops = self._gops
        while len(gops) > 1 and (gops[1][0].ts <= horizon or gops[0][-1].ts + self.keyframe_s < horizon
                                 or self._preroll_bytes > PREROLL_MAX_BYTES):
            gop = gops.popleft()
            self._preroll_bytes -= sum(len(p.data) for p in gop)
            self._preroll_packets -= len(gop)

    # -- clip files ----------------------------------------------------------------------------------
    def _open_part(self, t: _Txn) -> None:
        """Open the transaction's next part, starting with the pre-roll packets it has not written yet; if
        there are none, it stays pending and opens at the next keyframe."""
        if self._paused or self._stop_requested or self._size is None:
            return
        after = t.last_ts if t.last_ts is not None else float("-inf")
        packets = [p for gop in self._gops if gop[0].ts > after for p in gop]
        if not packets or not self._new_part(t):
            return
        for p in packets:
            if t.part is None:
                break  # a write failed
            self._deliver(t, p)

    def _new_part(self, t: _Txn) -> bool:
        """Create the next part's file (empty); False if it cannot be written now (paused, reported)."""
        ok, why = self._space_ok()
        if not ok:
            self._pause("disk", why, DISK_CHECK_S)
            return False
        assert self._size is not None
        folder = self.out_dir / t.folder
        number = t.part_no + 1
        try:
            folder.mkdir(parents=True, exist_ok=True)
            while (folder / f"{t.txn}-{number}.mp4").exists():  # never overwrite evidence (a crashed run's file)
                log.warning("clip %s exists already: this one becomes part %d", folder / f"{t.txn}-{number}.mp4",
                            number + 1)
                number += 1
            wall, _ = t.request
            meta = {"title": f"{t.txn} part {number}", "comment": f"cabinet {self.cabinet_id}, {t.kind}",
                    "creation_time": datetime.fromtimestamp(wall).astimezone().isoformat()}
            writer = ClipWriter(folder / f"{t.txn}-{number}.mp4", *self._size, metadata=meta)
        except (OSError, av.FFmpegError) as e:
            self._write_failed(e)
            return False
        t.part_no = number
        t.part = _Part(number, writer, t.request[0], t.request[1], list(t.seen_boxes))
        self._next_disk_check = time.monotonic() + DISK_CHECK_S
        return True

    def _deliver(self, t: _Txn, p: _Packet) -> None:
        """Write a packet to the transaction's open part; a keyframe at max_clip_s starts the next part."""
        part = t.part
        assert part is not None
        if p.key and part.first is not None and p.ts - part.first.ts >= self.max_clip_s - self._period / 2:
            log.info("clip %s part %d reached %.0f s: part %d follows", t.txn, part.number, self.max_clip_s,
                     part.number + 1)
            self._close_part(t, True, "")
            t.request = (p.wall, p.ts)
            if not self._new_part(t):
                return
        self._write(t, p)

    def _write(self, t: _Txn, p: _Packet) -> None:
        part = t.part
        assert part is not None
        try:
            part.writer.write(p.data, p.pts, p.key, self._duration)
        except (OSError, av.FFmpegError) as e:
            self._write_failed(e)
            return
        if part.first is None:
            part.first = p
        part.walls.append(p.wall)
        part.stamps.append(p.ts)
        t.last_ts = p.ts

    def _close_part(self, t: _Txn, complete: bool, note: str) -> None:
        part, t.part = t.part, None
        if part is None:
            return
        path = part.writer.path
        frames = len(part.walls)
        size, sha = 0, ""
        try:
            if part.writer.failed:  # packets may be lost in its buffers: count what reached the disk
                raise OSError(note or "a write failed")
            size, sha = part.writer.close()
        except (OSError, av.FFmpegError) as e:
            log.error("clip %s could not be finished: %s", path, e)
            part.writer.abort()
            complete, note = False, note or f"cannot write video ({e})"
            frames = min(frames, playable_frames(path)) if frames else 0  # what reached the disk
            if frames:
                try:
                    size, sha = path.stat().st_size, file_sha256(path)
                except OSError:
                    frames = 0
        if frames == 0 or part.first is None:
            _remove(path, "no playable video")
            return
        preroll = max(0.0, part.began_ts - part.first.ts) if part.began_ts is not None else 0.0
        # The end is the start plus the monotonic length: a wall clock set back (NTP) or forward mid-clip must
        # not give the clip a negative or two-day length (the burned-in time still shows what the clock said).
        ended = part.walls[0] + (part.stamps[frames - 1] - part.stamps[0])
        info = ClipInfo(txn=t.txn, part=part.number, kind=t.kind, path=path, started=part.walls[0],
                        ended=ended, txn_started=part.txn_started, preroll_s=round(preroll, 3),
                        frames=frames, bytes=size, sha256=sha, boxes=tuple(part.boxes), complete=complete,
                        note=note)
        try:
            _write_sidecar(info)
        except OSError as e:  # the clip itself is fine; its database row does not need the sidecar
            log.error("sidecar of %s could not be written: %s", path, e)
        self._clips += 1
        log.info("clip %s: %d frames, %.1f s (%.1f s pre-roll), %d bytes%s", path.name, info.frames,
                 info.ended - info.started, info.preroll_s, info.bytes, "" if complete else f" — {note}")
        self._call(self.on_clip, info)

    def _end_txn(self, t: _Txn, complete: bool, note: str) -> None:
        if complete and self._camera_offline and t.part is not None:
            complete, note = False, "camera offline at the end of the clip"
        self._close_part(t, complete, note)
        self._txns.pop(t.txn, None)
        with self._lock:
            self._recording.pop(t.txn, None)

    # -- faults --------------------------------------------------------------------------------------
    def _space_ok(self) -> tuple[bool, str]:
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(self.out_dir).free
        except OSError as e:
            return False, f"video folder unavailable ({e})"
        if free < self.min_free_bytes:
            return False, f"disk almost full ({free // 2**20} MB free)"
        return True, ""

    def _probe_write(self) -> tuple[bool, str]:
        """After a failed write: does writing (and syncing) a small file work again?"""
        probe = self.out_dir / ".recorder-probe"
        try:
            probe.unlink(missing_ok=True)  # left by a crash
            f = HashingFile(probe)
            try:
                f.write(bytes(64 * 1024))
                f.flush()
                os.fsync(f.file.fileno())
            finally:
                f.close()
                probe.unlink(missing_ok=True)
        except OSError as e:
            return False, f"cannot write video ({e})"
        return True, ""

    def _pause(self, key: str, why: str, retry_s: float) -> None:
        """No clip may be written for now: finish the open files, say so once, keep the pre-roll going."""
        self._paused = key
        self._retry_at = time.monotonic() + retry_s
        for t in list(self._txns.values()):
            if t.part is not None:
                self._close_part(t, False, why)
        self._set_fault("storage", f"recording paused: {why}")

    def _write_failed(self, e: BaseException) -> None:
        log.error("recorder: writing a clip failed: %s", e)
        self._pause("write", f"cannot write video ({e})", WRITE_RETRY_S)

    def _resume(self) -> None:
        self._paused = None
        self._clear_fault("storage")
        log.info("recorder: writing clips again")
        last = self._last_in
        for t in list(self._txns.values()):
            if t.part_no:  # it had a part before the pause: the next one begins now
                t.request = (self._wall_clock(), last[0] if last else None)
            self._open_part(t)

    def _encoder_failed(self, e: BaseException, wall: float, ts: float) -> None:
        log.error("recorder: encoder failed: %s", e, exc_info=not isinstance(e, av.FFmpegError))
        self._set_fault("encoder", f"encoder failed: {e}")
        self._encoder_retry_at = time.monotonic() + ENCODER_RETRY_S
        self._restart_encoding(wall, ts, False, f"encoder failed: {e}")

    def _restart_encoding(self, wall: float, ts: float, complete: bool, note: str) -> None:
        """Drop the encoder and its pre-roll; open clips end here and go on in a new part (a new stream)."""
        for t in self._txns.values():
            if t.part is not None:
                self._close_part(t, complete, note)
                t.request = (wall, ts)
        self._drop_encoder()
        self._gops.clear()
        self._preroll_bytes = self._preroll_packets = 0
        self._last_key_ts = None
        self._meta.clear()

    def _drop_encoder(self) -> None:
        if self._encoder is not None:
            self._encoder.close()
            self._encoder = None

    def _set_fault(self, key: str, message: str) -> None:
        if key in self._faults:  # once per outage, however its details change (free MB, error text)
            return
        self._faults[key] = message
        self._ok_reported = False
        log.warning("recorder: %s", message)
        self._call(self.on_fault, message)

    def _clear_fault(self, key: str) -> None:
        if self._faults.pop(key, None) is not None:
            log.info("recorder: %s fault cleared", key)
            self._maybe_ok()

    def _maybe_ok(self) -> None:
        """Report "recording works" once the encoder runs and nothing is wrong (again)."""
        if self._faults or self._ok_reported or self._encoder is None:
            return
        self._ok_reported = True
        log.info("recorder: recording (%dx%d)", *(self._size or (0, 0)))
        self._call(self.on_ok)

    def _call(self, cb: Callable[..., None] | None, *args: Any) -> None:
        if cb is None:
            return
        try:
            cb(*args)
        except Exception:  # noqa: BLE001 - a listener's bug must not stop the recording
            log.exception("recorder callback %r failed", cb)

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if self._paused is not None:
            if now >= self._retry_at:
                ok, why = self._space_ok()
                if ok and self._paused == "write":
                    ok, why = self._probe_write()
                if ok:
                    self._resume()
                else:
                    self._retry_at = now + DISK_CHECK_S
                    self._paused = "disk"
        elif now >= self._next_disk_check and any(t.part is not None for t in self._txns.values()):
            self._next_disk_check = now + DISK_CHECK_S
            ok, why = self._space_ok()
            if not ok:
                self._pause("disk", why, DISK_CHECK_S)
        for t in list(self._txns.values()):
            if t.stop_deadline is None:
                continue
            if self._camera_offline and t.stop_offline_deadline is not None and now >= t.stop_offline_deadline:
                self._end_txn(t, False, "camera offline at the end of the clip")
            elif now >= t.stop_deadline:
                self._end_txn(t, False, "no frames from the camera during the post-roll")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:2])


def _write_sidecar(info: ClipInfo) -> None:
    sidecar = info.path.with_suffix(".json")
    tmp = sidecar.with_name(sidecar.name + ".tmp")
    tmp.write_text(json.dumps(info.to_json(), indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, sidecar)


def _remove(path: Path, why: str) -> None:
    try:
        path.unlink(missing_ok=True)
        log.warning("clip %s removed: %s", path, why)
    except OSError as e:
        log.error("clip %s (%s) could not be removed: %s", path, why, e)
