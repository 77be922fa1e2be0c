"""Decoding and hashing a recorded clip off the GUI thread, for the player (``ui.clip_player``).

Why it is built this way:

- Decoding H.264 and hashing a file of tens of MB must never run on the GUI thread (DESIGN §4): a job
  (``_DecodeJob``) moved to its own QThread does both, like ``hardware.camera_worker``. ``ClipDecoder`` is its
  face on the GUI thread: PySide6 runs a lambda connected to a signal in the sender's thread, so the public
  signals come from an object living on the GUI thread, and the commands (open, play, pause, seek) cross to the
  job by queued signals, in order.
- PyAV rather than QtMultimedia: no extra Qt add-on and no system audio stack on the cabinet, and the same
  library the recorder writes with; OpenCV has no H.264 encoder and would add no decoding we need.
- Pacing by the frames' own timestamps: a frame is shown when the wall clock since "play" reaches its time
  in the file, so a clip recorded at a variable frame rate (a camera that stalled) plays at real speed.
- "Latest frame wins" as in the camera preview: at most one frame is on its way to the GUI. A frame whose
  moment comes while the previous one is still unconsumed is skipped (counted in ``dropped``), so a busy GUI
  never queues stale pictures and playback keeps real time instead of drifting.
- Frames larger than the view are scaled down in the job (swscale), so the GUI paints a small image; the image
  is copied out of the decoder's buffer before it leaves the job (a QImage on a numpy buffer shares it).
- The SHA-256 is computed in 4 MiB steps between frames on the same job thread, so a long clip still starts
  playing at once.
- A missing or unreadable file is an outcome (a signal with one line), never an exception in the GUI.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import av
from PySide6.QtCore import QObject, QSize, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from hardware.camera_worker import frame_to_qimage

HASH_CHUNK = 4 * 2**20  # bytes hashed per step between frames
MISSING, UNREADABLE = "missing", "unreadable"  # the two kinds of failure


class _DecodeJob(QObject):
    """The job, on the decoder QThread: opens, decodes, paces, seeks and hashes. Every result carries the
    token of the open() it belongs to, so the face can ignore what is left over from a previous clip."""

    opened = Signal(int, object)  # token, info dict (duration, frames, fps, width, height)
    frame = Signal(int, QImage, int, float)  # token, image (owns its pixels), frame number from 0, seconds
    playing = Signal(int, bool)  # token, playback running
    ended = Signal(int)  # token: the last frame was reached
    failed = Signal(int, str, str)  # token, MISSING | UNREADABLE, one line
    hashed = Signal(int, str)  # token, SHA-256 hex of the file
    hash_failed = Signal(int, str, str)  # token, MISSING | UNREADABLE, one line

    def __init__(self, face: ClipDecoder) -> None:
        super().__init__()
        self._face = face
        self._timer = QTimer(self)  # the next frame's moment (moves to the job's thread with it)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._step)
        self._hash_timer = QTimer(self)  # one hash step per event-loop turn
        self._hash_timer.setInterval(0)
        self._hash_timer.timeout.connect(self._hash_step)
        self._token = 0
        self._container: Any = None
        self._stream: Any = None
        self._frames: Any = None  # the decode iterator
        self._next: Any = None  # decoded, waiting for its moment
        self._last: Any = None  # the newest decoded frame
        self._shown: Any = None  # the last frame handed to the GUI
        self._t0 = 0.0
        self._fps = 0.0
        self._count = 0
        self._playing = False
        self._at_end = False
        self._base = 0.0  # monotonic time at which the clip's t0 would have been shown
        self._hash: Any = None
        self._hash_file: Any = None

    # ---- commands (queued from the face) --------------------------------------------------------------

    @Slot(int, str)
    def open(self, token: int, path: str) -> None:
        self._close()
        self._token = token
        self._start_hash(path)
        if not os.path.exists(path):
            self.failed.emit(self._token, MISSING, path)
            return
        try:
            self._container = av.open(path)
            if not self._container.streams.video:
                raise ValueError("no video stream in the file")
            self._stream = self._container.streams.video[0]
            self._stream.codec_context.thread_count = 1  # no decoder threads to outlive the job
            rate = self._stream.average_rate or self._stream.guessed_rate
            self._fps = float(rate) if rate else 0.0
            duration = (float(self._stream.duration * self._stream.time_base) if self._stream.duration
                        else (self._container.duration or 0) / av.time_base)
            frames = int(self._stream.frames or round(duration * self._fps))
            self._frames = self._container.decode(self._stream)
            first = self._decode_one()
        except (av.FFmpegError, OSError, ValueError, IndexError, StopIteration) as e:
            self._drop_container()
            self.failed.emit(self._token, UNREADABLE, str(e) or type(e).__name__)
            return
        if first is None:
            self._drop_container()
            self.failed.emit(self._token, UNREADABLE, "no frame could be decoded")
            return
        self._t0 = self._time(first)
        if not self._fps:
            self._fps = frames / duration if duration and frames else 1.0
        self.opened.emit(self._token, {"duration": duration, "frames": frames, "fps": self._fps,
                                       "width": self._stream.codec_context.width,
                                       "height": self._stream.codec_context.height})
        self._show(first)

    @Slot()
    def play(self) -> None:
        if self._container is None or self._playing:
            return
        if self._at_end:
            self._seek_to(0.0)
        start = self._time(self._shown) if self._shown is not None else self._t0
        self._base = time.monotonic() - (start - self._t0)
        self._playing = True
        self.playing.emit(self._token, True)
        self._timer.start(0)

    @Slot()
    def pause(self) -> None:
        if not self._playing:
            return
        self._playing = False
        self._timer.stop()
        if self._last is not None and self._last is not self._shown:
            self._show(self._last)  # a frame skipped for a busy GUI: the still picture is the newest one
        self.playing.emit(self._token, False)

    @Slot()
    def seek(self) -> None:
        target = self._face._take_seek()
        if target is None or self._container is None:
            return
        self._seek_to(target)
        if self._playing:
            self._base = time.monotonic() - (self._time(self._shown) - self._t0)
            self._timer.start(0)

    @Slot()
    def redraw(self) -> None:
        """The view changed size: convert the still picture again at the new fit (playback does it anyway)."""
        if self._shown is not None and not self._playing:
            self._show(self._shown)

    @Slot()
    def shutdown(self) -> None:
        """Last call on the job's thread: stop timers, free the decoder and the file, end the thread."""
        self._close()
        QThread.currentThread().quit()

    # ---- playing --------------------------------------------------------------------------------------

    def _step(self) -> None:
        if not self._playing or self._container is None:
            return
        if self._next is None:
            try:
                self._next = self._decode_one()
            except av.FFmpegError as e:
                self._stop_playing()
                self.failed.emit(self._token, UNREADABLE, str(e))
                return
            if self._next is None:
                self._at_end = True
                self._stop_playing()
                if self._last is not None and self._last is not self._shown:
                    self._show(self._last)
                self.ended.emit(self._token)
                return
        delay = self._base + (self._time(self._next) - self._t0) - time.monotonic()
        if delay > 0.002:
            self._timer.start(max(1, int(delay * 1000)))
            return
        frame, self._next = self._next, None
        if self._face._begin_flight():
            self._show(frame, in_flight=True)
        else:
            self._face._count_drop()
        self._timer.start(0)

    def _stop_playing(self) -> None:
        self._playing = False
        self._timer.stop()
        self.playing.emit(self._token, False)

    def _seek_to(self, seconds: float) -> None:
        """Show the frame at ``seconds`` from the clip's start: back to the keyframe before it, then forward."""
        target = self._t0 + max(0.0, seconds)
        half = 0.5 / self._fps if self._fps else 0.0
        self._next = None
        self._at_end = False
        try:
            self._container.seek(max(0, int(target / self._stream.time_base)), stream=self._stream,
                                 backward=True, any_frame=False)
            self._frames = self._container.decode(self._stream)
            best = None
            while True:  # bounded: the file ends
                f = self._decode_one()
                if f is None:
                    break
                best = f
                if self._time(f) >= target - half:
                    break
        except av.FFmpegError as e:
            self._stop_playing()
            self.failed.emit(self._token, UNREADABLE, str(e))
            return
        if best is not None:
            self._show(best)

    def _decode_one(self) -> Any:
        try:
            f = next(self._frames)
        except StopIteration:
            return None
        self._last = f
        self._count += 1
        return f

    def _time(self, f: Any) -> float:
        if f.time is not None:
            return float(f.time)
        return self._t0 + (self._count - 1) / (self._fps or 1.0)

    def _show(self, f: Any, in_flight: bool = False) -> None:
        if not in_flight:
            self._face._begin_flight(force=True)
        fit = self._face._fit_size()
        w, h = f.width, f.height
        if fit is not None and (w > fit.width() or h > fit.height()) and fit.width() > 0 and fit.height() > 0:
            scale = min(fit.width() / w, fit.height() / h)
            w, h = max(2, int(w * scale)), max(2, int(h * scale))
            image = frame_to_qimage(f.reformat(width=w, height=h, format="bgr24").to_ndarray())
        else:
            image = frame_to_qimage(f.to_ndarray(format="bgr24"))
        t = self._time(f) - self._t0
        self._shown = f
        self.frame.emit(self._token, image, max(0, round(t * self._fps)), t)

    # ---- hashing --------------------------------------------------------------------------------------

    def _start_hash(self, path: str) -> None:
        try:
            self._hash_file = open(path, "rb")  # noqa: SIM115 (closed by the last hash step or _close)
        except FileNotFoundError:
            self.hash_failed.emit(self._token, MISSING, path)
            return
        except OSError as e:
            self.hash_failed.emit(self._token, UNREADABLE, str(e))
            return
        self._hash = hashlib.sha256()
        self._hash_timer.start()

    def _hash_step(self) -> None:
        if self._hash_file is None:
            self._hash_timer.stop()
            return
        try:
            block = self._hash_file.read(HASH_CHUNK)
        except OSError as e:
            self._stop_hash()
            self.hash_failed.emit(self._token, UNREADABLE, str(e))
            return
        if block:
            self._hash.update(block)
            return
        digest = self._hash.hexdigest()
        self._stop_hash()
        self.hashed.emit(self._token, digest)

    def _stop_hash(self) -> None:
        self._hash_timer.stop()
        if self._hash_file is not None:
            self._hash_file.close()
        self._hash_file = self._hash = None

    # ---- closing --------------------------------------------------------------------------------------

    def _drop_container(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except av.FFmpegError:
                pass
        # Every reference dropped: the codec context (and any thread it made) is freed now, not at GC.
        self._container = self._stream = self._frames = self._next = self._last = self._shown = None

    def _close(self) -> None:
        self._timer.stop()
        self._playing = False
        self._at_end = False
        self._count = 0
        self._stop_hash()
        self._drop_container()


class ClipDecoder(QObject):
    """A clip file as Qt signals on the GUI thread. Create, connect, ``start()``, ``open()`` and ``stop()`` on
    the GUI thread. Single-use: a stopped decoder cannot be restarted (make a new one)."""

    # The file opened: dict with duration (s), frames, fps, width, height.
    opened = Signal(object)
    # A frame to show: image (owns its pixels), frame number from 0, seconds from the clip's first frame.
    frame_ready = Signal(QImage, int, float)
    # Playback started (True) or stopped (False: paused, ended or failed).
    playing_changed = Signal(bool)
    # The last frame of the clip was shown.
    ended = Signal()
    # The video cannot be shown: MISSING or UNREADABLE, and one line (the path or the decoder's error).
    failed = Signal(str, str)
    # The SHA-256 (hex) of the whole file.
    hashed = Signal(str)
    # The file could not be hashed: MISSING or UNREADABLE, and one line.
    hash_failed = Signal(str, str)

    _open = Signal(int, str)  # internal: GUI → job, open this file (token, path)
    _play = Signal()  # internal: GUI → job
    _pause = Signal()  # internal: GUI → job
    _seek = Signal()  # internal: GUI → job, a seek target waits in the mailbox
    _redraw = Signal()  # internal: GUI → job, show the still picture again at the new fit
    _shutdown = Signal()  # internal: GUI → job, the last command

    def __init__(self) -> None:
        super().__init__()
        self._job = _DecodeJob(self)
        self._lock = threading.Lock()
        self._thread: QThread | None = None
        self._running = False
        self._token = 0
        self._in_flight = False
        self._seek_target: float | None = None
        self._fit: QSize | None = None
        self.shown = 0  # frames emitted by frame_ready
        self.dropped = 0  # frames skipped while the previous one was still on its way

    @property
    def worker_thread(self) -> QThread | None:
        """The QThread decoding runs on (None before ``start()``)."""
        return self._thread

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("ClipDecoder is single-use: create a new one")
        self._thread = QThread()
        self._thread.setObjectName("clip-decoder")
        self._job.moveToThread(self._thread)
        queued = Qt.ConnectionType.QueuedConnection
        self._open.connect(self._job.open, queued)
        self._play.connect(self._job.play, queued)
        self._pause.connect(self._job.pause, queued)
        self._seek.connect(self._job.seek, queued)
        self._redraw.connect(self._job.redraw, queued)
        self._shutdown.connect(self._job.shutdown, queued)
        self._job.opened.connect(self._on_opened, queued)
        self._job.frame.connect(self._on_frame, queued)
        self._job.playing.connect(self._on_playing, queued)
        self._job.ended.connect(self._on_ended, queued)
        self._job.failed.connect(self._on_failed, queued)
        self._job.hashed.connect(self._on_hashed, queued)
        self._job.hash_failed.connect(self._on_hash_failed, queued)
        self._thread.finished.connect(self._job.deleteLater)
        self._running = True
        self._thread.start()

    def stop(self, timeout_ms: int = 3000) -> bool:
        """Free the file and the decoder on the job's thread, end the thread and wait; True if it ended."""
        if self._thread is None or not self._running:
            return True
        self._running = False
        self._shutdown.emit()
        if self._thread.wait(timeout_ms):
            return True
        self._thread.quit()  # the job is stuck in one long step: end the loop after it
        return self._thread.wait(timeout_ms)

    @property
    def running(self) -> bool:
        return self._running

    # -- commands (GUI thread) ---------------------------------------------------------------------------
    def open(self, path: str | Path, fit: QSize | None = None) -> None:
        """Open ``path``: ``opened`` then the first frame, or ``failed``; and ``hashed`` or ``hash_failed``."""
        if not self._running:
            return
        self._token += 1
        with self._lock:
            self._in_flight = False
            self._seek_target = None
        self.set_fit(fit)
        self._open.emit(self._token, str(path))

    def play(self) -> None:
        if self._running:
            self._play.emit()

    def pause(self) -> None:
        if self._running:
            self._pause.emit()

    def seek(self, seconds: float) -> None:
        """Show the frame at ``seconds`` (from the first frame); the newest request wins."""
        if not self._running:
            return
        with self._lock:
            pending = self._seek_target is not None
            self._seek_target = seconds
        if not pending:
            self._seek.emit()

    def set_fit(self, size: QSize | None, redraw: bool = False) -> None:
        """Frames bigger than ``size`` are scaled down to fit it on the job's thread; ``redraw``: convert the
        still picture again now (the view grew, a paused frame would otherwise stay small)."""
        with self._lock:
            self._fit = QSize(size) if size is not None else None
        if redraw and self._running:
            self._redraw.emit()

    # -- job thread ------------------------------------------------------------------------------------
    def _take_seek(self) -> float | None:
        with self._lock:
            target, self._seek_target = self._seek_target, None
            return target

    def _begin_flight(self, force: bool = False) -> bool:
        with self._lock:
            if self._in_flight and not force:
                return False
            self._in_flight = True
            return True

    def _count_drop(self) -> None:
        with self._lock:
            self.dropped += 1

    def _fit_size(self) -> QSize | None:
        with self._lock:
            return QSize(self._fit) if self._fit is not None else None

    # -- GUI thread ------------------------------------------------------------------------------------
    def _current(self, token: int) -> bool:
        return self._running and token == self._token

    @Slot(int, object)
    def _on_opened(self, token: int, info: object) -> None:
        if self._current(token):
            self.opened.emit(info)

    @Slot(int, QImage, int, float)
    def _on_frame(self, token: int, image: QImage, number: int, seconds: float) -> None:
        if self._current(token):
            self.shown += 1
            self.frame_ready.emit(image, number, seconds)  # direct to GUI receivers: consumed when this returns
        with self._lock:
            self._in_flight = False

    @Slot(int, bool)
    def _on_playing(self, token: int, on: bool) -> None:
        if self._current(token):
            self.playing_changed.emit(on)

    @Slot(int)
    def _on_ended(self, token: int) -> None:
        if self._current(token):
            self.ended.emit()

    @Slot(int, str, str)
    def _on_failed(self, token: int, kind: str, line: str) -> None:
        if self._current(token):
            self.failed.emit(kind, line)

    @Slot(int, str)
    def _on_hashed(self, token: int, digest: str) -> None:
        if self._current(token):
            self.hashed.emit(digest)

    @Slot(int, str, str)
    def _on_hash_failed(self, token: int, kind: str, line: str) -> None:
        if self._current(token):
            self.hash_failed.emit(kind, line)
