"""Passwords exist only as keyed hashes; the key lives in its own 0600 file; outbox payloads are sealed."""

from __future__ import annotations

import os
import stat

import pytest

from kiosk import passwords
from kiosk.keys import Keyring, SecretError


def test_secret_file_is_created_once_with_mode_0600(tmp_path):
    path = tmp_path / "sub" / "cabinet.key"
    k1 = Keyring.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    k2 = Keyring.load_or_create(path)
    assert k1.password_key == k2.password_key
    assert Keyring.load_or_create(tmp_path / "other.key").password_key != k1.password_key


def test_a_secret_readable_by_others_or_malformed_is_refused(tmp_path):
    path = tmp_path / "cabinet.key"
    Keyring.load_or_create(path)
    os.chmod(path, 0o644)
    with pytest.raises(SecretError, match="readable by others.*chmod 600"):
        Keyring.load_or_create(path)
    os.chmod(path, 0o600)
    path.write_text("zz")
    with pytest.raises(SecretError, match="not hex"):
        Keyring.load_or_create(path)


def test_nothing_in_the_database_file_reveals_a_password(cab):
    c = cab.courier()
    codes = [cab.deposit(c, "S", f"SF{i:04d}")[1] for i in range(5)]
    cab.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = cab.cfg.db_path.read_bytes()
    for code in codes:
        assert code.encode() not in raw
        assert passwords.digest(cab.keys.password_key, code) in raw  # what is stored is the keyed hash
    # ...and not even the unkeyed hash, which a table of 10^6 codes would reverse.
    import hashlib
    assert all(hashlib.sha256(code.encode()).digest() not in raw for code in codes)


def test_sealed_outbox_payload_is_bound_to_its_message(cab):
    blob = cab.keys.seal(b'{"password": "123456"}', b"msg-1")
    assert b"123456" not in blob
    assert cab.keys.unseal(blob, b"msg-1") == b'{"password": "123456"}'
    with pytest.raises(SecretError):
        cab.keys.unseal(blob, b"msg-2")
    with pytest.raises(SecretError):
        cab.keys.unseal(blob[:-1] + bytes([blob[-1] ^ 1]), b"msg-1")


def test_passwords_are_never_logged(cab, caplog):
    import logging
    caplog.set_level(logging.DEBUG)
    c = cab.courier()
    p, pw = cab.deposit(c)
    cab.svc.pickup(p.box_no, "999999" if pw != "999999" else "888888")
    cab.svc.pickup(p.box_no, pw)
    assert pw not in caplog.text
    from kiosk import audit
    assert all(pw not in str(e.data) for e in audit.events(cab.store.conn))


def test_compare_is_constant_time(monkeypatch):
    calls = []
    real = passwords.hmac.compare_digest
    monkeypatch.setattr(passwords.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    key = b"k" * 32
    assert passwords.matches(key, "123456", passwords.digest(key, "123456"))
    assert not passwords.matches(key, "123457", passwords.digest(key, "123456"))
    assert len(calls) == 2


@pytest.mark.parametrize("cabinet, box, code", [("SZ-NS-0042", "A07", "123456"), ("odd:id", "B12", "K7M9Q2")])
def test_pickup_qr_round_trips_and_anything_else_is_not_a_pickup(cabinet, box, code):
    assert passwords.parse_qr(passwords.qr_payload(cabinet, box, code)) == (cabinet, box, code)
    for text in ("SF1234567890", "PLK1:", "PLK1:cab:A01", "PLK1::A01:123456", "PLK2:cab:A01:123456", ""):
        assert passwords.parse_qr(text) is None, text
