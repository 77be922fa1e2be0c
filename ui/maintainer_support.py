"""The support tab of the maintainer screen: export a support bundle onto a USB stick.

Why it is built this way: the maintainer at a misbehaving cabinet has a USB stick, not a laptop. The tab lists
the writable sticks the config's ``support.usb_globs`` find (Refresh after plugging one in), and one button
writes the bundle (``kiosk/support.py``: logs, the configuration without secrets, the device checks, the audit
chain check and recent events without customer data) on a plain worker thread, because a stick can take
seconds to write and the chain check grows with the log; the thread posts its steps and its one outcome back
through a ``DeviceSignals`` face on the GUI thread (hardware/qt_bridge). The export is entered in the audit log
(``support_exported``: which file, its size and SHA-256, where to) once the file is complete.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QSizePolicy

from hardware.qt_bridge import DeviceSignals
from kiosk import support
from kiosk.clips import file_sha256
from kiosk.model import KioskError

from .maintainer import ERROR_COLOUR, OK_COLOUR
from .maintainer_tabs import MaintTab, fixed_width, label, make_table, set_cell
from .widgets import button

log = logging.getLogger(__name__)
COMPACT_HEIGHT = 600  # below this the note is one short line, and the result line takes its place


def size_text(n: int) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.1f} GB"
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(1, round(n / 1024))} KB"


class ExportSignals(DeviceSignals):
    # A step of the export started: its name (kiosk.support.STEPS).
    step = Signal(str)
    # The bundle is complete: its path (Path), size in bytes, SHA-256 (hex).
    exported = Signal(object, int, str)
    # The export failed: the reason code (kiosk.support.SupportError.reason) and one English line.
    failed = Signal(str, str)


class SupportTab(MaintTab):
    """USB targets, Refresh and Export, and one line that says what happened."""

    def build(self) -> None:
        self.compact = self.screen.app.size[1] < COMPACT_HEIGHT  # 480 px: a short note, and see _say
        self.note = label()
        self.lay.addWidget(self.note)
        self.table = make_table("maint.support.targets", 2, 0, self.touch)
        self.refresh_button = button("", "maint.support.refresh", "", self.refresh)
        self.export = button("", "maint.support.export", "primary", self.start_export)
        for b in (self.export, self.refresh_button):  # touch height, not more: the list gets the room
            b.setSizePolicy(b.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Fixed)
        self.lay.addWidget(self.table, 1)
        self.row(self.export, fixed_width(self.refresh_button), stretch_first=True)
        self.result = label("maint.support.result")
        self.lay.addWidget(self.result)
        self.targets: list[Path] = []
        self.signals = ExportSignals()
        self.signals.step.connect(self._step)
        self.signals.exported.connect(self._exported)
        self.signals.failed.connect(self._failed)
        self.worker: threading.Thread | None = None
        self._target: Path | None = None

    def retranslate(self) -> None:
        self.note.setText(self.tr("Logs, settings without secrets, device checks; no customer data.") if self.compact
                          else self.tr("The support bundle holds the logs, the configuration without its secrets, "
                                       "the device checks and the latest events without customer data. Insert a USB "
                                       "stick, choose it below and tap Export."))
        self.table.setHorizontalHeaderLabels([self.tr("USB stick"), self.tr("Free space")])
        self.refresh_button.setText(self.tr("Refresh"))
        self.export.setText(self.tr("Export support bundle"))
        self.steps = {"config": self.tr("configuration"), "versions": self.tr("versions"),
                      "audit": self.tr("checking the audit log"), "state": self.tr("device and disk state"),
                      "selftest": self.tr("device checks"), "logs": self.tr("logs"),
                      "journal": self.tr("system journal"), "write": self.tr("writing to the stick")}
        self.refresh_if_shown()

    # ---- targets -----------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Look for sticks again (a glob and a stat per match: quick, so on the GUI thread)."""
        cfg = self.kiosk.config.support
        chosen = self.chosen()
        self.targets = support.find_usb(cfg.usb_globs, require_mount=cfg.require_mount)
        self.table.setRowCount(max(1, len(self.targets)))
        if not self.targets:
            set_cell(self.table, 0, 0, self.tr("No USB stick found. Insert one and tap Refresh."), warn=True)
            set_cell(self.table, 0, 1, "")
        for r, p in enumerate(self.targets):
            set_cell(self.table, r, 0, str(p))
            try:
                set_cell(self.table, r, 1, self.tr("{size} free").format(size=size_text(shutil.disk_usage(p).free)))
            except OSError as e:
                set_cell(self.table, r, 1, e.strerror or str(e), warn=True)
        if self.targets:
            self.table.selectRow(self.targets.index(chosen) if chosen in self.targets else 0)
        else:
            self.table.clearSelection()
        self._enable()

    def chosen(self) -> Path | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if rows and 0 <= rows[0].row() < len(self.targets):
            return self.targets[rows[0].row()]
        return None

    def busy(self) -> bool:
        return self.worker is not None and self.worker.is_alive()

    def _enable(self) -> None:
        self.export.setEnabled(bool(self.targets) and not self.busy())
        self.refresh_button.setEnabled(not self.busy())

    # ---- export ------------------------------------------------------------------------------------------

    def start_export(self) -> None:
        """Returns at once: the bundle is written on a worker thread; the outcome arrives as a signal."""
        target = self.chosen()
        if target is None or self.busy():
            return
        cfg = self.kiosk.config
        devices = dict(self.kiosk.devices)  # snapshots taken here, on the GUI thread that owns them
        checks = self._device_checks()
        self._target = target
        self._say(self.tr("Writing the support bundle to {dir}…").format(dir=target))
        self.worker = threading.Thread(target=self._work, args=(cfg, target, devices, checks),
                                       name="support-bundle", daemon=True)
        self.worker.start()
        self._enable()

    def _device_checks(self) -> str:
        """The Devices tab's table as text: the running kiosk holds the devices, so no selftest opens them."""
        lines = ["live device checks of the running kiosk (Devices tab)"]
        try:
            for dev, ok, detail in self.screen.devices.rows():
                lines.append(f"{dev:<12} {'ok' if ok else 'FAULT' if ok is False else '-':<6} {detail}")
        except KioskError as e:
            lines.append(f"could not be read: {e}")
        return "\n".join(lines)

    def _work(self, cfg: Any, target: Path, devices: dict, checks: str) -> None:
        """Worker thread: write, measure, post the one outcome."""
        post = self.signals.post
        try:
            path = support.write_bundle(cfg, target, selftest=lambda: checks, devices=devices,
                                        on_step=lambda s: post("step", s))
            post("exported", path, path.stat().st_size, file_sha256(path))
        except support.SupportError as e:
            post("failed", e.reason, str(e))
        except Exception as e:  # any surprise still ends the export with a line on the screen
            log.exception("support bundle failed")
            post("failed", "other", f"{type(e).__name__}: {e}")

    def wait(self, timeout: float = 30.0) -> None:
        """Join the worker (shutdown, tests)."""
        if self.worker is not None:
            self.worker.join(timeout)

    def _step(self, name: str) -> None:
        if self.busy() and self._target is not None:
            self._say(self.tr("Writing the support bundle to {dir}: {step}…").format(
                dir=self._target, step=self.steps.get(name, name)))

    def _exported(self, path: Path, size: int, sha256: str) -> None:
        self.wait(5.0)
        text = self.tr("Saved {file} ({size}) to {dir}").format(file=path.name, size=size_text(size), dir=path.parent)
        try:
            self.service.support_exported(path, size, sha256)
        except Exception as e:  # the file is there; say that the log entry is missing
            log.error("support_exported not logged: %s", e)
            text += "\n" + self.tr("The export could not be entered in the audit log: {error}").format(error=str(e))
        self._say(text, OK_COLOUR)
        self.refresh()

    def _failed(self, reason: str, line: str) -> None:
        self.wait(5.0)
        target = self._target or ""
        why = {"full": self.tr("the USB stick is full."),
               "read_only": self.tr("the USB stick is read-only (check its write-protect switch)."),
               "permission": self.tr("the kiosk may not write to this folder."),
               "gone": self.tr("the USB stick was removed. Insert it again and tap Refresh."),
               "not_dir": self.tr("the USB stick was removed. Insert it again and tap Refresh.")}.get(reason)
        self._say(self.tr("Nothing was saved to {dir}: {why}").format(dir=target, why=why or line), ERROR_COLOUR)
        self.refresh()

    def _say(self, text: str, colour: str = "") -> None:
        """The result line; on a 480 px panel it takes the note's place, so the list keeps a whole row."""
        self.result.setStyleSheet(f"color: {colour}; font-weight: 700;" if colour else "")
        self.result.setText(text)
        self.note.setVisible(not (self.compact and text))
