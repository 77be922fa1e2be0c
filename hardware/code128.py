"""Code 128, both ways: text → bar widths (labels to hold to the camera) and bar widths → text (the scanner).

Why our own table: the parcel labels couriers scan are Code 128, and OpenCV's ``cv2.barcode.BarcodeDetector``
finds 1-D barcodes of any kind but decodes only EAN-8/EAN-13/UPC (checked on OpenCV 5.0: its decoders are
``Ean13Decoder`` and ``Ean8Decoder``). So the scanner lets OpenCV find the barcode and reads the bars itself,
and that needs the symbology's table anyway; the label generator uses the same table, so no second library
(python-barcode would add a dependency for the 107 patterns below). Tests check both directions against
module strings made by an independent encoder.

- Encoding uses code set B (printable ASCII) and switches to code set C (two digits a symbol) for runs of
  four or more digits, which makes typical tracking numbers ("SF1234567890") a third narrower: wider bars at
  the same label width, so a label read from further away.
- Decoding compares each 6-run group, scaled to its 11 modules, with every pattern (ZXing's variance
  thresholds), and accepts a read only with a correct start, stop and mod-103 checksum, so a blurred or
  partly covered label is read as nothing rather than as a wrong number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

# Bar/space widths in modules of symbol values 0..105 (6 runs, 11 modules each), then STOP (7 runs, 13).
PATTERNS: tuple[str, ...] = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
    "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
    "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
    "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
    "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
    "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
    "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
    "114131", "311141", "411131", "211412", "211214", "211232",
)
STOP = "2331112"
START_A, START_B, START_C = 103, 104, 105
CODE_A, CODE_B, CODE_C = 101, 100, 99  # "switch to set X" (values as seen from sets B/C, C/A and A/B)
SHIFT, FNC1 = 98, 102
QUIET = 10  # modules of blank space each side (the standard's minimum)

_WIDTHS = [tuple(int(c) for c in p) for p in PATTERNS] + [tuple(int(c) for c in STOP[:6])]  # 106 = STOP
MAX_AVG_VARIANCE = 0.25  # per module, over a symbol (ZXing's Code128Reader uses the same bounds)
MAX_INDIVIDUAL_VARIANCE = 0.7
MAX_SYMBOLS = 60
_STARTS = (START_A, START_B, START_C)


# ---------------------------------------------------------------------------------------------- encoding

def encode(text: str) -> list[int]:
    """Symbol values: start, data, checksum, 106 (stop). Printable ASCII only (32..126)."""
    if not text:
        raise ValueError("Code 128: nothing to encode")
    bad = sorted({c for c in text if not 32 <= ord(c) <= 126})
    if bad:
        raise ValueError(f"Code 128 (set B/C) cannot encode {''.join(bad)!r}: printable ASCII only")
    values: list[int] = []
    in_c = False
    i = 0
    while i < len(text):
        run = _digit_run(text, i)
        if run >= 4 or (in_c and run >= 2):
            if run % 2 and not in_c:  # an odd run: its first digit in set B, the rest as pairs
                values.append(ord(text[i]) - 32)
                i += 1
                run -= 1
            if not in_c:
                values.append(CODE_C if values else START_C)
                in_c = True
            for _ in range(run // 2):
                values.append(int(text[i:i + 2]))
                i += 2
            continue
        if in_c or not values:
            values.append(CODE_B if values else START_B)
            in_c = False
        values.append(ord(text[i]) - 32)
        i += 1
    check = (values[0] + sum(pos * v for pos, v in enumerate(values[1:], start=1))) % 103
    return values + [check, 106]


def _digit_run(text: str, i: int) -> int:
    n = 0
    while i + n < len(text) and text[i + n].isdigit():
        n += 1
    return n


def modules(text: str) -> str:
    """The barcode as "1" (bar) / "0" (space) modules, without quiet zones."""
    out = []
    for v in encode(text):
        widths = STOP if v == 106 else PATTERNS[v]
        out.extend(("1" if k % 2 == 0 else "0") * int(w) for k, w in enumerate(widths))
    return "".join(out)


# ---------------------------------------------------------------------------------------------- decoding

def runs_of(row: Sequence[bool] | np.ndarray) -> tuple[list[int], bool]:
    """Run lengths of a boolean row (True = bar) and whether the first run is a bar."""
    a = np.asarray(row, dtype=bool)
    if a.size == 0:
        return [], False
    edges = np.flatnonzero(a[1:] != a[:-1]) + 1
    bounds = np.concatenate(([0], edges, [a.size]))
    return np.diff(bounds).tolist(), bool(a[0])


def decode_row(row: Sequence[bool] | np.ndarray) -> str | None:
    """Read one scan line across a barcode (True = dark), left to right or right to left."""
    runs, first_dark = runs_of(row)
    if len(runs) < 6 * 3 + 7:
        return None
    text = decode_runs(runs, first_dark)
    if text is None:
        last_dark = first_dark == (len(runs) % 2 == 1)
        text = decode_runs(runs[::-1], last_dark)
    return text


def decode_runs(runs: Sequence[float], first_dark: bool) -> str | None:
    """Find a start pattern among the runs (widths, alternating bar/space) and read to the stop; None unless
    the checksum holds."""
    start0 = 0 if first_dark else 1
    for j in range(start0, len(runs) - 6, 2):
        value = _match(runs[j:j + 6], _STARTS)
        if value is None:
            continue
        module = sum(runs[j:j + 6]) / 11.0
        if j > 0 and runs[j - 1] < 3 * module:  # a start needs blank space before it (the quiet zone)
            continue
        text = _read_from(runs, j, value)
        if text is not None:
            return text
    return None


def _match(group: Sequence[float], values: Iterable[int] = range(len(_WIDTHS))) -> int | None:
    """The value (among ``values``) whose pattern is closest to these 6 runs, if close enough."""
    total = float(sum(group))
    if total <= 0:
        return None
    scale = 11.0 / total
    best, best_var = None, MAX_AVG_VARIANCE * 11
    for value in values:
        pattern = _WIDTHS[value]
        var = 0.0
        for r, p in zip(group, pattern):
            d = abs(r * scale - p)
            if d > MAX_INDIVIDUAL_VARIANCE * p:
                break
            var += d
        else:
            if var < best_var:
                best, best_var = value, var
    return best


def _read_from(runs: Sequence[float], j: int, start: int) -> str | None:
    values = [start]
    k = j + 6
    while len(values) < MAX_SYMBOLS:
        if k + 6 > len(runs):
            return None
        v = _match(runs[k:k + 6])
        if v is None or v in (START_A, START_B, START_C):
            return None
        if v == 106:  # STOP's first six runs; its final bar must follow
            if k + 6 >= len(runs):
                return None
            module = sum(runs[k:k + 6]) / 11.0
            if not 1.0 <= runs[k + 6] / module <= 3.2:
                return None
            break
        values.append(v)
        k += 6
    if len(values) < 3:  # start, at least one data symbol, checksum
        return None
    *data, check = values
    if (data[0] + sum(pos * v for pos, v in enumerate(data[1:], start=1))) % 103 != check:
        return None
    return _text(data)


def _text(values: Sequence[int]) -> str | None:
    charset = {START_A: "A", START_B: "B", START_C: "C"}[values[0]]
    out: list[str] = []
    shift = False
    for v in values[1:]:
        cs = ("B" if charset == "A" else "A") if shift else charset
        shift = False
        if cs == "C":
            if v < 100:
                out.append(f"{v:02d}")
            elif v == CODE_B:
                charset = "B"
            elif v == CODE_A:
                charset = "A"
            continue  # FNC1 (GS1 separator) carries no text
        if v < 64 or (cs == "B" and v < 96):
            out.append(chr(v + 32))
        elif cs == "A" and v < 96:
            out.append(chr(v - 64))  # control characters
        elif v == SHIFT:
            shift = True
        elif v == CODE_C:
            charset = "C"
        elif v == (CODE_A if cs == "B" else CODE_B):
            charset = "A" if cs == "B" else "B"
        # FNC1..FNC4 carry no text
    text = "".join(out)
    return text or None
