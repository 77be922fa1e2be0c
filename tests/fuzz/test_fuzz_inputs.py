"""Fuzzing everything a person types: the checks in kiosk/validate.py and the service calls the screens make.

What a screen accepts (tracking and phone numbers, courier numbers, names, PINs, box numbers, pickup passwords)
reaches the core as arbitrary Unicode: a keyboard layout, a paste on the maintainer's laptop, a barcode scanner
that sends control characters. The contract: a valid value comes back normalised (and normalising it again
changes nothing), anything else is ``InvalidInput`` naming the field; service calls answer with their
documented outcomes (pickup) or ``KioskError`` subclasses (logins, deposits), never another exception.

Lone surrogates are fuzzed against the validators (they refuse them). Against the service they crashed pickup
and courier login (fixed: kiosk.validate.typed); explicit tests at the end keep them fixed.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk import passwords, pins, validate
from kiosk.config import LockoutConfig, ThrottleConfig
from kiosk.model import (BoxLocked, Courier, Expired, InvalidInput, KioskError, Opened, Parcel, Throttled,
                         Unavailable, WrongPassword)
from tests.core.conftest import PIN, Cabinet, make_config
from tests.fuzz import fuzz

# Any code point, lone surrogates included, plus strings near the valid shapes so the accepting paths are hit.
any_text = st.one_of(
    st.text(st.characters(blacklist_categories=()), max_size=60),
    st.from_regex(r"\A\s*\+?[0-9A-Za-z() -]{0,45}\s*\Z"),
    st.sampled_from(["", " ", "\n", "A01", "a 1", "A0001", "ZZ1", "SF100200300", "+86 (755) 1234-5678", "C1001",
                     "123456", "１２３４５６", "٣٤٥٦٧٨", "ß" * 4, "ﬀﬀ", "\u200bA01", "A01\x00", "Ω" * 41]),
)
# The same without lone surrogates, for calls into the service (see the module docstring).
screen_text = st.one_of(st.text(max_size=60), st.from_regex(r"\A\s*[0-9A-Za-z -]{0,12}\s*\Z"),
                        st.sampled_from(["", " ", "A01", "a1", "A001", "C08", "Z99", "１２３４５６", "\x00", "\n"]))


def invalid(call, field: str) -> None:
    """``call()`` raises InvalidInput about ``field``, or returns a value; returns None or the value."""
    try:
        return call()
    except InvalidInput as e:
        assert e.details.get("field") == field and str(e)
        return None


# ---------------------------------------------------------------------------------------------- validate


@fuzz()
@given(value=any_text)
def test_tracking(value):
    v = invalid(lambda: validate.tracking(value), "tracking")
    if v is not None:
        assert re.fullmatch(r"[A-Z0-9][A-Z0-9-]{3,39}", v) and validate.tracking(v) == v


@fuzz()
@given(value=st.one_of(st.none(), any_text))
def test_phone(value):
    v = invalid(lambda: validate.phone(value), "phone")
    if v is not None:
        assert re.fullmatch(r"\+?[0-9]{5,20}", v) and validate.phone(v) == v


@fuzz()
@given(value=any_text)
def test_courier_no(value):
    v = invalid(lambda: validate.courier_no(value), "courier_no")
    if v is not None:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,19}", v) and validate.courier_no(v) == v


@fuzz()
@given(value=any_text)
def test_name(value):
    v = invalid(lambda: validate.name(value), "name")
    if v is not None:
        assert 1 <= len(v) <= 40 and v == v.strip() and "  " not in v and validate.name(v) == v
        assert not any(unicodedata.category(c).startswith("C") for c in v)  # no controls, no lone surrogates


@fuzz()
@given(value=any_text, min_length=st.integers(4, 12))
def test_pin(value, min_length):
    v = invalid(lambda: validate.pin(value, min_length), "pin")
    if v is not None:
        assert v == value and re.fullmatch(r"[0-9]{%d,12}" % min_length, v)


@fuzz()
@given(value=st.one_of(any_text, st.sampled_from(validate.REASONS)))
def test_reason(value):
    v = invalid(lambda: validate.reason(value), "reason")
    assert (v is not None) == (value in validate.REASONS)


@fuzz()
@given(value=any_text)
def test_box_key(value):
    key = validate.box_key(value)
    if key is not None:
        letters, number = key
        assert re.fullmatch(r"[A-Z]{0,2}", letters) and 0 <= number <= 999
        assert validate.box_key(f"{letters}{number:03d}") == key


# ---------------------------------------------------------------------------------------------- service


@pytest.fixture(scope="module")
def cab():
    """One cabinet for every example: no terminal-wide throttle (so most attempts reach the password check),
    and PIN hashes made cheap so a login attempt costs microseconds, not 50 ms of scrypt."""
    dummy = pins._DUMMY
    with tempfile.TemporaryDirectory(prefix="fuzz-inputs-") as tmp:
        cfg = make_config(Path(tmp), throttle=ThrottleConfig(free_failures=10**9),
                          lockout=LockoutConfig(max_tries=20, minutes=1))
        c = Cabinet(Path(tmp), cfg)
        courier = c.courier()
        parcel, password = c.deposit(courier)
        c.store.conn.execute("UPDATE couriers SET pin_hash = ?", (pins.hash_pin(PIN, n=16),))
        c.store.conn.commit()
        pins._DUMMY = pins.hash_pin("0" * 8, n=16)
        c.fuzz = {"courier": courier, "parcel": parcel, "password": password}
        try:
            yield c
        finally:
            pins._DUMMY = dummy
            c.store.close()


@fuzz()
@given(box=st.one_of(st.just("A01"), screen_text), password=st.one_of(screen_text, st.text("0123456789 ", max_size=8)),
       wait=st.sampled_from([0, 0, 0, 61]))
def test_pickup_answers_every_box_and_password_with_an_outcome(cab, box, password, wait):
    cab.clock.advance(wait)  # now and then past the lockout, so a locked box is tried again
    result = cab.svc.pickup(box, password)
    assert isinstance(result, (Opened, WrongPassword, BoxLocked, Throttled, Expired, Unavailable))
    if isinstance(result, Opened):  # only the real password (keypad spacing and case aside) ever opens
        assert passwords.normalise(password) == cab.fuzz["password"]
        assert result.parcel.box_no == cab.svc.box_no(box)


@fuzz()
@given(number=st.one_of(st.just("C1001"), screen_text), pin=st.one_of(st.just(PIN), screen_text),
       wait=st.sampled_from([0, 0, 0, 16 * 60]))
def test_courier_pin_login_answers_with_a_courier_or_a_kiosk_error(cab, number, pin, wait):
    cab.clock.advance(wait)  # past the PIN pause now and then
    try:
        result = cab.svc.login_pin(number, pin)
    except KioskError as e:
        assert e.code in ("wrong_pin", "pin_locked", "throttled"), e
        return
    assert isinstance(result, Courier) and result.number == "C1001" and pin == PIN


@fuzz(0.5)
@given(tracking=screen_text, phone=st.one_of(st.none(), screen_text), size=st.sampled_from(["S", "M", "L", "XL", "x"]))
def test_deposit_fields_answer_with_a_parcel_or_a_kiosk_error(cab, tracking, phone, size):
    courier = cab.fuzz["courier"]
    try:
        p = cab.svc.start_deposit(courier, size, tracking, phone, consent=True)
    except KioskError as e:
        assert e.code in ("invalid_input", "no_free_box"), e
        return
    assert isinstance(p, Parcel) and p.tracking == validate.tracking(tracking)
    cab.svc.cancel_deposit(courier, p.id)  # give the box back for the next example


@pytest.mark.parametrize("box, password", [("A01", "\ud800"), ("A01\ud800", "123456")])
def test_a_lone_surrogate_typed_at_pickup_is_a_wrong_try_not_a_crash(cab, box, password):
    cab.clock.advance(61)
    assert not isinstance(cab.svc.pickup(box, password), Opened)  # found by the fuzzer: it used to raise


def test_fixture_password_opens_so_the_properties_can_fail(tmp_path):
    """The pickup property only means something if a right password does open: checked on its own cabinet."""
    c = Cabinet(tmp_path)
    try:
        p, password = c.deposit(c.courier(slot=None))
        assert isinstance(c.svc.pickup(p.box_no.lower(), " ".join(password)), Opened)
    finally:
        c.store.close()


def test_a_lone_surrogate_typed_at_courier_login_is_a_wrong_login_not_a_crash(cab):
    cab.clock.advance(16 * 60)
    with pytest.raises(KioskError):  # found by the fuzzer: it used to raise UnicodeEncodeError
        cab.svc.login_pin("C\ud800", PIN)
