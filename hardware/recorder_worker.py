"""The recorder as Qt signals: finished clips, faults and recovery arrive on the GUI thread.

Why no QThread here: the ``Recorder`` already is a thread of its own (plain Python, so the CLI, benchmarks and
tests use it without Qt), and its commands only queue. So this face just forwards commands and re-posts the
recorder's callbacks, which run on the recorder thread, to the GUI thread through ``DeviceSignals.post``
(PySide6 would run a connected lambda in the emitting thread otherwise). It wraps a Recorder built by the
composition root, or builds one from the same arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal

from .qt_bridge import DeviceSignals
from .recorder import FrameFeed, Recorder


class RecorderWorker(DeviceSignals):
    """Create it on the GUI thread, either around a ``Recorder`` not yet started (its callbacks, if any, still
    run first) or with the Recorder's arguments; ``start()`` it, and ``stop()`` it before the application quits
    (open clips are finished then, marked incomplete)."""

    # A clip file is finished, hashed and has its sidecar: the ClipInfo.
    clip_saved = Signal(object)
    # Recording is paused or failing: one human-readable line (disk almost full, camera offline, encoder).
    recorder_fault = Signal(str)
    # Recording works: the first frame is encoded, or every reported fault has cleared.
    recorder_ok = Signal()

    def __init__(self, recorder: Recorder | FrameFeed, out_dir: Path | None = None, **options: Any) -> None:
        super().__init__()
        if isinstance(recorder, Recorder):
            if out_dir is not None or options:
                raise TypeError("RecorderWorker takes a Recorder, or the Recorder's arguments, not both")
            if recorder.ident is not None:
                raise RuntimeError("RecorderWorker needs a Recorder that is not started yet")
            self.recorder = recorder
        else:
            if out_dir is None:
                raise TypeError("RecorderWorker(feed, out_dir, **options): out_dir is required")
            self.recorder = Recorder(recorder, out_dir, **options)
        rec = self.recorder
        rec.on_clip = _then(rec.on_clip, lambda info: self.post("clip_saved", info))
        rec.on_fault = _then(rec.on_fault, lambda message: self.post("recorder_fault", message))
        rec.on_ok = _then(rec.on_ok, lambda: self.post("recorder_ok"))

    def start(self) -> None:
        self.recorder.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Finish open clips and join the recorder thread; True if it ended within ``timeout`` seconds."""
        return self.recorder.stop(timeout)

    def start_clip(self, txn: str, kind: str, boxes: Iterable[str] = ()) -> None:
        self.recorder.start_clip(txn, kind, boxes)

    def set_boxes(self, txn: str, boxes: Iterable[str]) -> None:
        self.recorder.set_boxes(txn, boxes)

    def stop_clip(self, txn: str, postroll_s: float | None = None) -> None:
        self.recorder.stop_clip(txn, postroll_s)

    @property
    def recording(self) -> set[str]:
        return self.recorder.recording

    @property
    def stats(self) -> dict[str, int]:
        return self.recorder.stats


def _then(first: Callable[..., None] | None, second: Callable[..., None]) -> Callable[..., None]:
    """A callback that runs ``first`` (the Recorder's own, if any) and then ``second``."""
    if first is None:
        return second

    def both(*args: Any) -> None:
        try:
            first(*args)
        finally:  # the signal goes out even if the other listener fails
            second(*args)
    return both
