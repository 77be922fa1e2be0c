"""Camera scanning through the real app: codes held to the synthetic camera, read by a real scanner thread.

The courier holds a parcel label (Code 128) on the tracking-number page and deposits with the number read;
the customer holds the QR from the handheld message and the box opens through the real service, exactly as
if typed. A QR for another cabinet, or a code that is no pickup code, is refused on screen and nothing is
submitted. The last test photographs both screens at 1280x800 and 800x480 in English and Chinese and checks
that the scanning widgets fit.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLabel, QLineEdit, QSizePolicy, QWidget

from hardware import labels
from hardware.scanner_worker import ScannerWorker
from hardware.simulated import board_lock
from kiosk.passwords import qr_payload
from tests.ui.conftest import PIN, Harness

TRACKING = "SF1234567890"


# ---- helpers -----------------------------------------------------------------------------------------------


def give_scanner(h: Harness) -> ScannerWorker:
    """The kiosk's scanner (when the composition makes one), else one on the harness's camera thread."""
    worker = getattr(h.kiosk, "scanner", None)
    if worker is None:
        worker = ScannerWorker(h.comp.camera_thread)
        worker.start()
        h.kiosk.scanner = worker
        h.own_scanner = worker
    return worker


def drop_scanner(h: Harness) -> None:
    worker = getattr(h, "own_scanner", None)
    if worker is not None:
        assert worker.stop()
        h.kiosk.scanner = None


@pytest.fixture
def scan(kiosk_app):
    """(harness, scanner, synthetic camera source)."""
    worker = give_scanner(kiosk_app)
    yield kiosk_app, worker, kiosk_app.kiosk.camera_source
    kiosk_app.kiosk.camera_source.hold(None)
    drop_scanner(kiosk_app)


def enrolled(h: Harness):
    return h.service.add_courier("C1001", "Li Wei", PIN)


def to_form(h: Harness, courier) -> None:
    h.comp.app.courier.begin(courier)
    h.wait_screen("courier.menu")
    h.tap("courier.deposit")
    h.wait_screen("courier.size")
    h.tap("courier.size.M")
    h.wait_screen("courier.form")


def close_door(h: Harness, box: str, item: bool) -> None:
    """Let the bank see the IR reading first, then close (the board reports the door before the item)."""
    h.sim.put_item(box, item)
    if h.kiosk.config.box(box).ir:
        h.qtbot.waitUntil(lambda: h.sim.bank.item_inside(box) is item, timeout=3000)
    h.sim.close_door(box)


def store_parcel(h: Harness, courier, tracking: str = TRACKING) -> tuple:
    """As a courier would: open a box, put the parcel in, close the door; returns (parcel, handheld message)."""
    p = h.service.start_deposit(courier, "M", tracking, consent=True)
    h.qtbot.waitUntil(lambda: h.kiosk.door_open(p.box_no) is True, timeout=5000)
    close_door(h, p.box_no, True)
    h.qtbot.waitUntil(lambda: h.service.parcel(p.id).state == "stored", timeout=5000)

    def message():
        return next((m for m in reversed(h.kiosk.messages)
                     if m.get("type") == "password" and m.get("tracking") == tracking), None)

    h.qtbot.waitUntil(lambda: message() is not None, timeout=5000)
    return h.service.parcel(p.id), message()


def pulses_for(h: Harness, box: str) -> int:
    board, lock = board_lock(h.kiosk.config.box(box).lock)
    return sum(1 for p in h.sim.emulator.pulses() if (p.board, p.lock) == (board, lock))


def text_of(h: Harness, name: str) -> str:
    """What a label of the current screen shows ("" while it is hidden)."""
    label = h.window.current().findChild(QLabel, name)
    return label.text() if label is not None and label.isVisible() else ""


def submissions(h: Harness) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    h.comp.app.customer.pickup.submitted.connect(lambda box, pw: seen.append((box, pw)))
    return seen


# ---- courier -----------------------------------------------------------------------------------------------


def test_courier_deposits_with_the_tracking_number_read_from_the_label(scan):
    h, worker, source = scan
    to_form(h, enrolled(h))
    assert worker.enabled
    assert h.find("courier.scan").isVisible()
    assert "barcode" in text_of(h, "courier.scan_hint")
    source.hold(labels.code128(TRACKING, module_px=3))
    h.qtbot.waitUntil(lambda: h.find("courier.tracking", QLineEdit).text() == TRACKING, timeout=4000)
    assert h.screen() == "courier.form"  # shown for the courier to confirm, not submitted by itself
    assert "Check it" in text_of(h, "courier.scan_hint")
    source.hold(None)
    h.tap("kbd.done")
    assert not worker.enabled  # the summary page reads no labels
    h.tap("courier.consent")
    h.tap("courier.open")
    h.wait_screen("courier.door")
    parcel = h.comp.app.courier.deposit.parcel
    assert parcel.tracking == TRACKING
    assert not worker.enabled
    h.qtbot.waitUntil(lambda: h.kiosk.door_open(parcel.box_no) is True, timeout=5000)
    close_door(h, parcel.box_no, True)
    h.wait_screen("courier.sent")
    assert h.service.parcel(parcel.id).state == "stored"


def test_courier_screen_refuses_a_pickup_qr_and_a_code_that_is_no_tracking_number(scan):
    h, worker, source = scan
    to_form(h, enrolled(h))
    source.hold(labels.qr(qr_payload(h.kiosk.config.cabinet_id, "A01", "123456"), module_px=5))
    h.qtbot.waitUntil(lambda: "pickup code" in text_of(h, "courier.scan_hint"), timeout=4000)
    source.hold(labels.qr("not a tracking number!", module_px=5))
    h.qtbot.waitUntil(lambda: "not a tracking number" in text_of(h, "courier.scan_hint").lower(), timeout=4000)
    assert h.find("courier.tracking", QLineEdit).text() == ""
    h.type("SF9", "kbd")  # typing clears the note
    assert "hold the parcel" in text_of(h, "courier.scan_hint").lower()
    h.comp.app.home()
    assert not worker.enabled


# ---- customer ----------------------------------------------------------------------------------------------


def test_customer_holds_the_handheld_qr_and_the_box_opens(scan):
    h, worker, source = scan
    parcel, message = store_parcel(h, enrolled(h))
    before = pulses_for(h, parcel.box_no)
    h.tap("home.pickup")
    h.wait_screen("pickup")
    assert worker.enabled and h.find("pickup.scan").isVisible()
    source.hold(labels.qr(message["qr"], module_px=5))
    h.wait_screen("pickup.check", timeout=5000)
    source.hold(None)
    assert not worker.enabled
    h.qtbot.waitUntil(lambda: pulses_for(h, parcel.box_no) > before, timeout=3000)
    h.qtbot.waitUntil(lambda: h.kiosk.door_open(parcel.box_no) is True, timeout=5000)
    h.wait_screen("pickup.check")
    h.qtbot.waitUntil(lambda: h.shown("pickup.accept"), timeout=3000)
    h.tap("pickup.accept")
    h.wait_screen("pickup.close")
    close_door(h, parcel.box_no, False)
    h.wait_screen("pickup.thanks")
    assert h.service.parcel(parcel.id).state == "collected"


def test_a_qr_with_a_wrong_password_counts_as_one_wrong_try(scan):
    h, worker, source = scan
    parcel, message = store_parcel(h, enrolled(h))
    wrong = "0" * len(message["password"]) if message["password"] != "0" * len(message["password"]) else "1" * len(
        message["password"])
    sent = submissions(h)
    h.tap("home.pickup")
    h.wait_screen("pickup")
    source.hold(labels.qr(qr_payload(h.kiosk.config.cabinet_id, parcel.box_no, wrong), module_px=5))
    h.qtbot.waitUntil(lambda: "Wrong box number or password" in text_of(h, "error"), timeout=4000)
    assert sent == [(parcel.box_no, wrong)]
    assert "2 tries left" in text_of(h, "error")
    h.qtbot.wait(700)  # still held: read again and again, submitted once
    assert len(sent) == 1
    assert h.screen() == "pickup" and h.service.parcel(parcel.id).state == "stored"


def test_a_qr_for_another_cabinet_or_no_pickup_code_is_refused_on_screen(scan):
    h, worker, source = scan
    parcel, _message = store_parcel(h, enrolled(h))
    before = pulses_for(h, parcel.box_no)
    sent = submissions(h)
    h.tap("home.pickup")
    h.wait_screen("pickup")
    source.hold(labels.qr(qr_payload("GZ-TH-0007", parcel.box_no, "123456"), module_px=5))
    h.qtbot.waitUntil(lambda: "GZ-TH-0007" in text_of(h, "error"), timeout=4000)
    assert "not this one" in text_of(h, "error")
    source.hold(labels.code128(TRACKING, module_px=3))
    h.qtbot.waitUntil(lambda: "not a pickup QR code" in text_of(h, "error"), timeout=4000)
    source.hold(labels.qr("PLK1:garbled", module_px=5))
    h.qtbot.wait(600)
    assert "not a pickup QR code" in text_of(h, "error")
    assert sent == [] and pulses_for(h, parcel.box_no) == before
    assert h.find("pickup.box", QLineEdit).text() == "" and h.screen() == "pickup"
    h.tap("pickup.back")
    h.wait_screen("home")
    assert not worker.enabled


# ---- simulator panel ---------------------------------------------------------------------------------------


def test_simulator_panel_holds_a_label_and_the_newest_handheld_qr_to_the_camera(scan, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QAbstractButton

    from ui.simulator import SimulatorPanel

    h, worker, source = scan
    panel = SimulatorPanel(h.kiosk)
    panel.show()
    qtbot.waitExposed(panel)

    def click(name: str) -> None:
        b = panel.findChild(QAbstractButton, name)
        assert b is not None and b.isEnabled(), name
        QTest.mouseClick(b, Qt.MouseButton.LeftButton)

    def said() -> str:
        return panel.findChild(QLabel, "sim.hold.state").text()

    try:
        courier = enrolled(h)
        click("sim.hold.qr")
        assert source.held is None and "No handheld message" in said()
        to_form(h, courier)
        click("sim.hold.label")
        assert source.held is not None
        tracking = said().rsplit(" ", 1)[-1]
        assert tracking.startswith("SF") and len(tracking) == 12
        qtbot.waitUntil(lambda: h.find("courier.tracking", QLineEdit).text() == tracking, timeout=4000)
        click("sim.hold.none")
        assert source.held is None and said() == "Nothing is held to the camera."
        h.comp.app.home()

        parcel, _message = store_parcel(h, courier, "YT0000000001")
        click("sim.hold.qr")
        assert source.held is not None and parcel.box_no in said()
        h.tap("home.pickup")
        h.wait_screen("pickup.check", timeout=5000)
        assert h.comp.app.customer.parcel.id == parcel.id
        click("sim.hold.none")
        h.kiosk.set_language("zh")
        assert said() == "摄像头前没有出示任何东西。"
        h.kiosk.set_language("en")
        h.qtbot.waitUntil(lambda: h.kiosk.door_open(parcel.box_no) is True, timeout=5000)
        close_door(h, parcel.box_no, True)  # closed without a choice, the parcel still inside
        h.wait_screen("pickup.thanks")
    finally:
        panel.close()
        panel.deleteLater()


# ---- layout and screenshots --------------------------------------------------------------------------------


def inside(h: Harness, w: QWidget) -> bool:
    top_left = w.mapTo(h.window, w.rect().topLeft())
    return h.window.rect().contains(QRect(top_left, w.size()))


def fits(label: QLabel) -> bool:
    return label.heightForWidth(label.width()) <= label.height() + 1


def check_scan_widgets(h: Harness, prefix: str, may_give_way: bool = False) -> None:
    """The screen fits the panel, the preview and its line are inside it and the line's text is not cut; on
    a small panel (``may_give_way``) the area may instead have given its room to a message."""
    assert (h.window.width(), h.window.height()) == h.comp.app.size, "the screen does not fit the panel"
    screen = h.window.current()
    message = screen.findChild(QLabel, "error")
    if message is not None and message.isVisible():
        assert inside(h, message) and fits(message), f"message is cut: {message.text()!r}"
    preview, hint = screen.findChild(QWidget, prefix), screen.findChild(QLabel, f"{prefix}_hint")
    if not preview.isVisible() and may_give_way:
        assert message is not None and message.isVisible() and message.text()
        return
    for w in (preview, hint):
        assert w.isVisible() and inside(h, w), w.objectName()
    assert preview.width() >= 40 and preview.height() >= 30, preview.size()
    assert fits(hint), f"{prefix}_hint is cut: {hint.text()!r} in {hint.size()}"


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)], ids=["1280x800", "800x480"])
def test_scanning_screens_fit_and_are_photographed(qtbot, tmp_path, size):
    h = Harness(qtbot, tmp_path, *size)
    worker = give_scanner(h)
    tag = f"{size[0]}x{size[1]}"
    try:
        for name, s in h.window.screens.items():  # other parts' screens must not widen the window here
            if name not in ("courier.form", "pickup"):
                s.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        qtbot.waitUntil(lambda: (h.window.resize(*size), (h.window.width(), h.window.height()) == size)[1],
                        timeout=2000)

        def shot(name: str, prefix: str, may_give_way: bool = False) -> None:
            for lang in ("en", "zh"):
                h.kiosk.set_language(lang)
                qtbot.wait(30)
                check_scan_widgets(h, prefix, may_give_way and size[1] < 600)
                h.shot(f"scan_{name}_{lang}_{tag}")
            h.kiosk.set_language("en")

        source = h.kiosk.camera_source
        source.hold(labels.code128(TRACKING, module_px=3))
        courier = enrolled(h)
        to_form(h, courier)
        h.qtbot.waitUntil(lambda: h.find("courier.tracking", QLineEdit).text() == TRACKING, timeout=4000)
        qtbot.waitUntil(lambda: h.find("courier.scan").image is not None, timeout=2000)
        shot("courier_read", "courier.scan")
        source.hold(labels.qr("not a tracking number!", module_px=5))
        h.qtbot.waitUntil(lambda: "not a tracking" in text_of(h, "courier.scan_hint").lower(), timeout=4000)
        shot("courier_refused", "courier.scan")
        source.hold(None)
        h.comp.app.home()

        h.tap("home.pickup")
        h.wait_screen("pickup")
        qtbot.waitUntil(lambda: h.find("pickup.scan").image is not None, timeout=2000)
        shot("pickup", "pickup.scan")
        source.hold(labels.qr(qr_payload("GZ-TH-0007", "A01", "123456"), module_px=5))
        h.qtbot.waitUntil(lambda: "GZ-TH-0007" in text_of(h, "error"), timeout=4000)
        shot("pickup_foreign", "pickup.scan", may_give_way=True)
        source.hold(None)
        assert worker.enabled
        h.comp.app.home()
        assert not worker.enabled
    finally:
        h.kiosk.camera_source.hold(None)
        drop_scanner(h)
        h.stop()
