"""kiosk/sd_notify.py against a real unix datagram socket, as systemd would listen on it."""

from __future__ import annotations

import os

import pytest

from kiosk.sd_notify import Notifier, watchdog_interval

from .notify_listener import NotifyListener


def wait_for(listener: NotifyListener, n: int) -> list[str]:
    import time

    deadline = time.monotonic() + 5
    while len(listener.texts()) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    return listener.texts()


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_ready_watchdog_status_and_stopping_arrive_as_systemd_expects(abstract):
    with NotifyListener(abstract=abstract) as lst:
        n = Notifier({"NOTIFY_SOCKET": lst.name})
        assert n.enabled
        assert n.ready("home, 0 doors open") and n.watchdog() and n.status("home,\n1 door open") and n.stopping()
        n.close()
        assert wait_for(lst, 4) == ["READY=1\nSTATUS=home, 0 doors open", "WATCHDOG=1",
                                    "STATUS=home, 1 door open", "STOPPING=1\nSTATUS=stopping"]


def test_without_notify_socket_every_call_is_a_no_op():
    n = Notifier({})
    assert not n.enabled
    assert not n.ready() and not n.watchdog() and not n.status("x") and not n.stopping()
    assert n._sock is None  # not even a socket was opened


def test_a_vanished_socket_is_logged_once_and_never_raises(caplog):
    with NotifyListener() as lst:
        name = lst.name
    n = Notifier({"NOTIFY_SOCKET": name})  # the listener is gone: systemd restarting, say
    assert n.watchdog() is False
    assert n.watchdog() is False
    warnings = [r for r in caplog.records if "notify socket" in r.getMessage()]
    assert len(warnings) == 1 and name in warnings[0].getMessage()


def test_watchdog_interval_is_half_of_watchdog_usec_for_this_process_only():
    me, parent = str(os.getpid()), str(os.getppid())
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": me}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": parent}) == 15.0  # under cage
    other = next(str(p) for p in (2, 3, 4) if str(p) not in (me, parent))
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": other}) is None
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
