"""The tabs of the maintainer screen: devices, boxes, couriers, log, lockouts, system.

Why compact tables: a maintainer wants the whole cabinet at a glance, on a 7" 800x480 panel too, so every
list is a small-type table that scrolls by dragging, while every button in it keeps the full touch size.
Each tab re-reads its state from the service (never SQL) in ``refresh()``: when shown, every second while the
boxes or lockouts are shown, and when a door moves. Every call that may fail shows its reason on the screen.
"""

from __future__ import annotations

import json
import platform
import shutil
from datetime import datetime
from typing import TYPE_CHECKING, Any

import PySide6
from PySide6.QtCore import QEvent, Qt, qVersion
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QScroller,
                               QSizePolicy, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

import kiosk
from kiosk.model import KioskError

from .chain_check import ChainCheck
from .maintainer import TapField
from .widgets import button, wipe

if TYPE_CHECKING:
    from .maintainer import MaintScreen

LOW_DISK_BYTES = 500 * 1024 * 1024


def stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%m-%d %H:%M:%S")


def make_table(name: str, columns: int, stretch: int, row_height: int = 0) -> QTableWidget:
    t = QTableWidget(0, columns)
    t.setObjectName(name)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    t.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    t.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    t.setWordWrap(True)
    t.verticalHeader().hide()
    if row_height:
        t.verticalHeader().setDefaultSectionSize(row_height)
    h = t.horizontalHeader()
    h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    h.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    QScroller.grabGesture(t.viewport(), QScroller.ScrollerGestureType.TouchGesture)
    return t


WARN = QColor("#ffdf5d")  # the theme's error yellow: an open door, a fault (always with words too)


def set_cell(t: QTableWidget, row: int, col: int, text: str, warn: bool = False) -> None:
    item = t.item(row, col)
    if item is None:
        item = QTableWidgetItem(text)
        t.setItem(row, col, item)
    elif item.text() != text:
        item.setText(text)
    if item.data(Qt.ItemDataRole.UserRole) != warn:
        item.setData(Qt.ItemDataRole.UserRole, warn)
        item.setForeground(WARN if warn else QBrush())
        font = item.font()
        font.setBold(warn)
        item.setFont(font)


def clear_rows(t: QTableWidget) -> None:
    """Drop every row and take its buttons out of the widget tree at once (names stay unique)."""
    for r in range(t.rowCount()):
        for c in range(t.columnCount()):
            w = t.cellWidget(r, c)
            if w is not None:
                t.removeCellWidget(r, c)
                w.setParent(None)
    t.setRowCount(0)


def fixed_width(w: QWidget) -> QWidget:
    w.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
    return w


def cell_buttons(*buttons: QWidget) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(2, 2, 2, 2)
    lay.setSpacing(6)
    for b in buttons:
        lay.addWidget(b)
    return w


class MaintTab(QWidget):
    """What every tab has: the screen it reports to, the service, texts re-read on language change."""

    def __init__(self, screen: "MaintScreen") -> None:
        super().__init__()
        self.screen = screen
        self.kiosk = screen.kiosk
        self.service = screen.kiosk.service
        self.touch = screen.app.metrics["touch"]
        self.lay = QVBoxLayout(self)
        m = screen.app.metrics["pad"] // 2
        self.lay.setContentsMargins(m, m, m, m)
        self.lay.setSpacing(m)
        self.build()
        self.retranslate()

    def build(self) -> None: ...

    def retranslate(self) -> None: ...

    def refresh(self) -> None: ...

    def refresh_if_shown(self) -> None:
        """After a language change: hidden tabs re-read when they are shown (the service may be closed)."""
        if self.isVisible():
            self.refresh()

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    def row(self, *widgets: QWidget, stretch_first: bool = False) -> QHBoxLayout:
        r = QHBoxLayout()
        for i, w in enumerate(widgets):
            r.addWidget(w, 1 if (stretch_first and i == 0) else 0)
        self.lay.addLayout(r)
        return r


