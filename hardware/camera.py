"""Camera frame sources and the thread that paces them (no Qt here).

Why it is built this way:

- The cabinet films every deposit and pickup (the seed's claim 6, the 2019 locker rules), unattended, for
  years. So a camera that is unplugged or a stream that dies is reported once ("offline"), then reopened with a
  bounded backoff until it returns; nobody has to restart the kiosk.
- Capture blocks (a driver waits for the next frame), so each camera has its own thread. That thread is plain
  Python so the recorder, the CLI and tests can use it without Qt; ``hardware.camera_worker`` adapts it to Qt.
- One producer, many consumers: the preview and (later) the recorder ``subscribe`` to the same
  ``CameraThread``, so the device is opened once and both see the same frames.
- The thread, not the source, sets the pace: frames are scheduled by monotonic deadlines (no drift, never
  faster than asked). A live camera that runs faster is drained with ``grab()`` and only the frames we deliver
  are decoded; a slower one is delivered as it comes.
- ``SyntheticSource`` stands in for a camera in the simulator, demos and CI (no /dev/video0 there). It draws
  its frame number as a bit strip, so a test or a benchmark can tell frames apart and count drops, and it has a
  fault switch (``set_unplugged``) so the offline path can be exercised without touching a cable.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

# OpenCV's V4L2 backend waits 10 s in select() for a frame from a hung camera and has no per-capture read
# timeout; this (read once, at the first capture) bounds that wait, hence how fast a stall is reported.
os.environ.setdefault("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", "2")

import cv2  # noqa: E402  (after the environment default above)
import numpy as np  # noqa: E402

log = logging.getLogger(__name__)

ONLINE = "online"
OFFLINE = "offline"

FrameCallback = Callable[[np.ndarray, float], None]
StatusCallback = Callable[[str, str], None]


class CameraError(RuntimeError):
    """A source cannot be opened or stopped delivering; ``str()`` is one human-readable line."""


class EndOfStream(CameraError):
    """A finite source (a video file played once) has no more frames. Not retried."""


class FrameSource(Protocol):
    """What ``CameraThread`` drives. Only the camera thread calls these (except ``set_unplugged``-style
    fault switches on emulators)."""

    name: str  # for messages: "/dev/video0", "demo.avi", "rtsp://cam.local/live", "synthetic 640x480"
    live: bool  # True: the source paces itself (camera, stream); False: frames on demand (synthetic, file)
    fps: float | None  # the source's own rate, when known

    def open(self) -> None:
        """Open the device/file/stream; raise ``CameraError`` with a clear reason when it cannot."""

    def grab(self) -> None:
        """Advance to the next frame without decoding it (blocks on a live source); ``CameraError`` on failure."""

    def retrieve(self) -> np.ndarray:
        """The grabbed frame as a NEW HxWx3 uint8 BGR array (never reused); ``CameraError`` on failure."""

    def close(self) -> None:
        """Release the device. Idempotent."""


# --------------------------------------------------------------------------------------------- synthetic

_BARS_BGR = [(255, 255, 255), (0, 255, 255), (255, 255, 0), (0, 255, 0),  # white yellow cyan green
             (255, 0, 255), (0, 0, 255), (255, 0, 0), (0, 0, 0)]  # magenta red blue black
INDEX_BITS = 24  # frame number drawn as a strip of black/white squares, modulo 2**24 (6 days at 30 fps)


def _index_block(width: int) -> int:
    return max(4, width // 64)


class SyntheticSource:
    """A moving test pattern: scrolling colour bars, a bouncing box, the date/time and the frame number.

    Every visible change is a function of the frame number (plus the clock text), so frame N of two sources
    with the same size and clock is identical, and ``decode_index`` reads the number back from a frame (also
    after JPEG/H.264 compression: the squares are large and black/white).
    """

    live = False

    def __init__(self, width: int = 640, height: int = 480, fps: float = 30.0, *,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        if width < 4 * INDEX_BITS or height < 64:
            raise ValueError(f"synthetic frame too small: {width}x{height} (min {4 * INDEX_BITS}x64)")
        if fps <= 0:
            raise ValueError(f"synthetic fps must be > 0, got {fps}")
        self.name = f"synthetic {width}x{height}"
        self.width, self.height, self.fps = width, height, float(fps)
        self._clock = clock
        self._unplugged = False
        self._held: np.ndarray | None = None  # what hold() was given (read-only)
        self._held_bgr: np.ndarray | None = None  # the same, framed and fitted, ready to paste
        self._opened = False
        self._index = -1  # keeps counting across reopen: the pattern does not jump back after a replug
        bar_w = -(-width // len(_BARS_BGR))
        bars = np.zeros((height, bar_w * len(_BARS_BGR), 3), np.uint8)
        for i, colour in enumerate(_BARS_BGR):
            bars[:, i * bar_w:(i + 1) * bar_w] = colour
        self._bars = np.concatenate([bars, bars], axis=1)  # scrolled by slicing a window: no per-frame roll
        self._block = _index_block(width)
        self._text_scale = height / 480.0

    def set_unplugged(self, unplugged: bool) -> None:
        """Fault injection (tests, simulator panel): while unplugged, reads fail and opening fails."""
        self._unplugged = bool(unplugged)

    @property
    def unplugged(self) -> bool:
        return self._unplugged

    def hold(self, image: np.ndarray | None) -> None:
        """Simulation switch (tests, simulator panel): hold ``image`` (grey or BGR uint8, e.g. a label from
        ``hardware.labels``) in front of the camera, centred on a white quiet zone in every frame rendered
        from now on, scaled down to fit between the bands if needed; ``hold(None)`` takes it away. Any thread:
        the prepared picture is swapped in as one reference."""
        if image is None:
            self._held_bgr = self._held = None
            return
        img = np.asarray(image)
        if img.dtype != np.uint8 or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3)):
            raise ValueError(f"hold() needs a uint8 grey or BGR image, got {img.dtype} {img.shape}")
        held = img.copy()
        held.flags.writeable = False
        bgr = cv2.cvtColor(img.reshape(img.shape[:2]), cv2.COLOR_GRAY2BGR) if img.ndim == 2 or img.shape[2] == 1 \
            else img.copy()
        quiet = max(8, round(0.04 * max(bgr.shape[:2])))
        bgr = cv2.copyMakeBorder(bgr, quiet, quiet, quiet, quiet, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        room_w, room_h = self.width - 4, self.height - 2 * self._band() - 4
        scale = min(1.0, room_w / bgr.shape[1], room_h / bgr.shape[0])
        if scale < 1.0:
            size = (max(1, int(bgr.shape[1] * scale)), max(1, int(bgr.shape[0] * scale)))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        self._held_bgr, self._held = bgr, held

    @property
    def held(self) -> np.ndarray | None:
        """The image being held to the camera (as given, read-only), or None."""
        return self._held

    def _band(self) -> int:
        return max(24, int(36 * self._text_scale), 3 * self._block)

    def open(self) -> None:
        if self._unplugged:
            raise CameraError(f"cannot open {self.name} (unplugged)")
        self._opened = True

    def grab(self) -> None:
        if self._unplugged:
            raise CameraError(f"{self.name} stopped delivering frames")
        if not self._opened:
            raise CameraError(f"{self.name} is not open")
        self._index += 1

    def retrieve(self) -> np.ndarray:
        if self._unplugged:
            raise CameraError(f"{self.name} stopped delivering frames")
        return self.render(self._index)

    def close(self) -> None:
        self._opened = False

    def render(self, index: int) -> np.ndarray:
        """Draw frame ``index`` (public so a benchmark can time generation alone)."""
        w, h, b = self.width, self.height, self._block
        offset = (index * 4) % (self._bars.shape[1] // 2)
        frame = self._bars[:, offset:offset + w].copy()
        band = self._band()  # top: index strip; bottom: clock and counter
        side = max(16, h // 6)
        span_x, span_y = w - side, h - 2 * band - side
        x = _bounce(index * 5, span_x)
        y = band + _bounce(index * 3, span_y)
        cv2.rectangle(frame, (x, y), (x + side - 1, y + side - 1), (40, 40, 40), -1)
        cv2.rectangle(frame, (x + 3, y + 3), (x + side - 4, y + side - 4), (0, 200, 255), -1)
        held = self._held_bgr
        if held is not None:  # over the box, between the bands: the index strip stays readable
            hh, hw = held.shape[:2]
            top, left = (h - hh) // 2, (w - hw) // 2
            frame[top:top + hh, left:left + hw] = held
        frame[:band] = 0
        frame[h - band:] = 0
        bits = index % (1 << INDEX_BITS)
        for i in range(INDEX_BITS):  # most significant bit first, one b x b square each, on the black band
            if bits >> (INDEX_BITS - 1 - i) & 1:
                frame[b:2 * b, (i + 1) * b:(i + 2) * b] = 255
        text = f"{self._clock():%Y-%m-%d %H:%M:%S}  #{index:07d}"
        cv2.putText(frame, text, (8, h - band // 3), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * self._text_scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
        return frame

    @staticmethod
    def decode_index(frame: np.ndarray) -> int:
        """Read back the frame number drawn by ``render`` (modulo 2**24)."""
        b = _index_block(frame.shape[1])
        row = frame[b + b // 4:2 * b - b // 4]
        value = 0
        for i in range(INDEX_BITS):
            cell = row[:, (i + 1) * b + b // 4:(i + 2) * b - b // 4]
            value = value << 1 | int(cell.mean() > 127)
        return value


def _bounce(t: int, span: int) -> int:
    """Triangle wave 0 → span → 0 (the bouncing box)."""
    if span <= 0:
        return 0
    t %= 2 * span
    return t if t <= span else 2 * span - t


# ---------------------------------------------------------------------------------------------- OpenCV

class OpenCVSource:
    """``cv2.VideoCapture`` on a device index (0 or "0"), a device path, a video file or a stream URL.

    A file plays at the thread's pace and loops (``loop=True``) or ends with ``EndOfStream``. Whether a source
    is live is decided at open: devices and streams without a frame count are live.
    """

    def __init__(self, spec: int | str, *, loop: bool = True, width: int | None = None,
                 height: int | None = None, fps: float | None = None, open_timeout_s: float = 5.0,
                 read_timeout_s: float = 2.0) -> None:
        self._target: int | str
        if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
            self._target = int(spec)
            self._kind = "device"
            self.name = f"/dev/video{self._target}" if os.name == "posix" else f"camera {self._target}"
        elif isinstance(spec, str) and "://" in spec:
            self._target, self._kind = spec, "url"
            self.name = re.sub(r"://[^/@]*@", "://***@", spec)  # never put stream credentials in a status line
        elif isinstance(spec, (str, os.PathLike)) and str(spec):
            path = str(Path(spec).expanduser())
            self._target = path
            self._kind = "device" if path.startswith("/dev/") else "file"
            self.name = path
        else:
            raise ValueError(f"camera source must be a device index, a file path or a URL, got {spec!r}")
        self.loop = loop
        self.live = self._kind != "file"
        self.fps: float | None = fps  # asked for (device rate, or a file's playback rate); else as reported
        self._asked_fps = fps
        self._size = (width, height)
        self._timeouts_ms = (int(open_timeout_s * 1000), int(read_timeout_s * 1000))
        self._cap: cv2.VideoCapture | None = None

    def open(self) -> None:
        self.close()
        if self._kind == "file" and not Path(str(self._target)).is_file():
            raise CameraError(f"cannot open {self.name}: no such file")
        if self._kind == "url":  # FFmpeg honours these; other backends refuse unknown open parameters
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self._timeouts_ms[0],
                      cv2.CAP_PROP_READ_TIMEOUT_MSEC, self._timeouts_ms[1]]
            cap = cv2.VideoCapture(self._target, cv2.CAP_FFMPEG, params)
        else:
            cap = cv2.VideoCapture(self._target)
        if not cap.isOpened():
            cap.release()
            why = " (not a video OpenCV can decode)" if self._kind == "file" else ""
            raise CameraError(f"cannot open {self.name}{why}")
        width, height = self._size
        if self._kind == "device":
            if width and height:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            if self._asked_fps:
                cap.set(cv2.CAP_PROP_FPS, self._asked_fps)
        frames = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.live = self._kind == "device" or not frames > 0
        reported = cap.get(cv2.CAP_PROP_FPS)
        if not self._asked_fps and reported and reported > 0:
            self.fps = float(reported)
        self._cap = cap

    def grab(self) -> None:
        cap = self._require()
        if cap.grab():
            return
        if self.live:
            raise CameraError(f"{self.name} stopped delivering frames")
        if not self.loop:
            raise EndOfStream(f"{self.name} ended")
        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        if not cap.grab():
            raise CameraError(f"{self.name} stopped delivering frames (cannot rewind)")

    def retrieve(self) -> np.ndarray:
        ok, frame = self._require().retrieve()
        if not ok or frame is None:
            raise CameraError(f"{self.name} delivered an unreadable frame")
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        elif frame.shape[2] == 4:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
        return frame

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    def _require(self) -> cv2.VideoCapture:
        if self._cap is None:
            raise CameraError(f"{self.name} is not open")
        return self._cap


def source_from_config(kind: str, options: Mapping[str, Any]) -> FrameSource | None:
    """Build the source named by ``[hardware.camera]`` (``kind`` + its options); None for kind "none".

    synthetic: width, height, fps.  opencv: source (index, path or URL), loop, width, height, fps.
    """
    opts = dict(options)
    if kind == "none":
        return None
    if kind == "synthetic":
        return SyntheticSource(int(opts.get("width", 640)), int(opts.get("height", 480)),
                               float(opts.get("fps", 30.0)))
    if kind == "opencv":
        if "source" not in opts:
            raise ValueError("hardware.camera.source is required for kind \"opencv\" (0, a file or a URL)")
        return OpenCVSource(opts["source"], loop=bool(opts.get("loop", True)), width=opts.get("width"),
                            height=opts.get("height"), fps=opts.get("fps"))
    raise ValueError(f"hardware.camera.kind must be synthetic, opencv or none, got {kind!r}")


# ---------------------------------------------------------------------------------------------- thread

class CameraThread(threading.Thread):
    """Owns one source: opens it, delivers frames at ``fps``, reports status, reconnects with backoff.

    Frame callbacks ``on_frame(frame, timestamp)`` run ON THIS THREAD and must be cheap (store a reference,
    post to another thread): time spent there delays the next frame for every subscriber. ``timestamp`` is
    ``time.monotonic()`` at capture (for presentation times and latency; overlays use the wall clock).
    The frame buffer is handed over: the thread allocates a new array per frame and never touches it again,
    so receivers may keep it and pass it to other threads without copying. All subscribers get the same
    array, so it is marked read-only; copy it before drawing on it.

    Status callbacks ``on_status(state, message)`` (state "online" | "offline") run on this thread at each
    change, e.g. ("offline", "camera offline: /dev/video0 stopped delivering frames"). A new subscriber is
    told the current state at once, so it never misses the first report.
    """

    def __init__(self, source: FrameSource, on_frame: FrameCallback | None = None,
                 on_status: StatusCallback | None = None, *, fps: float | None = None,
                 backoff: tuple[float, float] = (0.5, 5.0), name: str | None = None) -> None:
        # daemon: a driver stuck in a read must not keep the process alive at exit
        super().__init__(name=name or f"camera {source.name}", daemon=True)
        self.source = source
        if fps is not None and fps <= 0:
            raise ValueError(f"camera fps must be > 0, got {fps}")
        self._requested_fps = fps
        self.fps = float(fps or source.fps or 30.0)  # a file's own rate is known after open: see _pump
        if not 0 < backoff[0] <= backoff[1]:
            raise ValueError(f"camera backoff must be 0 < min <= max, got {backoff}")
        self._backoff = backoff
        self._stopping = threading.Event()
        self._lock = threading.RLock()
        self._frame_cbs: tuple[FrameCallback, ...] = ()
        self._status_cbs: tuple[StatusCallback, ...] = ()
        self._state: str | None = None
        self._message = ""
        self._failing_cbs: set[int] = set()
        self.delivered = 0  # frames handed to subscribers
        self.skipped = 0  # frames a live source gave faster than asked (grabbed, never decoded)
        if on_frame or on_status:
            self.subscribe(on_frame, on_status)

    # -- public API ------------------------------------------------------------------------------------
    @property
    def state(self) -> str | None:
        """"online", "offline", or None before the first report."""
        return self._state

    @property
    def message(self) -> str:
        return self._message

    def subscribe(self, on_frame: FrameCallback | None = None,
                  on_status: StatusCallback | None = None) -> Callable[[], None]:
        """Add callbacks (any thread, any time); returns a function that removes them."""
        with self._lock:
            if on_frame is not None:
                self._frame_cbs += (on_frame,)
            if on_status is not None:
                self._status_cbs += (on_status,)
                if self._state is not None:
                    on_status(self._state, self._message)

        def unsubscribe() -> None:
            with self._lock:
                self._frame_cbs = tuple(c for c in self._frame_cbs if c is not on_frame)
                self._status_cbs = tuple(c for c in self._status_cbs if c is not on_status)
        return unsubscribe

    def stop(self, timeout: float = 3.0) -> bool:
        """Ask the thread to end and join it; True when it ended within ``timeout`` seconds.

        The bound holds unless the driver itself is stuck in a read (a V4L2 read gives up after
        OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT, 2 s by default here); the thread is a daemon either way.
        """
        self._stopping.set()
        if self.ident is None or self is threading.current_thread():
            return not self.is_alive()
        self.join(timeout)
        if self.is_alive():
            log.warning("camera thread %s did not stop within %.1f s", self.name, timeout)
        return not self.is_alive()

    # -- thread body -----------------------------------------------------------------------------------
    def run(self) -> None:
        delay = self._backoff[0]
        try:
            while not self._stopping.is_set():
                try:
                    self._guarded(self.source.open)
                except CameraError as e:
                    self._report(OFFLINE, f"camera offline: {e}")
                else:
                    try:
                        if self._pump():
                            delay = self._backoff[0]  # it worked for a while: retry soon after a failure
                    except EndOfStream as e:
                        self._report(OFFLINE, f"camera offline: {e}")
                        return
                    except CameraError as e:
                        self._report(OFFLINE, f"camera offline: {e}")
                        delay = self._backoff[0]
                    finally:
                        self._close_quietly()
                if self._stopping.wait(delay):
                    return
                delay = min(delay * 2, self._backoff[1])
        finally:
            self._close_quietly()

    def _pump(self) -> bool:
        """Deliver frames until stopped (returns whether any frame went out) or a read fails (raises)."""
        src = self.source
        self.fps = float(self._requested_fps or src.fps or 30.0)
        period = 1.0 / self.fps
        early_ok = period / 4  # a live frame this close to its slot counts (camera at exactly our rate)
        deadline = time.monotonic()
        delivered_any = False
        while not self._stopping.is_set():
            if not src.live:
                wait = deadline - time.monotonic()
                if wait > 0 and self._stopping.wait(wait):
                    break
            self._guarded(src.grab)
            now = time.monotonic()
            if now < deadline - early_ok:
                self.skipped += 1  # a live source faster than asked: drop it undecoded
                continue
            frame = self._guarded(src.retrieve)
            frame.flags.writeable = False
            if not delivered_any:
                delivered_any = True
                self._report(ONLINE, f"camera online: {src.name}")
            self._deliver(frame, now)
            deadline += period  # scheduled, not "now + period": no drift
            if deadline < now:  # more than a period late (slow source, stall): re-anchor, never burst
                deadline = now + period
        return delivered_any

    def _guarded(self, call: Callable[[], Any]) -> Any:
        """Driver calls: anything other than CameraError (cv2.error, OSError…) becomes a CameraError."""
        try:
            return call()
        except CameraError:
            raise
        except Exception as e:  # noqa: BLE001 - a driver fault must not kill the camera thread
            log.exception("camera %s failed", self.source.name)
            raise CameraError(f"{self.source.name} failed: {e}") from e

    def _deliver(self, frame: np.ndarray, timestamp: float) -> None:
        self.delivered += 1
        for cb in self._frame_cbs:
            try:
                cb(frame, timestamp)
            except Exception:  # noqa: BLE001 - one bad subscriber must not starve the others
                if id(cb) not in self._failing_cbs:  # log once per subscriber, not 30 times a second
                    self._failing_cbs.add(id(cb))
                    log.exception("camera frame subscriber %r failed", cb)

    def _report(self, state: str, message: str) -> None:
        with self._lock:  # under the lock: a concurrent subscribe() replays strictly before or after
            if state == self._state:
                return
            self._state, self._message = state, message
            (log.info if state == ONLINE else log.warning)("%s", message)
            for cb in self._status_cbs:
                try:
                    cb(state, message)
                except Exception:  # noqa: BLE001
                    log.exception("camera status subscriber %r failed", cb)

    def _close_quietly(self) -> None:
        try:
            self.source.close()
        except Exception:  # noqa: BLE001 - closing a vanished device may fail; nothing left to do
            log.debug("closing %s failed", self.source.name, exc_info=True)
