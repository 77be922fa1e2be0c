"""Keep the kiosk's memory flat over months: tell glibc's allocator to hand big buffers back to the system.

Why: the kiosk moves a camera frame (640x480x3 = 900 KB) through several threads 30 times a second (capture,
preview, recorder, scanner). glibc serves blocks above ``M_MMAP_THRESHOLD`` with their own mmap, returned to
the system on free, but by default the threshold *rises* to the size of any such block that is freed (up to
32 MB), after which frame-sized buffers come from the heaps of whichever thread allocated them. Freed in another
thread's order, they leave holes the heap cannot give back: the soak (bench/soak.py) measured RSS climbing
~25 MB in the first thousand transactions with the live heap flat (``mallinfo2``: in use 80 MB, free-but-held
25 MB and growing). Pinning the threshold at its default (128 KiB; setting it turns the dynamic rise off, see
mallopt(3)) keeps every frame an mmap of its own: RSS 18 MB lower at the same point, and no drift.

The same function caps glibc's arenas at two (``M_ARENA_MAX``; the default is eight per core). Each thread
that first allocates while the others hold theirs gets a heap of its own, and a heap keeps what its thread freed
for that thread alone: with ~19 threads the soak showed 13 heaps, and the free-but-held bytes inside them
(``mallinfo2().fordblks``) creeping up ~1 MB per thousand transactions with nothing live growing, while capped
at two they stayed flat at ~1.5 MB over the same run. The kiosk's threads are few and mostly wait on a device or
on Python's GIL, so sharing two heaps costs nothing measurable (bench/bench_ui.py, bench/bench_recorder.py).

``trim()`` hands back free pages at the top and in the middle of every heap (malloc_trim(3), glibc ≥ 2.8);
the 30 s housekeeping tick calls it when the cabinet is idle, which costs a few milliseconds.

Both are no-ops off glibc (musl, macOS): the kiosk must not depend on them to run, only to stay small.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt(3) parameter numbers from <malloc.h>
M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024  # glibc's default; setting it explicitly turns off the dynamic rise
ARENA_MAX = 2  # heaps shared by all threads (the main one included)

_libc: ctypes.CDLL | None = None
_probed = False


def _glibc() -> ctypes.CDLL | None:
    global _libc, _probed
    if not _probed:
        _probed = True
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            lib.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            lib.mallopt.restype = ctypes.c_int
            lib.malloc_trim.argtypes = [ctypes.c_size_t]
            lib.malloc_trim.restype = ctypes.c_int
            _libc = lib
        except (OSError, AttributeError):  # not glibc: nothing to tune
            _libc = None
    return _libc


def tune_allocator() -> bool:
    """Pin the mmap threshold and cap the arenas; True when glibc took both. Call once, early (before the camera
    and the device threads start: a heap made before the cap stays)."""
    lib = _glibc()
    if lib is None:
        return False
    ok = lib.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    if not ok:
        log.warning("memory: glibc refused the mmap threshold; RSS may drift up with camera frames")
    capped = lib.mallopt(M_ARENA_MAX, ARENA_MAX) == 1
    if not capped:
        log.warning("memory: glibc refused the arena cap; RSS may drift up with many threads")
    return ok and capped


def trim() -> bool:
    """Give free heap pages back to the system; True when some were released."""
    lib = _glibc()
    return bool(lib is not None and lib.malloc_trim(0))


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]


def heap_info() -> dict[str, int] | None:
    """glibc's own account of the heap (mallinfo2(3), glibc ≥ 2.33), for the soak and the tests: ``uordblks``
    in use, ``fordblks`` freed but kept, ``hblkhd`` in mmaps of their own; None off glibc."""
    lib = _glibc()
    fn = getattr(lib, "mallinfo2", None) if lib is not None else None
    if fn is None:
        return None
    fn.restype = _MallInfo2
    info = fn()
    return {name: int(getattr(info, name)) for name, _ in _MallInfo2._fields_}
