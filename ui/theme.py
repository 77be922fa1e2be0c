"""The kiosk's look: one QSS sheet scaled to the panel, coloured by a palette, and the touch-size rule.

Why computed sizes: the same cabinet software drives 1280x800 and 800x480 panels, and a finger needs a
target of about 15 mm on both (≈ 88 px on a 10.1" 1280x800 panel, ≈ 78 px on a 7" 800x480 one), so targets
never go below 78 px while text scales with the panel height. Fonts fall back to Noto Sans CJK for Chinese.

Why palettes in one sheet (not one sheet per theme): the standard and high-contrast looks must never drift
apart in layout, only in colour, and a person switches between them live; the larger-text choice multiplies
every font size (never a touch target). ``Look`` is the whole choice; applying it re-polishes widgets in place,
so a half-typed field or an open page survives the switch. Re-polishing ~700 widgets takes most of a second, so
night mode on a panel without a controllable backlight does not re-style: the window lays a translucent black
veil over everything (ui/window.py), which is free to show and hide at every session.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QWidget

MIN_TOUCH_PX = 78  # 15 mm on a 7" 800x480 panel
FONT_FAMILIES = ["Noto Sans", "Noto Sans CJK SC", "DejaVu Sans", "sans-serif"]
LARGER_TEXT = 1.25  # the header's "larger text" choice
NIGHT_DIM = 0.6  # night on a panel without a backlight: every colour at 60 % (white stays ≥ 7:1 on black)

STANDARD = {
    "bg": "#0f1720", "fg": "#ffffff", "fg_sub": "#e6edf3", "fg_hint": "#c9d4df", "warn": "#ffdf5d",
    "header_bg": "#17222e", "header_line": "#2b3a4a", "btn_bg": "#2b3a4a", "btn_fg": "#ffffff",
    "btn_line": "#6b7d90", "btn_pressed": "#41576d", "focus": "#ffdf5d", "btn_focus": "#6b7d90", "off_bg": "#1c2631", "off_fg": "#8b9aab",
    "off_line": "#3a4856", "pri_bg": "#1f7a38", "pri_fg": "#ffffff", "pri_line": "#8fe3a5", "pri_pressed": "#16602b",
    "dng_bg": "#a8261c", "dng_fg": "#ffffff", "dng_line": "#ffb0a8", "link": "#9fd0ff", "chk_bg": "#0b5cad",
    "chk_fg": "#ffffff", "chk_line": "#cfe6ff", "field_bg": "#ffffff", "field_fg": "#0f1720", "tick_bg": "#1f7a38",
    "tick_line": "#8fe3a5", "table_bg": "#0b1118", "grid": "#2b3a4a",
    "border": "2", "border_field": "3",
}
# Black, white and yellow only (21:1 and 19.6:1; the disabled grey #a6a6a6 is 8.9:1 on black); thick borders so
# every target's edge shows; yellow marks what acts (primary, focus, the selected tab); danger is white on black
# with a white frame and bold words, told apart from primary by its words, not by a hue.
CONTRAST = {
    "bg": "#000000", "fg": "#ffffff", "fg_sub": "#ffffff", "fg_hint": "#ffffff", "warn": "#ffff00",
    "header_bg": "#000000", "header_line": "#ffffff", "btn_bg": "#000000", "btn_fg": "#ffffff",
    "btn_line": "#ffffff", "btn_pressed": "#404040", "focus": "#ffff00", "btn_focus": "#ffff00", "off_bg": "#000000", "off_fg": "#a6a6a6",
    "off_line": "#a6a6a6", "pri_bg": "#ffff00", "pri_fg": "#000000", "pri_line": "#ffff00", "pri_pressed": "#cccc00",
    "dng_bg": "#ffffff", "dng_fg": "#000000", "dng_line": "#ffffff", "link": "#ffff00", "chk_bg": "#ffff00",
    "chk_fg": "#000000", "chk_line": "#ffff00", "field_bg": "#ffffff", "field_fg": "#000000", "tick_bg": "#ffff00",
    "tick_line": "#ffffff", "table_bg": "#000000", "grid": "#ffffff",
    "border": "4", "border_field": "5",
}
PALETTES = {"standard": STANDARD, "contrast": CONTRAST}


@dataclass(frozen=True)
class Look:
    """What the screen looks like now: the palette and the text scale."""

    theme: str = "standard"  # "standard" | "contrast"
    scale: float = 1.0  # every font size times this (touch targets never shrink)

    def with_(self, **changes: object) -> "Look":
        return replace(self, **changes)  # type: ignore[arg-type]


def metrics(height: int, scale: float = 1.0) -> dict[str, int]:
    s = height / 800
    touch = max(MIN_TOUCH_PX, round(92 * s))

    def f(px: float, least: int) -> int:
        return round(max(least, round(px * s)) * scale)

    # Keys may be narrower than tall: ten across must fit an 800 px panel (≈ 14 mm each there).
    return {"touch": touch, "key_w": round(60 * max(s, 0.9)), "radius": round(12 * s), "pad": round(18 * s),
            "check": round(44 * max(s, 0.8) * max(1.0, scale)), "head_pad": round(10 * s),
            "f_body": f(24, 17), "f_small": f(19, 15), "f_sub": f(30, 19), "f_title": f(44, 24), "f_huge": f(64, 30),
            "f_button": f(28, 19), "f_key": f(36, 24), "f_field": f(34, 22), "f_head": f(22, 16),
            "scroll": max(24, round(36 * s))}


def dim(colour: str, factor: float) -> str:
    """#rrggbb with every channel times factor (what the night veil makes of a colour)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#%02x%02x%02x" % tuple(round(c * factor) for c in (r, g, b))


def palette(look: Look) -> dict[str, str]:
    return dict(PALETTES.get(look.theme, STANDARD))


def stylesheet(height: int, look: Look = Look()) -> str:
    qss = resources.files("assets").joinpath("theme.qss").read_text(encoding="utf-8")
    m, colours = metrics(height, look.scale), palette(look)
    # min-height is the content's: a thicker border must not make a target (and the screen) taller than the panel.
    m["touch_btn"] = m["touch"] - 2 * (int(colours["border"]) - int(STANDARD["border"]))
    m["touch_field"] = m["touch"] - 2 * (int(colours["border_field"]) - int(STANDARD["border_field"]))
    values: dict[str, object] = {**m, **colours}
    for key, value in values.items():
        qss = qss.replace("{" + key + "}", str(value))
    return qss


def apply(app: QApplication, height: int, look: Look = Look()) -> None:
    font = QFont()
    available = set(QFontDatabase.families())
    font.setFamilies([f for f in FONT_FAMILIES if f in available] or ["sans-serif"])
    app.setFont(font)
    app.setStyleSheet(stylesheet(height, look))


def set_role(widget: QWidget, role: str) -> None:
    """primary / danger / key / link: styled by the sheet, and re-polished so a change shows at once."""
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
