"""The maintainer's video tab through the real app: real H.264 clips made with PyAV, listed, filtered, played.

Every clip is a 1.5 s MP4 (320x240, 20 fps, a keyframe every 10 frames) of the synthetic camera pattern, which
draws each frame's number as black/white squares, so a test reads back which frame the player shows. Clips are
recorded through the service with their real SHA-256, tied to real deposits (so tracking numbers link).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import av
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QTableWidget

from hardware.camera import SyntheticSource
from tests.ui.conftest import PIN, Harness
from tests.ui.test_maintainer import column, deposit, login_ok, message, select_row, tap_field

FPS, FRAMES, GOP = 20, 30, 10
W, H = 320, 240
DAY = 86400.0


# ---- making clips ----------------------------------------------------------------------------------------


def make_mp4(path: Path, frames: int = FRAMES, width: int = W, height: int = H) -> str:
    """A real H.264 MP4 of synthetic frames 0..frames-1; returns its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    src = SyntheticSource(width, height, FPS, clock=lambda: datetime(2026, 11, 24, 10, 30))
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"preset": "ultrafast", "crf": "23"}
        s.codec_context.gop_size = GOP
        for i in range(frames):
            f = av.VideoFrame.from_ndarray(src.render(i), format="bgr24")
            f.pts = i
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return hashlib.sha256(path.read_bytes()).hexdigest()


PART = 9  # the kiosk's own recorder may film the test's deposits as part 1: these clips never share its names


def record(h: Harness, txn: str, started: float, boxes: tuple[str, ...], kind: str = "courier"):
    day = datetime.fromtimestamp(started).strftime("%Y-%m-%d")
    path = h.service.video_dir / day / f"{txn}-{PART}.mp4"
    sha = make_mp4(path)
    return h.service.record_clip(txn=txn, part=PART, kind=kind, path=path, started=started,
                                 ended=started + FRAMES / FPS, txn_started=started + 0.5, preroll_s=0.5,
                                 frames=FRAMES, bytes=path.stat().st_size, sha256=sha, boxes=boxes, complete=True)


@dataclass
class Clips:
    today: object
    yesterday: object
    days_ago: object
    deleted: object
    box_today: str
    box_yesterday: str

    def names(self) -> set[str]:
        return {name(k) for k in (self.today, self.yesterday, self.days_ago, self.deleted)}


def make_clips(h: Harness, courier) -> Clips:
    """Four clips, newest first: today (maintenance, no parcel), yesterday (YT…), 3 days ago (SF…), and one
    40 days old that retention deleted."""
    now = h.service.clock.now()
    midnight = datetime.combine(datetime.fromtimestamp(now).date(), datetime.min.time()).timestamp()
    t_old = h.service.begin_txn("courier", "courier:C1001")
    p1, _ = deposit(h, courier, "SF100200300", "S")
    h.service.end_txn()
    t_yest = h.service.begin_txn("courier", "courier:C1001")
    p2, _ = deposit(h, courier, "YT9988776655", "M")
    h.service.end_txn()
    t_today, t_gone = "T900001", "T900002"  # no parcel and no transaction row: nothing for the recorder to film
    gone = record(h, t_gone, now - 40 * DAY, (p1.box_no,), "maintenance")
    days_ago = record(h, t_old, midnight - 2.5 * DAY, (p1.box_no,))
    yesterday = record(h, t_yest, midnight - DAY / 2, (p2.box_no,))
    today = record(h, t_today, max(now - 120, midnight + 1), (p1.box_no,), "maintenance")
    assert [k.id for k in h.service.apply_retention(free_bytes=lambda _p: 10**12)] == [gone.id]
    return Clips(today, yesterday, days_ago, h.service.clips(box=p1.box_no)[-1], p1.box_no, p2.box_no)


@pytest.fixture
def clips(kiosk_app) -> Clips:
    c = kiosk_app.service.add_courier("C1001", "Li Wei", PIN)
    made = make_clips(kiosk_app, c)
    login_ok(kiosk_app)
    open_tab(kiosk_app)
    return made


# ---- helpers ---------------------------------------------------------------------------------------------


def tab_widget(h: Harness):
    return h.window.screens["maint"].clips


def open_tab(h: Harness) -> None:
    tabs = h.find("maint.tabs")
    tabs.setCurrentIndex(tabs.indexOf(tab_widget(h)))


def listed(h: Harness, mine: Clips | None = None) -> list[str]:
    """The clips in the list, in its order; with ``mine`` only those the test made (the kiosk's own recorder
    may add clips of the test's deposits at any time)."""
    names = [t.split(" ")[0] for t in column(h, "maint.clips.list", 3)]
    return [n for n in names if mine is None or n in mine.names()]


