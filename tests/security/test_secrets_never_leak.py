"""Pickup passwords never leak: not in a log record, not in any file the cabinet writes, not in the outbox once
delivered, not in any text the kiosk window shows, not in a text field's undo history.

Why the whole app: a leak is usually a convenience somebody added far from the core (a debug line in a worker,
a label that echoes what was typed, a log viewer that prints event data). So the deposit, the lockout, both
re-issues (courier's finger, then support) and the pickup run through the real screens on the emulators, with
every logger at DEBUG, and the kiosk window's widget tree is walked on every screen change and every 30 ms.

The screenshots are not OCR'd: every pixel of text the panel can show comes from a widget's text, so walking
the texts (labels, buttons, fields' *displayed* text, tables, tabs, tooltips) is the proxy for "not in a
screenshot". Only the password field may hold a password, masked, and shown in clear only while the customer
has pressed "Show". The simulator panel is left out on purpose: it plays the courier's phone, which is where
the password is meant to appear.

The cabinet uses the alnum alphabet here: a six-digit code could turn up by chance inside a timestamp or a hex
hash in the database file; a code with letters cannot, so the byte search has no false alarms.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QAbstractButton, QApplication, QComboBox, QLabel, QLineEdit, QListWidget,
                               QPlainTextEdit, QTabBar, QTableWidget, QTextEdit, QWidget)

from tests.core.conftest import PIN
from tests.ui.conftest import Harness
from tests.ui.test_customer import click_field, key
from tests.ui.test_end_to_end import Cabinet as Hands
from ui.simulator import SimulatorPanel

ALNUM_CONFIG = {'alphabet = "digits"': 'alphabet = "alnum"'}
MAINT_PIN = "24680135"  # the simulated cabinet's (README)
TRACKING = "SF7700000042"


class RecordAll(logging.Handler):
    """Every record of every logger, formatted as a handler would (message, arguments, traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name} {record.levelname} {record.getMessage()} {record.args!r}"
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@pytest.fixture
def all_logs():
    """Root and every existing logger at DEBUG, our handler on each that does not propagate."""
    h = RecordAll()
    root = logging.getLogger()
    saved = [(root, root.level)]
    root.addHandler(h)
    root.setLevel(logging.DEBUG)
    extra = []
    for lg in list(logging.root.manager.loggerDict.values()):
        if isinstance(lg, logging.Logger):
            saved.append((lg, lg.level))
            lg.setLevel(logging.DEBUG)
            if not lg.propagate:
                lg.addHandler(h)
                extra.append(lg)
    yield h
    root.removeHandler(h)
    for lg in extra:
        lg.removeHandler(h)
    for lg, level in saved:
        lg.setLevel(level)


def widget_texts(w: QWidget) -> list[str]:
    out = [w.toolTip(), w.accessibleName(), w.accessibleDescription(), w.windowTitle()]
    if isinstance(w, QLabel):
        out.append(w.text())
    elif isinstance(w, QAbstractButton):
        out.append(w.text())
    elif isinstance(w, QLineEdit):
        out += [w.displayText(), w.placeholderText()]
    elif isinstance(w, (QTextEdit, QPlainTextEdit)):
        out.append(w.toPlainText())
    elif isinstance(w, QTableWidget):
        for r in range(w.rowCount()):
            for c in range(w.columnCount()):
                item = w.item(r, c)
                if item is not None:
                    out += [item.text(), item.toolTip()]
    elif isinstance(w, QListWidget):
        out += [w.item(i).text() for i in range(w.count())]
    elif isinstance(w, QComboBox):
        out += [w.itemText(i) for i in range(w.count())]
    elif isinstance(w, QTabBar):
        out += [w.tabText(i) for i in range(w.count())]
    return [t for t in out if t]


