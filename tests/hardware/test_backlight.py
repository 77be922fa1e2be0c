"""The backlight through a fake sysfs directory: the same two files the kernel exposes."""

from __future__ import annotations

import logging
from pathlib import Path

from hardware.backlight import Backlight, open_backlight


def device(root: Path, name: str, level: int = 200, top: int = 200) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "max_brightness").write_text(f"{top}\n")
    (d / "brightness").write_text(f"{level}\n")
    return d


def level(d: Path) -> int:
    return int((d / "brightness").read_text())


def test_auto_picks_the_first_device_by_name(tmp_path):
    device(tmp_path, "rpi_backlight")
    device(tmp_path, "intel_backlight")
    bl = open_backlight("auto", tmp_path)
    assert bl is not None and bl.path.name == "intel_backlight"


def test_none_no_device_or_a_wrong_path_means_no_backlight(tmp_path):
    device(tmp_path, "panel")
    assert open_backlight("none", tmp_path) is None
    assert open_backlight("auto", tmp_path / "empty") is None  # no /sys/class/backlight at all
    assert open_backlight(str(tmp_path / "missing"), tmp_path) is None
    assert open_backlight(str(tmp_path / "panel"), tmp_path).path == tmp_path / "panel"


def test_percent_of_the_maximum_read_and_restore(tmp_path):
    d = device(tmp_path, "panel", level=180, top=255)
    bl = Backlight(d)
    assert bl.read() == 180
    assert bl.set_percent(30)
    assert level(d) == round(255 * 0.3)
    assert bl.set_percent(0) and level(d) == 1  # never fully dark: a black panel looks broken
    assert bl.write(999) and level(d) == 255  # clamped to the maximum
    assert bl.write(180) and level(d) == 180


def test_a_refused_write_is_one_log_line_not_an_exception(tmp_path, caplog):
    d = device(tmp_path, "panel")
    (d / "brightness").unlink()
    (d / "brightness").mkdir()  # writing to it fails as a read-only sysfs file would
    bl = Backlight(d)
    with caplog.at_level(logging.WARNING, logger="hardware.backlight"):
        assert bl.set_percent(30) is False
        assert bl.set_percent(30) is False
        assert bl.read() is None
    assert len([r for r in caplog.records if r.name == "hardware.backlight"]) == 1
