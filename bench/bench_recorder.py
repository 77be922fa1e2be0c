"""Recording cost: the recorder's CPU and memory while the preview runs, and H.264 encode speed on one core.

1. A CameraThread with SyntheticSource 640x480@30 feeding both a preview (CameraWorker → GUI slot in an
   offscreen QApplication) and the Recorder with a clip open: process CPU (CPU time / wall time, % of one
   core), the same without the recorder, and RSS. Unpinned, as on a kiosk (libx264 picks its threads).
   Run first, so the frame sets of part 2 do not inflate the RSS.
2. Encode speed as a multiple of real time, pinned to ONE core (``os.sched_setaffinity``, libx264 threads=1),
   for 1280x720 and 640x480 at 30 fps, through the recorder's own per-frame path (copy, burned-in overlay,
   BGR→I420, libx264 with the recorder's settings). The synthetic pattern is flat colour and compresses far
   more easily than a real sensor's picture, so the same frames with sensor-like noise are timed too.
   DESIGN §8's target: 720p ≥ 4x real time on one core.

Run: ``python bench/bench_recorder.py [--seconds 10] [--runs 5] [--preset veryfast] [--crf 26] [--json]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import jsonout  # bench/ is on sys.path when run as a script

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QObject, QTimer, Slot  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from hardware.camera import CameraThread, SyntheticSource  # noqa: E402
from hardware.camera_worker import CameraWorker  # noqa: E402
from hardware.h264 import H264Encoder  # noqa: E402
from hardware.overlay import draw_overlay, overlay_lines  # noqa: E402
from hardware.recorder import ClipInfo, Recorder  # noqa: E402

FPS = 30.0
TARGET_720P = 4.0


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


# ------------------------------------------------------------------------------------ 1. encode speed

def frames_for(width: int, height: int, noise: bool, n: int = 90) -> list[np.ndarray]:
    src = SyntheticSource(width, height, FPS)
    frames = [src.render(i) for i in range(n)]
    if noise:  # sensor-like noise (σ ≈ 3 levels), different in every frame, as a camera's is
        rng = np.random.default_rng(1)
        frames = [np.clip(f + rng.normal(0, 3, f.shape).astype(np.int16), 0, 255).astype(np.uint8) for f in frames]
    return frames


def encode_run(frames: list[np.ndarray], seconds: float, preset: str, crf: int) -> tuple[float, float]:
    """(multiple of real time, kB/s) for ``seconds`` of video through the recorder's per-frame path."""
    h, w = frames[0].shape[:2]
    enc = H264Encoder(w, h, fps=FPS, crf=crf, preset=preset, keyframe_s=1.0, threads=1)
    n = int(seconds * FPS)
    size = 0
    t0 = time.perf_counter()
    for i in range(n):
        img = frames[i % len(frames)].copy()
        draw_overlay(img, overlay_lines(1.78e9 + i / FPS, "CAB-01", [("T000042", ("A07",))]))
        for data, _, _ in enc.encode(img, round(i / FPS * 90000), i % 30 == 0):
            size += len(data)
    elapsed = time.perf_counter() - t0
    enc.close()
    return seconds / elapsed, size / seconds / 1000


def bench_encode(args: argparse.Namespace) -> None:
    print(f"\n2. encode speed on one core (affinity {{0}}, libx264 threads=1, preset {args.preset}, crf {args.crf},"
          f" zerolatency, keyframe 1 s; {args.encode_seconds:g} s of video per run, {args.runs} runs)")
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        for width, height in ((1280, 720), (640, 480)):
            for noise in (False, True):
                frames = frames_for(width, height, noise)
                encode_run(frames, 1.0, args.preset, args.crf)  # warm-up
                runs = [encode_run(frames, args.encode_seconds, args.preset, args.crf) for _ in range(args.runs)]
                speed = statistics.median(r[0] for r in runs)
                rate = statistics.median(r[1] for r in runs)
                label = f"{width}x{height}@{FPS:g} {'pattern + noise' if noise else 'pattern'}"
                target = f"   target ≥ {TARGET_720P:g}x" if height == 720 else ""
                print(f"  {label:<30} {speed:6.1f}x real time (median){target}   {rate * 8:7.0f} kbit/s"
                      f"   runs: {', '.join(f'{r[0]:.1f}' for r in runs)}")
                jsonout.emit_samples(f"H.264 encode {label}, one core", [r[0] for r in runs], "x real time",
                                     TARGET_720P if height == 720 else None, higher_is_better=True,
                                     basis="median", note=f"libx264 {args.preset}, 1 thread; p99 = slowest run")
    finally:
        os.sched_setaffinity(0, old)


# ------------------------------------------------------------------------------- 2. preview + recorder

class Counter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    @Slot(QImage)
    def take(self, image: QImage) -> None:  # noqa: ARG002
        self.count += 1


