"""Qt face of the code scanner: ``code_read(kind, text)`` on the GUI thread, while a screen wants codes.

Why it is built this way:

- The decoding thread is ``hardware.scanner.Scanner`` (plain Python, also usable without Qt). Its callback runs
  on that thread, so it only ``post``s; this face lives on the GUI thread and emits there (DESIGN §4,
  ``hardware/qt_bridge.py``): screens can connect plain lambdas.
- A read crosses threads, so it can arrive after the screen that wanted it has gone (a code decoded just
  before ``disable()``). Each ``enable()`` opens a new generation; a read is delivered only if the scanner is
  still enabled in the generation it was decoded in, so a code held to the courier's form never lands on the
  next screen.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Signal

from .qt_bridge import DeviceSignals
from .scanner import Code, FrameFeed, Scanner


class ScannerWorker(DeviceSignals):
    """Create, connect and ``start()`` on the GUI thread; ``enable()`` while a screen accepts codes;
    ``stop()`` at shutdown (single use)."""

    # A code was read while enabled: kind ("qr" | "barcode") and the text it encodes (not yet validated).
    code_read = Signal(str, str)

    _read_in = Signal(int, str, str)  # internal: scanner thread → GUI thread, (generation, kind, text)

    def __init__(self, feed: FrameFeed, *, max_fps: float = 5.0, repeat_s: float = 2.0,
                 reader: Callable[[np.ndarray], list[Code]] | None = None) -> None:
        super().__init__()
        self._generation = 0
        self._enabled = False
        self._read_in.connect(self._deliver_read)
        self.scanner = Scanner(feed, self._on_code, max_fps=max_fps, repeat_s=repeat_s, reader=reader)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def start(self) -> None:
        """Start the decoding thread (it sleeps until ``enable()``)."""
        self.scanner.start()

    def stop(self, timeout_ms: int = 3000) -> bool:
        """Disable and end the thread; True if it ended in time."""
        self.disable()
        return self.scanner.stop(timeout_ms / 1000)

    def enable(self) -> None:
        if self._enabled:
            return
        self._generation += 1
        self._enabled = True
        self.scanner.enable()

    def disable(self) -> None:
        if not self._enabled:
            return
        self._enabled = False
        self._generation += 1
        self.scanner.disable()

    # -- scanner thread --------------------------------------------------------------------------------
    def _on_code(self, kind: str, text: str) -> None:
        self.post("_read_in", self._generation, kind, text)

    # -- GUI thread ------------------------------------------------------------------------------------
    def _deliver_read(self, generation: int, kind: str, text: str) -> None:
        if self._enabled and generation == self._generation:
            self.code_read.emit(kind, text)
