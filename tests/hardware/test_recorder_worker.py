"""RecorderWorker: the recorder's callbacks arrive as signals on the GUI thread."""

from __future__ import annotations

import threading

import av
import cv2
import numpy as np
import pytest

from hardware.camera import SyntheticSource
from hardware.recorder import ClipInfo, Recorder
from hardware.recorder_worker import RecorderWorker

from .test_recorder import FakeFeed

cv2.cvtColor(np.zeros((240, 320, 3), np.uint8), cv2.COLOR_BGR2YUV_I420)  # grow OpenCV's pool before the guard


@pytest.mark.parametrize("built", ["from arguments", "around a Recorder"])
def test_clip_fault_and_ok_signals_arrive_on_the_gui_thread(qtbot, tmp_path, built):
    feed = FakeFeed()
    options = dict(cabinet_id="CAB-9", fps=30.0, preroll_s=0.5, postroll_s=0.0, min_free_bytes=0)
    own_clips: list[ClipInfo] = []
    if built == "from arguments":
        worker = RecorderWorker(feed, tmp_path, **options)
    else:  # as kiosk/__main__.py does; a callback the Recorder already had still runs
        worker = RecorderWorker(Recorder(feed, tmp_path, on_clip=own_clips.append, **options))
    gui = threading.get_ident()
    seen: list[tuple[str, bool]] = []
    worker.clip_saved.connect(lambda info: seen.append(("clip", threading.get_ident() == gui)))
    worker.recorder_fault.connect(lambda m: seen.append(("fault", threading.get_ident() == gui)))
    worker.recorder_ok.connect(lambda: seen.append(("ok", threading.get_ident() == gui)))
    src = SyntheticSource(160, 120, 30.0)
    t = [100.0]

    def frames(n: int) -> None:
        for _ in range(n):
            t[0] += 1 / 30
            frame = src.render(round(t[0] * 30))
            frame.flags.writeable = False
            feed.on_frame(frame, t[0])
            qtbot.waitUntil(lambda: worker.stats["frames_handled"] + worker.stats["dropped"]
                            >= worker.stats["frames_in"], timeout=3000)

    worker.start()
    try:
        qtbot.waitUntil(feed.subscribed.is_set, timeout=3000)
        with qtbot.waitSignal(worker.recorder_ok, timeout=3000):
            frames(20)
        worker.start_clip("T000100", "deposit", ["A01"])
        assert worker.recording == {"T000100"}
        frames(10)
        worker.set_boxes("T000100", ["A01", "A02"])
        frames(10)
        with qtbot.waitSignal(worker.clip_saved, timeout=3000) as saved:
            worker.stop_clip("T000100")
            frames(3)
        info = saved.args[0]
        assert isinstance(info, ClipInfo) and info.txn == "T000100" and info.boxes == ("A01", "A02")
        with av.open(str(info.path)) as c:
            assert sum(1 for _ in c.decode(video=0)) == info.frames >= 30
        with qtbot.waitSignal(worker.recorder_fault, timeout=3000) as fault:
            feed.on_status("offline", "camera offline: test")
        assert fault.args == ["camera offline: recording paused"]
    finally:
        assert worker.stop(5.0)
    assert seen[0] == ("ok", True) and ("clip", True) in seen and ("fault", True) in seen
    assert all(on_gui for _, on_gui in seen)
    assert own_clips == ([] if built == "from arguments" else [info])


def test_a_worker_refuses_mixed_or_missing_arguments(tmp_path):
    with pytest.raises(TypeError, match="not both"):
        RecorderWorker(Recorder(FakeFeed(), tmp_path, cabinet_id="C", fps=30.0), tmp_path)
    with pytest.raises(TypeError, match="out_dir is required"):
        RecorderWorker(FakeFeed())
