"""Signed remote commands from the fleet: open a box, re-issue a password, clear a lockout, request status.

Why built this way: the ``lockers/<cabinet>/cmd`` topic is as safe as the broker's ACL, and a broker is shared
by a fleet and run by someone else, so the cabinet trusts the signature, not the transport. A command is a
small JSON object signed with HMAC-SHA256 (key from ``mqtt.command_key_file``) over its canonical JSON, so any
language can sign it. It names the cabinet it is for (a fleet-wide key must not let a command meant for one
cabinet open the same box on another), carries a timestamp that bounds how long a captured command stays good,
and a nonce recorded in the same transaction as the event that accepts it, so a replay is refused even after
a restart. Every command, accepted, refused or failed, is an audit event; the signature and the key never go
into the log (an event is published to the fleet). Parsing is strict (size cap, no duplicate keys, no
unknown fields, no NaN) because the bytes come from the network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import secrets
import sqlite3
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .keys import SecretError
from .model import KioskError

if TYPE_CHECKING:
    from .service import CabinetService

log = logging.getLogger(__name__)

SCHEMA = 1
MAX_BYTES = 4096  # a real command is ~300 bytes; anything bigger is refused before parsing
MIN_KEY_BYTES = 16
COMMANDS = ("open", "reissue", "clear_lockout", "status")
NEEDS_BOX = ("open", "reissue", "clear_lockout")
REFUSALS_PER_MINUTE = 10  # refused commands entered one by one in the audit log; beyond that only counted
FIELDS = {"schema", "id", "cabinet", "cmd", "box", "reason", "by", "ts", "nonce", "sig"}
REQUIRED = ("id", "cabinet", "cmd", "by", "ts", "nonce")


class Refused(Exception):
    """A command that is not carried out; ``code`` is stable, the message is one line for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Command:
    """A command whose signature, freshness and fields checked out (the nonce is checked by ``execute``)."""

    id: str
    cabinet: str
    cmd: str
    by: str
    ts: float
    nonce: str
    box: str | None = None
    reason: str | None = None


# ---------------------------------------------------------------------------------------------- signing


