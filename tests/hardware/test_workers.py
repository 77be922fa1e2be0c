"""Qt workers: device results arrive on the GUI thread while the device's own thread blocks on the line."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QCoreApplication, QThread, QTimer

from hardware.fingerprint import FingerprintDriver
from hardware.fingerprint_emulator import FingerprintEmulator
from hardware.fingerprint_worker import FingerprintWorker
from hardware.kerong import KerongBank
from hardware.kerong_emulator import KerongEmulator
from hardware.lock_worker import LockWorker


def on_gui_thread() -> bool:
    return QThread.currentThread() is QCoreApplication.instance().thread()


@pytest.fixture
def sensor():
    emu = FingerprintEmulator()
    yield emu
    emu.stop()


@pytest.fixture
def worker(qtbot, sensor):
    w = FingerprintWorker(lambda: FingerprintDriver(sensor.port), listen_slice_s=0.1)
    with qtbot.waitSignal(w.device_ok, timeout=10_000) as ok:
        w.start()
    assert ok.args == [300, 0]
    yield w
    assert w.stop()


def test_identified_finger_arrives_on_the_gui_thread_while_the_sensor_thread_blocks(qtbot, sensor, worker):
    sensor.enrol_directly(5, 42)
    sensor.set_fault("slow", slow_s=0.25)  # every reply late: the sensor thread sits in serial reads
    ticks, seen = [], []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    worker.finger_identified.connect(lambda slot, score: seen.append((slot, score, on_gui_thread(),
                                                                      threading.current_thread())))
    sensor.place_finger(42)
    qtbot.waitUntil(lambda: bool(seen), timeout=15_000)
    timer.stop()
    slot, score, gui, thread = seen[0]
    assert slot == 5 and score > 0
    assert gui and thread is threading.main_thread()
    assert worker._job.thread() is not QCoreApplication.instance().thread()
    # ≥ 4 slow round trips (≥ 1 s) passed on the sensor thread; the GUI kept ticking meanwhile.
    assert len(ticks) >= 40


def test_unknown_finger_is_reported_once_per_touch(qtbot, sensor, worker):
    sensor.enrol_directly(1, 10)
    got = []
    worker.finger_not_recognised.connect(lambda: got.append(on_gui_thread()))
    with qtbot.waitSignal(worker.finger_not_recognised, timeout=10_000):
        sensor.place_finger(99)
    qtbot.wait(600)  # the finger stays on the sensor: no second report
    assert got == [True]
    sensor.lift_finger()


def test_enrolment_through_the_worker_then_identify(qtbot, sensor, worker):
    steps = []

    def step(name: str) -> None:  # the person at the sensor follows the prompts
        steps.append(name)
        if name in ("place_finger", "place_again"):
            sensor.place_finger(7)
        elif name == "lift_finger":
            sensor.lift_finger()

    worker.enrol_step.connect(step)
    with qtbot.waitSignal(worker.enrolled, timeout=15_000) as done:
        worker.enrol()
    slot = done.args[0]
    assert steps[:3] == ["place_finger", "lift_finger", "place_again"] and steps[-1] == "stored"
    assert sensor.templates()[slot] == 7
    sensor.lift_finger()
    with qtbot.waitSignal(worker.finger_identified, timeout=10_000) as hit:
        sensor.place_finger(7)
    assert hit.args[0] == slot
    with qtbot.waitSignal(worker.deleted, timeout=10_000):
        worker.delete(slot)
    assert slot not in sensor.templates()


def test_enrolling_two_different_fingers_fails_with_a_clear_reason(qtbot, sensor, worker):
    fingers = iter([7, 8])
    worker.enrol_step.connect(lambda s: sensor.place_finger(next(fingers)) if s in ("place_finger", "place_again")
                              else sensor.lift_finger())
    with qtbot.waitSignal(worker.enrol_failed, timeout=15_000) as failed:
        worker.enrol()
    assert "different fingers" in failed.args[0]


def test_a_silent_sensor_is_reported_and_the_worker_recovers(qtbot, sensor, worker):
    with qtbot.waitSignal(worker.device_fault, timeout=10_000) as fault:
        sensor.set_fault("silence")
    assert fault.args[0] == "fingerprint" and "does not answer" in fault.args[1]
    with qtbot.waitSignal(worker.device_ok, timeout=15_000):
        sensor.set_fault(None)
    sensor.enrol_directly(3, 33)
    with qtbot.waitSignal(worker.finger_identified, timeout=10_000) as hit:
        sensor.place_finger(33)
    assert hit.args[0] == 3


# ---- lock bank ------------------------------------------------------------------------------------


@pytest.fixture
def locks(qtbot):
    emu = KerongEmulator(boards=(0,)).start()
    w = LockWorker(poll_faults_ms=100)
    bank = KerongBank(emu.port, {"A01": 1, "A02": 2}, w.events, ir_boxes=["A01"], poll_interval=0.05)
    bank.start()
    w.attach(bank)
    yield emu, w
    w.detach()
    bank.stop()
    emu.stop()


def test_door_reports_arrive_on_the_gui_thread_even_for_lambdas(qtbot, locks):
    emu, w = locks
    seen = []
    w.door_changed.connect(lambda box, is_open: seen.append((box, is_open, on_gui_thread())))
    with qtbot.waitSignal(w.door_changed, timeout=5_000, check_params_cb=lambda b, o: o):
        w.unlock("A01")
    assert emu.pulses()[-1].lock == 0
    with qtbot.waitSignal(w.item_changed, timeout=5_000) as item:
        emu.set_item(0, 0, True)
    assert item.args == ["A01", True]
    with qtbot.waitSignal(w.door_changed, timeout=5_000, check_params_cb=lambda b, o: not o):
        emu.close_door(0, 0)
    assert seen == [("A01", True, True), ("A01", False, True)]


def test_tamper_and_board_fault_and_recovery(qtbot, locks):
    emu, w = locks
    qtbot.waitUntil(lambda: w.bank.is_door_open("A02") is False, timeout=5_000)  # first poll = baseline
    with qtbot.waitSignal(w.tamper, timeout=5_000) as t:
        emu.open_door(0, 1)
    assert t.args == ["A02"]
    with qtbot.waitSignal(w.device_fault, timeout=5_000) as f:
        emu.set_fault("no_reply")
    assert f.args[0] == "lockboard" and "does not answer" in f.args[1]
    with qtbot.waitSignal(w.device_ok, timeout=5_000):
        emu.set_fault(None)
