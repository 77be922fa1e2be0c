"""kiosk/memory.py: frame-sized buffers passed between threads go back to the system once freed.

Each case runs in a fresh interpreter (the allocator's settings are per process): a producer thread makes 600
frame-sized buffers (900 KB, a 640x480 BGR frame) and hands them over a bounded queue to the main thread,
which keeps the newest 30 and frees the rest, while both threads leave small long-lived blocks between them,
as the camera, recorder and preview threads do. After the last frame is freed, RSS must be back near where it
started, and while 30 are held they must be mmaps of their own (``mallinfo2().hblkhd``). The untuned run is the
control: there glibc has raised its threshold and keeps the frames in a heap.
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
    info = memory.heap_info()  # the 30 frames still held: their own mmaps, or in a heap?
    mmapped = info["hblkhd"] / 2**20 if info is not None else 0.0
    held.clear()
    before_trim = rss_mb() - base
    if sys.argv[1] == "trim":
        tuned = memory.trim()
    print(tuned, rss_mb() - base, mmapped, before_trim)
""")


def retained_mb(mode: str) -> tuple[bool, float, float, float]:
    """(tuned or trimmed, MB kept after the frames were freed, MB in mmaps while 30 were held, kept before trim)"""
    out = subprocess.run([sys.executable, "-c", CHILD, mode], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=True).stdout.split()
    return out[0] == "True", float(out[1]), float(out[2]), float(out[3])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_frames_freed_across_threads_leave_no_resident_heap_behind() -> None:
    tuned, kept, mmapped, _ = retained_mb("tuned")
    if not tuned:
        pytest.skip("not glibc: nothing to tune")
    _, _, control_mmapped, _ = retained_mb("plain")
    assert mmapped > 25, f"tuned: the 30 frames held should be their own mmaps, only {mmapped:.1f} MB are"
    assert control_mmapped < 10, f"control: glibc kept frames in mmaps ({control_mmapped:.1f} MB): no effect to show"
    assert kept < 4, f"tuned allocator kept {kept:.1f} MB after every frame was freed"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_trim_gives_back_what_an_untuned_heap_held() -> None:
    released, kept, _, before = retained_mb("trim")
    if not released or before < 2:
        pytest.skip("not glibc, or the untuned heap happened to keep nothing this run")
    assert kept < before - 1 and kept < 4, f"trim: {before:.1f} MB kept before, {kept:.1f} MB after"


ARENAS_CHILD = textwrap.dedent("""
    import ctypes, os, sys, tempfile, threading
    from kiosk import memory

    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]

    tuned = sys.argv[1] == "tuned" and memory.tune_allocator()
    started, done = threading.Barrier(9), threading.Event()

    def worker():  # a device thread: allocates while the others are alive, as the kiosk's do
        blocks = [libc.malloc(4096) for _ in range(64)]
        started.wait(10)
        done.wait(10)
        for b in blocks:
            libc.free(b)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    started.wait(10)
    path = os.path.join(tempfile.mkdtemp(), "malloc_info.xml")
    fp = libc.fopen(path.encode(), b"w")
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    done.set()
    for t in threads:
        t.join(10)
    print(tuned, open(path).read().count("<heap nr="))
""")


def heaps(mode: str) -> tuple[bool, int]:
    """(tuned, heaps glibc keeps while eight threads that allocated are alive)"""
    out = subprocess.run([sys.executable, "-c", ARENAS_CHILD, mode], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    return out[0] == "True", int(out[1])


def test_threads_share_two_heaps_when_tuned() -> None:
    tuned, n = heaps("tuned")
    if not tuned:
        pytest.skip("not glibc: nothing to tune")
    _, control = heaps("plain")
    assert control > 2, f"control: glibc made only {control} heaps for nine threads: no effect to show"
    assert n <= 2, f"tuned: {n} heaps for nine threads (cap 2)"
