"""Shared test set-up: Qt renders offscreen, and a test that leaves a thread running fails."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

# Importing OpenCV starts its process-lifetime worker pool (two native threads). Do it before any test is
# watched, so the guard below sees only threads a test itself started and should have stopped.
import cv2  # noqa: E402
import numpy as np  # noqa: E402

# OpenCV's pool grows by one thread at its first colour conversion (the recorder, the scanner and the clip
# player all convert): grow it now, not inside whichever test happens to convert first.
cv2.cvtColor(np.zeros((240, 320, 3), np.uint8), cv2.COLOR_BGR2YUV_I420)

# Threads that Qt, glib or Python's own machinery start once per process and keep: not ours to stop.
PROCESS_THREADS = ("QDBus", "QXcb", "Thread (pooled)", "gmain", "gdbus", "dconf", "pool-", "pytest_timeout",
                   "QInotifyFileSys", "QFileInfoGather")


def os_threads() -> dict[int, str]:
    """Every thread of this process, Python's, Qt's and C libraries' alike, with its kernel name."""
    out = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            out[int(task.name)] = (task / "comm").read_text().strip()
        except OSError:
            pass  # ended while we looked
    return out


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves a thread of its own behind (Python threads and QThreads), after a 2 s grace."""
    before_py = set(threading.enumerate())
    before_os = set(os_threads())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        # A _DummyThread stands for a thread Python did not start (a QThread that logged): it never leaves
        # threading's table, so its life is judged by the kernel's list below.
        leaked = [t.name for t in threading.enumerate() if t not in before_py and t.is_alive()
                  and not isinstance(t, threading._DummyThread) and not t.name.startswith(PROCESS_THREADS)]
        leaked += [f"{name} (tid {tid})" for tid, name in os_threads().items()
                   if tid not in before_os and not name.startswith(PROCESS_THREADS)]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    if leaked:
        pytest.fail(f"test left threads running: {sorted(set(leaked))}")
