"""A small live camera preview with one line beside it, for screens that accept a code held to the camera.

Why a widget of its own: the courier's tracking-number page and the customer's pickup page both show where to
hold a code, say what the last read meant, and switch the scanner on only while they are shown (decoding
costs CPU; a code must never land on a screen that did not ask). The screens own the words (this module has
no texts of its own, so each screen's catalogue holds them) and decide what a read means.

The scanner (``kiosk.scanner``, a ``hardware.scanner_worker.ScannerWorker``) is looked up when the screen is
entered, not when it is built, so a kiosk without a camera shows no scanning hint at all, and tests can give
an app a scanner after it started. Without a scanner the whole area is hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QSizePolicy, QWidget

from .camera_view import CameraView

HINT_QSS = "QLabel { font-size: %dpx; color: %s; font-weight: %d; }"
CALM, ALERT = "#c9d4df", "#ffdf5d"  # the theme's hint and error colours


class _Line(QLabel):
    """A wrapping label that takes the height it is given instead of asking for more as it narrows (a label's
    height-for-width would otherwise grow the row and squeeze the keyboard below it)."""

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return False


class ScanArea(QWidget):
    """``ScanArea(kiosk, "courier.scan", preview=(w, h), font_px=n)``: the preview is named ``name``, the
    line ``name + "_hint"``; ``start(on_code)`` on entering the screen, ``stop()`` on leaving it.

    The row is as tall as the preview (``preview`` pixels, 4:3); the line wraps beside it and never asks for
    height of its own. ``elastic=True``: the area takes only the height its layout has left over (it never
    pushes a screen past its panel): the preview shrinks with it, keeping 4:3, and below ``min_height`` the
    area shows nothing (a message above it needed the room)."""

    def __init__(self, kiosk: Any, name: str, *, preview: tuple[int, int], font_px: int, elastic: bool = False,
                 min_height: int = 48, hint_first: bool = True) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.setObjectName(f"{name}.area")
        self._max = preview
        self._elastic = elastic
        self._min_height = min_height
        self.preview = CameraView()
        self.preview.setObjectName(name)
        self.hint = _Line()
        self.hint.setObjectName(f"{name}_hint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
        self.hint.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.hint.setMinimumWidth(font_px * 6)
        self._font_px = font_px
        self._alert: bool | None = None
        self.set_alert(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        widgets = (self.hint, self.preview) if hint_first else (self.preview, self.hint)
        for w in widgets:
            row.addWidget(w, 1 if w is self.hint else 0)
        if elastic:
            row.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # children do not set our minimum
            self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
            self.setMaximumHeight(preview[1])
            self._fit(preview[1])
        else:
            self.preview.setFixedSize(*preview)
            self.setFixedHeight(preview[1])
        self._on_code: Callable[[str, str], None] | None = None
        self._scanner: Any = None
        camera = getattr(kiosk, "camera", None)
        if camera is not None:
            self.preview.connect_worker(camera)
        self.setVisible(self.available())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(self._max[0] * 3, self._max[1])

    def resizeEvent(self, e: QResizeEvent) -> None:  # noqa: N802 (Qt API)
        if self._elastic:
            self._fit(e.size().height())
        super().resizeEvent(e)

    def _fit(self, height: int) -> None:
        room = height >= self._min_height
        h = min(height, self._max[1])
        self.preview.setFixedSize(min(self._max[0], round(h * 4 / 3)), h)
        self.preview.setVisible(room)
        self.hint.setVisible(room)

    def available(self) -> bool:
        return getattr(self.kiosk, "scanner", None) is not None

    def set_alert(self, alert: bool) -> None:
        """Calm (an invitation) or alert (a read that cannot be used)."""
        if alert != self._alert:
            self._alert = alert
            self.hint.setStyleSheet(HINT_QSS % (self._font_px, ALERT if alert else CALM, 700 if alert else 400))

    def start(self, on_code: Callable[[str, str], None]) -> bool:
        """Show the area and enable the scanner; False (and hidden) when this kiosk has none."""
        self.stop()
        scanner = getattr(self.kiosk, "scanner", None)
        self.setVisible(scanner is not None)
        if scanner is None:
            return False
        ok, message = getattr(self.kiosk, "devices", {}).get("camera", (True, ""))
        if not ok:
            self.preview.set_offline(message)
        self._scanner, self._on_code = scanner, on_code
        scanner.code_read.connect(on_code)
        scanner.enable()
        return True

    def stop(self) -> None:
        """Disable the scanner and stop listening (idempotent)."""
        scanner, on_code = self._scanner, self._on_code
        self._scanner = self._on_code = None
        if scanner is None:
            return
        scanner.disable()
        try:
            scanner.code_read.disconnect(on_code)
        except (RuntimeError, TypeError):
            pass  # already gone (the kiosk is shutting down)

    @property
    def scanning(self) -> bool:
        return self._scanner is not None
