"""The per-cabinet secret, kept in its own 0600 file outside the database.

Pickup passwords are stored only as HMAC-SHA256 under a key derived from this secret, and outbox messages
(which must carry the password to the courier's handheld) are sealed with AES-GCM under another derived key.
A copy of the database alone then reveals no password. Losing the file voids every live password, so it is
backed up with the database, never inside it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRET_BYTES = 32


class SecretError(RuntimeError):
    """The secret file is missing, unreadable, malformed or too open; the message says which."""


class Keyring:
    def __init__(self, secret: bytes) -> None:
        if len(secret) != SECRET_BYTES:
            raise SecretError(f"cabinet secret must be {SECRET_BYTES} bytes")
        self.password_key = _derive(secret, b"kiosk/password-hmac/v1")
        self._seal = AESGCM(_derive(secret, b"kiosk/outbox-seal/v1"))

    @classmethod
    def load_or_create(cls, path: str | Path) -> "Keyring":
        p = Path(path)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls(_read(p))
        except OSError as e:
            raise SecretError(f"cannot create cabinet secret {p}: {e.strerror}") from None
        secret = os.urandom(SECRET_BYTES)
        with os.fdopen(fd, "w") as f:
            f.write(secret.hex() + "\n")
            f.flush()
            os.fsync(f.fileno())
        return cls(secret)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._seal.encrypt(nonce, plaintext, aad)

    def unseal(self, blob: bytes, aad: bytes) -> bytes:
        try:
            return self._seal.decrypt(blob[:12], blob[12:], aad)
        except InvalidTag:
            raise SecretError("sealed message does not match the cabinet secret (tampered, or the key changed)") from None

    def mac(self, data: bytes) -> bytes:
        return hmac.new(self.password_key, data, hashlib.sha256).digest()


def _read(p: Path) -> bytes:
    try:
        mode = p.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretError(f"cabinet secret {p} is readable by others (mode {stat.S_IMODE(mode):o}): "
                            f"run chmod 600 {p}")
        text = p.read_text().strip()
    except OSError as e:
        raise SecretError(f"cannot read cabinet secret {p}: {e.strerror}") from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise SecretError(f"cabinet secret {p} is not hex text") from None
    if len(secret) != SECRET_BYTES:
        raise SecretError(f"cabinet secret {p} must hold {SECRET_BYTES} bytes, holds {len(secret)}")
    return secret


def _derive(secret: bytes, label: bytes) -> bytes:
    return hmac.new(secret, label, hashlib.sha256).digest()