def canonical(command: dict[str, Any]) -> bytes:
    """What is signed: the command without ``sig``, keys sorted, no spaces, UTF-8."""
    body = {k: v for k, v in command.items() if k != "sig"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def signature(command: dict[str, Any], key: bytes) -> str:
    return hmac.new(key, canonical(command), hashlib.sha256).hexdigest()


def sign(command: dict[str, Any], key: bytes) -> dict[str, Any]:
    """A copy of ``command`` with its ``sig``."""
    return {**command, "sig": signature(command, key)}


def new_command(cmd: str, *, cabinet: str, by: str, now: float, box: str | None = None,
                reason: str | None = None) -> dict[str, Any]:
    """An unsigned command with a fresh id and nonce (the operator's side; ``kiosk command`` uses it)."""
    c: dict[str, Any] = {"schema": SCHEMA, "id": str(uuid.uuid4()), "cabinet": cabinet, "cmd": cmd, "by": by,
                         "ts": now, "nonce": secrets.token_hex(16)}
    if box is not None:
        c["box"] = box
    if reason is not None:
        c["reason"] = reason
    return c


def load_key(path: str | Path) -> bytes:
    """The HMAC key from a file holding hex text (``openssl rand -hex 32``), readable by its owner only."""
    p = Path(path).expanduser()
    try:
        mode = p.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretError(f"command key {p} is readable by others (mode {stat.S_IMODE(mode):o}): "
                              f"run chmod 600 {p}")
        text = p.read_text(encoding="ascii").strip()
    except OSError as e:
        raise SecretError(f"cannot read command key {p}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise SecretError(f"command key {p} is not hex text") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise SecretError(f"command key {p} is not hex text (make one with: openssl rand -hex 32)") from None
    if len(key) < MIN_KEY_BYTES:
        raise SecretError(f"command key {p} holds {len(key)} bytes; it needs at least {MIN_KEY_BYTES} (32 advised)")
    return key


# ---------------------------------------------------------------------------------------------- checking


def parse(raw: bytes | bytearray | str) -> dict[str, Any]:
    """The JSON object in ``raw``, or ``Refused`` saying why it is not one."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BYTES:
        raise Refused("too_large", f"command is {len(raw)} bytes, more than {MAX_BYTES}")
    try:
        obj = json.loads(bytes(raw).decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused("not_json", "command is not UTF-8 JSON") from None
    if not isinstance(obj, dict):
        raise Refused("not_object", "command is not a JSON object")
    try:  # what cannot be signed or logged (1e999 is infinity; a lone surrogate is no UTF-8) is refused here
        canonical(obj).decode("utf-8")
    except (ValueError, UnicodeError):
        raise Refused("not_json", "command holds an out-of-range number or an invalid character") from None
    return obj


def verify(obj: dict[str, Any], key: bytes, *, cabinet_id: str, now: float, max_age: float) -> Command:
    """Schema, signature, fields and freshness of a parsed command; raises ``Refused``."""
    if obj.get("schema") != SCHEMA or isinstance(obj.get("schema"), bool):
        raise Refused("schema", f"schema must be {SCHEMA}, got {_show(obj.get('schema'))}")
    sig = obj.get("sig")
    if sig is None:
        raise Refused("unsigned", "command is not signed (no 'sig')")
    if not isinstance(sig, str) or len(sig) != 64:
        raise Refused("bad_signature", "signature is not 64 hex digits")
    if not hmac.compare_digest(sig.lower().encode("ascii", "replace"), signature(obj, key).encode("ascii")):
        raise Refused("bad_signature", "signature does not match (wrong key, or the command was altered)")
    unknown = sorted(set(obj) - FIELDS)
    if unknown:
        raise Refused("bad_field", f"unknown field {unknown[0]!r}")
    for name in REQUIRED:
        if name not in obj:
            raise Refused("bad_field", f"field {name!r} is missing")
    cmd = _text(obj, "cmd", 32)
    if cmd not in COMMANDS:
        raise Refused("unknown_cmd", f"unknown command {cmd!r} (known: {', '.join(COMMANDS)})")
    ts = obj["ts"]
    if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not math.isfinite(ts):
        raise Refused("bad_field", "field 'ts' must be a number (Unix seconds)")
    command = Command(id=_text(obj, "id", 64), cabinet=_text(obj, "cabinet", 32), cmd=cmd, by=_text(obj, "by", 64),
                      ts=float(ts), nonce=_text(obj, "nonce", 128, least=8),
                      box=_text(obj, "box", 8) if "box" in obj else None,
                      reason=_text(obj, "reason", 200) if "reason" in obj else None)
    if cmd in NEEDS_BOX and command.box is None:
        raise Refused("bad_field", f"command {cmd!r} needs a 'box'")
    if command.cabinet != cabinet_id:
        raise Refused("wrong_cabinet", f"command is for cabinet {command.cabinet!r}, this is {cabinet_id!r}")
    age = now - command.ts
    if age > max_age:
        raise Refused("stale", f"command is {age:.0f} s old (limit {max_age:g} s)")
    if -age > max_age:
        raise Refused("future", f"command is dated {-age:.0f} s in the future (limit {max_age:g} s; check clocks)")
    return command


# ---------------------------------------------------------------------------------------------- executing


def execute(service: "CabinetService", raw: bytes, key: bytes | None) -> dict[str, Any]:
    """Check, log and carry out one command; never raises. Returns the ``command_result`` to publish."""
    cfg = service.config
    now = service.clock.now()
    obj: dict[str, Any] | None = None
    try:
        obj = parse(raw)
        if key is None:  # parsed first all the same: the result names the command, so its sender is not left waiting
            raise Refused("no_key", "remote commands are disabled on this cabinet (no mqtt.command_key_file)")
        command = verify(obj, key, cabinet_id=cfg.cabinet_id, now=now, max_age=cfg.mqtt.command_max_age_s)
        _accept(service, command, now)
    except Refused as e:
        _log_refusal(service, e, obj)
        return _result(obj.get("id") if obj else None, False, f"refused: {e}")
    except KioskError as e:  # the database could not record the acceptance: nothing is done
        log.error("remote command not accepted: %s", e)
        return _result(command.id, False, f"not done: {e}")
    try:
        return _result(command.id, True, _dispatch(service, command))
    except KioskError as e:
        message = str(e)
    except Exception as e:  # a bug must not kill the thread that delivers commands; it is logged and answered
        log.exception("remote command %s failed", command.id)
        message = f"internal error: {type(e).__name__}"
    _record(service, "remote_command_failed", "remote:" + command.by, command.box,
            {"id": command.id, "cmd": command.cmd, "error": message[:200]})
    return _result(command.id, False, f"failed: {message}")


def _accept(service: "CabinetService", command: Command, now: float) -> None:
    """The nonce and the acceptance event in one transaction: either both are on disk or neither is."""
    keep = 2 * service.config.mqtt.command_max_age_s
    with service._tx() as c:
        c.execute("DELETE FROM command_nonces WHERE ts < ?", (now - keep,))
        try:
            c.execute("INSERT INTO command_nonces (nonce, ts) VALUES (?, ?)", (command.nonce, command.ts))
        except sqlite3.IntegrityError:
            raise Refused("replayed", "command was already received (nonce used before): replay refused") from None
        data = {"id": command.id, "cmd": command.cmd, "by": command.by}
        if command.box is not None:
            data["box"] = command.box
        if command.reason is not None:
            data["reason"] = command.reason
        service._event(c, "remote_command", "remote:" + command.by,
                       box_no=service.box_no(command.box) if command.box else None, **data)


def _dispatch(service: "CabinetService", command: Command) -> str:
    actor = "remote:" + command.by
    if command.cmd == "open":
        assert command.box is not None
        p = service.maintainer_open(command.box, command.reason or "remote command", actor=actor)
        no = p.box_no if p else service.box_no(command.box)
        return f"box {no} opened" + (f" (holds parcel {p.tracking}, {p.state})" if p else " (empty)")
    if command.cmd == "reissue":
        assert command.box is not None
        p = service.reissue_password(command.box, actor)
        return f"new password for box {p.box_no} sent to courier {p.courier_no}"
    if command.cmd == "clear_lockout":
        assert command.box is not None
        p = service.clear_lockout(actor, command.box)
        return f"lockout of box {p.box_no} cleared; new password sent to courier {p.courier_no}"
    return "status requested"


class RefusalBudget:
    """How many refused commands the audit log takes one by one: ``per_minute`` in any minute-long window.

    Why: each entry is a synchronous (fsync'd) write that stays for the life of the cabinet. Anyone who can
    publish on the command topic, a misconfigured operator tool in a loop included, could otherwise fill the
    disk and wear the card with refusals at the broker's speed, and the clips would be pruned to make room.
    Past the budget a refusal is counted, not entered; the next entry carries that count (``unlogged``), so the
    log still says how many there were. Every refusal is still answered on the result topic.
    """

    def __init__(self, per_minute: int = REFUSALS_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self.window_start: float | None = None
        self.entered = 0  # in the current window
        self.unlogged = 0  # refused since the last entry and not entered

    def window_over(self, now: float) -> bool:
        """No minute open, or it has passed (or the clock was set back before it)."""
        return self.window_start is None or not 0 <= now - self.window_start < 60

    def admit(self, now: float) -> int | None:
        """None: over budget, counted. Otherwise enter it, carrying the number not entered since the last one."""
        if self.window_over(now):
            self.window_start, self.entered = now, 0
        if self.entered >= self.per_minute:
            self.unlogged += 1
            return None
        self.entered += 1
        carried, self.unlogged = self.unlogged, 0
        return carried


def _log_refusal(service: "CabinetService", e: Refused, obj: dict[str, Any] | None) -> None:
    """What can be read of a refused command goes in the log (marked as claimed), never its signature."""
    carried = service.refusals.admit(service.clock.now())
    if carried is None:
        if service.refusals.unlogged == 1:  # the text log says once per window that entries stop
            log.warning("remote commands refused faster than %d a minute: counting them, not logging each",
                        service.refusals.per_minute)
        return
    data: dict[str, Any] = {"reason": str(e), "code": e.code}
    for name in ("id", "cmd", "by", "box", "cabinet"):
        value = obj.get(name) if obj else None
        if isinstance(value, str):
            data[name] = value[:64]
    if carried:
        data["unlogged"] = carried
    log.warning("remote command refused: %s", e)
    _record(service, "remote_command_refused", "remote", None, data)


def flush_refusals(service: "CabinetService") -> None:
    """Housekeeping: refusals counted but not entered, once their minute is over and no later entry carried them,
    go in as one entry, so a flood that simply stops is still on record."""
    budget, now = service.refusals, service.clock.now()
    if budget.unlogged and budget.window_over(now):
        n, budget.unlogged = budget.unlogged, 0
        _record(service, "remote_command_refused", "remote", None,
                {"reason": f"{n} more refused commands, over {budget.per_minute} a minute, were not entered "
                           "one by one", "code": "not_entered", "unlogged": n})


def _record(service: "CabinetService", kind: str, actor: str, box: str | None, data: dict[str, Any]) -> None:
    try:
        with service._tx() as c:
            service._event(c, kind, actor, box_no=service.box_no(box) if box else None, **data)
    except KioskError as e:
        log.error("could not log %s: %s", kind, e)


def _result(command_id: Any, ok: bool, message: str) -> dict[str, Any]:
    return {"schema": SCHEMA, "type": "command_result", "id": command_id if isinstance(command_id, str) else None,
            "ok": ok, "message": message}


def _text(obj: dict[str, Any], name: str, most: int, least: int = 1) -> str:
    v = obj[name]
    if not isinstance(v, str) or not least <= len(v) <= most or not v.isprintable():
        raise Refused("bad_field", f"field {name!r} must be text of {least}–{most} printable characters")
    return v


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value)[:40]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
