"""A real mosquitto on 127.0.0.1 for messaging tests (DESIGN §10): a fresh broker per test, on a free port,
that a test can stop and start again on the same port (a broker restart), with its persistence off.

Use: ``from tests.broker import broker  # noqa: F401`` (the fixture), then ``broker.port``, ``broker.stop()``,
``broker.start()``. Tests that need it are skipped with a clear reason where mosquitto is not installed
(.ci/run installs it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.host = "127.0.0.1"
        self.conf = workdir / "mosquitto.conf"
        self.log = workdir / "mosquitto.log"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                             f"log_dest file {self.log}\n")
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 5.0) -> None:
        assert self.proc is None, "already running"
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.proc.stderr.read().decode(errors='replace')}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout} s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stderr:
                proc.stderr.close()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture
def broker(tmp_path):
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (apt install mosquitto; .ci/run does)")
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()