def label(name: str = "hint", wrap: bool = True) -> QLabel:
    lb = QLabel()
    lb.setObjectName(name)
    lb.setWordWrap(wrap)
    return lb


# ---- devices -------------------------------------------------------------------------------------------


class DevicesTab(MaintTab):
    """Each device with its state and last report, and the alarms since start, newest first."""

    def build(self) -> None:
        pair = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        self.table = make_table("maint.devices", 3, 2)
        self.checked = label()
        left.addWidget(self.table, 1)
        left.addWidget(self.checked)
        self.alarm_table = make_table("maint.alarms", 2, 1)
        self.selftest = button("", "maint.selftest", "primary", lambda: self.run_checks(quiet=False))
        right.addWidget(self.alarm_table, 1)
        right.addWidget(self.selftest)
        pair.addLayout(left, 3)
        pair.addLayout(right, 2)
        self.lay.addLayout(pair, 1)
        self.checks: dict[str, Any] = {}
        self.checked_at: float | None = None
        self.chain = ChainCheck(self.service.store.path)
        self.chain.signals.checked.connect(lambda v, schema: self._chain_done((v, schema)))
        self.chain.signals.failed.connect(self._chain_done)

    def retranslate(self) -> None:
        self.selftest.setText(self.tr("Check again"))
        self.table.setHorizontalHeaderLabels([self.tr("Device"), self.tr("State"), self.tr("Last report")])
        self.alarm_table.setHorizontalHeaderLabels([self.tr("Time"), self.tr("Alarm")])
        self.names = {"lockboard": self.tr("Lock board"), "fingerprint": self.tr("Fingerprint sensor"),
                      "camera": self.tr("Camera"), "database": self.tr("Database"), "disk": self.tr("Disk"),
                      "door": self.tr("Door sensors"), "recorder": self.tr("Video recorder"),
                      "broker": self.tr("Fleet broker (MQTT)")}
        self.refresh_if_shown()

    def run_checks(self, quiet: bool) -> None:
        """What can be re-read without blocking: the disk, the lock board's fault list; the audit chain is walked
        on a thread of its own (ui/chain_check.py) and its row says so until the walk ends."""
        if self.chain.start():
            self.checks["database"] = None
        try:
            self.checks["disk"] = shutil.disk_usage(self.kiosk.config.data_dir)
        except OSError as e:
            self.checks["disk"] = e
        bank = self.kiosk.locks.bank if self.kiosk.locks is not None else None
        faults = getattr(bank, "faults", None)
        self.checks["lockboard"] = faults() if faults is not None else None
        self.checked_at = self.service.clock.now()
        self.refresh()
        if not quiet:
            self.screen.say(self.tr("Checked again at {time}.").format(time=stamp(self.checked_at)[6:]))

    def _chain_done(self, outcome: tuple | str) -> None:
        self.checks["database"] = outcome
        self.refresh_if_shown()

    def rows(self) -> list[tuple[str, bool | None, str]]:
        """(device, ok? (None: not configured / no report yet), detail)."""
        k, out = self.kiosk, []
        devices = dict(k.devices)
        faults = self.checks.get("lockboard")
        if k.locks is None:
            out.append(("lockboard", None, self.tr("not configured")))
        elif faults:
            out.append(("lockboard", False, "; ".join(str(m) for m in faults.values())))
        else:
            ok, msg = devices.get("lockboard", (True, ""))
            out.append(("lockboard", ok, msg if msg and msg != "ok" else self.tr("all boards answer")))
        for dev, present in (("fingerprint", k.fingerprint is not None), ("camera", k.camera is not None)):
            if not present:
                out.append((dev, None, self.tr("not configured")))
            elif dev in devices:
                out.append((dev, *devices[dev]))
            else:
                out.append((dev, None, self.tr("no report yet")))
        db = self.checks.get("database")
        if isinstance(db, tuple):
            v, schema = db
            text = (self.tr("log chain OK: {n} events · schema {v}").format(n=v.count, v=schema) if v.ok
                    else self.tr("log chain BROKEN at event {id}: {problem}").format(id=v.bad_id, problem=v.problem))
            out.append(("database", v.ok, text))
        elif db is not None:
            out.append(("database", False, str(db)))
        elif self.chain.busy():
            out.append(("database", None, self.tr("checking the log chain…")))
        disk = self.checks.get("disk")
        if isinstance(disk, OSError):
            out.append(("disk", False, str(disk)))
        elif disk is not None:
            low = disk.free < LOW_DISK_BYTES or disk.free < disk.total * 0.05
            out.append(("disk", not low, self.tr("{free:.1f} GB free of {total:.1f} GB").format(
                free=disk.free / 1e9, total=disk.total / 1e9)))
        for dev, (ok, msg) in devices.items():
            if dev not in ("lockboard", "fingerprint", "camera"):
                out.append((dev, ok, msg))
        return out

    def refresh(self) -> None:
        rows = self.rows()
        self.table.setRowCount(len(rows))
        for r, (dev, ok, detail) in enumerate(rows):
            set_cell(self.table, r, 0, self.names.get(dev, dev))
            set_cell(self.table, r, 1, self.tr("OK") if ok else self.tr("FAULT") if ok is False else "—",
                     warn=ok is False)
            set_cell(self.table, r, 2, detail)
        alarms = list(reversed(self.screen.flow.alarms))
        self.alarm_table.setRowCount(max(1, len(alarms)))
        if not alarms:
            set_cell(self.alarm_table, 0, 0, "")
            set_cell(self.alarm_table, 0, 1, self.tr("No alarms since the kiosk started."))
        for r, (ts, kind, line) in enumerate(alarms):
            set_cell(self.alarm_table, r, 0, stamp(ts)[6:])
            set_cell(self.alarm_table, r, 1, self.alarm_text(kind, line))
        self.table.resizeRowsToContents()
        self.alarm_table.resizeRowsToContents()
        when = stamp(self.checked_at)[6:] if self.checked_at else "—"
        faults = sum(1 for _d, ok, _t in rows if ok is False)
        self.checked.setText(self.tr("{n} devices in fault · checked {time}").format(n=faults, time=when) if faults
                             else self.tr("All devices OK · checked {time}").format(time=when))

    def alarm_text(self, kind: str, line: str) -> str:
        if kind == "tamper":
            return self.tr("Box {box}: door opened without a command").format(box=line)
        if kind == "open_not_detected":
            return self.tr("Box {box}: door did not open after the unlock").format(box=line)
        if kind == "door_open_at_start":
            return self.tr("Box {box}: door found open at start, with no deposit or pickup on it").format(box=line)
        if kind == "fault":
            return self.tr("Fault: {line}").format(line=line)
        return f"{kind}: {line}"


