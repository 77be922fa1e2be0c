"""The simulator panel moves the emulators, and shows what the kiosk sees and what the courier's phone got."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QWidget

from ui.simulator import SimulatorPanel


@pytest.fixture
def panel(kiosk_app, qtbot):
    p = SimulatorPanel(kiosk_app.kiosk)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.close()
    p.deleteLater()


def click(panel: SimulatorPanel, name: str) -> None:
    w = panel.findChild(QAbstractButton, name)
    assert w is not None and w.isEnabled(), name
    QTest.mouseClick(w, Qt.MouseButton.LeftButton)


def shot(h, panel: SimulatorPanel, name: str) -> None:
    h.shots.mkdir(parents=True, exist_ok=True)
    assert panel.grab().save(str(h.shots / f"{name}.png"))


def test_door_and_item_toggles_move_the_emulated_board(kiosk_app, panel, qtbot):
    h = kiosk_app
    bank = h.kiosk.locks.bank
    alarms = []
    h.kiosk.alarm.connect(lambda kind, what: alarms.append((kind, what)))
    click(panel, "sim.item.A03")
    qtbot.waitUntil(lambda: bank.item_inside("A03") is True, timeout=5000)
    click(panel, "sim.door.A03")
    qtbot.waitUntil(lambda: bank.is_door_open("A03") is True, timeout=5000)
    qtbot.waitUntil(lambda: panel.rows["A03"].door.text() == "open", timeout=4000)
    assert panel.rows["A03"].ir.text() == "parcel"
    assert ("tamper", "A03") in alarms  # nobody commanded that door: the kiosk raised the alarm
    shot(h, panel, "simulator_door_open_en")
    click(panel, "sim.door.A03")
    qtbot.waitUntil(lambda: bank.is_door_open("A03") is False, timeout=5000)
    click(panel, "sim.item.A03")
    qtbot.waitUntil(lambda: bank.item_inside("A03") is False, timeout=5000)
    qtbot.waitUntil(lambda: panel.rows["A03"].door.text() == "closed", timeout=4000)
    assert not panel.findChild(QWidget, "sim.item.C08").isEnabled()  # C08 has no IR sensor


def test_finger_on_the_emulated_sensor_identifies_a_courier_on_home(kiosk_app, courier, panel, qtbot):
    h = kiosk_app
    assert h.screen() == "home"
    panel.findChild(QWidget, "sim.finger.number").setValue(7)
    click(panel, "sim.finger.place")
    qtbot.waitUntil(lambda: any(e.kind == "courier_login" and e.data.get("method") == "finger"
                                for e in h.service.events(limit=20)), timeout=8000)
    click(panel, "sim.finger.lift")
    login = next(e for e in h.service.events(limit=20) if e.kind == "courier_login")
    assert login.actor == "courier:C1001"


def test_camera_unplug_and_replug(kiosk_app, panel, qtbot):
    h = kiosk_app
    qtbot.waitUntil(lambda: h.kiosk.devices.get("camera", (None,))[0] is True, timeout=5000)
    click(panel, "sim.camera")
    qtbot.waitUntil(lambda: h.kiosk.devices["camera"][0] is False, timeout=5000)
    assert panel.camera_state.text().startswith("FAULT")
    assert panel.camera.text() == "Plug the camera in"
    click(panel, "sim.camera")
    qtbot.waitUntil(lambda: h.kiosk.devices["camera"][0] is True, timeout=8000)


def test_lock_board_fault_is_reported_and_recovers(kiosk_app, panel, qtbot):
    h = kiosk_app
    combo = panel.findChild(QWidget, "sim.fault.lockboard")
    combo.setCurrentIndex(combo.findData("no_reply"))
    qtbot.waitUntil(lambda: h.kiosk.devices.get("lockboard", (None,))[0] is False, timeout=5000)
    assert "does not answer" in h.kiosk.devices["lockboard"][1]
    qtbot.waitUntil(lambda: panel.lock_state.text().startswith("FAULT"), timeout=4000)
    shot(h, panel, "simulator_fault_en")
    combo.setCurrentIndex(combo.findText("none"))
    qtbot.waitUntil(lambda: h.kiosk.devices["lockboard"][0] is True, timeout=5000)
    qtbot.waitUntil(lambda: panel.lock_state.text().startswith("ok"), timeout=4000)


def test_fingerprint_fault_is_reported_and_recovers(kiosk_app, panel, qtbot):
    h = kiosk_app
    qtbot.waitUntil(lambda: h.kiosk.devices.get("fingerprint", (None,))[0] is True, timeout=5000)
    combo = panel.findChild(QWidget, "sim.fault.fingerprint")
    combo.setCurrentIndex(combo.findData("silence"))
    qtbot.waitUntil(lambda: h.kiosk.devices["fingerprint"][0] is False, timeout=8000)
    combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: h.kiosk.devices["fingerprint"][0] is True, timeout=10000)


def test_handheld_shows_the_password_of_a_deposit(kiosk_app, courier, panel, qtbot):
    h = kiosk_app
    p = h.service.start_deposit(courier, "M", "SF1234567890", consent=True)
    qtbot.waitUntil(lambda: h.kiosk.door_open(p.box_no) is True, timeout=5000)
    click(panel, f"sim.item.{p.box_no}")
    qtbot.waitUntil(lambda: h.kiosk.locks.bank.item_inside(p.box_no) is True, timeout=5000)
    click(panel, f"sim.door.{p.box_no}")
    qtbot.waitUntil(lambda: panel.handheld.newest_password("SF1234567890") is not None, timeout=5000)
    msg = panel.handheld.newest_password("SF1234567890")
    assert h.service.parcel(p.id).state == "stored"
    text = panel.handheld.texts()[0]
    assert (f"Nanshan Science Park, Building 3, cabinet SZ-NS-0042, box {p.box_no}: your parcel SF1234567890, "
            f"pickup password {msg['password']}, valid until ") in text
    assert "to courier C1001" in text
    assert panel.copy_password() == msg["password"]
    click(panel, "sim.handheld.copy")
    assert QGuiApplication.clipboard().text() == msg["password"]
    shot(h, panel, "simulator_handheld_en")
    h.kiosk.set_language("zh")
    assert panel.windowTitle() == "模拟器 — 柜号 SZ-NS-0042"
    assert msg["password"] in panel.handheld.texts()[0]
    shot(h, panel, "simulator_handheld_zh")


def test_backlog_is_shown_when_the_panel_opens(kiosk_app, courier, qtbot):
    h = kiosk_app
    p = h.service.start_deposit(courier, "S", "YT0000000001", consent=True)
    qtbot.waitUntil(lambda: h.kiosk.door_open(p.box_no) is True, timeout=5000)
    h.sim.put_item(p.box_no, True)
    qtbot.waitUntil(lambda: h.kiosk.locks.bank.item_inside(p.box_no) is True, timeout=5000)
    h.sim.close_door(p.box_no)
    qtbot.waitUntil(lambda: len(h.kiosk.messages) == 1, timeout=5000)
    late = SimulatorPanel(h.kiosk)
    try:
        assert late.handheld.newest_password("YT0000000001") is not None
    finally:
        late.close()
        late.deleteLater()
