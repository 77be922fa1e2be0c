"""Playback of a recorded clip on the kiosk, and the check that the file is the one the audit log names.

Why it is built this way:

- This module is only the GUI: the picture, touch controls and the integrity line. Decoding and hashing run
  on a thread of their own behind ``ui.clip_decoder.ClipDecoder``; the player compares the file's SHA-256 with
  the hash the audit log holds for the clip.
- One QThread per opened player session; ``stop()`` ends it (the owner calls it when the player is hidden),
  so no thread outlives the screen that shows the video.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, QThread, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QSizePolicy, QSlider, QStyle, QStyleOptionSlider, QVBoxLayout,
                               QWidget)

from .clip_decoder import MISSING, UNREADABLE, ClipDecoder
from .widgets import button

MATCH_COLOUR, MISMATCH_COLOUR = "#8fe3a5", "#ff6b6b"  # green; a red readable on the dark theme (6:1)
BACKGROUND, TEXT = QColor(16, 16, 16), QColor(220, 220, 220)


def clock_text(seconds: float) -> str:
    """0:07.4 / 12:03.0 / 1:02:03.0"""
    seconds = max(0.0, seconds)
    whole = int(seconds)
    tenths = int((seconds - whole) * 10)
    h, m, s = whole // 3600, whole // 60 % 60, whole % 60
    return f"{h}:{m:02d}:{s:02d}.{tenths}" if h else f"{m}:{s:02d}.{tenths}"


class FrameView(QWidget):
    """Paints the newest frame scaled to fit (aspect kept, letterboxed on dark), or a one-line message."""

    # The view has a new size (the decoder scales frames to fit it).
    resized = Signal(QSize)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: QImage | None = None
        self.message = ""

    def show_image(self, image: QImage) -> None:
        self.image, self.message = image, ""
        self.update()

    def show_message(self, text: str) -> None:
        self.image, self.message = None, text
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(320, 240)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(160, 90)

    def resizeEvent(self, e: Any) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(e)
        self.resized.emit(self.size())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802, ARG002 (Qt API)
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self.image is not None and not self.image.isNull():
            size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            corner = QPoint((self.width() - size.width()) // 2, (self.height() - size.height()) // 2)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRect(corner, size), self.image)
        elif self.message:
            font = QFont(self.font())
            font.setPixelSize(max(14, min(self.height() // 10, 28)))
            painter.setFont(font)
            painter.setPen(TEXT)
            painter.drawText(self.rect().adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
        painter.end()


class SeekSlider(QSlider):
    """A horizontal slider a finger can use: a tap on the groove jumps there; the seek happens on release."""

    # The finger let go at this position (milliseconds from the first frame).
    seek_requested = Signal(int)

    def __init__(self, name: str, touch: int) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.setObjectName(name)
        self.setAccessibleName(name)
        self.setMinimumHeight(touch)
        self.setMinimumWidth(120)
        handle = max(36, touch // 2)
        self.setStyleSheet(
            f"QSlider::groove:horizontal {{ height: 12px; background: #2b3a4a; border-radius: 6px; }}"
            f"QSlider::sub-page:horizontal {{ background: #0b5cad; border-radius: 6px; }}"
            f"QSlider::handle:horizontal {{ background: #ffffff; border: 3px solid #0b5cad; width: {handle}px;"
            f" margin: -{(handle - 12) // 2}px 0; border-radius: {handle // 2}px; }}")
        self.sliderReleased.connect(lambda: self.seek_requested.emit(self.value()))

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if e.button() == Qt.MouseButton.LeftButton:
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                                 QStyle.SubControl.SC_SliderHandle, self)
            if not handle.contains(e.position().toPoint()):  # on the groove: jump there, then drag from there
                span = max(1, self.width() - handle.width())
                x = int(e.position().x()) - handle.width() // 2
                self.setValue(QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), x, span))
        super().mousePressEvent(e)


class ClipPlayer(QWidget):
    """The player: the picture, play / pause / position / close, "frame N / time", and the integrity line.

    ``load(path, sha256)`` opens a clip on a fresh decoder thread; ``stop()`` ends that thread (call it when
    the player is hidden). Widget names are ``<prefix>.play``, ``.pause``, ``.close``, ``.position``,
    ``.verified``, ``.frame`` and ``.view``.
    """

    # The close button was tapped (the owner hides the player).
    closed = Signal()

    def __init__(self, prefix: str, touch: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prefix = prefix
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.caption = QLabel()
        self.caption.setObjectName(f"{prefix}.caption")
        self.caption.setWordWrap(True)
        self.view = FrameView(f"{prefix}.view")
        self.view.resized.connect(self._view_resized)
        self.play_button = button("", f"{prefix}.play", "primary", self.play)
        self.pause_button = button("", f"{prefix}.pause", "", self.pause)
        self.close_button = button("", f"{prefix}.close", "", self._close)
        for b in (self.play_button, self.pause_button, self.close_button):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.slider = SeekSlider(f"{prefix}.position", touch)
        self.slider.seek_requested.connect(self._seek)
        self.slider.sliderMoved.connect(self._seek)  # scrubbing: the decoder keeps only the newest target
        self.slider.setEnabled(False)
        self.position = QLabel()
        self.position.setObjectName(f"{prefix}.frame")
        self.verified = QLabel()
        self.verified.setObjectName(f"{prefix}.verified")
        self.verified.setWordWrap(True)
        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(self.play_button)
        controls.addWidget(self.pause_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.close_button)
        info = QHBoxLayout()
        info.addWidget(self.verified, 1)
        info.addWidget(self.position, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.caption)
        lay.addWidget(self.view, 1)
        lay.addLayout(controls)
        lay.addLayout(info)
        self.decoder: ClipDecoder | None = None
        self.path: Path | None = None
        self.expected = ""
        self.info: dict[str, Any] = {}
        self.frame_number = -1  # the frame shown, from 0 (-1: none yet)
        self.seconds = 0.0
        self.is_playing = False
        self.integrity = ""  # "", "checking", "match", "mismatch", MISSING, UNREADABLE
        self.digest = ""
        self.failure: tuple[str, str] | None = None
        self.retranslate()
        self._update_buttons()

    # ---- texts -----------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.play_button.setText(self.tr("Play"))
        self.pause_button.setText(self.tr("Pause"))
        self.close_button.setText(self.tr("Close"))
        self._show_position()
        self._show_integrity()
        if self.failure is not None:
            self.view.show_message(self._failure_text(*self.failure))

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    # ---- life cycle ------------------------------------------------------------------------------------

    def load(self, path: Path, expected_sha256: str, caption: str = "") -> None:
        """Open a clip (a fresh decoder thread); the first frame shows, playback waits for Play."""
        self.stop()
        self.path, self.expected = Path(path), expected_sha256.lower()
        self.caption.setText(caption)
        self.caption.setVisible(bool(caption))
        self.info, self.frame_number, self.seconds, self.failure = {}, -1, 0.0, None
        self.is_playing, self.integrity, self.digest = False, "checking", ""
        self.slider.setValue(0)
        self.slider.setEnabled(False)
        self.view.show_message(self.tr("Opening the video…"))
        d = ClipDecoder()
        d.opened.connect(self._opened)
        d.frame_ready.connect(self._frame)
        d.playing_changed.connect(self._playing)
        d.ended.connect(self._ended)
        d.failed.connect(self._failed)
        d.hashed.connect(self._hashed)
        d.hash_failed.connect(self._hash_failed)
        self.decoder = d
        d.start()
        if self.isVisible():
            self.layout().activate()  # shown just now: the view's size is the laid-out one
        d.open(self.path, self.view.size() if self.isVisible() else None)
        self._show_position()
        self._show_integrity()
        self._update_buttons()

    def stop(self) -> bool:
        """End the decoder thread (idempotent); the last picture stays until the next load."""
        d, self.decoder = self.decoder, None
        self.is_playing = False
        self._update_buttons()
        return d.stop() if d is not None else True

    @property
    def worker_thread(self) -> QThread | None:
        return self.decoder.worker_thread if self.decoder is not None else None

    def play(self) -> None:
        if self.decoder is not None and self.failure is None:
            self.decoder.play()

    def pause(self) -> None:
        if self.decoder is not None:
            self.decoder.pause()

    def _view_resized(self, size: QSize) -> None:
        if self.decoder is not None:
            self.decoder.set_fit(size, redraw=not self.is_playing)

    def hideEvent(self, e: Any) -> None:  # noqa: N802 (Qt API)
        self.stop()  # hidden (tab left, screen left, window closed): no decoder thread outlives the picture
        super().hideEvent(e)

    # ---- decoder outcomes ------------------------------------------------------------------------------

    def _opened(self, info: dict[str, Any]) -> None:
        self.info = info
        self.slider.setRange(0, max(1, int(info["duration"] * 1000)))
        self.slider.setEnabled(True)
        self._update_buttons()

    def _frame(self, image: QImage, number: int, seconds: float) -> None:
        self.view.show_image(image)
        self.frame_number, self.seconds = number, seconds
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setValue(int(seconds * 1000))
            self.slider.blockSignals(False)
        self._show_position()

    def _playing(self, on: bool) -> None:
        self.is_playing = on
        self._update_buttons()

    def _ended(self) -> None:
        self.is_playing = False
        self._update_buttons()

    def _failed(self, kind: str, line: str) -> None:
        self.failure = (kind, line)
        self.is_playing = False
        self.slider.setEnabled(False)
        self.view.show_message(self._failure_text(kind, line))
        self._update_buttons()

    def _hashed(self, digest: str) -> None:
        self.digest = digest
        self.integrity = "match" if digest == self.expected else "mismatch"
        self._show_integrity()

    def _hash_failed(self, kind: str, line: str) -> None:
        self.integrity, self.digest = kind, line
        self._show_integrity()

    def _seek(self, ms: int) -> None:
        if self.decoder is not None and self.failure is None:
            self.decoder.seek(ms / 1000)

    def _close(self) -> None:
        self.stop()
        self.closed.emit()

    # ---- showing ---------------------------------------------------------------------------------------

    def _failure_text(self, kind: str, line: str) -> str:
        name = self.path.name if self.path is not None else ""
        if kind == MISSING:
            return self.tr("The video file is missing: {file}").format(file=name)
        return self.tr("This video cannot be played ({error}).").format(error=line)

    def _show_position(self) -> None:
        if self.frame_number < 0:
            self.position.setText("")
            return
        total = self.info.get("frames") or 0
        self.position.setText(self.tr("frame {n} / {total} · {time} / {length}").format(
            n=self.frame_number + 1, total=total or "?", time=clock_text(self.seconds),
            length=clock_text(self.info.get("duration", 0.0))))

    def _show_integrity(self) -> None:
        colour = MISMATCH_COLOUR
        if self.integrity == "checking":
            text, colour = self.tr("Checking the file against the audit log…"), "#c9d4df"
        elif self.integrity == "match":
            text, colour = self.tr("SHA-256 {hash}… matches the audit log.").format(hash=self.digest[:16]), \
                MATCH_COLOUR
        elif self.integrity == "mismatch":
            text = self.tr("SHA-256 DOES NOT MATCH the audit log: file {file}…, log {log}…. The file was "
                           "changed after recording.").format(file=self.digest[:12], log=self.expected[:12])
        elif self.integrity == MISSING:
            text = self.tr("The file is missing: it cannot be checked against the audit log.")
        elif self.integrity == UNREADABLE:
            text = self.tr("The file cannot be read ({error}): it cannot be checked.").format(error=self.digest)
        else:
            text = ""
        self.verified.setText(text)
        self.verified.setStyleSheet(f"color: {colour}; font-weight: 700;")

    def _update_buttons(self) -> None:
        usable = self.decoder is not None and self.failure is None and bool(self.info)
        self.play_button.setEnabled(usable and not self.is_playing)
        self.pause_button.setEnabled(usable and self.is_playing)