# ---- log -----------------------------------------------------------------------------------------------


class LogTab(MaintTab):
    """The audit log, newest first, optionally one tracking number's; and the hash-chain check."""

    def build(self) -> None:
        self.filter = TapField("maint.log.filter", self._type, 40)
        self.search = button("", "maint.log.search", "primary", self._search)
        self.show_all = button("", "maint.log.all", "", self._all)
        self.verify = button("", "maint.log.verify", "", self._verify)
        for b in (self.search, self.show_all, self.verify):
            fixed_width(b)
        self.row(self.filter, self.search, self.show_all, self.verify, stretch_first=True)
        self.stack = QStackedWidget()
        self.table = make_table("maint.log.table", 6, 5)
        self.table.cellClicked.connect(self._detail)
        self.key_page = QWidget()
        self.key_layout = QVBoxLayout(self.key_page)
        self.key_layout.setContentsMargins(0, 0, 0, 0)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.key_page)
        self.lay.addWidget(self.stack, 1)
        self.info = label("maint.log.info")
        self.lay.addWidget(self.info)
        self.events: list = []
        self.chain = ChainCheck(self.service.store.path)
        self.chain.signals.checked.connect(self._verified)
        self.chain.signals.failed.connect(self._verify_failed)
        self.screen.keys.kbd.done.connect(self._keyboard_done)

    def retranslate(self) -> None:
        self.filter.setPlaceholderText(self.tr("Tracking number"))
        self.search.setText(self.tr("Search"))
        self.show_all.setText(self.tr("All"))
        self.verify.setText(self.tr("Verify"))
        self.table.setHorizontalHeaderLabels([self.tr("Time"), self.tr("Event"), self.tr("By"), self.tr("Box"),
                                              self.tr("Tracking"), self.tr("Details")])

    def refresh(self) -> None:
        tracking = self.filter.text().strip()
        try:
            self.events = self.service.events(tracking or None, limit=200)
        except KioskError as e:
            self.screen.fail(self.tr("The log could not be read"), e)
            return
        self.table.setRowCount(len(self.events))
        for r, ev in enumerate(self.events):
            for c, text in enumerate((stamp(ev.ts), ev.kind, ev.actor, ev.box_no or "", ev.tracking or "",
                                      json.dumps(ev.data, ensure_ascii=False, separators=(", ", ": "))[1:-1])):
                set_cell(self.table, r, c, text)
        if tracking and not self.events:
            self.info.setText(self.tr("No events for {tracking}. Check the number, or tap All.").format(
                tracking=tracking.upper()))
        elif tracking:
            self.info.setText(self.tr("{n} events for {tracking}.").format(n=len(self.events),
                                                                          tracking=tracking.upper()))
        else:
            self.info.setText(self.tr("The latest {n} events. Tap a row to read it whole.").format(n=len(self.events)))

    def _type(self, field: QLineEdit) -> None:
        self.screen.keys.place(self.key_layout)
        self.screen.keys.edit(field)
        self.stack.setCurrentWidget(self.key_page)
        self.info.hide()  # the keyboard needs the room
        self.screen.focus(True)

    def close_keys(self) -> None:
        self.stack.setCurrentWidget(self.table)
        self.info.show()
        self.screen.focus(False)

    def _keyboard_done(self) -> None:
        if self.stack.currentWidget() is self.key_page:
            self._search()

    def _search(self) -> None:
        self.close_keys()
        self.refresh()

    def _all(self) -> None:
        wipe(self.filter)
        self._search()

    def _verify(self) -> None:
        """Returns at once: the walk runs on its own thread (ui/chain_check.py); the button waits for it."""
        if self.chain.start():
            self.verify.setEnabled(False)
            self.screen.say(self.tr("Checking the audit chain…"))

    def _verify_failed(self, line: str) -> None:
        self.verify.setEnabled(True)
        self.screen.say(self.tr("{what}: {why}").format(what=self.tr("The log could not be checked"), why=line),
                        error=True)

    def _verified(self, v: Any, _schema: int) -> None:
        self.verify.setEnabled(True)
        if v.ok:
            self.screen.say(self.tr("Audit chain OK: {n} events").format(n=v.count))
        else:
            self.screen.say(self.tr("BROKEN at event {id}: {problem}").format(id=v.bad_id, problem=v.problem),
                            error=True)

    def _detail(self, row: int, _col: int) -> None:
        if 0 <= row < len(self.events):
            ev = self.events[row]
            self.info.setText(f"#{ev.id} {stamp(ev.ts)} {ev.kind} · {ev.actor} · {ev.box_no or ''} "
                              f"{ev.tracking or ''} {json.dumps(ev.data, ensure_ascii=False)}")


