"""Images to hold to the camera: a parcel label's Code 128 barcode and the handheld's pickup QR.

Why here: the simulator panel and the tests play the courier with a parcel and the customer with a phone, and
both need a picture of the code to hand to ``SyntheticSource.hold``. QR codes come from OpenCV's own
``cv2.QRCodeEncoder`` (no extra package). Code 128 is drawn from ``hardware.code128``'s table, which the
scanner needs anyway to read the bars (OpenCV decodes EAN/UPC only); a library such as python-barcode would
add a dependency, and Pillow for rasters, to produce the same 107 patterns.

Both are grey uint8 arrays (0 = ink, 255 = paper) with the symbology's quiet zone included, sized in whole
pixels per module so the edges are sharp; the camera (or ``hold``) scales them as a real lens would.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import code128 as _code128

QR_QUIET = 4  # modules of white around a QR (ISO/IEC 18004)
_QR_LEVELS = {"L": cv2.QRCodeEncoder_CORRECT_LEVEL_L, "M": cv2.QRCodeEncoder_CORRECT_LEVEL_M,
              "Q": cv2.QRCodeEncoder_CORRECT_LEVEL_Q, "H": cv2.QRCodeEncoder_CORRECT_LEVEL_H}


def code128(text: str, module_px: int = 3, height_px: int | None = None, *, caption: bool = True) -> np.ndarray:
    """A Code 128 label: bars ``module_px`` wide per module, ``height_px`` tall (default: a third of the bar
    width, at least 40 px), 10-module quiet zones, and the text printed under the bars when ``caption``."""
    if module_px < 1:
        raise ValueError(f"module_px must be >= 1, got {module_px}")
    bits = np.frombuffer(_code128.modules(text).encode("ascii"), np.uint8) == ord("1")
    row = np.where(bits, 0, 255).astype(np.uint8)
    row = np.pad(row, _code128.QUIET, constant_values=255)
    row = np.repeat(row, module_px)
    width = row.size
    height = height_px or max(40, width // 3)
    bars = np.repeat(row[None, :], height, axis=0)
    margin = max(4, 2 * module_px)
    parts = [np.full((margin, width), 255, np.uint8), bars]
    if caption:
        scale = max(0.4, min(1.2, module_px / 3 * 0.8))
        thick = max(1, round(scale * 1.5))
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        band = np.full((th + base + 2 * margin, width), 255, np.uint8)
        cv2.putText(band, text, (max(0, (width - tw) // 2), margin + th), cv2.FONT_HERSHEY_SIMPLEX, scale, 0,
                    thick, cv2.LINE_AA)
        parts.append(band)
    else:
        parts.append(np.full((margin, width), 255, np.uint8))
    return np.vstack(parts)


def qr(text: str, module_px: int = 6, *, level: str = "M") -> np.ndarray:
    """A QR code of ``text`` (error correction ``level`` L/M/Q/H), ``module_px`` pixels a module, with a
    4-module quiet zone."""
    if module_px < 1:
        raise ValueError(f"module_px must be >= 1, got {module_px}")
    if level not in _QR_LEVELS:
        raise ValueError(f"QR level must be one of {', '.join(_QR_LEVELS)}, got {level!r}")
    params = cv2.QRCodeEncoder.Params()
    params.correction_level = _QR_LEVELS[level]
    img = cv2.QRCodeEncoder.create(params).encode(text)  # 1 px a module, a 2-module border
    if img is None or img.size == 0:
        raise ValueError(f"cannot encode {len(text)} characters as a QR code")
    dark = np.where(img.min(axis=1) == 0)[0]
    border = int(dark[0]) if dark.size else 0
    img = np.pad(img, max(0, QR_QUIET - border), constant_values=255)
    return cv2.resize(img, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)
