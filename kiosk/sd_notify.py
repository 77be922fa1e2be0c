"""Tell systemd how the kiosk is doing: READY=1, WATCHDOG=1, STATUS=…, STOPPING=1 (the sd_notify protocol).

Why it is built this way:

- The unit is ``Type=notify`` with ``WatchdogSec=``: systemd counts the kiosk as started only when it says
  READY=1 (the home screen is up), and restarts it when the WATCHDOG=1 pings stop (a hung UI thread). The
  protocol is one datagram of ``KEY=value`` lines to the unix socket named in ``$NOTIFY_SOCKET`` (a leading
  ``@`` means Linux's abstract namespace). That is fifteen lines of ``socket``, so no dependency: the
  ``sdnotify`` package is unmaintained since 2019 and ``systemd-python`` needs libsystemd headers and a
  compiler on the cabinet (no aarch64 wheels).
- Outside systemd (a developer's desktop, the tests, CI) ``$NOTIFY_SOCKET`` is unset and every call is a
  no-op. A send that fails (socket gone, systemd restarting) is logged once and never raises into the app: a
  status line must never be what crashes a cabinet.
- ``watchdog_interval()`` follows libsystemd's ``sd_watchdog_enabled()``: ``$WATCHDOG_USEC`` applies only to
  the process named in ``$WATCHDOG_PID``. One exception: under ``cage -- kiosk run`` the unit's main process
  is the compositor, our parent, so its pid is accepted too (the cage drop-in sets ``NotifyAccess=all``).
- Pure core: no Qt. The ping timer lives on the GUI thread in ``ui/watchdog.py``, which is the point: a
  blocked GUI thread stops the pings.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


def _address(name: str) -> str | bytes:
    """The socket address: an abstract name ('@x') becomes b'\\0x'."""
    return b"\0" + name[1:].encode() if name.startswith("@") else name


class Notifier:
    """One datagram socket to systemd, opened lazily; every method returns whether systemd got the message."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.socket_name = env.get("NOTIFY_SOCKET", "")
        self._sock: socket.socket | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return bool(self.socket_name) and self.socket_name[0] in "/@"

    def send(self, **fields: str | int) -> bool:
        """Send ``KEY=value`` lines (READY=1, STATUS=..., ...); False outside systemd or when the send fails."""
        if not self.enabled:
            return False
        lines = []
        for key, value in fields.items():
            text = str(value).replace("\n", " ")  # one line per field, whatever the caller passed
            lines.append(f"{key}={text}")
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto("\n".join(lines).encode(), _address(self.socket_name))
            return True
        except (OSError, ValueError) as e:  # ValueError: a NUL in the socket name
            if not self._warned:
                log.warning("systemd notify socket %s: %s", self.socket_name, e)
                self._warned = True
            self.close()
            return False

    def ready(self, status: str = "") -> bool:
        return self.send(READY=1, **({"STATUS": status} if status else {}))

    def watchdog(self) -> bool:
        return self.send(WATCHDOG=1)

    def status(self, line: str) -> bool:
        return self.send(STATUS=line)

    def stopping(self) -> bool:
        return self.send(STOPPING=1, STATUS="stopping")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of $WATCHDOG_USEC), or None when systemd watches no one here."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid not in (str(os.getpid()), str(os.getppid())):
        return None  # meant for another process (a shell that started us by hand)
    return usec / 2 / 1_000_000
