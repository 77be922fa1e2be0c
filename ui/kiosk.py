"""What every screen reaches: the cabinet service, the devices as signals, the courier handheld, the clock.

Why one context object: screens must render state and forward taps, never touch SQL or serial. This object
lives on the GUI thread, which owns the core (SQLite calls are short); device reports arrive here as signals
from their own threads, are recorded by the core first (so the log has every door movement) and only then
are passed on to whichever screen is waiting for that door.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import deque
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from kiosk import memory
from kiosk.config import Config
from kiosk.model import KioskError
from kiosk.service import CabinetService

from .i18n import Languages

log = logging.getLogger(__name__)


class Kiosk(QObject):
    # A door moved, after the core recorded it: box, open?, what closing meant ("stored", "collected",
    # "refused", "unconfirmed", "deposit_empty", "none"; "" when it opened).
    door_event = Signal(str, bool, str)
    # A commanded door never opened: box (the core has already put the parcel back).
    unlock_failed = Signal(str)
    # Something a maintainer must see: kind ("tamper", "open_not_detected", "door_open_at_start": the line is the
    # box; "fault": one line).
    alarm = Signal(str, str)
    # A device's state changed: device name, ok?, one line.
    device_state = Signal(str, bool, str)
    # A message reached a courier's handheld (the simulated transport): the message payload (dict).
    handheld_message = Signal(object)
    # The language changed: "zh" or "en".
    language_changed = Signal(str)
    # A clip was recorded and entered in the audit log: the kiosk.model.Clip.
    clip_recorded = Signal(object)
    # A signed remote command was handled (accepted or refused): the result dict published back.
    command_handled = Signal(object)

    _command_in = Signal(bytes)  # internal: paho's thread → GUI thread, a remote command's raw payload
    _link_state = Signal(bool, str)  # internal: paho's thread → GUI thread, broker connected?, one line

    def __init__(self, config: Config, service: CabinetService, *, locks: Any = None, fingerprint: Any = None,
                 camera: Any = None, simulated: Any = None, camera_source: Any = None,
                 fingerprint_emulator: Any = None, recorder: Any = None, scanner: Any = None,
                 link: Any = None, command_key: bytes | None = None, deliver_to_handheld: bool = True,
                 tick_ms: int = 30_000) -> None:
        super().__init__()
        self.config = config
        self.service = service
        self.locks = locks  # hardware.lock_worker.LockWorker
        self.fingerprint = fingerprint  # hardware.fingerprint_worker.FingerprintWorker or None
        self.camera = camera  # hardware.camera_worker.CameraWorker or None
        self.simulated = simulated  # hardware.simulated.SimulatedLocks when the board is emulated
        self.camera_source = camera_source  # the FrameSource (SyntheticSource can be "unplugged")
        self.fingerprint_emulator = fingerprint_emulator  # FingerprintEmulator when the sensor is emulated
        self.recorder = recorder  # hardware.recorder_worker.RecorderWorker or None (no camera, video disabled)
        self.scanner = scanner  # hardware.scanner_worker.ScannerWorker or None
        self.link = link  # kiosk.mqtt_link.MqttLink when a broker is configured, else None
        self._command_key = command_key
        self.languages = Languages()
        self.devices: dict[str, tuple[bool, str]] = {}
        self.messages: deque[dict] = deque(maxlen=200)  # what the simulated handheld shows
        self._deliver = deliver_to_handheld and link is None  # with a broker, the outbox is the link's
        self._tampered: set[str] = set()
        if locks is not None:
            locks.door_changed.connect(self._door_changed)
            locks.tamper.connect(self._tamper)
            locks.open_not_detected.connect(self._open_not_detected)
            locks.device_fault.connect(lambda d, m: self._device(d, False, m))
            locks.device_ok.connect(lambda d: self._device(d, True, "ok"))
        if fingerprint is not None:
            fingerprint.device_fault.connect(lambda d, m: self._device(d, False, m))
            fingerprint.device_ok.connect(lambda cap, n: self._device("fingerprint", True, f"{n}/{cap} templates"))
        if camera is not None:
            camera.camera_online.connect(lambda: self._device("camera", True, "online"))
            camera.camera_offline.connect(lambda m: self._device("camera", False, m))
        if recorder is not None:
            recorder.clip_saved.connect(self._clip_saved)
            recorder.recorder_fault.connect(lambda m: self._device("recorder", False, m))
            recorder.recorder_ok.connect(lambda: self._device("recorder", True, "recording"))
            txns = service.txns
            self._txn_listeners = ((txns.on_start, self._txn_started), (txns.on_boxes, self._txn_boxes),
                                   (txns.on_complete, self._txn_complete))
            for listeners, listener in self._txn_listeners:
                listeners.append(listener)
        self._ticker = QTimer(self)
        self._ticker.setInterval(tick_ms)
        self._ticker.timeout.connect(self.tick)
        self._ticker.start()
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)  # coalesces bursts of changes into one status message
        self._status_timer.setInterval(500)
        self._status_timer.timeout.connect(self.publish_status)
        self._status_every = QTimer(self)
        self._status_every.setInterval(int(config.mqtt.status_interval_s * 1000))
        self._status_every.timeout.connect(self.publish_status)
        if link is not None:
            queued = Qt.ConnectionType.QueuedConnection
            self._command_in.connect(self._run_command, queued)
            self._link_state.connect(self._on_link_state, queued)
            self._status_every.start()

    def stop(self) -> None:
        """Stop the timers and stop listening to devices, before the devices and the database go away."""
        self._ticker.stop()
        self._status_timer.stop()
        self._status_every.stop()
        signals = []
        if self.locks is not None:
            signals += [self.locks.door_changed, self.locks.tamper, self.locks.open_not_detected,
                        self.locks.device_fault, self.locks.device_ok]
        if self.fingerprint is not None:
            signals += [self.fingerprint.device_fault, self.fingerprint.device_ok]
        if self.camera is not None:
            signals += [self.camera.camera_online, self.camera.camera_offline]
        if self.recorder is not None:
            signals += [self.recorder.clip_saved, self.recorder.recorder_fault, self.recorder.recorder_ok]
            for listeners, listener in self._txn_listeners:
                if listener in listeners:
                    listeners.remove(listener)
        for signal in signals:
            try:
                signal.disconnect()
            except (RuntimeError, TypeError):
                pass  # nothing was connected

    # ---- language ------------------------------------------------------------------------------------

    def set_language(self, lang: str) -> None:
        self.languages.set(lang)
        self.language_changed.emit(lang)

    # ---- periodic --------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Lockouts that ended, overdue parcels, clips past retention, pending messages to the handheld; when
        nobody is mid-transaction, free heap pages go back to the system (kiosk/memory.py)."""
        try:
            self.service.tick()
            self.service.apply_retention()
        except KioskError as e:
            self.alarm.emit("fault", str(e))
        self.deliver()
        if not self.service.txns.open:
            memory.trim()

    # ---- transactions on video ---------------------------------------------------------------------------

    def begin_txn(self, kind: str, actor: str) -> str | None:
        """A flow starts (courier identified, customer begins a pickup): its clip starts with the pre-roll."""
        try:
            return self.service.begin_txn(kind, actor)
        except KioskError as e:  # a full disk must not stop a pickup: the events still record it
            log.error("cannot start transaction: %s", e)
            return None

    def end_txn(self) -> None:
        """The screens went home; the clip ends after the flow's doors have closed (plus the post-roll)."""
        self.service.end_txn()

    def camera_ok(self) -> bool:
        """Whether deposits may go ahead under the ``video.require_camera_for_deposit`` policy."""
        if not self.config.video.require_camera_for_deposit:
            return True
        return self.camera is not None and self.devices.get("camera", (False, ""))[0]

    def _txn_started(self, txn: str, kind: str, actor: str) -> None:  # noqa: ARG002
        self.recorder.start_clip(txn, kind, ())

    def _txn_boxes(self, txn: str, boxes: tuple[str, ...]) -> None:
        self.recorder.set_boxes(txn, boxes)

    def _txn_complete(self, txn: str) -> None:
        self.recorder.stop_clip(txn)

    def _clip_saved(self, info: Any) -> None:
        """The recorder finished a file: its hash goes into the audit chain (the sidecar stays as a backup)."""
        try:
            clip = self.service.record_clip(**vars(info))  # ClipInfo's fields are record_clip's arguments
        except (KioskError, sqlite3.Error) as e:
            log.error("clip %s could not be entered in the log (registered at the next start): %s", info.path, e)
            self.alarm.emit("fault", f"recorder: clip {info.txn}-{info.part} not logged: {e}")
            return
        self.clip_recorded.emit(clip)

    def deliver(self) -> None:
        """New outbox messages: the broker link sends them now; without a broker the simulated handheld takes
        delivery of them."""
        if self.link is not None:
            self.link.notify()
            return
        if not self._deliver:
            return
        try:
            msgs = self.service.take_outbox()
        except Exception as e:  # never let the handheld take the kiosk down
            log.error("handheld delivery failed: %s", e)
            return
        for m in msgs:
            body = dict(m.payload, courier_no=m.courier_no, topic=m.topic)
            self.messages.append(body)
            self.handheld_message.emit(body)

    # ---- doors -----------------------------------------------------------------------------------------

    def _door_changed(self, box: str, is_open: bool) -> None:
        self.status_changed()
        try:
            if is_open:
                if box in self._tampered:
                    self._tampered.discard(box)  # already recorded as a tamper
                else:
                    self.service.door_opened(box)
                self.door_event.emit(box, True, "")
            else:
                outcome = self.service.door_closed(box)
                self.deliver()
                self.door_event.emit(box, False, outcome.action)
        except (KioskError, sqlite3.Error) as e:
            log.error("door %s: %s", box, e)
            self.alarm.emit("fault", str(e))

    def _tamper(self, box: str) -> None:
        self._tampered.add(box)
        try:
            self.service.door_opened(box, commanded=False)
        except KioskError as e:
            log.error("tamper %s: %s", box, e)
        self.alarm.emit("tamper", box)

    def _open_not_detected(self, box: str) -> None:
        try:
            self.service.unlock_failed(box, "door did not open after two pulses")
        except KioskError as e:
            log.error("unlock failed %s: %s", box, e)
        self.alarm.emit("open_not_detected", box)
        self.unlock_failed.emit(box)

    # ---- fleet link ---------------------------------------------------------------------------------------

    def command_from_broker(self, raw: bytes) -> None:
        """Called by the link on paho's thread: the command is handled on this (GUI) thread, which owns the core."""
        self._command_in.emit(bytes(raw))

    def link_state_from_broker(self, connected: bool, message: str) -> None:
        """Called on the link's thread."""
        self._link_state.emit(connected, message)

    def _run_command(self, raw: bytes) -> None:
        try:
            result = self.service.remote_command(raw, self._command_key)
        except Exception as e:  # noqa: BLE001 - a bad command must never take the kiosk down
            log.exception("remote command failed")
            result = {"schema": 1, "type": "command_result", "id": None, "ok": False, "message": f"failed: {e}"}
        if self.link is not None:
            self.link.publish_result(result)
        self.deliver()
        self.status_changed()
        self.command_handled.emit(result)

    def _on_link_state(self, connected: bool, message: str) -> None:
        self._device("broker", connected, message)
        if connected:
            self.publish_status()

    def status(self) -> dict[str, Any]:
        """The retained status a fleet sees (DESIGN §6): doors, faults, free boxes, disk, version."""
        import shutil

        from kiosk import __version__

        svc = self.service
        doors = {b.no: self.door_open(b.no) for b in self.config.boxes}
        try:
            disk = shutil.disk_usage(self.config.data_dir)
            disk_info = {"free_mb": disk.free // 2**20, "total_mb": disk.total // 2**20}
        except OSError as e:
            disk_info = {"error": str(e)}
        return {"schema": 1, "type": "status", "state": "online", "cabinet": self.config.cabinet_id,
                "ts": svc.clock.now(), "version": __version__,
                "doors_open": sorted(b for b, v in doors.items() if v),
                "doors_unknown": sorted(b for b, v in doors.items() if v is None),
                "faults": {d: m for d, (ok, m) in sorted(self.devices.items()) if not ok},
                "free": svc.free_counts(), "lockouts": len(svc.lockouts()),
                "outbox": svc.outbox_counts(), "disk": disk_info}

    def status_changed(self) -> None:
        """Something a fleet watches changed: publish the status soon (bursts coalesce)."""
        if self.link is not None:
            self._status_timer.start()

    def publish_status(self) -> None:
        if self.link is None:
            return
        try:
            self.link.publish_status(self.status())
        except Exception as e:  # noqa: BLE001 - the status is a report; never fail the kiosk for it
            log.error("status not published: %s", e)

    def _device(self, device: str, ok: bool, message: str) -> None:
        was = self.devices.get(device)
        self.devices[device] = (ok, message)
        if device in ("camera", "recorder") and (was is None or was[0] != ok or not ok):
            try:  # a gap in the video is explained in the audit log
                self.service.device_state(device, ok, message)
            except KioskError as e:
                log.error("cannot log %s state: %s", device, e)
        self.device_state.emit(device, ok, message)
        if was is None or was[0] != ok:
            self.status_changed()
        if not ok:
            self.alarm.emit("fault", f"{device}: {message}")

    def door_open(self, box: str) -> bool | None:
        return self.locks.bank.is_door_open(box) if self.locks is not None and self.locks.bank else None