class Watcher:
    """Walks every widget of every kiosk top-level window on each screen change and every 30 ms."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.texts: set[str] = set()
        self.walks = 0
        self.widgets = 0
        self.screens: set[str] = set()
        self.problems: list[str] = []
        self.shown_in_clear: list[str] = []  # what the password field showed while "Show" was pressed
        pickup = h.window.screens["pickup"]
        self.pw_field: QLineEdit = pickup.findChild(QLineEdit, "pickup.password")
        self.show_button: QAbstractButton = pickup.findChild(QAbstractButton, "pickup.show")
        self.timer = QTimer()
        self.timer.setInterval(30)
        self.timer.timeout.connect(self.walk)
        h.window.screen_changed.connect(self._changed)
        self.timer.start()

    def _changed(self, name: str) -> None:
        self.screens.add(name)
        self.walk()

    def walk(self) -> None:
        self.walks += 1
        for top in QApplication.topLevelWidgets():
            if isinstance(top, SimulatorPanel) or top.parentWidget() is not None:
                continue
            for w in [top, *top.findChildren(QWidget)]:
                self.widgets += 1
                if w is self.pw_field:
                    masked = w.echoMode() == QLineEdit.EchoMode.Password
                    if not masked and not self.show_button.isChecked():
                        self.problems.append(f"password field in {w.echoMode()} without 'Show'")
                    if not masked:
                        self.shown_in_clear.append(w.displayText())
                        continue
                self.texts.update(widget_texts(w))

    def stop(self) -> None:
        self.timer.stop()
        self.h.window.screen_changed.disconnect(self._changed)


def enter(hands: Hands, box: str, password: str, show: Watcher | None = None) -> None:
    """Box and password on the pickup keypad (letters may sit on a later page); with a watcher, "Show" is
    pressed, the screen walked while the password is in clear, and "Show" pressed again."""
    h = hands.h
    if h.screen() != "pickup":
        hands.tap("home.pickup")
        h.wait_screen("pickup")
    click_field(h, "pickup.box")
    h.tap("keypad.clear")
    for ch in box:
        key(h, ch)
    click_field(h, "pickup.password")
    h.tap("keypad.clear")
    for ch in password:
        key(h, ch)
    field = h.find("pickup.password", QLineEdit)
    assert field.text() == password and field.echoMode() == QLineEdit.EchoMode.Password
    assert password not in field.displayText()
    if show:
        h.tap("pickup.show")
        assert field.echoMode() == QLineEdit.EchoMode.Normal and field.displayText() == password
        show.walk()
        h.tap("pickup.show")  # hidden again before leaving it for the next person to see
        assert field.echoMode() == QLineEdit.EchoMode.Password
    h.tap("pickup.submit")


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def wrong(password: str) -> str:
    return "".join("3" if c == "2" else "2" for c in password)


def test_passwords_never_leak_through_the_whole_app(qtbot, tmp_path, all_logs, qtlog):
    h = Harness(qtbot, tmp_path, edits=ALNUM_CONFIG)
    hands = None
    watcher = None
    try:
        assert h.kiosk.config.passwords.alphabet == "alnum"
        c = h.service.add_courier("C1001", "Li Wei", PIN)
        h.comp.fingerprint_device.emulator.enrol_directly(1, 7)
        h.service.assign_finger(c.number, 1)
        hands = Hands(h)
        watcher = Watcher(h)

        # Deposit by a courier's finger and taps; the password reaches the (simulated) handheld.
        box = hands.deposit(TRACKING, size="S")
        first = hands.password(TRACKING)

        # Three wrong tries lock the box; the customer pressed "Show" on one of them.
        for i in range(3):
            enter(hands, box, wrong(first), show=watcher if i == 1 else None)
            if i < 2:
                qtbot.waitUntil(lambda i=i: h.service.parcels(tracking=TRACKING)[0].wrong_tries == i + 1,
                                timeout=3000)
        h.wait_screen("pickup.locked")
        hands.tap("locked.home")
        h.wait_screen("home")

        # The courier's finger clears the lockout: a second password.
        hands.courier_login()
        hands.tap("courier.lockouts")
        h.wait_screen("courier.lockouts")
        hands.tap(f"courier.lockout.{box}")
        qtbot.waitUntil(lambda: h.service.lockouts() == [], timeout=3000)
        second = hands.password(TRACKING, reason="lockout_cleared")
        hands.tap("courier.lockouts.back")
        h.wait_screen("courier.menu")
        hands.tap("courier.logout")
        h.wait_screen("home")

        # Support re-issues it (the courier lost the message): a third; the customer collects with it.
        h.service.reissue_password(box, "support")
        h.kiosk.deliver()
        third = hands.password(TRACKING, reason="requested")
        enter(hands, box, third, show=watcher)
        h.wait_screen("pickup.check")
        hands.tap("pickup.accept")
        hands.finish(box, item_left=False)
        assert h.service.parcels(tracking=TRACKING)[0].state == "collected"

        # The maintainer's screens show the log, lockouts and boxes: every tab is walked too.
        hands.tap("home.maintain")
        h.wait_screen("maint.login")
        h.type(MAINT_PIN)
        h.tap("maint.submit")
        h.wait_screen("maint")
        tabs = h.find("maint.tabs")
        for i in range(tabs.count()):
            tabs.setCurrentIndex(i)
            qtbot.wait(40)  # two walks of the timer on each tab
            watcher.walk()
        h.tap("maint.exit")
        h.wait_screen("home")
        h.kiosk.deliver()
        watcher.walk()
        # Undo history: a field emptied with QLineEdit.clear() keeps what was typed as an undoable edit (and in
        # memory). Shown in clear and undone step by step (bounded), no field may give a typed text back (no
        # event is processed meanwhile: the watcher does not walk these fields).
        undone = []
        for field in h.window.findChildren(QLineEdit):
            field.setEchoMode(QLineEdit.EchoMode.Normal)
            for _ in range(50):
                if not field.isUndoAvailable():
                    break
                field.undo()
                undone.append((field.objectName(), field.text()))
        assert undone == [], f"typed text comes back with undo: {undone[:5]}"
        db_path = h.kiosk.config.db_path
        open_files = snapshot(tmp_path)  # while the app runs: the WAL holds the newest pages
        assert db_path.with_name(db_path.name + "-wal") in open_files
    finally:
        if watcher is not None:
            watcher.stop()
        if hands is not None:
            hands.close()
        data_dir = h.kiosk.config.data_dir
        h.stop()

    secrets = {first, second, third}
    assert len(secrets) == 3 and all(len(s) == 6 for s in secrets)

    # Screens: no password in any text; the field was masked except while "Show" was pressed.
    assert watcher.problems == []
    assert {"home", "pickup", "pickup.locked", "pickup.check", "courier.menu", "courier.lockouts", "maint"} \
        <= watcher.screens
    assert watcher.walks > 50 and watcher.widgets > 5000
    for s in secrets:
        hits = [t for t in watcher.texts if s in t]
        assert hits == [], f"a password is shown on screen: {hits[:3]}"
    assert third in watcher.shown_in_clear  # "Show" did show it: the walk sees what the customer sees
    assert wrong(first) in watcher.shown_in_clear
    assert first not in watcher.shown_in_clear and second not in watcher.shown_in_clear

    # Logs: every logger at DEBUG, and Qt's own messages.
    assert all_logs.lines, "nothing was logged at all: the capture is not working"
    qt_lines = [m.message for m in qtlog.records]
    for s in secrets:
        assert [ln for ln in all_logs.lines + qt_lines if s in ln] == []

    # Files: the database and its WAL, read while the app ran and after it stopped, and every other file the
    # cabinet wrote (clips, their sidecars, the key file, the config).
    closed_files = snapshot(tmp_path)
    assert db_path in open_files and db_path in closed_files
    for when, files in (("running", open_files), ("stopped", closed_files)):
        for p, raw in files.items():
            for s in secrets:
                assert s.encode() not in raw, f"password in {p.relative_to(tmp_path)} ({when})"
                assert s.encode("utf-16-le") not in raw, f"password (UTF-16) in {p.relative_to(tmp_path)} ({when})"

    # Outbox: every password message was delivered and its sealed payload dropped.
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT kind, sent_at, sealed FROM outbox WHERE kind = 'password'").fetchall()
    finally:
        conn.close()
    assert len(rows) == 3
    assert all(sent is not None and not sealed for _k, sent, sealed in rows)  # sealed payload dropped
    print(f"\nwalked {watcher.widgets} widgets in {watcher.walks} walks over {len(watcher.screens)} screens; "
          f"{len(all_logs.lines)} log records; {len(closed_files)} files under {data_dir.name}/")