def _spin(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def live_run(seconds: float, with_recorder: bool, preset: str, crf: int, out: Path) -> dict[str, float]:
    camera = CameraThread(SyntheticSource(640, 480, FPS))
    worker = CameraWorker(camera)
    counter = Counter()
    worker.frame_ready.connect(counter.take)
    clips: list[ClipInfo] = []
    saved = threading.Event()
    recorder = None
    if with_recorder:
        recorder = Recorder(camera, out, cabinet_id="CAB-01", fps=FPS, preroll_s=5.0, postroll_s=0.0,
                            min_free_bytes=0, crf=crf, preset=preset,
                            on_clip=lambda c: (clips.append(c), saved.set()))
        recorder.start()
    camera.start()
    worker.start()
    _spin(2.0)  # warm-up: threads, encoder, a full pre-roll
    if recorder is not None:
        recorder.start_clip("T000001", "deposit", ["A01"])
    c0, d0 = counter.count, camera.delivered
    wall0, cpu0 = time.perf_counter(), time.process_time()
    _spin(seconds)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    rss, peak = rss_mb()
    result = {"cpu": cpu / wall * 100, "preview_fps": (counter.count - c0) / wall,
              "camera_fps": (camera.delivered - d0) / wall, "rss": rss, "peak": peak}
    if recorder is not None:
        recorder.stop_clip("T000001")
        _spin(0.2)
        saved.wait(5)
        stats = recorder.stats
        recorder.stop()
        if clips:
            clip = clips[0]
            result.update(clip_s=clip.ended - clip.started, clip_frames=clip.frames, clip_kbps=clip.bytes * 8
                          / 1000 / max(1e-6, clip.ended - clip.started), preroll_kb=stats["preroll_bytes"] / 1000)
        result.update(dropped=stats["dropped"], encoded=stats["frames_encoded"])
    worker.stop()
    camera.stop()
    worker.deleteLater()
    _spin(0.1)
    return result


def bench_live(args: argparse.Namespace) -> None:
    print(f"\n1. preview + recording at once: CameraThread SyntheticSource 640x480@{FPS:g} → CameraWorker → GUI"
          f" slot, and → Recorder ({args.preset}, crf {args.crf}, clip open); {args.runs} runs x"
          f" {args.seconds:g} s, {os.cpu_count()} CPUs, unpinned")
    with tempfile.TemporaryDirectory() as tmp:
        base = [live_run(args.seconds, False, args.preset, args.crf, Path(tmp)) for _ in range(args.runs)]
        both = [live_run(args.seconds, True, args.preset, args.crf, Path(tmp) / str(i)) for i in range(args.runs)]
    med = lambda runs, key: statistics.median(r[key] for r in runs if key in r)  # noqa: E731
    cpu_base, cpu_both = med(base, "cpu"), med(both, "cpu")
    runs_base = ", ".join(f"{r['cpu']:.1f}" for r in base)
    runs_both = ", ".join(f"{r['cpu']:.1f}" for r in both)
    print(f"  preview only                 process CPU {cpu_base:6.1f} % of one core (median)"
          f"   runs: {runs_base}")
    print(f"  preview + recorder           process CPU {cpu_both:6.1f} % of one core (median)"
          f"   runs: {runs_both}")
    print(f"  recorder's share             {cpu_both - cpu_base:6.1f} % of one core (difference of medians)")
    jsonout.emit("preview + recorder CPU, clip open", cpu_both, max(r["cpu"] for r in both), "% core", None, None,
                 n=len(both), note=f"preview alone {cpu_base:.1f} %; p99 = worst run")
    jsonout.emit("RSS, preview + recorder", med(both, "rss"), max(r["peak"] for r in both), "MB", None, None,
                 n=len(both), note="p99 = peak VmHWM; whole-app RSS is bench_ui's figure")
    print(f"  rates                        camera {med(both, 'camera_fps'):.2f} fps, preview"
          f" {med(both, 'preview_fps'):.2f} fps, recorder dropped {sum(r.get('dropped', 0) for r in both)} frames"
          f" of {sum(r.get('encoded', 0) for r in both)} encoded")
    print(f"  RSS                          {med(both, 'rss'):6.1f} MB at the end of a run (median), peak"
          f" {max(r['peak'] for r in both):.1f} MB; preview only {med(base, 'rss'):.1f} MB")
    if any("clip_s" in r for r in both):
        print(f"  clip                         {med(both, 'clip_s'):.1f} s, {med(both, 'clip_frames'):.0f} frames,"
              f" {med(both, 'clip_kbps'):.0f} kbit/s; pre-roll in memory {med(both, 'preroll_kb'):.0f} kB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per live run")
    parser.add_argument("--encode-seconds", type=float, default=10.0, help="seconds of video per encode run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--crf", type=int, default=26)
    parser.add_argument("--skip-live", action="store_true", help="only the encode-speed part")
    parser.add_argument("--json", action="store_true", help="also print one JSON line per figure (bench/run_all)")
    args = parser.parse_args()
    jsonout.ENABLED = args.json
    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"recorder bench: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if not args.skip_live:
        bench_live(args)  # first: the encode part's frame sets would inflate the RSS measured here
    bench_encode(args)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
