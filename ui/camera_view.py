"""The camera preview widget: paints the newest frame, or "Camera offline".

Why it is this small: frames arrive already copied and already thinned to "latest wins" by
``hardware.camera_worker.CameraWorker``, so the widget only keeps one QImage and paints it scaled to fit
(aspect ratio kept, letterboxed on dark). The status signals are authoritative: while offline, frames are
ignored and the last picture is dropped, so a frozen image never passes for a live camera.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Slot
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from hardware.camera_worker import CameraWorker

BACKGROUND = QColor(16, 16, 16)
TEXT = QColor(220, 220, 220)


class CameraView(QWidget):
    """Shows a camera. Wire it with ``connect_worker(worker)`` or the three slots by hand."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("camera.preview")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we paint every pixel ourselves
        self._image: QImage | None = None
        self._offline = False
        self._message = ""

    def connect_worker(self, worker: CameraWorker) -> None:
        worker.frame_ready.connect(self.show_frame)
        worker.camera_online.connect(self.set_online)
        worker.camera_offline.connect(self.set_offline)

    @property
    def is_offline(self) -> bool:
        return self._offline

    @property
    def offline_message(self) -> str:
        """The technical reason (for maintainer screens and logs); the preview itself says "Camera offline"."""
        return self._message

    @property
    def image(self) -> QImage | None:
        return self._image

    @Slot(QImage)
    def show_frame(self, image: QImage) -> None:
        if self._offline:
            return
        self._image = image
        self.update()

    @Slot()
    def set_online(self) -> None:
        self._offline, self._message = False, ""
        self.update()

    @Slot(str)
    def set_offline(self, message: str = "") -> None:
        self._offline, self._message, self._image = True, message, None
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(320, 240)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802, ARG002 (Qt API)
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self._offline:
            font = QFont(self.font())
            font.setPixelSize(max(12, self.height() // 12))
            painter.setFont(font)
            painter.setPen(TEXT)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("Camera offline"))
        elif self._image is not None and not self._image.isNull():
            size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            corner = QPoint((self.width() - size.width()) // 2, (self.height() - size.height()) // 2)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRect(corner, size), self._image)
        painter.end()
