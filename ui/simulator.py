"""The simulator panel: a developer's window that plays the people and devices around a simulated cabinet.

Why it drives the emulators and never the service: the point of ``kiosk run --simulate`` is to see the real
drivers, door watch and screens react to a finger on the sensor, a door pushed shut or a board that stops
answering, exactly as on a cabinet. So every control here moves an emulator (the ZFM sensor and the Kerong
boards on their ptys, the synthetic camera), and every state shown is read back from what the kiosk itself
sees (its lock bank, its device reports, the messages its handheld transport delivered). It is a desktop
tool, not a touch screen: compact, scrollable, its own window.

Hands in front of the camera: with the synthetic camera, the panel can hold a parcel label (Code 128 of a
made-up tracking number) or the newest handheld message's pickup QR up to it (``SyntheticSource.hold``), so
the kiosk's scanner reads them exactly as it would read paper and phones at a cabinet.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from hardware import labels
from hardware.simulated import board_lock

from .simulator_handheld import HandheldView

LOCKBOARD_FAULTS = ("none", "no_reply", "bad_checksum", "duplicate_address", "garbage")
FINGERPRINT_FAULTS = ("none", "silence", "bad_checksum", "garbage", "slow", "wrong_password")

# A desktop tool: undo the kiosk theme's touch sizes inside this window only.
COMPACT_QSS = """
QWidget { font-size: 13px; }
QPushButton { min-height: 24px; min-width: 0; padding: 2px 8px; font-size: 13px; border-radius: 4px; }
QCheckBox { min-height: 22px; font-size: 13px; spacing: 6px; }
QCheckBox::indicator { width: 16px; height: 16px; border-width: 2px; }
QComboBox, QSpinBox { min-height: 24px; font-size: 13px; background: #2b3a4a; color: #ffffff; padding: 0 6px; }
QGroupBox { border: 1px solid #3a4856; border-radius: 4px; margin-top: 14px; padding: 6px; font-weight: 700; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; }
QListWidget { font-size: 13px; alternate-background-color: #1b2733; }
QScrollBar:vertical { width: 14px; }
QLabel#sim_ok { color: #8fe3a5; }
QLabel#sim_bad { color: #ffdf5d; font-weight: 700; }
"""


def _role(label: QLabel, ok: bool | None) -> None:
    """Colour a state label (words say the state too; colour is a hint)."""
    name = "sim_ok" if ok else "sim_bad" if ok is False else ""
    if label.objectName() != name:
        label.setObjectName(name)
        label.style().unpolish(label)
        label.style().polish(label)


class _DoorRow:
    """One box: number and size, door state, IR state, the hand on the door and the parcel inside."""

    def __init__(self, panel: "SimulatorPanel", grid: QGridLayout, row: int, col: int, box: Any) -> None:
        self.box = box.no
        self.has_ir = box.ir
        self.label = QLabel(f"{box.no} {box.size}")
        self.door = QLabel()
        self.ir = QLabel()
        self.toggle = QPushButton()
        self.toggle.setObjectName(f"sim.door.{box.no}")
        self.toggle.setCheckable(True)  # checked = the door is open
        self.toggle.clicked.connect(lambda _on: panel._hand_on_door(self.box))
        self.item = QCheckBox()
        self.item.setObjectName(f"sim.item.{box.no}")
        self.item.setEnabled(box.ir)
        self.item.clicked.connect(lambda on: panel._put_item(self.box, on))
        for i, w in enumerate((self.label, self.door, self.ir, self.toggle)):
            grid.addWidget(w, row, col + i)
        # No text: a checkbox is hit only on its indicator, so keep the widget the indicator's size.
        grid.addWidget(self.item, row, col + 4, Qt.AlignmentFlag.AlignLeft)
        self._pending_item: tuple[bool, float] | None = None


class SimulatorPanel(QWidget):
    """``SimulatorPanel(kiosk)``: show it beside the kiosk window (``kiosk run --simulate``)."""

    def __init__(self, kiosk: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kiosk = kiosk
        self.setObjectName("sim.panel")
        self.setStyleSheet(COMPACT_QSS)
        self.resize(620, 900)
        self.sim = kiosk.simulated  # SimulatedLocks, or None when the lock board is real
        self.sensor = kiosk.fingerprint_emulator
        self.source = kiosk.camera_source

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        inner = QWidget()
        self.body = QVBoxLayout(inner)
        self.body.setContentsMargins(8, 8, 8, 8)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self._build_devices()
        self._build_doors()
        self.body.addStretch(1)

        kiosk.door_event.connect(lambda box, _o, _a: self._refresh_box(box))
        kiosk.device_state.connect(lambda *_: self._refresh_devices())
        kiosk.handheld_message.connect(self.handheld.add)
        if kiosk.locks is not None and hasattr(kiosk.locks, "item_changed"):
            kiosk.locks.item_changed.connect(lambda box, _in: self._refresh_box(box))
        if kiosk.fingerprint is not None:
            kiosk.fingerprint.finger_identified.connect(
                lambda slot, score: self._sensor_said(lambda: self.tr("recognised: slot {slot}, score {score}").format(
                    slot=slot, score=score)))
            kiosk.fingerprint.finger_not_recognised.connect(
                lambda: self._sensor_said(lambda: self.tr("not recognised")))
            kiosk.fingerprint.enrol_step.connect(
                lambda step: self._sensor_said(lambda: self.tr("enrolment: {step}").format(step=step)))
        for payload in list(kiosk.messages):  # the backlog delivered before the panel opened
            self.handheld.add(payload)
        # Doors and IR change on the bus master's schedule; a light poll keeps the table honest (no I/O).
        self._timer = QTimer(self)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.refresh)
        self.retranslate()
        self.refresh()

    # ---- building ------------------------------------------------------------------------------------

    def _build_devices(self) -> None:
        # Fingerprint sensor
        self.finger_box = QGroupBox()
        fl = QGridLayout(self.finger_box)
        self.finger_label = QLabel()
        self.finger_no = QSpinBox()
        self.finger_no.setObjectName("sim.finger.number")
        self.finger_no.setRange(0, 9999)
        self.finger_no.setValue(7)
        self.place = QPushButton()
        self.place.setObjectName("sim.finger.place")
        self.place.clicked.connect(self._place_finger)
        self.lift = QPushButton()
        self.lift.setObjectName("sim.finger.lift")
        self.lift.clicked.connect(self._lift_finger)
        self.sensor_state = QLabel()
        self.sensor_state.setWordWrap(True)
        self.sensor_last = QLabel()
        self.sensor_last.setWordWrap(True)
        fl.addWidget(self.finger_label, 0, 0)
        fl.addWidget(self.finger_no, 0, 1)
        fl.addWidget(self.place, 0, 2)
        fl.addWidget(self.lift, 0, 3)
        fl.addWidget(self.sensor_state, 1, 0, 1, 4)
        fl.addWidget(self.sensor_last, 2, 0, 1, 4)
        fl.setColumnStretch(1, 1)
        self._finger_on: int | None = None
        self._last: Callable[[], str] | None = None
        for w in (self.finger_no, self.place, self.lift):
            w.setEnabled(self.sensor is not None)
        self.body.addWidget(self.finger_box)
        self._build_handheld()

        # Camera and device faults
        self.faults_box = QGroupBox()
        gl = QGridLayout(self.faults_box)
        self.camera = QPushButton()
        self.camera.setObjectName("sim.camera")
        self.camera.setCheckable(True)  # checked = unplugged
        self.camera.setEnabled(hasattr(self.source, "set_unplugged"))
        self.camera.clicked.connect(self._camera_clicked)
        self.camera_state = QLabel()
        self.lock_fault_label = QLabel()
        self.lock_fault = QComboBox()
        self.lock_fault.setObjectName("sim.fault.lockboard")
        self.lock_fault.setEnabled(self.sim is not None)
        self.lock_state = QLabel()
        self.lock_state.setWordWrap(True)
        self.fp_fault_label = QLabel()
        self.fp_fault = QComboBox()
        self.fp_fault.setObjectName("sim.fault.fingerprint")
        self.fp_fault.setEnabled(self.sensor is not None)
        for combo, codes in ((self.lock_fault, LOCKBOARD_FAULTS), (self.fp_fault, FINGERPRINT_FAULTS)):
            for code in codes:
                combo.addItem(code, None if code == "none" else code)
        self.lock_fault.currentIndexChanged.connect(self._lock_fault_chosen)
        self.fp_fault.currentIndexChanged.connect(self._fp_fault_chosen)
        gl.addWidget(self.camera, 0, 0)
        gl.addWidget(self.camera_state, 0, 1)
        gl.addWidget(self.lock_fault_label, 1, 0)
        gl.addWidget(self.lock_fault, 1, 1)
        gl.addWidget(self.lock_state, 2, 0, 1, 2)
        gl.addWidget(self.fp_fault_label, 3, 0)
        gl.addWidget(self.fp_fault, 3, 1)
        gl.setColumnStretch(1, 1)
        self.body.addWidget(self.faults_box)
        self._build_hold()

    def _build_hold(self) -> None:
        self.hold_box = QGroupBox()
        hl = QGridLayout(self.hold_box)
        can = hasattr(self.source, "hold")
        self.hold_label = QPushButton()
        self.hold_label.setObjectName("sim.hold.label")
        self.hold_label.clicked.connect(self.hold_parcel_label)
        self.hold_qr = QPushButton()
        self.hold_qr.setObjectName("sim.hold.qr")
        self.hold_qr.clicked.connect(self.hold_handheld_qr)
        self.hold_none = QPushButton()
        self.hold_none.setObjectName("sim.hold.none")
        self.hold_none.clicked.connect(self.take_away)
        for i, b in enumerate((self.hold_label, self.hold_qr, self.hold_none)):
            b.setEnabled(can)
            hl.addWidget(b, 0, i)
        self.hold_state = QLabel()
        self.hold_state.setObjectName("sim.hold.state")
        self.hold_state.setWordWrap(True)
        hl.addWidget(self.hold_state, 1, 0, 1, 3)
        self._holding: Callable[[], str] | None = None
        self.body.addWidget(self.hold_box)

    def _build_doors(self) -> None:
        self.doors_box = QGroupBox()
        grid = QGridLayout(self.doors_box)
        grid.setVerticalSpacing(2)
        grid.setHorizontalSpacing(6)
        boxes = self.kiosk.config.boxes
        half = (len(boxes) + 1) // 2  # two columns of boxes keep the panel short
        self.headers: list[QLabel] = []
        for col in ((0, 6) if len(boxes) > 1 else (0,)):
            for i in range(5):
                h = QLabel()
                h.setStyleSheet("font-weight: 700;")
                grid.addWidget(h, 0, col + i)
                self.headers.append(h)
        grid.setColumnMinimumWidth(5, 12)
        self.rows: dict[str, _DoorRow] = {}
        for i, box in enumerate(boxes):
            r = _DoorRow(self, grid, 1 + i % half, 0 if i < half else 6, box)
            r.toggle.setEnabled(self.sim is not None)
            r.item.setEnabled(self.sim is not None and box.ir)
            self.rows[box.no] = r
        self.body.addWidget(self.doors_box)

    def _build_handheld(self) -> None:
        self.handheld_box = QGroupBox()
        hl = QVBoxLayout(self.handheld_box)
        self.handheld = HandheldView()
        self.handheld.setMinimumHeight(200)
        row = QHBoxLayout()
        self.copy = QPushButton()
        self.copy.setObjectName("sim.handheld.copy")
        self.copy.clicked.connect(self.copy_password)
        self.copied = QLabel()
        row.addWidget(self.copy)
        row.addWidget(self.copied, 1)
        hl.addWidget(self.handheld)
        hl.addLayout(row)
        self.body.addWidget(self.handheld_box)

    # ---- texts ---------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Simulator — cabinet {id}").format(id=self.kiosk.config.cabinet_id))
        self.finger_box.setTitle(self.tr("Fingerprint sensor (emulated)"))
        self.finger_label.setText(self.tr("Finger number"))
        self.place.setText(self.tr("Place finger"))
        self.lift.setText(self.tr("Lift finger"))
        self.faults_box.setTitle(self.tr("Camera and device faults"))
        self.lock_fault_label.setText(self.tr("Lock board fault"))
        self.fp_fault_label.setText(self.tr("Fingerprint fault"))
        names = {"none": self.tr("none"), "no_reply": self.tr("no reply"), "bad_checksum": self.tr("bad checksum"),
                 "duplicate_address": self.tr("duplicate address"), "garbage": self.tr("garbage on the line"),
                 "silence": self.tr("silence"), "slow": self.tr("slow replies"),
                 "wrong_password": self.tr("wrong sensor password")}
        for combo in (self.lock_fault, self.fp_fault):
            for i in range(combo.count()):
                combo.setItemText(i, names[combo.itemData(i) or "none"])
        self.hold_box.setTitle(self.tr("In front of the camera"))
        self.hold_label.setText(self.tr("Hold a parcel label"))
        self.hold_qr.setText(self.tr("Hold the newest handheld QR"))
        self.hold_none.setText(self.tr("Take it away"))
        self._say_holding(self._holding)
        self.doors_box.setTitle(self.tr("Doors (your hands at the cabinet)"))
        heads = (self.tr("Box"), self.tr("Door"), self.tr("IR"), self.tr("Hand"), self.tr("Item"))
        for i, h in enumerate(self.headers):
            h.setText(heads[i % 5])
        for r in self.rows.values():
            r.item.setToolTip(self.tr("A parcel is inside") if r.has_ir else self.tr("This box has no IR sensor"))
        self.handheld_box.setTitle(self.tr("Courier handheld (simulated): messages from the cabinet"))
        self.copy.setText(self.tr("Copy newest password"))
        self.copied.clear()
        self._sensor_said(self._last)
        self.refresh()

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    def showEvent(self, e: QEvent) -> None:
        self._timer.start()
        self.refresh()
        super().showEvent(e)

    def hideEvent(self, e: QEvent) -> None:
        self._timer.stop()  # a closed panel reads nothing (and never touches a stopped kiosk)
        super().hideEvent(e)

    # ---- state read back from the kiosk ------------------------------------------------------------------

    def refresh(self) -> None:
        for box in self.rows:
            self._refresh_box(box)
        self._refresh_devices()

    def _bank(self) -> Any:
        locks = self.kiosk.locks
        return getattr(locks, "bank", None) if locks is not None else None

    def _refresh_box(self, box: str) -> None:
        r = self.rows.get(box)
        if r is None:
            return
        bank = self._bank()
        door = bank.is_door_open(box) if bank is not None else None
        item = bank.item_inside(box) if bank is not None and r.has_ir else None
        text = {True: self.tr("open"), False: self.tr("closed"), None: self.tr("unknown")}[door]
        if r.door.text() != text:
            r.door.setText(text)
        _role(r.door, None if door is None else not door)
        if not r.has_ir:
            text = self.tr("no IR")
        else:
            text = {True: self.tr("parcel"), False: self.tr("empty"), None: self.tr("unknown")}[item]
        if r.ir.text() != text:
            r.ir.setText(text)
        # The hand's toggle shows the physical door (the emulator), which the kiosk sees a poll later.
        physical = self._physical_door(box)
        if physical is not None:
            r.toggle.setChecked(physical)
            r.toggle.setText(self.tr("Close") if physical else self.tr("Open"))
        if r.has_ir and item is not None:
            pending = r._pending_item
            if pending is None or pending[0] == item or pending[1] < self._now():
                r._pending_item = None
                r.item.setChecked(item)

    def _physical_door(self, box: str) -> bool | None:
        if self.sim is None:
            return None
        b = self.kiosk.config.box(box)
        return self.sim.emulator.door_is_open(*board_lock(b.lock)) if b is not None else None

    def _refresh_devices(self) -> None:
        devices = dict(self.kiosk.devices)
        faults = getattr(self._bank(), "faults", None)
        if faults is not None and "lockboard" not in devices:  # the bank reports outages, not a first "ok"
            now = faults()
            devices["lockboard"] = (not now, "; ".join(now.values()))
        for label, name in ((self.camera_state, "camera"), (self.lock_state, "lockboard"),
                            (self.sensor_state, "fingerprint")):
            ok, msg = devices.get(name, (None, ""))
            text = {True: self.tr("ok"), False: self.tr("FAULT"), None: self.tr("no report yet")}[ok]
            text = f"{text}: {msg}" if msg and msg != "ok" else text
            if label.text() != text:
                label.setText(text)
            _role(label, ok)
        if self.source is not None and hasattr(self.source, "unplugged"):
            unplugged = bool(self.source.unplugged)
            self.camera.setChecked(unplugged)
            self.camera.setText(self.tr("Plug the camera in") if unplugged else self.tr("Unplug the camera"))
        elif not self.camera.isEnabled():
            self.camera.setText(self.tr("Camera cannot be unplugged"))

    def _sensor_said(self, text: Callable[[], str] | None) -> None:
        """What the sensor last did, kept as a callable so it follows a language change."""
        self._last = text
        self.sensor_last.setText(self.tr("Last: {what}").format(what=text()) if text is not None else "")

    @staticmethod
    def _now() -> float:
        return time.monotonic()

    # ---- the hands -----------------------------------------------------------------------------------

    def _place_finger(self) -> None:
        if self.sensor is not None:
            self._finger_on = self.finger_no.value()
            self.sensor.place_finger(self._finger_on)
            n = self._finger_on
            self._sensor_said(lambda: self.tr("finger {n} on the sensor").format(n=n))

    def _lift_finger(self) -> None:
        if self.sensor is not None:
            self._finger_on = None
            self.sensor.lift_finger()
            self._sensor_said(lambda: self.tr("finger lifted"))

    def _hand_on_door(self, box: str) -> None:
        """Push the door the other way from where it physically is (the toggle may lag a poll behind)."""
        if self.sim is None:
            return
        if not self._physical_door(box):
            self.sim.open_door(box)
        else:
            self.sim.close_door(box)
        self._refresh_box(box)

    def _put_item(self, box: str, inside: bool) -> None:
        if self.sim is None:
            return
        self.sim.put_item(box, inside)
        self.rows[box]._pending_item = (inside, self._now() + 3.0)  # until the bank reads it back

    def _camera_clicked(self, unplug: bool) -> None:
        if hasattr(self.source, "set_unplugged"):
            self.source.set_unplugged(unplug)
        self._refresh_devices()

    def _say_holding(self, text: Callable[[], str] | None) -> None:
        """What is in front of the camera, kept as a callable so it follows a language change."""
        self._holding = text
        if text is not None:
            self.hold_state.setText(text())
        elif hasattr(self.source, "hold"):
            self.hold_state.setText(self.tr("Nothing is held to the camera."))
        else:
            self.hold_state.setText(self.tr("Only the synthetic camera can be shown a code."))

    def hold_parcel_label(self) -> str | None:
        """Hold a Code 128 label of a new made-up tracking number to the camera (and return the number)."""
        if not hasattr(self.source, "hold"):
            return None
        tracking = "SF" + "".join(secrets.choice("0123456789") for _ in range(10))
        self.source.hold(labels.code128(tracking, module_px=3))
        self._say_holding(lambda: self.tr("Holding a parcel label: {tracking}").format(tracking=tracking))
        return tracking

    def hold_handheld_qr(self) -> str | None:
        """Hold the pickup QR of the newest handheld message that has one (and return its box)."""
        if not hasattr(self.source, "hold"):
            return None
        newest = next((m for m in reversed(self.kiosk.messages) if m.get("qr")), None)
        if newest is None:
            self._say_holding(lambda: self.tr("No handheld message with a QR code has arrived yet."))
            return None
        self.source.hold(labels.qr(str(newest["qr"]), module_px=6))
        box = str(newest.get("box", "?"))
        self._say_holding(lambda: self.tr("Holding the handheld's QR code for box {box}").format(box=box))
        return box

    def take_away(self) -> None:
        if hasattr(self.source, "hold"):
            self.source.hold(None)
        self._say_holding(None)

    def _lock_fault_chosen(self, index: int) -> None:
        if self.sim is not None:
            self.sim.emulator.set_fault(self.lock_fault.itemData(index))

    def _fp_fault_chosen(self, index: int) -> None:
        if self.sensor is not None:
            self.sensor.set_fault(self.fp_fault.itemData(index))

    def copy_password(self) -> str | None:
        """Put the newest password on the clipboard (and return it)."""
        p = self.handheld.newest_password()
        if p is None:
            self.copied.setText(self.tr("No password has arrived yet."))
            return None
        QGuiApplication.clipboard().setText(str(p["password"]))
        self.copied.setText(self.tr("Copied the password for box {box}.").format(box=p.get("box", "?")))
        return str(p["password"])
