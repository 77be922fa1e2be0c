"""The panel's backlight through Linux sysfs: /sys/class/backlight/<device>/brightness and max_brightness.

Why sysfs and not a library: every panel driver the cabinets use (rpi_backlight on the Pi's DSI display,
intel_backlight and acpi_video0 on panel PCs) exposes the same two files, and one write of a small integer is
all dimming needs. A write is a few microseconds, so it runs on the caller's (GUI) thread. Writing needs the
kiosk user in a group the udev rule gives the file (see the deployment notes); a refused or failed write is
one log line, never an exception in the UI: the night palette still dims the screen.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

SYSFS = Path("/sys/class/backlight")


class Backlight:
    """One backlight device directory (holds ``brightness`` and ``max_brightness``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._warned = False

    def __repr__(self) -> str:
        return f"Backlight({str(self.path)!r})"

    def maximum(self) -> int:
        return int((self.path / "max_brightness").read_text().strip())

    def read(self) -> int | None:
        """The raw brightness now, or None if it cannot be read."""
        try:
            return int((self.path / "brightness").read_text().strip())
        except (OSError, ValueError) as e:
            self._log_once(f"cannot read {self.path / 'brightness'}: {e}")
            return None

    def write(self, raw: int) -> bool:
        """Set the raw brightness (clamped to 0..max); False (and one log line) if the device refused."""
        try:
            value = max(0, min(int(raw), self.maximum()))
            (self.path / "brightness").write_text(f"{value}\n")
            return True
        except (OSError, ValueError) as e:
            self._log_once(f"cannot set {self.path / 'brightness'}: {e}")
            return False

    def set_percent(self, percent: int) -> bool:
        """Brightness as a percent of the maximum; never 0 (a dark panel looks dead), at least 1 step."""
        try:
            top = self.maximum()
        except (OSError, ValueError) as e:
            self._log_once(f"cannot read {self.path / 'max_brightness'}: {e}")
            return False
        return self.write(max(1, round(top * max(0, min(percent, 100)) / 100)))

    def _log_once(self, line: str) -> None:
        """A failing device fails every minute: say it once, not once a minute."""
        if not self._warned:
            log.warning("backlight: %s", line)
            self._warned = True


def open_backlight(setting: str, root: Path = SYSFS) -> Backlight | None:
    """The configured device: "auto" (the first device under ``root``, by name), "none", or a device path.

    None when there is no usable device: the caller dims with a darker palette instead."""
    if setting == "none":
        return None
    if setting == "auto":
        try:
            devices = sorted(p for p in Path(root).iterdir() if (p / "max_brightness").exists())
        except OSError:
            devices = []
        if not devices:
            log.info("backlight: no device under %s; night mode dims the palette instead", root)
            return None
        return Backlight(devices[0])
    path = Path(setting)
    if not (path / "max_brightness").exists():
        log.warning("backlight: %s has no max_brightness; night mode dims the palette instead", path)
        return None
    return Backlight(path)
