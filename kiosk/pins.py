"""Courier and maintainer PINs, hashed with scrypt (memory-hard, in the standard library via OpenSSL).

A PIN is short, so a plain hash would fall to a table in seconds; scrypt with a per-PIN salt makes every guess
cost ~16 MiB and tens of milliseconds. Verification against an unknown user still runs scrypt so the time does
not tell which courier numbers exist.
"""

from __future__ import annotations

import hashlib
import hmac
import os

N, R, P = 2**14, 8, 1
_DUMMY = None


def hash_pin(pin: str, *, n: int = N) -> str:
    salt = os.urandom(16)
    h = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=R, p=P, dklen=32)
    return f"scrypt${n}${R}${P}${salt.hex()}${h.hex()}"


def verify_pin(pin: str, stored: str | None) -> bool:
    """Constant-time check; ``stored=None`` (unknown courier) burns the same time and fails."""
    global _DUMMY
    if stored is None:
        _DUMMY = _DUMMY or hash_pin("0" * 8)
        verify_pin(pin, _DUMMY)
        return False
    try:
        algo, n, r, p, salt, want = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), want)
