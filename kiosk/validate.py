"""Checks for what people type: tracking numbers, phones, courier numbers, names, PINs.

Everything typed on the touchscreen or the CLI ends up in the audit log and in messages to handhelds, so it is
bounded in length and character set here, once, with a message that says what is expected.
"""

from __future__ import annotations

import re
import unicodedata

from .model import InvalidInput

_TRACKING = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,39}$")
_COURIER_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")
_PHONE = re.compile(r"^\+?[0-9]{5,20}$")
_BOX = re.compile(r"^([A-Z]{0,2})0*([0-9]{1,3})$")
REASONS = ("damaged", "wrong_item", "not_ordered", "other")


def typed(value: str) -> str:
    """Text as it may be stored, hashed and logged: a lone surrogate (no UTF-8 for it; a broken input method or a
    fuzzer can send one) becomes U+FFFD, so it can only fail a check, never crash one."""
    return value.encode("utf-8", "replace").decode("utf-8") if isinstance(value, str) else value


def tracking(value: str) -> str:
    v = "".join(value.split()).upper()
    if not _TRACKING.match(v):
        raise InvalidInput("tracking number must be 4–40 letters, digits or '-'", field="tracking")
    return v


def phone(value: str | None) -> str | None:
    if value is None:
        return None
    v = re.sub(r"[\s()-]", "", value)
    if not v:
        return None
    if not _PHONE.match(v):
        raise InvalidInput("phone number must be 5–20 digits, optionally starting with +", field="phone")
    return v


def courier_no(value: str) -> str:
    v = value.strip()
    if not _COURIER_NO.match(v):
        raise InvalidInput("courier number must be 1–20 letters, digits or '-'", field="courier_no")
    return v


def name(value: str) -> str:
    v = " ".join(value.split())
    if not 1 <= len(v) <= 40 or any(unicodedata.category(c).startswith("C") for c in v):
        raise InvalidInput("name must be 1–40 printable characters", field="name")
    return v


def pin(value: str, min_length: int) -> str:
    if not (value.isascii() and value.isdigit() and min_length <= len(value) <= 12):
        raise InvalidInput(f"PIN must be {min_length}–12 digits", field="pin")
    return value


def reason(value: str) -> str:
    if value not in REASONS:
        raise InvalidInput(f"reason must be one of {', '.join(REASONS)}", field="reason")
    return value


def box_key(value: str) -> tuple[str, int] | None:
    """'a7', 'A07' and 'A007' name the same box: letters plus the number without leading zeros."""
    m = _BOX.match("".join(value.split()).upper())
    return (m.group(1), int(m.group(2))) if m else None
