"""Camera scanning: Code 128 both ways, labels, SyntheticSource.hold, the decoder, the Scanner thread, its Qt face.

Codes are generated (hardware.labels), held to the synthetic camera and read back through a real
CameraThread, as on a cabinet. Every wait is bounded; the scanner's rate, de-duplication and "no work while
disabled" are asserted by counting decode calls and the thread's own CPU ticks.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from hardware import code128, labels
from hardware.camera import CameraThread, SyntheticSource
from hardware.scanner import BARCODE, QR, CodeReader, Scanner
from hardware.scanner_worker import ScannerWorker
from kiosk.passwords import qr_payload

TRACKING = "SF1234567890CN"
PICKUP = qr_payload("SZ-NS-0042", "A07", "123456")

# Module strings of python-barcode 0.16.1 (an independent encoder) for these texts.
INDEPENDENT = {
    "SF1234567890CN": (
        "110100100001101110100010001100010101110111101011001110010001011000111000101101100001010011011110"
        "110101111011101000100011010111000110111100101001100011101011"
    ),
    "Parcel-Locker": (
        "110100100001110111011010010110000100100111101000010110010110010000110010100001001101110010001101"
        "1101000111101010000101100110000100101011001000010010011110101001100001100011101011"
    ),
    "JD0012345678-1-1": (
        "110100100001011011100010110001000101110111101101100110010110011100100010110001110001011011000010"
        "1001011110111010011011100100111001101001101110010011100110101000111101100011101011"
    ),
}


def row_of(bits: str, module: int = 1, quiet: int = 10) -> np.ndarray:
    padded = "0" * quiet + bits + "0" * quiet
    return np.repeat(np.frombuffer(padded.encode(), np.uint8) == ord("1"), module)


# ------------------------------------------------------------------------------------------- Code 128

@pytest.mark.parametrize("text", sorted(INDEPENDENT))
def test_code128_encodes_like_an_independent_encoder_and_reads_both_ways(text):
    assert code128.modules(text) == INDEPENDENT[text]
    row = row_of(INDEPENDENT[text], module=3)
    assert code128.decode_row(row) == text
    assert code128.decode_row(row[::-1]) == text  # the label held upside down


@pytest.mark.parametrize("text", ["A", "1234", "x12345y", "99999999", "a-b c~", "0", "00"])
def test_code128_round_trip_over_code_set_switches(text):
    assert code128.decode_row(row_of(code128.modules(text), module=2)) == text


def test_code128_refuses_what_it_cannot_encode():
    with pytest.raises(ValueError, match="printable ASCII"):
        code128.encode("单号123")
    with pytest.raises(ValueError):
        code128.encode("")


def test_code128_a_wrong_symbol_fails_the_checksum_and_reads_as_nothing():
    values = code128.encode("SF1234")
    values[2] = (values[2] + 1) % 100  # one data symbol misread, the checksum left as printed
    bits = "".join(("1" if k % 2 == 0 else "0") * int(w)
                   for v in values for k, w in enumerate(code128.STOP if v == 106 else code128.PATTERNS[v]))
    assert code128.decode_row(row_of(bits, module=3)) is None
    assert code128.decode_row(row_of(code128.modules("SF1234"), module=3)) == "SF1234"


def test_code128_a_cut_off_barcode_reads_as_nothing():
    bits = code128.modules(TRACKING)
    assert code128.decode_row(row_of(bits[: len(bits) * 2 // 3], module=3)) is None
    assert code128.decode_row(np.zeros(400, bool)) is None


# ------------------------------------------------------------------------------------------- labels

def test_labels_are_grey_with_quiet_zones():
    bar = labels.code128(TRACKING, module_px=2, caption=False)
    assert bar.dtype == np.uint8 and bar.ndim == 2
    assert (bar[:, : 10 * 2] == 255).all() and (bar[:, -10 * 2:] == 255).all()
    assert bar.shape[1] == (len(code128.modules(TRACKING)) + 20) * 2
    code = labels.qr(PICKUP, module_px=3)
    assert code.dtype == np.uint8 and code.shape[0] == code.shape[1]
    assert (code[: 4 * 3] == 255).all() and (code[:, : 4 * 3] == 255).all()
    assert code.min() == 0
    with pytest.raises(ValueError):
        labels.qr(PICKUP, level="X")


def test_label_images_read_back_directly():
    reader = CodeReader()
    on_paper = cv2.copyMakeBorder(labels.code128(TRACKING), 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255)
    assert reader(cv2.cvtColor(on_paper, cv2.COLOR_GRAY2BGR)) == [(BARCODE, TRACKING)]
    assert reader(labels.qr(PICKUP)) == [(QR, PICKUP)]


# ------------------------------------------------------------------------------------------- hold

def test_hold_pastes_the_image_centred_over_the_pattern_and_keeps_the_frame_index():
    src = SyntheticSource(640, 480)
    plain = src.render(5)
    label = labels.qr(PICKUP, module_px=4)
    src.hold(label)
    assert src.held is not None and np.array_equal(src.held, label) and not src.held.flags.writeable
    frame = src.render(5)
    h, w = label.shape
    top, left = (480 - h) // 2, (640 - w) // 2
    assert np.array_equal(frame[top:top + h, left:left + w, 0], label)  # pasted 1:1, nothing over it
    assert (frame[top - 4:top, left:left + w] == 255).all()  # white quiet zone around it
    assert SyntheticSource.decode_index(frame) == 5
    assert np.array_equal(frame[:4], plain[:4]) and np.array_equal(frame[-4:], plain[-4:])
    src.hold(None)
    assert src.held is None and np.array_equal(src.render(5), plain)


def test_hold_scales_a_large_image_to_fit_between_the_bands():
    src = SyntheticSource(320, 240)
    src.hold(labels.code128(TRACKING, module_px=4))  # 704 px wide
    frame = src.render(0)
    white = np.flatnonzero((frame[120] == 255).all(axis=1))
    assert white.size and white.min() >= 0 and white.max() < 320
    assert SyntheticSource.decode_index(frame) == 0
    with pytest.raises(ValueError):
        src.hold(np.zeros((10, 10), np.float32))


# ------------------------------------------------------------------------------------------- decoding

@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_reader_reads_labels_held_to_the_synthetic_camera(size):
    src = SyntheticSource(*size)
    reader = CodeReader()
    src.hold(labels.code128(TRACKING, module_px=2))
    assert reader(src.render(3)) == [(BARCODE, TRACKING)]
    src.hold(labels.qr(PICKUP, module_px=4))
    assert reader(src.render(4)) == [(QR, PICKUP)]
    src.hold(None)
    assert reader(src.render(5)) == []


def test_reader_reads_every_one_of_many_generated_labels_and_misreads_none():
    """Random tracking numbers (fixed seed): each label read right, on two frames of the moving pattern."""
    rng = np.random.default_rng(7)
    alphabet = list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-")
    src, reader = SyntheticSource(640, 480), CodeReader()
    misses = []
    for i in range(40):
        if i % 2:
            text = "SF" + "".join(rng.choice(list("0123456789"), 10))
        else:
            text = "".join(rng.choice(alphabet, int(rng.integers(4, 19))))
        src.hold(labels.code128(text, module_px=3 if len(text) < 16 else 2))
        for index in (0, 33):
            got = reader(src.render(index))
            if got != [(BARCODE, text)]:
                misses.append((text, index, got))
    assert misses == []


def arm_length(img: np.ndarray, scale: float, angle: float, blur: float, seed: int) -> np.ndarray:
    """The label smaller, tilted, out of focus and with sensor noise, on a grey 640x480 background."""
    rng = np.random.default_rng(seed)
    small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA).astype(np.float32)
    canvas = np.full((480, 640), 110, np.float32)
    h, w = small.shape
    canvas[(480 - h) // 2:(480 - h) // 2 + h, (640 - w) // 2:(640 - w) // 2 + w] = small
    canvas = cv2.warpAffine(canvas, cv2.getRotationMatrix2D((320, 240), angle, 1.0), (640, 480), borderValue=110)
    canvas = cv2.GaussianBlur(canvas, (0, 0), blur) + rng.normal(0, 6, canvas.shape)
    return np.clip(canvas, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("px, angle", [(2.0, 0), (1.6, 8), (1.3, 90)])
def test_reader_reads_a_small_soft_tilted_barcode(px, angle):
    frame = arm_length(labels.code128(TRACKING, module_px=4, caption=False), px / 4, angle, 0.6, seed=1)
    assert CodeReader()(frame) == [(BARCODE, TRACKING)]


@pytest.mark.parametrize("px, angle", [(4.0, 20), (2.6, 0), (2.0, 8)])
def test_reader_reads_a_small_soft_tilted_qr(px, angle):
    frame = arm_length(labels.qr(PICKUP, module_px=8), px / 8, angle, 0.6, seed=2)
    assert CodeReader()(frame) == [(QR, PICKUP)]


def test_reader_reports_what_a_garbled_code_says_without_judging_it():
    src = SyntheticSource(640, 480)
    src.hold(labels.qr("hello, not a pickup code", module_px=4))
    assert CodeReader()(src.render(0)) == [(QR, "hello, not a pickup code")]


# ------------------------------------------------------------------------------------------- thread

class ManualFeed:
    """A feed the test pushes frames into (on the test's thread)."""

    def __init__(self) -> None:
        self.subscribers: list[Callable] = []

    def subscribe(self, on_frame=None, on_status=None):
        self.subscribers.append(on_frame)
        return lambda: self.subscribers.remove(on_frame)

    def push(self, frame: np.ndarray) -> None:
        for cb in list(self.subscribers):
            cb(frame, time.monotonic())


class Clock:
    """Test time: moves 1 ms per reading (so the rate limit never stalls) plus what the test adds."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            self.t += 0.001
            return self.t

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.t += seconds


class Collect:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.codes: list[tuple[str, str]] = []

    def __call__(self, kind: str, text: str) -> None:
        with self.cond:
            self.codes.append((kind, text))
            self.cond.notify_all()

    def wait(self, n: int, timeout: float = 5.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.codes) >= n, timeout)


class FakeReader:
    """Decodes a frame by table lookup (frame id → texts), and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.table: dict[int, list[tuple[str, str]]] = {}
        self.frames: list[np.ndarray] = []  # kept alive: their ids stay unique
        self.fail = False

    def frame(self, *texts: str) -> np.ndarray:
        f = np.zeros((4, 4, 3), np.uint8)
        self.table[id(f)] = [(QR, t) for t in texts]
        self.frames.append(f)
        return f

    def __call__(self, frame: np.ndarray) -> list[tuple[str, str]]:
        self.calls += 1
        if self.fail:
            raise RuntimeError("decoder broke")
        return self.table.get(id(frame), [])


@pytest.fixture
def manual():
    feed, reader, got, clock = ManualFeed(), FakeReader(), Collect(), Clock()
    sc = Scanner(feed, got, max_fps=1000, repeat_s=2.0, reader=reader, clock=clock)
    sc.start()
    yield feed, reader, got, clock, sc
    assert sc.stop()


def push_and_wait(feed: ManualFeed, sc: Scanner, frame: np.ndarray) -> None:
    n = sc.decodes
    feed.push(frame)
    deadline = time.monotonic() + 3
    while sc.decodes == n and time.monotonic() < deadline:
        time.sleep(0.002)
    assert sc.decodes > n, "frame was not decoded"


def test_a_code_held_in_view_is_reported_once_and_again_after_two_seconds_away(manual):
    feed, reader, got, clock, sc = manual
    sc.enable()
    a = reader.frame("A")
    for _ in range(8):  # held for 3.5 s, seen every 0.5 s
        push_and_wait(feed, sc, a)
        clock.advance(0.5)
    assert got.codes == [(QR, "A")]
    push_and_wait(feed, sc, reader.frame("B"))  # another code at once
    assert got.codes == [(QR, "A"), (QR, "B")]
    clock.advance(1.9)  # A last seen 2.4 s ago now: a new try
    push_and_wait(feed, sc, a)
    assert got.codes == [(QR, "A"), (QR, "B"), (QR, "A")]
    push_and_wait(feed, sc, a)
    assert len(got.codes) == 3
    sc.disable()
    sc.enable()  # a new screen: what is in view is read again
    push_and_wait(feed, sc, a)
    assert got.codes[-1] == (QR, "A") and len(got.codes) == 4


def test_disabled_the_scanner_is_unsubscribed_and_decodes_nothing(manual):
    feed, reader, got, clock, sc = manual
    feed.push(reader.frame("A"))
    time.sleep(0.1)
    assert reader.calls == 0 and feed.subscribers == [] and sc.frames_in == 0
    sc.enable()
    assert len(feed.subscribers) == 1
    push_and_wait(feed, sc, reader.frame("A"))
    sc.disable()
    assert feed.subscribers == []
    calls = reader.calls
    feed.push(reader.frame("B"))
    time.sleep(0.1)
    assert reader.calls == calls and got.codes == [(QR, "A")]


def test_a_decoder_fault_is_logged_once_and_scanning_goes_on(manual, caplog):
    feed, reader, got, clock, sc = manual
    sc.enable()
    reader.fail = True
    with caplog.at_level(logging.ERROR, logger="hardware.scanner"):
        for _ in range(3):
            push_and_wait(feed, sc, reader.frame("A"))
            clock.advance(1)
    assert sum("decoding a frame failed" in r.getMessage() for r in caplog.records) == 1
    reader.fail = False
    push_and_wait(feed, sc, reader.frame("A"))
    assert got.codes == [(QR, "A")]


def thread_cpu_ticks(thread: threading.Thread) -> int:
    fields = open(f"/proc/self/task/{thread.native_id}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


@pytest.fixture
def camera():
    src = SyntheticSource(640, 480, fps=30)
    cam = CameraThread(src, fps=30)
    cam.start()
    yield src, cam
    assert cam.stop()


def test_scanner_reads_labels_held_to_a_running_camera_at_most_five_times_a_second(camera):
    src, cam = camera
    got = Collect()
    reader = CodeReader()
    calls = []

    def counting(frame):
        calls.append(time.monotonic())
        return reader(frame)

    sc = Scanner(cam, got, reader=counting)
    sc.start()
    try:
        time.sleep(0.3)
        assert calls == [] and sc.frames_in == 0  # not enabled yet: the camera runs, the scanner sleeps
        sc.enable()
        src.hold(labels.code128(TRACKING, module_px=3))
        assert got.wait(1), "barcode not read"
        src.hold(labels.qr(PICKUP, module_px=5))
        assert got.wait(2), "QR not read"
        assert got.codes == [(BARCODE, TRACKING), (QR, PICKUP)]
        time.sleep(1.0)
        window = [t for t in calls if t >= calls[-1] - 1.0]
        assert len(window) <= 6, f"{len(window)} decodes in one second"
        assert got.codes == [(BARCODE, TRACKING), (QR, PICKUP)]  # still held: not reported again
        sc.disable()
        time.sleep(0.1)  # a decode in progress ends
        n, ticks = len(calls), thread_cpu_ticks(sc)
        time.sleep(0.5)
        assert len(calls) == n
        if os.path.exists(f"/proc/self/task/{sc.native_id}/stat"):
            assert thread_cpu_ticks(sc) == ticks  # asleep: not one clock tick of CPU
    finally:
        assert sc.stop()


# ------------------------------------------------------------------------------------------- Qt face

def test_worker_emits_reads_on_the_gui_thread_only_while_enabled(qtbot, camera):
    src, cam = camera
    worker = ScannerWorker(cam)
    worker.start()
    try:
        seen: list[tuple[str, str, bool]] = []
        gui = threading.current_thread()
        worker.code_read.connect(lambda k, t: seen.append((k, t, threading.current_thread() is gui)))
        src.hold(labels.code128(TRACKING, module_px=3))
        qtbot.wait(400)
        assert seen == []  # held, but nobody enabled the scanner
        worker.enable()
        with qtbot.waitSignal(worker.code_read, timeout=3000) as read:
            pass
        assert read.args == [BARCODE, TRACKING]
        assert seen == [(BARCODE, TRACKING, True)]
        worker.disable()
        worker._read_in.emit(worker._generation - 1, QR, "late")  # decoded before disable, arriving after
        worker.enable()
        worker._read_in.emit(worker._generation - 2, QR, "late")  # from the previous enable
        qtbot.wait(50)
        assert all(t != "late" for _k, t, _g in seen)
        src.hold(labels.qr("PLK1:OTHER:A01:999999", module_px=5))
        qtbot.waitUntil(lambda: seen[-1][1] == "PLK1:OTHER:A01:999999", timeout=3000)
    finally:
        assert worker.stop()