# ---- lockouts ------------------------------------------------------------------------------------------


class LockoutsTab(MaintTab):
    """Boxes locked after wrong passwords, with the time left; clearing one sends the courier a new password."""

    def build(self) -> None:
        self.note = label()
        self.lay.addWidget(self.note)
        self.table = make_table("maint.lockouts", 5, 1, self.touch + 6)
        self.lay.addWidget(self.table, 1)
        self.shown: list[str] = []

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([self.tr("Box"), self.tr("Tracking"), self.tr("Courier"),
                                              self.tr("Time left"), ""])
        self.shown = []  # rebuild the buttons with the new language
        self.refresh_if_shown()

    def refresh(self) -> None:
        try:
            lockouts = self.service.lockouts()
        except KioskError as e:
            self.screen.fail(self.tr("The lockouts could not be read"), e)
            return
        boxes = [lo.box_no for lo in lockouts]
        if boxes != self.shown:
            clear_rows(self.table)
            self.table.setRowCount(len(lockouts))
            for r, lo in enumerate(lockouts):
                b = button(self.tr("Clear"), f"maint.lockout.{lo.box_no}.clear", "primary",
                           lambda _c=False, no=lo.box_no: self._clear(no))
                self.table.setCellWidget(r, 4, cell_buttons(b))
            self.shown = boxes
        now = self.service.clock.now()
        for r, lo in enumerate(lockouts):
            left = max(0, int(lo.until - now))
            for c, text in enumerate((lo.box_no, lo.tracking, lo.courier_no, f"{left // 60:02d}:{left % 60:02d}")):
                set_cell(self.table, r, c, text)
        self.note.setText(self.tr("No box is locked.") if not lockouts else self.tr(
            "Clearing a lockout sends the courier a new password for the parcel at once."))

    def _clear(self, no: str) -> None:
        try:
            self.service.clear_lockout("maintainer", no)
        except KioskError as e:
            self.screen.fail(self.tr("The lockout of box {box} could not be cleared").format(box=no), e)
            self.refresh()
            return
        self.kiosk.deliver()
        self.screen.say(self.tr("Box {box} is unlocked; a new password went to the courier.").format(box=no))
        self.refresh()


