"""Qt side of the camera: frames from a ``CameraThread`` become QImages for the preview.

Why it is built this way:

- Only signals cross threads (DESIGN §4). Mu's pattern: the conversion job is a QObject moved to its own
  QThread, so turning a numpy frame into a QImage runs neither on the camera thread (which also feeds the
  recorder) nor on the GUI thread. The public ``CameraWorker`` is the job's face and lives on the GUI thread,
  like the other device workers (``hardware/qt_bridge.py``): PySide6 runs a lambda connected to a signal in
  the SENDER's thread, so a sender living in the GUI thread makes ``connect(lambda …)`` as safe as a slot.
- A QImage built on a numpy buffer shares that buffer (DESIGN §10): the job COPIES in its own thread, so the
  image the GUI paints owns its pixels and cannot tear.
- "Latest frame wins", in two places, so a busy GUI never builds up a queue of stale frames (memory, latency):
  1. camera thread → job: a one-slot mailbox. A new frame replaces one not yet converted (counted as
     ``dropped``); the job is woken at most once per pending frame.
  2. job → GUI: at most one image in flight. The face emits ``frame_ready`` on the GUI thread, so when that
     returns the receivers HAVE consumed it, and only then is the next (newest) frame converted: an
     acknowledgement nobody has to send by hand (an explicit ``ack()`` would freeze the preview for good the
     day a receiver forgets it), and the GUI's event queue never holds more than one frame.
  With a responsive GUI nothing is dropped (the benchmark counts); when the GUI stalls, the preview resumes
  with the newest frame instead of replaying the past.
- Status travels the same path as frames, so "offline" never overtakes a frame, and a frame still pending
  when the camera goes offline is discarded rather than shown after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QImage

from hardware.camera import OFFLINE, ONLINE, CameraThread, FrameCallback, StatusCallback


class FrameFeed(Protocol):
    """What the worker subscribes to: a ``CameraThread``, or a fake in tests."""

    def subscribe(self, on_frame: FrameCallback | None = None,
                  on_status: StatusCallback | None = None) -> Callable[[], None]: ...


def frame_to_qimage(frame: np.ndarray) -> QImage:
    """Deep-copy a uint8 BGR (HxWx3) or grey (HxW) frame into a QImage that owns its pixels."""
    if frame.dtype != np.uint8 or frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] != 3):
        raise ValueError(f"expected a uint8 HxWx3 BGR or HxW grey frame, got {frame.dtype} {frame.shape}")
    fmt = QImage.Format.Format_BGR888 if frame.ndim == 3 else QImage.Format.Format_Grayscale8
    if not frame.flags.c_contiguous:
        frame = np.ascontiguousarray(frame)
    h, w = frame.shape[:2]
    shared = QImage(frame.data, w, h, frame.strides[0], fmt)  # a view on the numpy buffer…
    return shared.copy()  # …so copy before it leaves this function


class _Converter(QObject):
    """The job, on the worker QThread: converts the newest frame; passes status on behind the frames."""

    image_ready = Signal(QImage)  # a converted frame, for the face (GUI thread)
    status = Signal(str, str)  # a status change, for the face, after the images already sent

    def __init__(self, face: CameraWorker) -> None:
        super().__init__()
        self._face = face

    @Slot()
    def convert(self) -> None:
        frame = self._face._take_pending()
        if frame is not None:
            self.image_ready.emit(frame_to_qimage(frame))

    @Slot(str, str)
    def pass_status(self, state: str, message: str) -> None:
        if state == OFFLINE:
            self._face._discard_pending()
        self.status.emit(state, message)


class CameraWorker(QObject):
    """A camera as Qt signals, delivered on the GUI thread. Create, connect, ``start()`` and ``stop()`` it on
    the GUI thread. Single-use: a stopped worker cannot be restarted."""

    # A new frame as a QImage that owns its pixels (copied on the worker thread); emitted on the GUI thread.
    frame_ready = Signal(QImage)
    # The camera delivers frames (first frame after start or after a reconnect).
    camera_online = Signal()
    # The camera cannot be opened or stopped delivering; the argument is one human-readable line.
    camera_offline = Signal(str)

    _wake = Signal()  # internal: camera or GUI thread → job, a frame waits in the mailbox
    _status_in = Signal(str, str)  # internal: camera thread → job, a status change

    def __init__(self, camera: CameraThread | FrameFeed) -> None:
        super().__init__()
        self._camera = camera
        self._job = _Converter(self)
        self._lock = threading.Lock()
        self._pending: np.ndarray | None = None
        self._wake_posted = False
        self._in_flight = False
        self._running = False
        self._owned_camera: CameraThread | None = None  # started by us, so stopped by us
        self._thread: QThread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.received = 0  # frames the camera handed over
        self.dropped = 0  # frames replaced in the mailbox before conversion (GUI or worker too slow)
        self.emitted = 0  # frame_ready emissions

    @property
    def worker_thread(self) -> QThread | None:
        """The QThread the conversion runs on (None before ``start()``)."""
        return self._thread

    def start(self) -> None:
        """Start the worker thread and subscribe; also starts the CameraThread if nobody has (and then stops
        it in ``stop()``). Start the camera yourself first to share it with a recorder beyond this worker."""
        if self._thread is not None:
            raise RuntimeError("CameraWorker is single-use: create a new one")
        self._thread = QThread()
        self._thread.setObjectName("camera-worker")
        self._job.moveToThread(self._thread)
        queued = Qt.ConnectionType.QueuedConnection
        self._wake.connect(self._job.convert, queued)
        self._status_in.connect(self._job.pass_status, queued)
        self._job.image_ready.connect(self._on_image, queued)
        self._job.status.connect(self._on_status, queued)
        self._thread.finished.connect(self._job.deleteLater)
        self._running = True
        self._thread.start()
        self._unsubscribe = self._camera.subscribe(self._on_frame, self._on_camera_status)
        if isinstance(self._camera, CameraThread) and self._camera.ident is None:
            self._camera.start()
            self._owned_camera = self._camera

    def stop(self, timeout_ms: int = 3000) -> bool:
        """Unsubscribe, stop the camera if we started it, quit and wait the QThread; True if all ended."""
        if self._thread is None or not self._running:
            return True
        self._running = False
        if self._unsubscribe is not None:
            self._unsubscribe()
        camera_ok = self._owned_camera.stop(timeout_ms / 1000) if self._owned_camera is not None else True
        self._thread.quit()
        return self._thread.wait(timeout_ms) and camera_ok

    # -- camera thread -------------------------------------------------------------------------------
    def _on_frame(self, frame: np.ndarray, timestamp: float) -> None:  # noqa: ARG002
        with self._lock:
            self.received += 1
            if self._pending is not None:
                self.dropped += 1
            self._pending = frame
            if self._wake_posted or self._in_flight:
                return  # a wake is queued, or the GUI's acknowledgement will convert the newest frame
            self._wake_posted = True
        self._wake.emit()

    def _on_camera_status(self, state: str, message: str) -> None:
        self._status_in.emit(state, message)

    # -- worker thread -------------------------------------------------------------------------------
    def _take_pending(self) -> np.ndarray | None:
        with self._lock:
            self._wake_posted = False
            if not self._running or self._in_flight or self._pending is None:
                return None
            frame, self._pending = self._pending, None
            self._in_flight = True
            return frame

    def _discard_pending(self) -> None:
        with self._lock:
            if self._pending is not None:
                self._pending = None  # a frame from before the failure: never show it after "offline"
                self.dropped += 1

    # -- GUI thread ----------------------------------------------------------------------------------
    @Slot(QImage)
    def _on_image(self, image: QImage) -> None:
        if self._running:
            self.emitted += 1
            self.frame_ready.emit(image)  # direct to GUI-thread receivers: consumed when this returns
        with self._lock:
            self._in_flight = False
            wake = self._running and self._pending is not None and not self._wake_posted
            if wake:
                self._wake_posted = True
        if wake:
            self._wake.emit()

    @Slot(str, str)
    def _on_status(self, state: str, message: str) -> None:
        if not self._running:
            return
        if state == ONLINE:
            self.camera_online.emit()
        elif state == OFFLINE:
            self.camera_offline.emit(message)
