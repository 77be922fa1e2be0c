"""The maintainer's support tab through the real app: a bundle exported onto a "USB stick" folder.

The stick is a folder under tmp_path matched by a glob edited into the cabinet's config (``require_mount =
false``, since a test cannot mount one). The export must return at once (the result arrives by signal), write a
real zip without the maintainer PIN hash, show what it saved, and enter ``support_exported`` in the audit log.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from PySide6.QtWidgets import QLabel, QPushButton, QTableWidget

from tests.ui.conftest import Harness
from tests.ui.test_maintainer import login_ok

GLOBS = 'usb_globs = ["/media/*/*", "/run/media/*/*", "/mnt/usb*"]'


def stick_harness(qtbot, tmp_path: Path, **kw) -> tuple[Harness, Path]:
    stick = tmp_path / "media" / "kiosk" / "STICK"
    stick.mkdir(parents=True)
    edits = {GLOBS: f'usb_globs = ["{tmp_path}/media/*/*"]\nrequire_mount = false'}
    return Harness(qtbot, tmp_path, edits=edits, **kw), stick


def open_support(h: Harness):
    login_ok(h)
    screen = h.window.screens["maint"]
    screen.tabs.setCurrentWidget(screen.support)
    h.qtbot.waitUntil(lambda: h.shown("maint.support.export", QPushButton), timeout=3000)
    return screen.support


def result(h: Harness) -> str:
    return h.find("maint.support.result", QLabel).text()


def test_export_to_the_stick_returns_at_once_and_logs_the_export(qtbot, tmp_path):
    h, stick = stick_harness(qtbot, tmp_path)
    try:
        tab = open_support(h)
        targets = h.find("maint.support.targets", QTableWidget)
        assert targets.rowCount() == 1 and targets.item(0, 0).text() == str(stick)
        assert "free" in targets.item(0, 1).text()
        h.tap("maint.support.export")
        # The tap returned before the bundle was done: the outcome is only delivered by the event loop.
        assert result(h).startswith(f"Writing the support bundle to {stick}")
        assert not h.find("maint.support.export", QPushButton).isEnabled()
        qtbot.waitUntil(lambda: result(h).startswith("Saved"), timeout=20000)
        zips = list(stick.glob("support-SZ-NS-0042-*.zip"))
        assert len(zips) == 1 and not list(stick.glob(".*part"))
        z = zips[0]
        size_mb = f"{z.stat().st_size / 2**20:.1f} MB" if z.stat().st_size >= 2**20 else "KB"
        assert result(h).startswith(f"Saved {z.name} (") and size_mb in result(h) and result(h).endswith(str(stick))
        with zipfile.ZipFile(z) as bundle:
            assert bundle.testzip() is None
            pin_hash = h.kiosk.config.ui.maintainer_pin_hash.encode()
            assert all(pin_hash not in bundle.read(n) for n in bundle.namelist())
            assert b"live device checks" in bundle.read("selftest.txt")
        ev = h.service.events(limit=1)[0]
        assert ev.kind == "support_exported" and ev.actor == "maintainer"
        assert ev.data["file"] == z.name and ev.data["size"] == z.stat().st_size and ev.data["dir"] == str(stick)
        assert h.service.verify_log().ok
        assert h.find("maint.support.export", QPushButton).isEnabled() and not tab.busy()
        h.shot("maint_support_saved_1280_en")
    finally:
        h.stop()


def test_stick_pulled_out_and_no_stick_in_chinese_on_the_small_panel(qtbot, tmp_path):
    h, stick = stick_harness(qtbot, tmp_path, width=800, height=480, language="zh")
    try:
        h.kiosk.set_language("zh")
        tab = open_support(h)
        export = h.find("maint.support.export", QPushButton)
        assert export.text() == "导出支持包"
        corner = export.mapTo(h.window, export.rect().bottomRight())
        assert h.window.rect().contains(corner), "the export button is cut off on the 800x480 panel"
        h.shot("maint_support_ready_800_zh")
        shutil.rmtree(stick)  # pulled out after the list was read
        h.tap("maint.support.export")
        qtbot.waitUntil(lambda: result(h).startswith("未保存到"), timeout=20000)
        assert result(h) == f"未保存到 {stick}：U 盘已被拔出。请重新插入并点击刷新。" and not tab.busy()
        assert not list((tmp_path / "media").rglob("*.zip*"))
        assert all(e.kind != "support_exported" for e in h.service.events(limit=20))
        # The list was read again: no stick now, so nothing to export to.
        targets = h.find("maint.support.targets", QTableWidget)
        assert targets.rowCount() == 1 and targets.item(0, 0).text() == "未找到 U 盘。请插入 U 盘后点击刷新。"
        assert not export.isEnabled()
        h.shot("maint_support_pulled_800_zh")
    finally:
        h.stop()
