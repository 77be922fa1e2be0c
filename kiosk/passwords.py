"""One-time pickup passwords: generated with ``secrets``, stored only as keyed hashes.

Claim 3 of the patent: six digits, or six characters mixing digits and letters. The mixed alphabet leaves out
look-alikes (0/O, 1/I/L) because customers read it off a phone and type it on a keypad. A password is never
logged and never stored in clear: only HMAC-SHA256 under the cabinet key, compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

DIGITS = "0123456789"
ALNUM = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0, 1, I, L, O
ALPHABETS = {"digits": DIGITS, "alnum": ALNUM}
MAX_DRAWS = 1000


class PasswordSpaceExhausted(RuntimeError):
    """No unused password could be drawn (impossible in practice: 10^6 codes vs a few hundred boxes)."""


def generate(alphabet: str, length: int, choice: Callable[[str], str] = secrets.choice) -> str:
    return "".join(choice(alphabet) for _ in range(length))


def generate_unique(alphabet: str, length: int, is_live: Callable[[str], bool],
                    choice: Callable[[str], str] = secrets.choice) -> str:
    """Draw until the code collides with no live password of this cabinet."""
    for _ in range(MAX_DRAWS):
        code = generate(alphabet, length, choice)
        if not is_live(code):
            return code
    raise PasswordSpaceExhausted(f"no free password after {MAX_DRAWS} draws")


def normalise(entered: str) -> str:
    """What the keypad sends, in the stored form: spaces dropped, letters upper-case."""
    return "".join(entered.split()).upper()


def digest(key: bytes, code: str) -> bytes:
    return hmac.new(key, b"pickup-password\x00" + code.encode("utf-8"), "sha256").digest()


def matches(key: bytes, entered: str, stored: bytes) -> bool:
    return hmac.compare_digest(digest(key, normalise(entered)), stored)


QR_PREFIX = "PLK1:"  # schema 1 of the pickup QR


def qr_payload(cabinet_id: str, box_no: str, code: str) -> str:
    """What the handheld shows as a QR for the customer to hold to the cabinet camera."""
    return f"{QR_PREFIX}{cabinet_id}:{box_no}:{code}"


def parse_qr(text: str) -> tuple[str, str, str] | None:
    """The inverse of ``qr_payload``: (cabinet, box, password), or None for anything else. The cabinet id may
    itself hold colons, box and password do not."""
    if not text.startswith(QR_PREFIX):
        return None
    parts = text[len(QR_PREFIX):].rsplit(":", 2)
    if len(parts) != 3 or not all(parts):
        return None
    cabinet, box, password = parts
    return cabinet, box.strip().upper(), password.strip()
