"""The systemd watchdog as the real app feeds it: READY when the home screen is up, pings from the GUI thread
that stop while that thread is blocked, a STATUS line that follows the doors, STOPPING on the way out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from kiosk.config import default_config_path, with_data_dir
from kiosk.sd_notify import Notifier
from tests.ui.conftest import Harness
from ui.watchdog import SystemdWatchdog

from .notify_listener import NotifyListener


class ThreadRecordingNotifier(Notifier):
    """A real notifier that also remembers which thread sent each ping."""

    def __init__(self, socket_name: str) -> None:
        super().__init__({"NOTIFY_SOCKET": socket_name})
        self.ping_threads: set[int] = set()

    def watchdog(self) -> bool:
        self.ping_threads.add(threading.get_ident())
        return super().watchdog()


def test_pings_come_from_the_gui_thread_and_stop_while_it_is_blocked(qtbot, tmp_path):
    with NotifyListener() as lst:
        h = Harness(qtbot, tmp_path)
        try:
            notifier = ThreadRecordingNotifier(lst.name)
            wd = SystemdWatchdog(h.window, h.kiosk, notifier, interval_s=0.05)
            wd.start()
            qtbot.waitUntil(lambda: lst.count("READY=1") == 1 and lst.count("WATCHDOG=1") >= 4, timeout=5000)
            assert notifier.ping_threads == {threading.get_ident()}  # the GUI thread, nobody else

            t0 = time.monotonic()
            time.sleep(0.8)  # the GUI thread hangs (a deadlock, a blocking call): 16 pings are due meanwhile
            t1 = time.monotonic()
            qtbot.waitUntil(lambda: any(t > t1 for t in lst.times("WATCHDOG=1")), timeout=5000)  # and resume
            during = [t - t0 for t in lst.times("WATCHDOG=1") if t0 + 0.15 < t < t1]
            assert during == [], f"pings arrived while the GUI thread was blocked: {during}"

            wd.stop()
            qtbot.waitUntil(lambda: lst.count("STOPPING=1") == 1, timeout=5000)
            pings = lst.count("WATCHDOG=1")
            qtbot.wait(200)
            assert lst.count("WATCHDOG=1") == pings  # stopped means stopped
        finally:
            h.stop()


def test_ready_waits_for_the_home_screen_and_status_follows_the_doors(qtbot, tmp_path):
    with NotifyListener() as lst:
        h = Harness(qtbot, tmp_path)
        try:
            h.tap("home.pickup")  # off the home screen before the watchdog starts
            assert h.screen() != "home"
            wd = SystemdWatchdog(h.window, h.kiosk, Notifier({"NOTIFY_SOCKET": lst.name}), interval_s=10)
            wd.start()
            qtbot.wait(100)
            assert lst.count("READY=1") == 0  # not ready while no home screen is shown
            h.window.home()
            qtbot.waitUntil(lambda: lst.count("READY=1") == 1, timeout=5000)
            ready = next(m for m in lst.texts() if "READY=1" in m)
            assert "STATUS=home, 0 doors open" in ready.splitlines()

            h.sim.open_door("A03")  # a door forced open: the status line counts it
            qtbot.waitUntil(lambda: any(m.startswith("STATUS=home, 1 door open") for m in lst.texts()),
                            timeout=5000)
            wd.stop()
        finally:
            h.stop()


def test_kiosk_run_under_systemd_says_ready_pings_and_says_stopping(tmp_path):
    """The real `kiosk run` in a subprocess with NOTIFY_SOCKET and WATCHDOG_USEC set, as systemd starts it."""
    cfg = tmp_path / "cabinet.toml"
    cfg.write_text(with_data_dir(default_config_path().read_text(), "state"))
    with NotifyListener() as lst:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NOTIFY_SOCKET=lst.name, WATCHDOG_USEC="200000")
        env.pop("WATCHDOG_PID", None)
        p = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--simulate", "--windowed", "--config", str(cfg)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and p.poll() is None and not (
                    lst.count("READY=1") == 1 and lst.count("WATCHDOG=1") >= 3):
                time.sleep(0.05)
            assert p.poll() is None, p.communicate()
            assert lst.count("READY=1") == 1 and lst.count("WATCHDOG=1") >= 3, lst.texts()
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        assert p.returncode == 0, err
        deadline = time.monotonic() + 2
        while lst.count("STOPPING=1") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        texts = lst.texts()
    ready = next(m for m in texts if "READY=1" in m)
    assert any(line.startswith("STATUS=home,") for line in ready.splitlines()), ready
    assert texts.index(ready) < len(texts) - 1 and "STOPPING=1" in texts[-1].splitlines()
    log = tmp_path / "state" / "logs" / "kiosk.log"  # the file log beside the journal's stderr
    assert log.exists()