def name(clip) -> str:
    return f"{clip.txn}-{clip.part}"


def play_row(h: Harness, clip) -> None:
    select_row(h, "maint.clips.list", listed(h).index(name(clip)))


def image_array(image: QImage) -> np.ndarray:
    img = image.convertToFormat(QImage.Format.Format_BGR888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def shown_index(h: Harness) -> int:
    """The frame number drawn into the picture the player holds now."""
    image = tab_widget(h).player.view.image
    assert image is not None and image.width() == W, "the test clip is shown at its own size"
    return SyntheticSource.decode_index(image_array(image))


def wait_loaded(h: Harness, integrity: str = "match") -> None:
    p = tab_widget(h).player
    h.qtbot.waitUntil(lambda: p.frame_number == 0 and p.integrity == integrity, timeout=5000)


# ---- the list and the filters ----------------------------------------------------------------------------


def test_lists_clips_newest_first_with_their_details_and_deleted_ones_greyed(kiosk_app, clips):
    h = kiosk_app
    assert listed(h, clips) == [name(clips.today), name(clips.yesterday), name(clips.days_ago), name(clips.deleted)]
    rows = {n: r for r, n in enumerate(listed(h))}
    t = h.find("maint.clips.list", QTableWidget)
    r = rows[name(clips.days_ago)]
    assert t.item(r, 1).text() == "0:01"  # 1.5 s
    assert t.item(r, 2).text() == clips.box_today
    assert "courier" in t.item(r, 3).text()
    assert t.item(r, 4).text() == "SF100200300"
    assert t.item(r, 5).text().endswith("KB")
    assert t.item(r, 6).text() == "complete"
    gone = rows[name(clips.deleted)]
    assert t.item(gone, 6).text().startswith("deleted ") and "older than the retention" in t.item(gone, 6).text()
    greys = {t.item(gone, c).foreground().color().name() for c in range(7)}
    assert greys == {"#8b9aab"}
    assert t.item(r, 0).foreground().color().name() != "#8b9aab"
    assert f"Clips found: {t.rowCount()}, newest first" in h.find("maint.clips.info", QLabel).text()
    fresh = record(h, "T900003", h.service.clock.now(), ())
    h.kiosk.clip_recorded.emit(fresh)  # as the kiosk does when the recorder finished a file
    assert listed(h)[0] == name(fresh)


def test_deleted_clip_cannot_be_played(kiosk_app, clips):
    h = kiosk_app
    play_row(h, clips.deleted)
    assert "was deleted" in message(h)
    assert tab_widget(h).pages.currentWidget() is tab_widget(h).browse
    assert tab_widget(h).player.worker_thread is None


def test_filters_by_tracking_box_and_day(kiosk_app, clips):
    h = kiosk_app
    tap_field(h, "maint.clips.tracking")
    h.type("SF100200300", "kbd")
    h.tap("kbd.done")
    assert listed(h, clips) == [name(clips.days_ago)]
    h.tap("maint.clips.reset")
    tap_field(h, "maint.clips.box")
    h.type(clips.box_yesterday, "kbd")
    h.tap("kbd.done")
    assert listed(h, clips) == [name(clips.yesterday)]
    h.tap("maint.clips.reset")
    tap_field(h, "maint.clips.box")
    h.type(clips.box_today, "kbd")
    h.tap("kbd.done")
    assert listed(h, clips) == [name(clips.today), name(clips.days_ago), name(clips.deleted)]
    h.tap("maint.clips.day.week")
    assert listed(h, clips) == [name(clips.today), name(clips.days_ago)]
    h.tap("maint.clips.reset")
    h.tap("maint.clips.day.today")
    assert listed(h, clips) == [name(clips.today)]
    h.tap("maint.clips.day.yesterday")
    assert listed(h, clips) == [name(clips.yesterday)]
    h.tap("maint.clips.day.week")
    assert listed(h, clips) == [name(clips.today), name(clips.yesterday), name(clips.days_ago)]
    tap_field(h, "maint.clips.tracking")
    h.type("NOSUCH1", "kbd")
    h.tap("kbd.done")
    assert listed(h) == [] and "No clips match" in h.find("maint.clips.info", QLabel).text()


# ---- playing ---------------------------------------------------------------------------------------------


def test_play_paces_by_timestamps_pause_stops_and_the_hash_matches(kiosk_app, clips):
    h = kiosk_app
    player = tab_widget(h).player
    play_row(h, clips.yesterday)
    wait_loaded(h)
    assert shown_index(h) == 0
    assert "matches the audit log" in h.find("maint.clips.verified", QLabel).text()
    assert h.find("maint.clips.pause").isEnabled() is False
    still = h.find("maint.clips.view").grab().toImage()
    h.tap("maint.clips.play")
    t0 = time.monotonic()
    h.qtbot.waitUntil(lambda: player.frame_number >= 12, timeout=5000)
    elapsed = time.monotonic() - t0
    assert elapsed >= 0.45, f"frame 12 of a 20 fps clip came after {elapsed:.2f} s: not paced"
    assert shown_index(h) == player.frame_number
    moving = h.find("maint.clips.view").grab().toImage()
    assert moving != still  # the painted widget changed, not only the number
    centre = moving.pixelColor(moving.width() // 2, moving.height() // 2)
    assert centre.name() != "#101010"  # a picture, not the empty background
    h.tap("maint.clips.pause")
    h.qtbot.waitUntil(lambda: not player.is_playing, timeout=3000)
    paused_at = player.frame_number
    h.qtbot.wait(300)
    assert player.frame_number == paused_at and shown_index(h) == paused_at
    assert paused_at < FRAMES - 1
    label = h.find("maint.clips.frame", QLabel).text()
    assert f"frame {paused_at + 1} / {FRAMES}" in label
    h.tap("maint.clips.play")  # resumes and runs to the end
    h.qtbot.waitUntil(lambda: player.frame_number == FRAMES - 1 and not player.is_playing, timeout=5000)
    assert shown_index(h) == FRAMES - 1
    assert player.decoder.shown + player.decoder.dropped >= FRAMES - 1


def test_position_slider_seeks(kiosk_app, clips):
    h = kiosk_app
    player = tab_widget(h).player
    play_row(h, clips.today)
    wait_loaded(h)
    slider = h.find("maint.clips.position")
    target = 1.0  # seconds: frame 20, a keyframe
    x = round(slider.width() * target / (FRAMES / FPS))
    QTest.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(x, slider.height() // 2))
    h.qtbot.waitUntil(lambda: abs(player.frame_number - 20) <= 3, timeout=3000)
    assert shown_index(h) == player.frame_number
    assert not player.is_playing


def test_a_changed_byte_does_not_match_the_audit_log(kiosk_app, clips):
    h = kiosk_app
    path = h.service.clip_path(clips.days_ago)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    play_row(h, clips.days_ago)
    p = tab_widget(h).player
    h.qtbot.waitUntil(lambda: p.integrity == "mismatch", timeout=5000)
    text = h.find("maint.clips.verified", QLabel).text()
    assert "DOES NOT MATCH the audit log" in text and clips.days_ago.sha256[:12] in text
    assert "#ff6b6b" in h.find("maint.clips.verified", QLabel).styleSheet()


def test_a_missing_file_says_so_and_cannot_play(kiosk_app, clips):
    h = kiosk_app
    h.service.clip_path(clips.yesterday).unlink()
    play_row(h, clips.yesterday)
    p = tab_widget(h).player
    h.qtbot.waitUntil(lambda: p.failure is not None and p.integrity == "missing", timeout=5000)
    assert "missing" in p.view.message and clips.yesterday.file.split("/")[-1] in p.view.message
    assert "missing" in h.find("maint.clips.verified", QLabel).text()
    assert not h.find("maint.clips.play").isEnabled()
    h.tap("maint.clips.close")
    assert tab_widget(h).pages.currentWidget() is tab_widget(h).browse
    assert h.find("maint.tabs").tabBar().isVisible()


def test_an_unreadable_file_says_so(kiosk_app, clips):
    h = kiosk_app
    h.service.clip_path(clips.today).write_bytes(b"not a video at all" * 100)
    play_row(h, clips.today)
    p = tab_widget(h).player
    h.qtbot.waitUntil(lambda: p.failure is not None and p.integrity == "mismatch", timeout=5000)
    assert p.failure[0] == "unreadable" and "cannot be played" in p.view.message
    assert not h.find("maint.clips.play").isEnabled()


def test_leaving_the_tab_or_the_screen_stops_the_decoder_thread(kiosk_app, clips):
    h = kiosk_app
    player = tab_widget(h).player
    play_row(h, clips.yesterday)
    wait_loaded(h)
    h.tap("maint.clips.play")
    h.qtbot.waitUntil(lambda: player.frame_number >= 2, timeout=5000)
    thread = player.worker_thread
    assert thread is not None and thread.isRunning()
    h.find("maint.tabs").setCurrentIndex(0)  # another tab
    assert thread.isFinished() and player.worker_thread is None
    assert h.find("maint.tabs").tabBar().isVisible()
    open_tab(h)
    assert tab_widget(h).pages.currentWidget() is tab_widget(h).browse
    play_row(h, clips.yesterday)
    wait_loaded(h)
    h.tap("maint.clips.play")
    thread = player.worker_thread
    h.window.home()  # inactivity sends the screen home
    assert thread.isFinished() and player.worker_thread is None


def test_a_clip_larger_than_the_view_is_scaled_down_on_the_worker_and_replays_from_the_start(qtbot, tmp_path):
    from ui.clip_player import ClipPlayer

    path = tmp_path / "big.mp4"
    sha = make_mp4(path, frames=10, width=640, height=480)
    player = ClipPlayer("t", 78)
    qtbot.addWidget(player)
    player.resize(600, 600)  # narrower than the clip; tall enough for touch-sized controls in any theme
    player.show()
    qtbot.waitExposed(player)
    qtbot.wait(50)  # the layout settles before the first frame is scaled to the view
    try:
        player.load(path, sha)
        qtbot.waitUntil(lambda: player.frame_number == 0 and player.integrity == "match", timeout=5000)

        def fits() -> bool:  # a late resize of the view is followed by a redraw at the new size
            view, image = player.view.size(), player.view.image
            return image.width() <= view.width() and image.height() <= view.height()

        qtbot.waitUntil(fits, timeout=3000)
        image = player.view.image
        assert image.width() < 640 and abs(image.width() / image.height() - 4 / 3) < 0.02
        player.play()
        qtbot.waitUntil(lambda: player.frame_number == 9 and not player.is_playing, timeout=5000)
        player.play()  # at the end: from the start again
        qtbot.waitUntil(lambda: player.is_playing, timeout=3000)
        qtbot.waitUntil(lambda: player.frame_number == 9 and not player.is_playing, timeout=5000)
        assert player.decoder.shown >= 3
        thread = player.worker_thread
    finally:
        player.hide()
    assert thread.isFinished() and player.worker_thread is None


# ---- screenshots -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)], ids=["1280x800", "800x480"])
def test_screenshots(qtbot, tmp_path, size):
    """The list and a frame playing, in English then Chinese (switched live); $KIOSK_SHOTS keeps the PNGs."""
    h = Harness(qtbot, tmp_path, *size, language="en")
    if "KIOSK_SHOTS" in os.environ:
        h.shots = Path(os.environ["KIOSK_SHOTS"])
    try:
        made = make_clips(h, h.service.add_courier("C1001", "Li Wei", PIN))
        login_ok(h)
        hint = h.window.screens["maint"].minimumSizeHint()
        assert hint.width() <= size[0] and hint.height() <= size[1] - 100, hint
        open_tab(h)
        player = tab_widget(h).player
        for lang in ("en", "zh"):
            h.kiosk.set_language(lang)
            tag = f"{lang}_{size[0]}x{size[1]}"
            h.qtbot.wait(60)
            h.shot(f"clips_list_{tag}")
            tap_field(h, "maint.clips.tracking")
            h.type("SF1", "kbd")
            h.qtbot.wait(60)
            h.shot(f"clips_keyboard_{tag}")
            h.tap("kbd.done")
            h.tap("maint.clips.reset")
            if size[0] < 1000:  # one row of filters: the day is a button stepping through the choices
                h.tap("maint.clips.day")
                assert listed(h, made) == [name(made.today)]
                h.tap("maint.clips.day")
                h.qtbot.wait(60)
                h.shot(f"clips_list_yesterday_{tag}")
                assert listed(h, made) == [name(made.yesterday)]
                h.tap("maint.clips.reset")
                assert "▸" in h.find("maint.clips.day").text() and len(listed(h, made)) == 4
            play_row(h, made.yesterday)
            wait_loaded(h)
            verified = h.find("maint.clips.verified", QLabel).text()
            assert ("与审计日志一致" if lang == "zh" else "matches the audit log") in verified
            h.tap("maint.clips.play")
            qtbot.waitUntil(lambda: player.frame_number >= 8, timeout=5000)
            h.tap("maint.clips.pause")
            qtbot.waitUntil(lambda: not player.is_playing, timeout=3000)
            h.qtbot.wait(60)
            h.shot(f"clips_player_{tag}")
            view = h.find("maint.clips.view")
            assert view.height() >= 120 and view.width() >= 200, view.size()
            for w in ("maint.clips.play", "maint.clips.pause", "maint.clips.close", "maint.clips.position"):
                r = h.find(w).geometry()
                assert h.find(w).parentWidget().rect().contains(r), w
            h.tap("maint.clips.close")
    finally:
        h.stop()
