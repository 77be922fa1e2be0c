"""The fingerprint sensor as Qt signals: the sensor listens on its own QThread; results reach the GUI thread.

Why this shape (Mu's worker pattern): every pyfingerprint call blocks on the serial line — a Search takes up to
a second, a silent sensor 1.2 s — so the driver is created, used and closed only on its own QThread (one
thread per sensor: two on one port corrupt frames). The job listens in short slices (one finger wait per
event-loop turn), so requests queued from the GUI (enrol, delete, stop) are served between slices, and
``cancel()`` cuts a wait short from the GUI thread. A link fault is reported once and the job reconnects with
a growing pause until the sensor answers again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from .fingerprint import FingerprintDriver, FingerprintFault, LinkFault
from .qt_bridge import DeviceSignals

log = logging.getLogger(__name__)
DEVICE = "fingerprint"


class FingerprintWorker(DeviceSignals):
    """Public face (GUI thread). ``start()``, connect the signals, call ``enrol()`` etc.; ``stop()`` at the end."""

    # An enrolled finger was recognised: sensor slot, match score.
    finger_identified = Signal(int, int)
    # A finger was on the sensor but matches no enrolled template.
    finger_not_recognised = Signal()
    # Enrolment progress: "place_finger", "lift_finger", "place_again", "stored".
    enrol_step = Signal(str)
    # Enrolment finished: the slot the template was stored in.
    enrolled = Signal(int)
    # Enrolment failed: one human-readable line (different fingers, timeout, memory full…).
    enrol_failed = Signal(str)
    # A template was deleted (slot), or all of them (-1).
    deleted = Signal(int)
    # The sensor answers (after start or after a fault): capacity, templates stored.
    device_ok = Signal(int, int)
    # The sensor failed: device name, one human-readable line.
    device_fault = Signal(str, str)

    _request = Signal(str, object)  # internal: GUI → job thread

    def __init__(self, make_driver: Callable[[], FingerprintDriver], *, listen_slice_s: float = 0.25,
                 reconnect_max_s: float = 5.0) -> None:
        super().__init__()
        self._job = _Job(self, make_driver, listen_slice_s, reconnect_max_s)
        self._thread: QThread | None = None

    def start(self, listening: bool = True) -> None:
        if self._thread is not None:
            raise RuntimeError("FingerprintWorker is single-use: create a new one")
        self._thread = QThread()
        self._thread.setObjectName("fingerprint")
        self._job.moveToThread(self._thread)
        self._request.connect(self._job.handle, Qt.ConnectionType.QueuedConnection)
        self._thread.started.connect(self._job.begin)
        self._job.listening = listening
        self._thread.start()

    def listen(self, on: bool) -> None:
        """Home screen: the sensor always listens. Off while the finger is not wanted."""
        self._job.listening = on
        if not on:
            self._job.cancel()
        self._request.emit("listen", on)

    def enrol(self) -> None:
        self._job.cancel()  # stop a listening wait so enrolment starts at once
        self._request.emit("enrol", None)

    def delete(self, slot: int) -> None:
        self._request.emit("delete", slot)

    def clear(self) -> None:
        self._request.emit("clear", None)

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Cancel what the sensor is doing, close the port on its thread, end the thread."""
        if self._thread is None:
            return True
        self._job.stopping.set()
        self._job.cancel()
        self._request.emit("stop", None)
        ok = self._thread.wait(timeout_ms)
        self._thread = None
        return ok


class _Job(QObject):
    """Lives on the sensor's QThread; owns the driver."""

    def __init__(self, face: FingerprintWorker, make_driver: Callable[[], FingerprintDriver],
                 slice_s: float, reconnect_max_s: float) -> None:
        super().__init__()
        self.face = face
        self.make_driver = make_driver
        self.slice_s = slice_s
        self.reconnect_max_s = reconnect_max_s
        self.listening = True
        self.stopping = threading.Event()
        self.driver: FingerprintDriver | None = None
        self._driver_ready = threading.Event()
        self._backoff = 0.25
        self._faulted = False
        self._tick_queued = False

    def cancel(self) -> None:
        """From the GUI thread: cut a blocking wait short (the driver's one thread-safe method)."""
        if self._driver_ready.is_set() and self.driver is not None:
            self.driver.cancel()

    @Slot()
    def begin(self) -> None:
        self.driver = self.make_driver()
        self._driver_ready.set()
        self._connect()

    @Slot(str, object)
    def handle(self, what: str, arg: object) -> None:
        if what == "stop":
            self._shutdown()
        elif self.stopping.is_set():
            return
        elif what == "listen":
            self._schedule()
        elif what == "enrol":
            self._run(self._enrol)
        elif what == "delete":
            self._run(lambda: (self.driver.delete(int(arg)), self.face.post("deleted", int(arg))))
        elif what == "clear":
            self._run(lambda: (self.driver.clear(), self.face.post("deleted", -1)))

    def _connect(self) -> None:
        if self.stopping.is_set():
            return
        try:
            self.driver.connect()
            self.face.post("device_ok", self.driver.capacity(), self.driver.template_count())
            self._faulted, self._backoff = False, 0.25
            self._schedule()
        except FingerprintFault as e:
            self._fault(e)

    def _fault(self, e: FingerprintFault) -> None:
        if not self._faulted:  # once per outage, not once per retry
            log.warning("fingerprint: %s", e)
            self.face.post("device_fault", DEVICE, str(e))
        self._faulted = True
        QTimer.singleShot(int(self._backoff * 1000), self._reconnect)
        self._backoff = min(self._backoff * 2, self.reconnect_max_s)

    def _reconnect(self) -> None:
        if self.stopping.is_set():
            return
        try:
            self.driver.reconnect()
        except FingerprintFault as e:
            self._fault(e)
            return
        self._faulted = False
        self._connect()

    def _run(self, action: Callable[[], object]) -> None:
        """A GUI request: runs between listening slices; link faults go to the reconnect path."""
        try:
            action()
        except LinkFault as e:
            self._fault(e)
            return
        except FingerprintFault as e:
            self.face.post("device_fault", DEVICE, str(e))
        self._schedule()

    def _enrol(self) -> None:
        try:
            slot = self.driver.enrol(lambda step: self.face.post("enrol_step", str(step)))
        except LinkFault:
            self.face.post("enrol_failed", "the fingerprint sensor stopped answering")
            raise
        except FingerprintFault as e:
            self.face.post("enrol_failed", str(e))
            return
        self.face.post("enrolled", slot)

    def _schedule(self) -> None:
        if not self._tick_queued and not self._faulted and not self.stopping.is_set():
            self._tick_queued = True
            QTimer.singleShot(0, self._tick)

    def _tick(self) -> None:
        """One listening slice: wait briefly for a finger; identify it; wait for it to lift."""
        self._tick_queued = False
        if not self.listening or self.stopping.is_set() or self._faulted:
            return
        try:
            if self.driver.wait_for_finger(self.slice_s):
                match = self.driver.identify(self.slice_s)
                if match is not None:
                    self.face.post("finger_identified", match.slot, match.score)
                elif not self.stopping.is_set() and self.listening:
                    self.face.post("finger_not_recognised")
                self.driver.wait_for_lift(3.0)  # one touch, one result
        except LinkFault as e:
            self._fault(e)
            return
        except FingerprintFault as e:  # a bad image: try again next slice
            log.info("fingerprint: %s", e)
        self._schedule()

    def _shutdown(self) -> None:
        try:
            if self.driver is not None:
                self.driver.close()
        finally:
            QThread.currentThread().quit()
