"""The lock bank as Qt signals: door, IR, tamper and fault reports arrive on the GUI thread.

Why no extra QThread here: a lock bank already owns its own thread (the RS485 bus master, or gpiozero's pin
threads plus the door-watch ticker), one per port as DESIGN.md asks, and ``unlock()`` only queues. So the
worker is the bank's ``DoorEvents`` sink: it is called on the bank's thread and re-emits each report on the
GUI thread. It also watches the bank's fault list so a screen learns when a board answers again.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal

from kiosk.ports import LockBank

from .qt_bridge import DeviceSignals


class LockWorker(DeviceSignals):
    """Create it on the GUI thread, give ``worker.events`` to the bank as its sink, then ``attach(bank)``."""

    # A door opened (True) or closed (False): box number, state.
    door_changed = Signal(str, bool)
    # The IR sensor of a box now reads an item inside (True) or empty (False).
    item_changed = Signal(str, bool)
    # An unlock was commanded (and retried once) but the door never read open.
    open_not_detected = Signal(str)
    # A door opened with no unlock command.
    tamper = Signal(str)
    # A device reported a fault: device name ("lockboard", "door"), one human-readable line.
    device_fault = Signal(str, str)
    # Every board that was in fault answers again.
    device_ok = Signal(str)

    def __init__(self, poll_faults_ms: int = 500) -> None:
        super().__init__()
        self.bank: LockBank | None = None
        self.events = _Events(self)  # the bank's DoorEvents sink
        self._faulty = False
        self._timer = QTimer(self)
        self._timer.setInterval(poll_faults_ms)
        self._timer.timeout.connect(self._check_recovered)
        # Learn of an outage from the report itself, so device_ok can only follow a delivered device_fault.
        self.device_fault.connect(self._mark_faulty)

    def attach(self, bank: LockBank) -> None:
        self.bank = bank
        self._timer.start()

    def detach(self) -> None:
        self._timer.stop()
        self.bank = None

    def unlock(self, box_no: str) -> None:
        """Queue a pulse (returns at once; the bank's thread sends it)."""
        if self.bank is None:
            raise RuntimeError("LockWorker.unlock before attach()")
        self.bank.unlock(box_no)

    def _mark_faulty(self, device: str, _message: str) -> None:
        if device == "lockboard":
            self._faulty = True

    def _check_recovered(self) -> None:
        faults: Callable[[], dict] | None = getattr(self.bank, "faults", None)
        if faults is not None and self._faulty and not faults():
            self._faulty = False
            self.device_ok.emit("lockboard")


class _Events:
    """The DoorEvents methods, posting to the GUI thread (kept apart from the signal names they share)."""

    def __init__(self, face: LockWorker) -> None:
        self._face = face

    def door_changed(self, box_no: str, is_open: bool) -> None:
        self._face.post("door_changed", box_no, is_open)

    def item_changed(self, box_no: str, inside: bool) -> None:
        self._face.post("item_changed", box_no, inside)

    def open_not_detected(self, box_no: str) -> None:
        self._face.post("open_not_detected", box_no)

    def tamper(self, box_no: str) -> None:
        self._face.post("tamper", box_no)

    def fault(self, device: str, message: str) -> None:
        self._face.post("device_fault", device, message)
