"""Fuzzing the remote-command path (kiosk/remote.py): bytes from the network, checked, logged, carried out.

``execute`` promises never to raise (it runs on the thread that delivers MQTT messages) and to carry out only a
command whose signed bytes are exactly what the operator signed. Hypothesis sends arbitrary bytes, arbitrary
JSON objects (some validly signed, so the field checks behind the signature are reached) and valid signed
commands with bytes flipped, inserted or cut. One cabinet serves the whole module: hypothesis runs many
examples per test and a function-scoped fixture would be shared between them anyway; every example makes its
own fresh command, so what an earlier example left in the database (nonces, events) cannot hide a bug.

Two crashes found here (lone surrogates, out-of-range float literals: kiosk/remote.py raised) are fixed and
kept as explicit tests at the end; the strategies still leave those two inputs out, so the properties spend
their examples on everything else.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kiosk import remote
from tests.core.conftest import Cabinet
from tests.fuzz import fuzz

KEY = bytes(range(32))
SIGS: set[str] = set()  # every signature made here: none may ever reach the audit log


@pytest.fixture(scope="module")
def cab():
    with tempfile.TemporaryDirectory(prefix="fuzz-commands-") as tmp:
        c = Cabinet(Path(tmp))
        c.deposit(c.courier())  # a parcel, so open / reissue / clear_lockout have something to act on
        yield c
        try:
            assert c.svc.verify_log().ok
            logged = json.dumps([[e.kind, e.actor, e.data] for e in c.svc.events(limit=10**7)])
            assert not SIGS & set(re.findall(r"[0-9a-fA-F]{64}", logged)), "a signature reached the audit log"
        finally:
            c.store.close()


def check_result(result: Any) -> dict[str, Any]:
    assert isinstance(result, dict)
    assert set(result) == {"schema", "type", "id", "ok", "message"}
    assert result["type"] == "command_result" and isinstance(result["ok"], bool)
    assert isinstance(result["message"], str) and result["message"]
    assert result["id"] is None or isinstance(result["id"], str)
    return result


def canonical_or_none(obj: dict[str, Any]) -> bytes | None:
    """The signed bytes of ``obj``; None if it holds NaN or infinity (JSON cannot carry those, parse refuses)."""
    try:
        return remote.canonical(obj)
    except ValueError:
        return None


def signed(c: dict[str, Any]) -> dict[str, Any]:
    s = remote.sign(c, KEY)
    SIGS.add(s["sig"])
    return s


# Text without lone surrogates (see the xfail tests) and, for mutation, without characters JSON escapes.
plain_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(), plain_text)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(plain_text, inner, max_size=3), max_leaves=8)
boxes = st.one_of(st.sampled_from(["A01", "a1", "A001", "C08", "Z99", "", "A01 "]), plain_text)


@st.composite
def valid_commands(draw, cab: Cabinet) -> dict[str, Any]:
    cmd = draw(st.sampled_from(remote.COMMANDS))
    box = draw(st.sampled_from(["A01", "A02", "B05", "C08"])) if cmd in remote.NEEDS_BOX else None
    reason = draw(st.one_of(st.none(), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)))
    c = remote.new_command(cmd, cabinet=cab.cfg.cabinet_id, by="ops-fuzz", now=cab.clock.now(), box=box,
                           reason=reason)
    # Id and nonce drawn, not random: hypothesis replays an example to shrink it, and a command whose bytes
    # change between runs made a byte edit valid in one run and invalid in the next (FlakyReplay at 10^5).
    c["id"] = str(draw(st.uuids()))
    c["nonce"] = draw(st.binary(min_size=16, max_size=16)).hex()
    return c


# ---------------------------------------------------------------------------------------------- properties


@fuzz()
@given(raw=st.one_of(st.binary(max_size=600), st.binary(min_size=remote.MAX_BYTES - 2, max_size=remote.MAX_BYTES + 2)),
       with_key=st.booleans())
def test_arbitrary_bytes_are_refused_never_raised(cab, raw, with_key):
    result = check_result(remote.execute(cab.svc, raw, KEY if with_key else None))
    assert not result["ok"]
    with pytest.raises(remote.Refused):  # the same bytes, checked by hand, are refused too
        remote.verify(remote.parse(raw), KEY, cabinet_id=cab.cfg.cabinet_id, now=cab.clock.now(), max_age=60)


@fuzz()
@given(data=st.data(), extra=st.dictionaries(st.one_of(st.sampled_from(sorted(remote.FIELDS)), plain_text),
                                             json_values, max_size=5),
       sign_it=st.booleans())
def test_arbitrary_objects_signed_or_not_never_raise(cab, data, extra, sign_it):
    """Fields from a valid command overwritten with arbitrary JSON, then (half the time) validly signed, so
    the checks behind the signature see every shape of every field."""
    obj = {**data.draw(valid_commands(cab)), **extra}
    if sign_it:
        try:
            obj = signed({k: v for k, v in obj.items() if k != "sig"})
        except ValueError:  # NaN or infinity: JSON cannot carry it, so the operator's side cannot sign it
            sign_it = False
    raw = json.dumps(obj).encode()
    result = check_result(remote.execute(cab.svc, raw, KEY))
    if result["ok"]:
        assert sign_it  # only a validly signed command is ever carried out
        assert isinstance(obj.get("cmd"), str) and obj["cmd"] in remote.COMMANDS


@st.composite
def byte_edits(draw, raw: bytes) -> bytes:
    out = bytearray(raw)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, max(0, len(out) - 1)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "case"]))
        if action == "flip" and out:
            out[i] ^= draw(st.integers(1, 255))
        elif action == "insert":
            out[i:i] = draw(st.binary(min_size=1, max_size=3))
        elif action == "delete":
            del out[i:i + draw(st.integers(1, 4))]
        elif action == "truncate":
            del out[i:]
        elif out:
            out[i:i + 1] = bytes(out[i:i + 1]).swapcase()
    return bytes(out)


@fuzz()
@given(data=st.data(), compact=st.booleans())
def test_a_signed_command_with_changed_bytes_is_never_carried_out(cab, data, compact):
    good = signed(data.draw(valid_commands(cab)))
    raw = json.dumps(good, separators=(",", ":") if compact else None).encode()
    bad = data.draw(byte_edits(raw))
    assume(bad != raw)
    result = check_result(remote.execute(cab.svc, bad, KEY))
    if result["ok"]:
        # Accepted only if what was signed is unchanged: spacing, key order or the case of the signature's hex
        # digits may differ, nothing that goes into the signed bytes.
        assert remote.canonical(json.loads(bad)) == remote.canonical(good), bad


@fuzz()
@given(data=st.data(), field=st.sampled_from(sorted(remote.FIELDS - {"sig"})), value=json_values)
def test_a_signed_command_with_a_changed_field_is_never_carried_out(cab, data, field, value):
    good = signed(data.draw(valid_commands(cab)))
    bad = {**good, field: value}
    assume(canonical_or_none(bad) != remote.canonical(good))
    result = check_result(remote.execute(cab.svc, json.dumps(bad).encode(), KEY))
    assert not result["ok"] and result["message"].startswith("refused: ")


@fuzz(0.25)
@given(data=st.data())
def test_a_fresh_signed_status_command_is_carried_out_once(cab, data):
    """The properties above would hold for a cabinet that refuses everything: this one must not."""
    command = remote.new_command("status", cabinet=cab.cfg.cabinet_id, by="ops-fuzz", now=cab.clock.now(),
                                 reason=data.draw(st.one_of(st.none(), st.text(st.characters(min_codepoint=32,
                                                                                             max_codepoint=126), min_size=1))))
    raw = json.dumps(signed(command)).encode()
    assert check_result(remote.execute(cab.svc, raw, KEY))["ok"]
    again = check_result(remote.execute(cab.svc, raw, KEY))
    assert not again["ok"] and "replay" in again["message"]


# ------------------------------------------------------------------------------- crashes the fuzzer found (fixed)


def test_an_out_of_range_number_is_refused_not_raised(cab):
    raw = b'{"schema":1,"sig":"' + b"a" * 64 + b'","x":1e999}'  # 1e999 parses to infinity: cannot be signed
    result = remote.execute(cab.svc, raw, KEY)
    check_result(result)
    assert not result["ok"] and "out-of-range number" in result["message"]


@pytest.mark.parametrize("raw", [b'{"id":"\\ud800"}', b'{"schema":1,"sig":"' + b"a" * 64 + b'","x":"\\ud800"}'])
def test_a_lone_surrogate_is_refused_not_raised(cab, raw):
    result = remote.execute(cab.svc, raw, KEY)
    check_result(result)
    assert not result["ok"] and "invalid character" in result["message"]
