"""kiosk/memory.py: frame-sized buffers passed between threads go back to the system once freed.

Each case runs in a fresh interpreter (the allocator's settings are per process): a producer thread makes 600
frame-sized buffers (900 KB, a 640x480 BGR frame) and hands them over a bounded queue to the main thread,
which keeps the newest 30 and frees the rest, while both threads leave small long-lived blocks between them,
as the camera, recorder and preview threads do. After the last frame is freed, RSS must be back near where it
started. The untuned run is the control: it shows the drift the tuning (or a trim afterwards) removes on this
glibc.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import queue, sys, threading
    from kiosk import memory

    def rss_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024

    tuned = sys.argv[1] == "tuned" and memory.tune_allocator()
    q, keep, held = queue.Queue(maxsize=8), [], []

    def producer():
        first = bytearray(900_000)
        del first  # a freed mmapped block: glibc raises its threshold above frame size unless tuned
        for i in range(600):
            q.put(bytearray(b"\\1" * 900_000))
            if i % 3 == 0:
                keep.append(bytearray(b"\\2" * 3000))
        q.put(None)

    base = rss_mb()
    t = threading.Thread(target=producer)
    t.start()
    while (frame := q.get()) is not None:
        held.append(frame)
        if len(held) > 30:
            held.pop(0)
        keep.append(bytearray(b"\\3" * 1500))
    t.join()
    held.clear()
    if sys.argv[1] == "trim":
        tuned = memory.trim()
    print(tuned, rss_mb() - base)
""")


def retained_mb(mode: str) -> tuple[bool, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=True).stdout.split()
    return out[0] == "True", float(out[1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_frames_freed_across_threads_leave_no_resident_heap_behind() -> None:
    tuned, kept = retained_mb("tuned")
    if not tuned:
        pytest.skip("not glibc: nothing to tune")
    _, control = retained_mb("plain")
    assert kept < 4, f"tuned allocator kept {kept:.1f} MB after every frame was freed"
    assert control > kept + 5, f"control kept {control:.1f} MB, tuned {kept:.1f} MB: the test shows no effect"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_trim_gives_back_what_an_untuned_heap_held() -> None:
    released, kept = retained_mb("trim")
    if not released:
        pytest.skip("not glibc, or nothing to release")
    _, control = retained_mb("plain")
    assert kept < control - 5, f"after trim {kept:.1f} MB kept, without {control:.1f} MB"
