"""The kiosk's look: one QSS sheet scaled to the panel, and the touch-size rule.

Why computed sizes: the same cabinet software drives 1280x800 and 800x480 panels, and a finger needs a
target of about 15 mm on both (≈ 88 px on a 10.1" 1280x800 panel, ≈ 78 px on a 7" 800x480 one), so targets
never go below 78 px while text scales with the panel height. Fonts fall back to Noto Sans CJK for Chinese.
"""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QWidget

MIN_TOUCH_PX = 78  # 15 mm on a 7" 800x480 panel
FONT_FAMILIES = ["Noto Sans", "Noto Sans CJK SC", "DejaVu Sans", "sans-serif"]


def metrics(height: int) -> dict[str, int]:
    s = height / 800
    touch = max(MIN_TOUCH_PX, round(92 * s))
    # Keys may be narrower than tall: ten across must fit an 800 px panel (≈ 14 mm each there).
    return {"touch": touch, "key_w": round(60 * max(s, 0.9)), "radius": round(12 * s), "pad": round(18 * s), "check": round(44 * max(s, 0.8)),
            "f_body": max(17, round(24 * s)), "f_small": max(15, round(19 * s)), "f_sub": max(19, round(30 * s)),
            "f_title": max(24, round(44 * s)), "f_huge": max(30, round(64 * s)), "f_button": max(19, round(28 * s)),
            "f_key": max(24, round(36 * s)), "f_field": max(22, round(34 * s)), "scroll": max(24, round(36 * s))}


def stylesheet(height: int) -> str:
    qss = resources.files("assets").joinpath("theme.qss").read_text(encoding="utf-8")
    for key, value in metrics(height).items():
        qss = qss.replace("{" + key + "}", str(value))
    return qss


def apply(app: QApplication, height: int) -> None:
    font = QFont()
    available = set(QFontDatabase.families())
    font.setFamilies([f for f in FONT_FAMILIES if f in available] or ["sans-serif"])
    app.setFont(font)
    app.setStyleSheet(stylesheet(height))


def set_role(widget: QWidget, role: str) -> None:
    """primary / danger / key / link: styled by the sheet, and re-polished so a change shows at once."""
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