# ---- system --------------------------------------------------------------------------------------------


class SystemTab(MaintTab):
    """Versions, where the data is, how much room is left, and whether messages are waiting to go out."""

    def build(self) -> None:
        self.table = make_table("maint.system", 2, 1)
        self.table.horizontalHeader().hide()
        self.lay.addWidget(self.table, 1)

    def retranslate(self) -> None:
        self.refresh_if_shown()

    def refresh(self) -> None:
        cfg = self.kiosk.config
        rows: list[tuple[str, str]] = []
        try:
            counts = self.service.outbox_counts()
            rows.append((self.tr("Messages to couriers"), self.tr("{pending} waiting, {sent} sent").format(**counts)))
            rows.append((self.tr("Database schema version"), str(self.service.store.version)))
        except KioskError as e:
            rows.append((self.tr("Database"), str(e)))
        try:
            du = shutil.disk_usage(cfg.data_dir)
            rows.append((self.tr("Disk space"), self.tr("{free:.1f} GB free of {total:.1f} GB").format(
                free=du.free / 1e9, total=du.total / 1e9)))
        except OSError as e:
            rows.append((self.tr("Disk space"), str(e)))
        rows += [(self.tr("App version"), kiosk.__version__),
                 (self.tr("Cabinet"), f"{cfg.cabinet_id} · {cfg.site}"),
                 (self.tr("Data folder"), str(cfg.data_dir)),
                 (self.tr("Python / Qt"), f"{platform.python_version()} / Qt {qVersion()} (PySide6 "
                                          f"{PySide6.__version__})")]
        self.table.setRowCount(len(rows))
        for r, (k, v) in enumerate(rows):
            set_cell(self.table, r, 0, k)
            set_cell(self.table, r, 1, v)
        self.table.resizeRowsToContents()

