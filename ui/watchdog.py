"""systemd's watchdog, fed from the GUI thread: a hung touchscreen gets the kiosk restarted.

Why a QTimer on the GUI thread and not a thread of its own: what a customer needs alive is the event loop that
paints the screen and answers taps. A ping thread would keep pinging while that loop is stuck in a deadlock or
a blocking call, and systemd would never step in. Here the ping is a timer event of the GUI thread's own loop,
so a blocked loop stops the pings, and after ``WatchdogSec`` systemd kills and restarts the kiosk.

READY=1 goes out on the first turn of the event loop with the home screen up (not when Python starts), so
``systemctl start`` returns when a person could use the cabinet. STATUS= is one short line for ``systemctl
status`` ("home, 2 doors open, faults: lockboard"), sent when it changes. Outside systemd every call is a no-op.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer

from kiosk.sd_notify import Notifier, watchdog_interval


class SystemdWatchdog(QObject):
    """READY, WATCHDOG pings, STATUS and STOPPING for one kiosk window; ``start()`` after the window is shown."""

    def __init__(self, window: Any, kiosk: Any, notifier: Notifier | None = None,
                 interval_s: float | None = None) -> None:
        super().__init__()
        self.window = window  # ui.window.KioskWindow
        self.kiosk = kiosk  # ui.kiosk.Kiosk
        self.notifier = notifier or Notifier()
        self.interval_s = interval_s if interval_s is not None else watchdog_interval()
        self.ready_sent = False
        self._started = False
        self._stopped = False
        self._last_status = ""
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.notifier.watchdog)
        window.screen_changed.connect(self._screen_changed)
        kiosk.door_event.connect(lambda *_: self.update_status())
        kiosk.device_state.connect(lambda *_: self.update_status())

    def start(self) -> None:
        if not self.notifier.enabled:
            return
        self._started = True
        if self.interval_s:
            self._timer.start(max(10, int(self.interval_s * 1000)))
            self.notifier.watchdog()
        QTimer.singleShot(0, self, self._maybe_ready)  # runs once the event loop turns

    def stop(self) -> None:
        self._stopped = True  # door events during shutdown send nothing after STOPPING=1
        self._timer.stop()
        if self.notifier.enabled:
            self.notifier.stopping()
        self.notifier.close()

    def status_line(self) -> str:
        cur = self.window.current()
        parts = [cur.name if cur is not None else "starting"]
        doors = sum(1 for b in self.kiosk.config.boxes if self.kiosk.door_open(b.no))
        parts.append(f"{doors} door{'s' if doors != 1 else ''} open")
        faults = sorted(d for d, (ok, _m) in self.kiosk.devices.items() if not ok)
        if faults:
            parts.append("faults: " + " ".join(faults))
        return ", ".join(parts)

    def update_status(self) -> None:
        if not self.notifier.enabled or self._stopped:
            return
        line = self.status_line()
        if line != self._last_status:
            self._last_status = line
            self.notifier.status(line)

    def _maybe_ready(self) -> None:
        cur = self.window.current()
        if not self.ready_sent and not self._stopped and cur is not None and cur.name == self.window.home_name:
            self.ready_sent = True
            self._last_status = self.status_line()
            self.notifier.ready(self._last_status)

    def _screen_changed(self, _name: str) -> None:
        if self.ready_sent:
            self.update_status()
        elif self._started:
            self._maybe_ready()
