"""Reading barcodes and QR codes from the cabinet camera (no Qt here).

Why it is built this way:

- The courier holds the parcel label to the camera instead of typing its tracking number; the customer
  holds the QR from the courier's message instead of typing box and password. Both screens want the same
  thing: "a code was read", once, soon after it appears. So one plain thread samples the camera feed that the
  preview and the recorder already share (``CameraThread.subscribe``), and a callback gets ``(kind, text)``.
- Decoding costs tens of milliseconds a frame, so it runs on its own thread, never on the camera thread
  (that would delay every subscriber) nor on the GUI thread. It keeps only the newest frame (a one-slot
  mailbox, like the preview) and decodes at most ``max_fps`` frames a second.
- Only while enabled: a screen that accepts codes enables the scanner on entry and disables it on leave.
  Disabled, the scanner is unsubscribed from the camera and its thread sleeps on a condition: no CPU at all
  for the hours the kiosk shows its home screen.
- A code held in view is seen five times a second; it is reported once, and again only after it has been out
  of sight for ``repeat_s`` (2 s). Reporting it every 2 s while held would turn one stale pickup QR into a
  wrong password every 2 s and lock the box within seconds; taking it away and holding it again is a new try,
  exactly like typing it again.
- OpenCV's own detectors: ``cv2.QRCodeDetectorAruco`` for QR codes, ``cv2.barcode.BarcodeDetector`` to find
  1-D barcodes. That detector decodes only EAN/UPC, and parcel labels are Code 128, so the bars inside each
  box it finds are read by ``hardware.code128`` along a few scan lines (start, stop and checksum must hold),
  both orientations. OpenCV's EAN/UPC reading is left out on purpose: it sometimes "reads" a Code 128 label
  as a valid EAN-8/UPC-A number, and a wrong number is worse than none.
- Preprocessing is cheap and tried in order until something reads: grey; a QR that was found but not
  decoded is straightened and enlarged onto a square and decoded again (a phone held at arm's length gives
  ~2 px a module); barcodes are located on a blurred copy (the detector's gradient test misses one sharp
  synthetic label in six), and each is resampled enlarged, averaged across the bars (noise) and also
  sharpened (a soft lens smears 1-module bars) before the bars are measured. Frames larger than 1280 px are
  halved first. Measured on 640x480 with blur and sensor noise: QR from ~2.6 px a module, Code 128 from
  ~1.3-1.6 px a module (tests/hardware/test_scanner.py keeps a few of these cases).
- What the text means is not decided here: a garbled or foreign code is reported like any other, and the
  screen that receives it says why it cannot use it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import cv2
import numpy as np

from . import code128
from .camera import FrameCallback, StatusCallback

log = logging.getLogger(__name__)

QR = "qr"
BARCODE = "barcode"
Code = tuple[str, str]  # (kind, text)
MAX_DETECT_SIDE = 1280  # larger frames are halved before detection
QR_SQUARE = 232  # px: a QR found but not read is straightened onto a square this size and read again
SCAN_ROWS = (0.5, 0.3, 0.7)  # where across a barcode's height single scan lines are taken


class FrameFeed(Protocol):
    """A ``CameraThread``, or a fake in tests."""

    def subscribe(self, on_frame: FrameCallback | None = None,
                  on_status: StatusCallback | None = None) -> Callable[[], None]: ...


# ---------------------------------------------------------------------------------------------- decoding

class CodeReader:
    """``reader(frame) -> [(kind, text), ...]``. Holds OpenCV detector objects: use one per thread."""

    def __init__(self) -> None:
        self._qr = cv2.QRCodeDetectorAruco()
        self._qr_plain = cv2.QRCodeDetector()
        self._bars = cv2.barcode.BarcodeDetector()

    def __call__(self, frame: np.ndarray) -> list[Code]:
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        while max(grey.shape[:2]) > MAX_DETECT_SIDE:
            grey = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        found: list[Code] = []
        text = self.read_qr(grey)
        if text:
            found.append((QR, text))
        found += [(BARCODE, t) for t in self.read_barcodes(grey) if (BARCODE, t) not in found]
        return found

    def read_qr(self, grey: np.ndarray) -> str:
        text, points, _ = self._qr.detectAndDecode(grey)
        if text or points is None or len(points) == 0:
            return text or ""
        # Found but not read (small, soft or tilted): straighten it onto a square of QR_SQUARE px, where
        # each module is several pixels wide, and decode that.
        corners = np.asarray(points, np.float32).reshape(-1, 4, 2)[0]
        n, margin = QR_SQUARE, QR_SQUARE * 0.12
        square = np.float32([[margin, margin], [n - margin, margin], [n - margin, n - margin], [margin, n - margin]])
        warped = cv2.warpPerspective(grey, cv2.getPerspectiveTransform(corners, square), (n, n),
                                     flags=cv2.INTER_CUBIC, borderValue=255)
        for detector in (self._qr_plain, self._qr):
            text = detector.detectAndDecode(warped)[0]
            if text:
                return text
        return ""

    def read_barcodes(self, grey: np.ndarray) -> list[str]:
        """Code 128 inside every 1-D barcode OpenCV finds. OpenCV's own EAN/UPC decoder is not used: it
        "reads" Code 128 labels as EAN-8/UPC-A now and then (a weak check digit), and no parcel label is EAN."""
        # Found on a softened copy: on sharp edges the detector's gradient test misses about one label in
        # six (measured on synthetic frames; 5x5 finds them all and still finds 1.3 px-a-module bars).
        ok, corners = self._bars.detect(cv2.GaussianBlur(grey, (5, 5), 0))
        if not ok or corners is None:
            return []
        texts: list[str] = []
        for quad in np.asarray(corners, np.float32).reshape(-1, 4, 2):
            text = read_code128(grey, quad)
            if text and text not in texts:
                texts.append(text)
        return texts


def read_code128(grey: np.ndarray, quad: np.ndarray) -> str | None:
    """Read Code 128 bars inside a detected quadrilateral (4 corners in order), along either of its axes."""
    p = np.asarray(quad, np.float64).reshape(4, 2)
    centre = p.mean(axis=0)
    sides = [(p[1] - p[0], p[2] - p[1]), (p[2] - p[1], p[1] - p[0])]
    sides.sort(key=lambda s: -float(np.hypot(*s[0])))  # the longer side first: bars usually cross it
    for along, across in sides:
        length, height = float(np.hypot(*along)), float(np.hypot(*across))
        if length < 24 or height < 4:
            continue
        text = _read_strip(grey, centre, along / length, across / height, length, height)
        if text:
            return text
    return None


def _read_strip(grey: np.ndarray, centre: np.ndarray, e1: np.ndarray, e2: np.ndarray, length: float,
                height: float) -> str | None:
    """Resample the box as a horizontal strip (bars vertical), extended along e1 to take in the quiet zones
    and enlarged, then read scan lines: the middle of the bars averaged (least noise), then single lines;
    each as sampled and sharpened twice (a soft lens smears 1-module bars below a plain threshold)."""
    span = length * 1.3 + 24  # the detector's box is tight around the bars; the start needs blank before it
    up = 3.0 if length < 500 else 1.5
    out_w = int(min(2400, span * up))
    out_h = 24
    sx, sy = out_w / span, out_h / (height * 0.8)
    # destination (u, v) → source point centre + (u - W/2)/sx * e1 + (v - H/2)/sy * e2
    m = np.array([[e1[0] / sx, e2[0] / sy, 0.0], [e1[1] / sx, e2[1] / sy, 0.0]])
    m[:, 2] = centre - m[:, 0] * out_w / 2 - m[:, 1] * out_h / 2
    strip = cv2.warpAffine(grey, m, (out_w, out_h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    lines = [strip[out_h // 4:out_h - out_h // 4].mean(axis=0)]
    lines += [strip[max(0, r - 1):r + 2].mean(axis=0) for r in (int(f * (out_h - 1)) for f in SCAN_ROWS[1:3])]
    for line in lines:
        lo, hi = np.percentile(line, (5, 95))
        if hi - lo < 24:  # no contrast: nothing printed here
            continue
        for sigma in (0.0, up, 2 * up):
            if sigma:
                soft = cv2.GaussianBlur(line[None, :], (0, 0), sigma)[0]
                cand = line + 1.5 * (line - soft)  # unsharp mask
                lo, hi = np.percentile(cand, (5, 95))
            else:
                cand = line
            text = code128.decode_row(cand < (lo + hi) / 2)
            if text:
                return text
    return None


# ---------------------------------------------------------------------------------------------- thread

class Scanner(threading.Thread):
    """Decodes the newest camera frame at most ``max_fps`` times a second while enabled.

    ``on_code(kind, text)`` runs ON THIS THREAD (kind "qr" | "barcode"). ``enable()``/``disable()`` from any
    thread; a code decoded from a frame taken before ``disable()`` (or before a later ``enable()``) is not
    reported. ``reader`` replaces the decoder (tests count its calls)."""

    def __init__(self, feed: FrameFeed, on_code: Callable[[str, str], None], *, max_fps: float = 5.0,
                 repeat_s: float = 2.0, reader: Callable[[np.ndarray], list[Code]] | None = None,
                 clock: Callable[[], float] = time.monotonic, name: str = "scanner") -> None:
        super().__init__(name=name, daemon=True)
        if max_fps <= 0:
            raise ValueError(f"scanner max_fps must be > 0, got {max_fps}")
        self._feed = feed
        self._on_code = on_code
        self._period = 1.0 / max_fps
        self._repeat_s = repeat_s
        self._reader = reader or CodeReader()
        self._clock = clock
        self._cond = threading.Condition()
        self._switch = threading.Lock()  # serialises enable/disable (subscribing happens outside _cond)
        self._enabled = False
        self._stopping = False
        self._pending: np.ndarray | None = None
        self._generation = 0
        self._unsubscribe: Callable[[], None] | None = None
        self._last_seen: dict[str, float] = {}
        self._failed = False
        self.frames_in = 0  # frames handed over by the camera while enabled
        self.decodes = 0  # frames decoded
        self.reported = 0  # codes passed to on_code

    @property
    def enabled(self) -> bool:
        return self._enabled

    def enable(self) -> None:
        """Start reading (subscribes to the camera). A code already in view is reported again."""
        with self._switch:
            with self._cond:
                if self._enabled:
                    return
                self._enabled = True
                self._generation += 1
                self._last_seen.clear()
            self._unsubscribe = self._feed.subscribe(self._on_frame)

    def disable(self) -> None:
        """Stop reading (unsubscribes; the thread sleeps until enabled again)."""
        with self._switch:
            with self._cond:
                if not self._enabled:
                    return
                self._enabled = False
                self._generation += 1
                self._pending = None
            unsubscribe, self._unsubscribe = self._unsubscribe, None
            if unsubscribe is not None:
                unsubscribe()

    def stop(self, timeout: float = 3.0) -> bool:
        """Disable, end the thread and join it; True if it ended within ``timeout`` (a decode in progress
        finishes first)."""
        self.disable()
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self.ident is None or self is threading.current_thread():
            return not self.is_alive()
        self.join(timeout)
        if self.is_alive():
            log.warning("scanner thread did not stop within %.1f s", timeout)
        return not self.is_alive()

    # -- camera thread ---------------------------------------------------------------------------------
    def _on_frame(self, frame: np.ndarray, timestamp: float) -> None:  # noqa: ARG002
        with self._cond:
            if not self._enabled:
                return
            self.frames_in += 1
            self._pending = frame  # the newest wins; an older one not decoded yet is simply replaced
            self._cond.notify()

    # -- scanner thread --------------------------------------------------------------------------------
    def run(self) -> None:
        next_at = 0.0
        while True:
            with self._cond:
                while not self._stopping and not (self._enabled and self._pending is not None):
                    self._cond.wait()
                if self._stopping:
                    return
                wait = next_at - self._clock()
                if wait > 0:
                    self._cond.wait(wait)  # then take whatever is newest by then
                    continue
                frame, self._pending = self._pending, None
                generation = self._generation
            started = self._clock()
            next_at = started + self._period
            for kind, text in self._decode(frame):
                self._report(kind, text, generation)
            self.decodes += 1  # after the reports: a test that waits for this sees them

    def _decode(self, frame: np.ndarray) -> list[Code]:
        try:
            codes = list(self._reader(frame))
        except Exception:  # noqa: BLE001 - a decoder fault must not end scanning; logged once per run of faults
            if not self._failed:
                log.exception("scanner: decoding a frame failed")
            self._failed = True
            return []
        self._failed = False
        return codes

    def _report(self, kind: str, text: str, generation: int) -> None:
        now = self._clock()
        with self._cond:
            if generation != self._generation or not self._enabled:
                return  # disabled (or re-enabled) since this frame was taken
            last = self._last_seen.get(text)
            self._last_seen[text] = now
            if len(self._last_seen) > 64:  # many codes in one session: forget those long out of sight
                self._last_seen = {t: s for t, s in self._last_seen.items() if now - s < self._repeat_s}
            if last is not None and now - last < self._repeat_s:
                return
            self.reported += 1
        log.info("scanner: read a %s code (%d characters)", kind, len(text))  # never the text: it may be a password
        try:
            self._on_code(kind, text)
        except Exception:  # noqa: BLE001
            log.exception("scanner: code callback failed")
