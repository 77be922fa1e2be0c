"""The maintainer's audit-chain check runs off the GUI thread (ui/chain_check.py) and says what it found.

The real ``audit.verify`` is wrapped so the test can hold the walk half-way: while it is held, the GUI thread
must still switch tabs and the Devices row must say the check is running; released, the row shows the chain's
state. A chain tampered with through a second connection shows as broken, and a database that cannot be opened
is one line on the screen.
"""

from __future__ import annotations

import sqlite3
import threading

from kiosk import audit
from tests.ui.test_maintainer import column, deposit, login_ok, message, tab
from ui.chain_check import ChainCheck


def database_row(h) -> str:
    names = column(h, "maint.devices", 0)
    return column(h, "maint.devices", 2)[names.index("Database")]


def test_the_walk_runs_on_its_own_thread_while_the_screen_stays_live(kiosk_app, courier, monkeypatch):
    h = kiosk_app
    deposit(h, courier)
    release, walkers = threading.Event(), []
    real = audit.verify

    def held_verify(conn, *args, **kwargs):
        walkers.append(threading.current_thread())
        assert release.wait(10), "the test never released the walk"
        return real(conn, *args, **kwargs)

    monkeypatch.setattr(audit, "verify", held_verify)
    login_ok(h)  # entering the screen runs the Devices tab's checks
    h.qtbot.waitUntil(lambda: len(walkers) == 1, timeout=5000)
    assert walkers[0] is not threading.main_thread()
    assert database_row(h) == "checking the log chain…"
    tab(h, "Log")  # the GUI thread is free: the tab switches and fills while the walk is held
    assert column(h, "maint.log.table", 1)
    h.tap("maint.log.verify")
    assert message(h) == "Checking the audit chain…" and not h.find("maint.log.verify").isEnabled()
    release.set()
    h.qtbot.waitUntil(lambda: message(h).startswith("Audit chain OK"), timeout=10_000)
    assert h.find("maint.log.verify").isEnabled()
    tab(h, "Devices")
    h.qtbot.waitUntil(lambda: database_row(h).startswith("log chain OK"), timeout=5000)
    assert database_row(h) == f"log chain OK: {real(h.service.store.conn).count} events · schema " \
                              f"{h.service.store.version}"


def test_a_tampered_event_shows_as_broken_on_both_tabs(kiosk_app, courier):
    h = kiosk_app
    deposit(h, courier)
    with sqlite3.connect(h.service.store.path) as other:  # someone edits the file behind the kiosk's back
        other.execute("DROP TRIGGER events_no_update")  # (the schema refuses an UPDATE while it stands)
        other.execute("UPDATE events SET actor = 'nobody' WHERE id = 2")
    login_ok(h)
    h.qtbot.waitUntil(lambda: database_row(h).startswith("log chain BROKEN at event 2"), timeout=10_000)
    tab(h, "Log")
    h.tap("maint.log.verify")
    h.qtbot.waitUntil(lambda: message(h).startswith("BROKEN at event 2"), timeout=10_000)


def test_a_database_that_cannot_be_read_is_one_line(qtbot, tmp_path):
    check = ChainCheck(tmp_path / "gone" / "kiosk.sqlite3")
    with qtbot.waitSignal(check.signals.failed, timeout=5000) as got:
        assert check.start()
    check.wait(5)
    assert got.args[0].startswith("cannot read the database ") and "gone" in got.args[0]
    assert "\n" not in got.args[0]


def test_a_second_request_while_a_walk_runs_is_refused(qtbot, kiosk_app, monkeypatch):
    release = threading.Event()
    real = audit.verify
    monkeypatch.setattr(audit, "verify", lambda conn: (release.wait(10), real(conn))[1])
    check = ChainCheck(kiosk_app.service.store.path)
    assert check.start()
    assert check.busy() and not check.start()
    release.set()
    check.wait(5)  # the thread has ended, but its outcome is still queued for the GUI thread
    assert check.busy() and not check.start()  # (a row asked now still says "checking", never nothing)
    with qtbot.waitSignal(check.signals.checked, timeout=5000) as got:
        pass
    assert not check.busy()
    assert got.args[0].ok and got.args[1] == kiosk_app.service.store.version
