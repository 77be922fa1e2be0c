"""How the reference handheld shows a cabinet's message: what a courier forwards to the customer.

Why plain text plus a terminal QR: the courier copies the text into a chat or an SMS, or shows the QR (drawn
with Unicode half blocks, two modules per character cell, light on dark as terminals usually are) for the
customer to photograph and hold to the cabinet's camera. A password message is a block; a notice (collected,
refused, overdue, locked) is one line. A payload of an unknown type or schema becomes one line that says so
rather than an error, since the fleet's messages may grow before this client is updated. Times are local.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

SCHEMA = 1

PASSWORD_TITLES = {
    "deposit": "Parcel ready for pickup",
    "requested": "New pickup password (re-issued)",
    "lockout_cleared": "New pickup password (box unlocked)",
    "lockout_expired": "New pickup password (lockout over)",
}
REASONS = {
    "damaged": "damaged",
    "wrong_item": "wrong item",
    "not_ordered": "not ordered",
    "other": "other reason",
    "closed_without_choice": "door closed without accepting or refusing",
}


def local_time(ts: Any) -> str:
    if isinstance(ts, bool) or not isinstance(ts, (int, float)):
        return "?"
    try:
        return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    except (OverflowError, OSError, ValueError):
        return "?"


def qr_block(text: str) -> str:
    """The QR of ``text`` in half blocks, quiet zone included (error correction M, or better if it fits)."""
    try:
        import segno  # pure Python, no dependencies; imported here so a missing install costs only the drawing
    except ImportError:
        return f"(QR not drawn: pip install segno) {text}"
    out = io.StringIO()
    segno.make_qr(text, error="m").terminal(out=out, compact=True)
    return out.getvalue().rstrip("\n")


def render(msg: Any, *, qr: bool = True) -> str:
    """One message as the courier sees it; never raises on a malformed payload."""
    if not isinstance(msg, dict):
        return "ignored: a message that is not a JSON object"
    if msg.get("schema") != SCHEMA:
        return (f"ignored: message {_s(msg.get('msg_id'))} has schema {_s(msg.get('schema'))}, "
                f"this client reads {SCHEMA}")
    kind = msg.get("type")
    if kind == "password":
        return _password(msg, qr)
    if kind == "notice":
        return _notice(msg)
    return f"ignored: message {_s(msg.get('msg_id'))} of unknown type {_s(kind)}"


def _password(m: dict[str, Any], qr: bool) -> str:
    cab = m.get("cabinet") if isinstance(m.get("cabinet"), dict) else {}
    title = PASSWORD_TITLES.get(_s(m.get("reason")), "Pickup password")
    lines = [f"== {title} ==",
             f"Site:        {_s(cab.get('site'))}",
             f"Address:     {_s(cab.get('address'))}"]
    if isinstance(cab.get("lat"), (int, float)) and isinstance(cab.get("lon"), (int, float)):
        lines.append(f"Position:    {cab['lat']:.5f}, {cab['lon']:.5f}")
    lines += [f"Cabinet:     {_s(cab.get('id'))}",
              f"Box:         {_s(m.get('box'))}",
              f"Password:    {_s(m.get('password'))}",
              f"Valid until: {local_time(m.get('expires'))}",
              f"Tracking no: {_s(m.get('tracking'))}"]
    payload = m.get("qr")
    if qr and isinstance(payload, str) and payload:
        lines += ["Show this QR to the cabinet camera, or type the box number and the password:", qr_block(payload)]
    return "\n".join(lines)


def _notice(m: dict[str, Any]) -> str:
    cab = m.get("cabinet") if isinstance(m.get("cabinet"), dict) else {}
    where = f"box {_s(m.get('box'))} at {_s(cab.get('id'))} ({_s(cab.get('site'))})"
    parcel = f"Parcel {_s(m.get('tracking'))}"
    when = local_time(m.get("ts"))
    event, reason = m.get("event"), m.get("reason")
    why = REASONS.get(_s(reason), _s(reason)) if reason else ""
    if event == "collected":
        return f"{when}  {parcel} was collected from {where}."
    if event == "refused":
        return f"{when}  {parcel} was REFUSED by the customer ({why}): collect it back from {where}."
    if event == "overdue":
        return f"{when}  {parcel} is OVERDUE in {where}: collect it back."
    if event == "locked":
        return (f"{when}  {where} is LOCKED after wrong passwords until {local_time(m.get('until'))}; "
                f"a new password follows then, or clear it with your finger. {parcel}.")
    if event == "unconfirmed":
        return f"{when}  {parcel} in {where}: pickup not confirmed ({why}); a maintainer will check the box."
    return f"{when}  {parcel} in {where}: {_s(event)}" + (f" ({why})" if why else "") + "."


def _s(value: Any) -> str:
    """A field for display: one line, bounded, no control characters (a payload must not drive the
    terminal), anything but text via repr, missing as '?'."""
    if value is None:
        return "?"
    text = value if isinstance(value, str) else repr(value)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())[:120] or "?"
