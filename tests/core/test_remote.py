"""Signed remote commands (kiosk/remote.py) on a real cabinet database, no broker: what is accepted and done,
what is refused and why, and that every command, either way, is in the audit chain without its signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import os

import pytest

from kiosk import outbox, remote
from kiosk.keys import SecretError
from kiosk.model import BoxLocked, Opened, WrongPassword

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


class Ops:
    """The operator's side: builds and signs commands at the cabinet's clock, remembers every signature."""

    def __init__(self, cab) -> None:
        self.cab = cab
        self.sigs: list[str] = []

    def command(self, cmd: str, *, key: bytes = KEY, age: float = 0.0, edit: dict | None = None, **fields) -> dict:
        c = remote.new_command(cmd, cabinet=self.cab.cfg.cabinet_id, by="ops-ana", now=self.cab.clock.now() - age,
                               **fields)
        c = remote.sign(c, key)
        self.sigs.append(c["sig"])
        c.update(edit or {})
        return c

    def resign(self, command: dict) -> dict:
        """Edit-then-sign: a validly signed command with a bad field."""
        c = remote.sign(command, KEY)
        self.sigs.append(c["sig"])
        return c

    def send(self, command: dict | bytes, key: bytes | None = KEY) -> dict:
        raw = command if isinstance(command, bytes) else json.dumps(command).encode()
        return self.cab.svc.remote_command(raw, key)


@pytest.fixture
def ops(cab):
    o = Ops(cab)
    yield o
    # Whatever a test did: the chain verifies, and no event holds a signature or the key.
    assert cab.svc.verify_log().ok
    logged = json.dumps([[e.kind, e.actor, e.data] for e in cab.svc.events(limit=10_000)])
    for secret in o.sigs + [KEY.hex(), OTHER_KEY.hex()]:
        assert secret not in logged


def kinds(cab, kind: str):
    return [e for e in reversed(cab.svc.events(limit=10_000)) if e.kind == kind]


def wrong(pw: str) -> str:
    return "".join(str((int(ch) + 1) % 10) for ch in pw)


# ---------------------------------------------------------------------------------------------- accepted


def test_signed_open_opens_the_box_and_logs_who_asked(cab, ops):
    p, _ = cab.deposit(cab.courier())
    c = ops.command("open", box=p.box_no.lower(), reason="door jammed, customer on the phone")
    r = ops.send(c)
    assert r == {"schema": 1, "type": "command_result", "id": c["id"], "ok": True,
                 "message": f"box {p.box_no} opened (holds parcel SF100200300, stored)"}
    assert cab.locks.unlocks[-1] == p.box_no
    [ev] = kinds(cab, "remote_command")
    assert ev.actor == "remote:ops-ana" and ev.box_no == p.box_no
    assert ev.data == {"id": c["id"], "cmd": "open", "by": "ops-ana", "box": p.box_no.lower(),
                       "reason": "door jammed, customer on the phone"}
    [opened] = kinds(cab, "maintainer_open")
    assert opened.actor == "remote:ops-ana" and opened.id > ev.id and opened.tracking == "SF100200300"


def test_open_of_an_empty_box_says_so(cab, ops):
    r = ops.send(ops.command("open", box="A01"))
    assert r["ok"] and r["message"] == "box A01 opened (empty)"
    assert cab.locks.unlocks == ["A01"]


def test_signed_reissue_voids_the_old_password_and_sends_a_new_one(cab, ops):
    p, old = cab.deposit(cab.courier())
    r = ops.send(ops.command("reissue", box=p.box_no))
    assert r["ok"] and r["message"] == f"new password for box {p.box_no} sent to courier C1001"
    msg = outbox.for_courier(cab.store.conn, cab.keys, "C1001")[0]
    assert msg.kind == "password" and msg.payload["reason"] == "requested" and msg.payload["box"] == p.box_no
    new = msg.payload["password"]
    assert new != old
    assert cab.svc.pickup(p.box_no, old) == WrongPassword(2)
    assert isinstance(cab.svc.pickup(p.box_no, new), Opened)
    assert kinds(cab, "password_reissued")[-1].actor == "remote:ops-ana"


def test_signed_clear_lockout_unlocks_the_box_and_sends_a_new_password(cab, ops):
    p, pw = cab.deposit(cab.courier())
    for _ in range(3):
        r = cab.svc.pickup(p.box_no, wrong(pw))
    assert isinstance(r, BoxLocked)
    res = ops.send(ops.command("clear_lockout", box=p.box_no))
    assert res["ok"] and res["message"] == f"lockout of box {p.box_no} cleared; new password sent to courier C1001"
    assert cab.svc.lockouts() == []
    msg = outbox.for_courier(cab.store.conn, cab.keys, "C1001")[0]
    assert msg.payload["reason"] == "lockout_cleared"
    assert isinstance(cab.svc.pickup(p.box_no, msg.payload["password"]), Opened)
    assert kinds(cab, "lockout_cleared")[-1].actor == "remote:ops-ana"


def test_signed_status_request_is_accepted_and_logged(cab, ops):
    c = ops.command("status")
    assert ops.send(c) == {"schema": 1, "type": "command_result", "id": c["id"], "ok": True,
                           "message": "status requested"}
    [ev] = kinds(cab, "remote_command")
    assert ev.data == {"id": c["id"], "cmd": "status", "by": "ops-ana"} and ev.box_no is None
    assert cab.locks.unlocks == []


def test_timestamp_exactly_at_the_limit_is_still_fresh(cab, ops):
    assert cab.cfg.mqtt.command_max_age_s == 60
    assert ops.send(ops.command("status", age=60))["ok"]
    assert ops.send(ops.command("status", age=-60))["ok"]


@pytest.mark.parametrize("cmd, box, message", [
    ("open", "Z99", "failed: there is no box 'Z99' in this cabinet"),
    ("reissue", "A01", "failed: box A01 holds no parcel waiting for its customer"),
    ("clear_lockout", "A01", "failed: box A01 is not locked"),
])
def test_an_accepted_command_that_cannot_be_done_fails_with_the_reason_logged(cab, ops, cmd, box, message):
    c = ops.command(cmd, box=box)
    r = ops.send(c)
    assert r == {"schema": 1, "type": "command_result", "id": c["id"], "ok": False, "message": message}
    assert cab.locks.unlocks == []
    [accepted] = kinds(cab, "remote_command")
    [failed] = kinds(cab, "remote_command_failed")
    assert failed.id > accepted.id and failed.actor == "remote:ops-ana"
    assert failed.data == {"id": c["id"], "cmd": cmd, "error": message.removeprefix("failed: ")}


def test_a_lock_board_fault_fails_the_open_command(cab, ops):
    cab.locks.broken = True
    r = ops.send(ops.command("open", box="A02"))
    assert not r["ok"] and r["message"].startswith("failed: box A02 could not be opened: lock board does not answer")
    assert kinds(cab, "remote_command_failed")[0].data["error"].startswith("box A02 could not be opened")


# ---------------------------------------------------------------------------------------------- refused


def _big(ops):
    return ops.command("open", box="A01", reason="x" * 200, edit={"pad": "y" * remote.MAX_BYTES})


REFUSALS = {
    "wrong key": (lambda o: o.command("open", box="A01", key=OTHER_KEY), "bad_signature",
                  "signature does not match (wrong key, or the command was altered)"),
    "edited after signing": (lambda o: o.command("open", box="A01", edit={"box": "A02"}), "bad_signature",
                             "signature does not match (wrong key, or the command was altered)"),
    "signature garbled": (lambda o: o.command("open", box="A01", edit={"sig": "zz"}), "bad_signature",
                          "signature is not 64 hex digits"),
    "unsigned": (lambda o: {k: v for k, v in o.command("open", box="A01").items() if k != "sig"}, "unsigned",
                 "command is not signed (no 'sig')"),
    "stale": (lambda o: o.command("open", box="A01", age=61), "stale", "command is 61 s old (limit 60 s)"),
    "future": (lambda o: o.command("open", box="A01", age=-61), "future",
               "command is dated 61 s in the future (limit 60 s; check clocks)"),
    "unknown cmd": (lambda o: o.command("explode", box="A01"), "unknown_cmd",
                    "unknown command 'explode' (known: open, reissue, clear_lockout, status)"),
    "schema 2": (lambda o: o.resign({**o.command("open", box="A01"), "schema": 2}), "schema",
                 "schema must be 1, got 2"),
    "no schema": (lambda o: o.resign({k: v for k, v in o.command("open", box="A01").items() if k != "schema"},
                                       ), "schema", "schema must be 1, got nothing"),
    "open without box": (lambda o: o.command("open"), "bad_field", "command 'open' needs a 'box'"),
    "missing nonce": (lambda o: o.resign({k: v for k, v in o.command("open", box="A01").items()
                                             if k != "nonce"}), "bad_field", "field 'nonce' is missing"),
    "ts as text": (lambda o: o.resign({**o.command("open", box="A01"), "ts": "now"}), "bad_field",
                   "field 'ts' must be a number (Unix seconds)"),
    "box not text": (lambda o: o.resign({**o.command("open", box="A01"), "box": 1}), "bad_field",
                     "field 'box' must be text of 1–8 printable characters"),
    "unknown field": (lambda o: o.resign({**o.command("open", box="A01"), "also": "A02"}), "bad_field",
                      "unknown field 'also'"),
    "other cabinet": (lambda o: o.resign({**o.command("open", box="A01"), "cabinet": "SZ-NS-0043"}),
                      "wrong_cabinet", "command is for cabinet 'SZ-NS-0043', this is 'SZ-NS-0042'"),
    "garbage bytes": (lambda o: b"\xff\xfe\x00 open A01 please", "not_json", "command is not UTF-8 JSON"),
    "NaN": (lambda o: b'{"schema": 1, "ts": NaN}', "not_json", "command is not UTF-8 JSON"),
    "duplicate key": (lambda o: json.dumps(o.command("open", box="A01"))[:-1].encode() + b', "box": "A02"}',
                      "not_json", "command is not UTF-8 JSON"),
    "not an object": (lambda o: b'["open", "A01"]', "not_object", "command is not a JSON object"),
    "too large": (_big, "too_large", None),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bad_command_is_refused_and_logged(cab, ops, case):
    build, code, reason = REFUSALS[case]
    command = build(ops)
    r = ops.send(command)
    assert r["ok"] is False and r["type"] == "command_result" and r["schema"] == 1
    if reason is not None:
        assert r["message"] == f"refused: {reason}"
    assert cab.locks.unlocks == []
    assert kinds(cab, "remote_command") == []
    [ev] = kinds(cab, "remote_command_refused")
    assert ev.actor == "remote" and ev.data["code"] == code and f"refused: {ev.data['reason']}" == r["message"]
    if isinstance(command, dict) and code not in ("too_large",):
        assert r["id"] == command["id"] and ev.data["id"] == command["id"]  # readable: named in the log
        assert ev.data["by"] == "ops-ana"
    if code == "too_large":
        assert r["message"].startswith("refused: command is ") and "more than 4096" in r["message"]
        assert r["id"] is None and "id" not in ev.data  # not even parsed


def test_no_key_configured_refuses_every_command(cab, ops):
    c = ops.command("open", box="A01")
    r = ops.send(c, key=None)
    assert r == {"schema": 1, "type": "command_result", "id": c["id"], "ok": False,
                 "message": "refused: remote commands are disabled on this cabinet (no mqtt.command_key_file)"}
    [ev] = kinds(cab, "remote_command_refused")
    assert ev.data == {"reason": "remote commands are disabled on this cabinet (no mqtt.command_key_file)",
                       "code": "no_key", "id": c["id"], "cmd": "open", "by": "ops-ana", "box": "A01",
                       "cabinet": "SZ-NS-0042"}
    assert cab.locks.unlocks == []


def test_a_replayed_command_is_refused_also_after_a_restart(cab, ops):
    c = ops.command("open", box="A03")
    assert ops.send(c)["ok"]
    again = ops.send(c)
    assert again == {"schema": 1, "type": "command_result", "id": c["id"], "ok": False,
                     "message": "refused: command was already received (nonce used before): replay refused"}
    cab.reopen()
    cab.clock.advance(30)  # still inside the freshness window
    assert ops.send(c)["message"] == again["message"]
    # A fresh command (new nonce) from the same operator is fine; the replay opened nothing.
    assert ops.send(ops.command("open", box="A03"))["ok"]
    assert cab.locks.unlocks == ["A03", "A03"]
    assert [e.data["code"] for e in kinds(cab, "remote_command_refused")] == ["replayed", "replayed"]
    assert len(kinds(cab, "remote_command")) == 2


def test_same_nonce_with_a_new_signature_is_still_a_replay(cab, ops):
    first = ops.command("status")
    assert ops.send(first)["ok"]
    twin = remote.sign({**first, "id": "another-id"}, KEY)  # new id and signature, same nonce
    ops.sigs.append(twin["sig"])
    assert ops.send(twin)["message"].endswith("replay refused")


def test_old_nonces_are_pruned_and_their_commands_are_stale_by_then(cab, ops):
    c = ops.command("status")
    assert ops.send(c)["ok"]
    count = lambda: cab.store.conn.execute("SELECT COUNT(*) FROM command_nonces").fetchone()[0]  # noqa: E731
    assert count() == 1
    cab.clock.advance(2 * 60 + 1)
    assert ops.send(ops.command("status"))["ok"]
    assert count() == 1  # the first nonce went, the new one is kept
    assert ops.send(c)["message"] == "refused: command is 121 s old (limit 60 s)"


def test_a_refused_command_leaves_no_nonce_behind(cab, ops):
    c = ops.command("open", box="A01", age=61)
    assert not ops.send(c)["ok"]
    assert cab.store.conn.execute("SELECT COUNT(*) FROM command_nonces").fetchone()[0] == 0


# ---------------------------------------------------------------------------------------------- signing, keys


def test_canonical_form_is_what_any_language_can_sign():
    c = {"ts": 1780000000, "sig": "ignored", "by": "运维", "schema": 1, "box": "A01"}
    assert remote.canonical(c) == '{"box":"A01","by":"运维","schema":1,"ts":1780000000}'.encode("utf-8")
    expected = hmac.new(KEY, remote.canonical(c), hashlib.sha256).hexdigest()
    assert remote.sign(c, KEY)["sig"] == expected
    assert remote.sign(remote.sign(c, KEY), KEY)["sig"] == expected  # the old sig is not signed


def test_load_key_reads_hex_and_says_what_is_wrong(tmp_path):
    p = tmp_path / "command.key"
    p.write_text(KEY.hex() + "\n")
    os.chmod(p, 0o600)
    assert remote.load_key(p) == KEY
    p.write_text("not a key\n")
    with pytest.raises(SecretError, match=r"is not hex text \(make one with: openssl rand -hex 32\)"):
        remote.load_key(p)
    p.write_text("abcd\n")
    with pytest.raises(SecretError, match="holds 2 bytes; it needs at least 16"):
        remote.load_key(p)
    p.write_text(KEY.hex())
    os.chmod(p, 0o644)
    with pytest.raises(SecretError, match="readable by others .* chmod 600"):
        remote.load_key(p)
    with pytest.raises(SecretError, match="cannot read command key .*: No such file"):
        remote.load_key(tmp_path / "missing.key")


# ---- a flood of refused commands -----------------------------------------------------------------------------


def test_a_flood_of_refusals_is_entered_ten_a_minute_and_counted_beyond(cab, ops):
    """Each refusal is answered; only ten a minute are fsync'd into the log, the rest are counted and the next
    entry carries the count, so the log still says how many there were."""
    results = [ops.send(ops.command("open", box="A01", key=OTHER_KEY)) for _ in range(25)]
    assert all(r["ok"] is False and r["message"].startswith("refused: ") for r in results)
    assert len(kinds(cab, "remote_command_refused")) == remote.REFUSALS_PER_MINUTE
    assert all("unlogged" not in e.data for e in kinds(cab, "remote_command_refused"))
    c = ops.command("open", box="A02")  # a good command in the flood is carried out and logged as ever
    assert ops.send(c)["ok"] and cab.locks.unlocks == ["A02"]
    cab.clock.advance(61)
    ops.send(b"not json")
    last = kinds(cab, "remote_command_refused")[-1]
    assert last.data["unlogged"] == 15 and last.data["code"] == "not_json"
    cab.svc.tick()  # nothing left uncounted: no summary entry
    assert len(kinds(cab, "remote_command_refused")) == remote.REFUSALS_PER_MINUTE + 1


def test_a_flood_that_stops_is_entered_by_the_next_tick_after_its_minute(cab, ops):
    for _ in range(remote.REFUSALS_PER_MINUTE + 7):
        ops.send(b"{}")
    cab.svc.tick()  # still inside the minute: the count waits for a later refusal to carry it
    assert len(kinds(cab, "remote_command_refused")) == remote.REFUSALS_PER_MINUTE
    cab.clock.advance(60)
    cab.svc.tick()
    cab.svc.tick()
    summary = kinds(cab, "remote_command_refused")[remote.REFUSALS_PER_MINUTE:]
    assert [(e.data["code"], e.data["unlogged"]) for e in summary] == [("not_entered", 7)]
    # The budget starts afresh: the next refusal is entered on its own.
    ops.send(b"{}")
    assert "unlogged" not in kinds(cab, "remote_command_refused")[-1].data


def test_a_clock_set_back_opens_a_new_window_rather_than_stopping_the_log(cab, ops):
    for _ in range(remote.REFUSALS_PER_MINUTE + 2):
        ops.send(b"{}")
    cab.clock.advance(-3600)
    ops.send(b"{}")
    assert kinds(cab, "remote_command_refused")[-1].data["unlogged"] == 2
