"""The text the recorder burns into every frame: one line per open transaction, then local date/time and cabinet.

Why it is built this way:

- Burned into the pixels (OpenCV, before encoding) rather than kept beside the video: any player, an exported
  file or a single still shows when and where it was recorded and which transaction (and boxes) it belongs to.
- White text on a black box, sized by the frame height: readable on any scene and at any camera resolution.
- Plain functions on a numpy frame, so the tests and the benchmark draw exactly what the recorder draws.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import cv2
import numpy as np


def overlay_lines(wall: float, cabinet_id: str, clips: Iterable[tuple[str, Iterable[str]]] = ()) -> list[str]:
    """The burned-in text, top line first: one "txn box…" line per open clip, then local date/time + cabinet."""
    lines = [" ".join([txn, *boxes]) for txn, boxes in clips]
    lines.append(f"{datetime.fromtimestamp(wall):%Y-%m-%d %H:%M:%S}  {cabinet_id}")
    return lines


def overlay_scale(height: int) -> tuple[float, int]:
    """Font scale and stroke thickness for a frame height: readable on a 480-line frame, grows with it."""
    return max(0.35, 0.5 * height / 480), 1 if height < 720 else 2


def draw_overlay(img: np.ndarray, lines: list[str]) -> None:
    """Draw ``lines`` at the bottom left of a writable BGR frame, white on a black box (readable on any scene)."""
    scale, thick = overlay_scale(img.shape[0])
    font = cv2.FONT_HERSHEY_SIMPLEX
    pad = max(2, round(4 * scale))
    y = img.shape[0] - pad
    for text in reversed(lines):
        (w, h), base = cv2.getTextSize(text, font, scale, thick)
        top = y - h - base - 2 * pad
        cv2.rectangle(img, (0, max(0, top)), (w + 2 * pad, y), (0, 0, 0), -1)
        cv2.putText(img, text, (pad, y - base - pad), font, scale, (255, 255, 255), thick, cv2.LINE_AA)
        y = top
