"""A stand-in for systemd's notify socket: a real unix datagram socket that timestamps what arrives."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path


class NotifyListener:
    """Binds a unix datagram socket (a short path under /tmp, or an abstract '@' name) and records every
    datagram with its arrival time on a thread of its own; use as a context manager (the thread is joined)."""

    def __init__(self, abstract: bool = False) -> None:
        self._dir = None if abstract else Path(tempfile.mkdtemp(prefix="sdn"))  # sun_path holds 108 bytes
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"parcel-kiosk-test-{id(self)}-{time.monotonic_ns()}"
            self.sock.bind(b"\0" + name.encode())
            self.name = "@" + name
        else:
            self.name = str(self._dir / "notify")
            self.sock.bind(self.name)
        self.sock.settimeout(0.05)
        self.messages: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="notify-listener", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.messages.append((time.monotonic(), data.decode()))

    def texts(self) -> list[str]:
        with self._lock:
            return [m for _, m in self.messages]

    def times(self, line: str) -> list[float]:
        """Arrival times of the datagrams that hold ``line`` (e.g. "WATCHDOG=1")."""
        with self._lock:
            return [t for t, m in self.messages if line in m.splitlines()]

    def count(self, line: str) -> int:
        return len(self.times(line))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "NotifyListener":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
