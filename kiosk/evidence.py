"""Evidence bundles: one parcel's records, its audit events with their chain proof, and its video, in one zip.

Why it is built this way:

- The bundle goes to people who need not trust the cabinet's operator (a court, a courier company, a
  customer service agent), so every claim in it can be checked without the kiosk: ``SHA256SUMS`` is what
  ``sha256sum -c`` reads, ``manifest.json`` says what the bundle is, each event comes as its full record, and
  ``chain.json`` links it to the cabinet's chain head through every event in between. Other people's events
  appear there only as content digests: ``audit.link_hash`` hashes the digest rather than the record for
  exactly this.
- A clip is proven by the audit log, not by the manifest: the verifier compares its SHA-256 with the one its
  ``clip_recorded`` event logged at recording time, so a clip swapped for another valid file (with a manifest
  to match) is still caught. A clip that retention deleted is listed as not available; its logged hash stays
  in events.json.
- Unkeyed hashes cannot stop someone who rewrites the whole bundle consistently; the chain head can: compare
  it with the cabinet's own log (``against``), or with a head recorded elsewhere.
- Build streams clips into the zip (stored: MP4 is already compressed) and writes the chain proof as it reads
  the log, so a month of video or a year of events never sits in memory; it writes a temp file beside the
  target and renames it, so the target is the whole bundle or nothing.
- Verification (``kiosk/evidence_check.py``) reports every problem it finds, one line each naming the file, event, link or clip, rather
  than stopping at the first: whoever receives a damaged bundle needs to know what is still sound.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, audit, clips, validate
from .model import Clip, KioskError

if TYPE_CHECKING:
    from .service import CabinetService

FORMAT, VERSION = "parcel-locker-evidence", 1
MANIFEST, SUMS, README, PARCELS = "manifest.json", "SHA256SUMS", "README.txt", "parcel.json"
TIMELINE, EVENTS, CHAIN, CLIP_DIR = "timeline.txt", "events.json", "chain.json", "clips/"
_CHUNK = 1 << 20
_TEXT_LIMIT = 1 << 30  # a text member larger than this is not read into memory (a zip bomb, not a bundle)
_COLS = "id, ts, kind, actor, box_no, parcel_id, tracking, data, prev_hash, hash"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class EvidenceError(KioskError):
    """A bundle cannot be built (unknown parcel, no events, --out not writable); the message says why."""

    code = "evidence"


@dataclass(frozen=True)
class Built:
    path: Path
    tracking: str
    parcels: int
    events: int
    chain_from: int
    head_id: int
    head_hash: str
    clips: list[str]  # one line per clip: "T000001-1: included" or "T000001-1: not available (…)"
    warnings: list[str]  # the cabinet's own records disagree (broken chain, clip file ≠ logged hash)
    fingerprint: str  # SHA-256 of SHA256SUMS: one value that names this exact bundle
    size: int


# ---------------------------------------------------------------------------------------------------- build


def build(service: CabinetService, tracking: str, out_path: str | Path) -> Built:
    """Write the evidence bundle of every parcel with this tracking number to ``out_path``."""
    t = validate.tracking(tracking)
    out = Path(out_path)
    if out.is_dir():
        raise EvidenceError(f"cannot write {out}: it is a directory")
    if not out.parent.exists():
        raise EvidenceError(f"cannot write {out}: directory {out.parent} does not exist")
    if not out.parent.is_dir():
        raise EvidenceError(f"cannot write {out}: {out.parent} is not a directory")
    conn = service.store.conn
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")  # one snapshot: the head, the events and the clip rows agree
    try:
        return _build(service, conn, t, out)
    finally:
        if own and conn.in_transaction:
            conn.execute("COMMIT")


def _build(service: CabinetService, conn: sqlite3.Connection, t: str, out: Path) -> Built:
    parcels = [dict(r) for r in conn.execute(
        "SELECT p.*, c.number AS courier_no FROM parcels p JOIN couriers c ON c.id = p.courier_id"
        " WHERE p.tracking = ? ORDER BY p.id", (t,))]
    if not parcels:
        raise EvidenceError(f"no parcel with tracking number {t} in this cabinet")
    head = conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    pids = [p["id"] for p in parcels]
    marks = ", ".join("?" * len(pids))
    rows = {r[0]: r for r in conn.execute(
        f"SELECT {_COLS} FROM events WHERE id <= ? AND (tracking = ? OR parcel_id IN ({marks}))",
        (head[0] if head else 0, t, *pids))}
    if not rows:
        raise EvidenceError(f"parcel {t} has no audit events: there is nothing to prove")
    head_id, head_hash = head[0], head[1]
    shown = sorted(clips.query(conn, tracking=t, limit=1_000_000), key=lambda k: (k.started, k.id))
    for k in shown:
        r = conn.execute(f"SELECT {_COLS} FROM events WHERE id = ?", (k.event_id,)).fetchone()
        if r is not None and r[0] <= head_id:
            rows[r[0]] = r
    if shown:
        ids = {k.id for k in shown}
        for r in conn.execute(f"SELECT {_COLS} FROM events WHERE kind = 'clips_deleted' AND id BETWEEN ? AND ?",
                              (min(k.event_id for k in shown), head_id)):
            if any(isinstance(d, dict) and d.get("id") in ids for d in _data(r[7]).get("clips", [])):
                rows[r[0]] = r
    events = [_record(rows[i]) for i in sorted(rows)]
    first = events[0]["id"]
    now = service.clock.now()
    cfg = service.config
    cabinet = {"id": cfg.cabinet_id, "site": cfg.site, "address": cfg.address}
    warnings: list[str] = []

    fd, tmp_name = _temp_beside(out)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
                files: list[dict[str, Any]] = []
                add = _adder(zf, files, now)
                add(README, _readme(cabinet, t, now, head_id, head_hash, first).encode())
                add(PARCELS, _json({"tracking": t, "parcels": parcels}))
                add(TIMELINE, timeline(cabinet, t, now, parcels, events).encode())
                add(EVENTS, _json({"tracking": t, "events": events}))
                files.append(_write_chain(zf, conn, first, head_id, now, warnings))
                clip_entries = _write_clips(zf, service, shown, files, warnings)
                manifest = {
                    "format": FORMAT, "version": VERSION, "cabinet": cabinet, "tracking": t,
                    "exported_at": _local(now), "exported_ts": now, "software": f"kiosk {__version__}",
                    "chain": {"from": first, "head": {"id": head_id, "hash": head_hash}},
                    "parcels": pids, "events": [e["id"] for e in events], "clips": clip_entries,
                    "files": files,
                }
                body = _json(manifest)
                add(MANIFEST, body, listed=False)
                summed = files + [{"name": MANIFEST, "sha256": hashlib.sha256(body).hexdigest()}]
                sums = "".join(f"{f['sha256']}  {f['name']}\n" for f in summed).encode()
                add(SUMS, sums, listed=False)
            raw.flush()
            os.fsync(raw.fileno())
        size = tmp.stat().st_size
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise EvidenceError(f"cannot write {out}: {e.strerror or e}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Built(out, t, len(parcels), len(events), first, head_id, head_hash,
                 [f"{c['name']}: {c['status']}" for c in clip_entries], warnings,
                 hashlib.sha256(sums).hexdigest(), size)


def _temp_beside(out: Path) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    except OSError as e:
        raise EvidenceError(f"cannot write {out}: {e.strerror or e}") from None


def _data(text: str) -> dict[str, Any]:
    try:
        d = json.loads(text)
    except ValueError:
        return {}
    return d if isinstance(d, dict) else {}


def _record(r: sqlite3.Row | tuple) -> dict[str, Any]:
    """An event as events.json holds it; ``data_text`` only if the stored text is not the canonical encoding
    of ``data`` (never, for events the kiosk wrote), so the digest can always be recomputed exactly."""
    rec = {"id": r[0], "ts": r[1], "kind": r[2], "actor": r[3], "box_no": r[4], "parcel_id": r[5],
           "tracking": r[6], "data": _data(r[7]), "prev_hash": r[8], "hash": r[9]}
    if audit.encode_data(rec["data"]) != r[7]:
        rec["data_text"] = r[7]
    return rec


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _zinfo(name: str, ts: float, compress: int) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=max(datetime.fromtimestamp(ts).timetuple()[:6], (1980, 1, 1, 0, 0, 0)))
    zi.compress_type = compress
    zi.external_attr = 0o644 << 16
    return zi


def _adder(zf: zipfile.ZipFile, files: list[dict[str, Any]], now: float):
    def add(name: str, body: bytes, listed: bool = True) -> None:
        zf.writestr(_zinfo(name, now, zipfile.ZIP_DEFLATED), body)
        if listed:
            files.append({"name": name, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()})
    return add


def _write_chain(zf: zipfile.ZipFile, conn: sqlite3.Connection, first: int, head_id: int, now: float,
                 warnings: list[str]) -> dict[str, Any]:
    """chain.json, streamed: one link per line from the parcel's first event to the head."""
    h, size = hashlib.sha256(), 0
    big = (head_id - first + 1) * 300 > zipfile.ZIP64_LIMIT
    with zf.open(_zinfo(CHAIN, now, zipfile.ZIP_DEFLATED), "w", force_zip64=big) as w:
        def put(text: str) -> None:
            nonlocal size
            b = text.encode("utf-8")
            h.update(b)
            w.write(b)
            size += len(b)

        put('{"format": "%s", "from": %d, "head": %d, "links": [\n' % (FORMAT, first, head_id))
        cur = conn.execute(f"SELECT {_COLS} FROM events WHERE id BETWEEN ? AND ? ORDER BY id", (first, head_id))
        prev: str | None = None
        expected, sep, broken = first, "", False
        while rows := cur.fetchmany(5000):
            for r in rows:
                digest = audit.content_digest(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
                if not broken and (r[0] != expected or (prev is not None and r[8] != prev)
                                   or audit.link_hash(r[8], r[0], digest) != r[9]):
                    broken = True  # the first break is the news; the rest follow from it
                    warnings.append(f"the cabinet's audit chain is broken at event {r[0]} (kiosk events --verify);"
                                    " the bundle will not verify")
                put(sep + json.dumps({"id": r[0], "prev_hash": r[8], "digest": digest, "hash": r[9]}))
                sep, prev, expected = ",\n", r[9], r[0] + 1
        put("\n]}\n")
    return {"name": CHAIN, "size": size, "sha256": h.hexdigest()}


def _label(k: Clip) -> str:
    return f"{k.txn}-{k.part}"


def _write_clips(zf: zipfile.ZipFile, service: CabinetService, shown: list[Clip], files: list[dict[str, Any]],
                 warnings: list[str]) -> list[dict[str, Any]]:
    entries, used = [], set()
    for k in shown:
        entry: dict[str, Any] = {
            "name": _label(k), "txn": k.txn, "part": k.part, "kind": k.kind, "file": k.file,
            "event_id": k.event_id, "sha256": k.sha256, "bytes": k.bytes, "started": k.started,
            "ended": k.ended, "complete": k.complete, "note": k.note, "boxes": list(k.boxes), "member": None}
        member = CLIP_DIR + Path(k.file).name
        if member in used:
            member = f"{CLIP_DIR}{k.id}-{Path(k.file).name}"
        if k.deleted_at is not None:
            entry["status"] = (f"not available (deleted {datetime.fromtimestamp(k.deleted_at):%Y-%m-%d}, "
                               f"{k.deleted_reason or 'no reason given'})")
        else:
            try:
                size, sha = _stream_clip(zf, service.clip_path(k), member, k.started)
            except FileNotFoundError:
                entry["status"] = "not available (file missing from the cabinet at export)"
            else:
                used.add(member)
                entry.update(member=member, status="included")
                files.append({"name": member, "size": size, "sha256": sha})
                if sha != k.sha256:
                    warnings.append(f"clip {_label(k)}: the file on disk is not the one its clip_recorded event "
                                    f"{k.event_id} logged (SHA-256 {sha[:12]}…, logged {k.sha256[:12]}…); "
                                    "included as found, the bundle will not verify")
        entries.append(entry)
    return entries


def _stream_clip(zf: zipfile.ZipFile, src: Path, member: str, started: float) -> tuple[int, str]:
    """Copy a clip into the zip in chunks, hashing as it goes. A clip that cannot be read is named as such
    (an OSError from here on is the bundle's own file: "cannot write")."""
    def unreadable(e: OSError) -> EvidenceError:
        return EvidenceError(f"cannot read clip {src}: {e.strerror or e}")

    try:
        f = open(src, "rb")
    except FileNotFoundError:
        raise
    except OSError as e:
        raise unreadable(e) from None
    with f:
        zi = _zinfo(member, started, zipfile.ZIP_STORED)
        zi.file_size = os.fstat(f.fileno()).st_size  # sizes the zip64 decision before streaming
        h, size = hashlib.sha256(), 0
        with zf.open(zi, "w") as w:
            while True:
                try:
                    block = f.read(_CHUNK)
                except OSError as e:
                    raise unreadable(e) from None
                if not block:
                    break
                h.update(block)
                w.write(block)
                size += len(block)
    return size, h.hexdigest()


# ---------------------------------------------------------------------------------------------------- timeline

_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([+-]\d\d):(\d\d)  #(\d+) +(.+?)  by (\S+)(?:  box (\S+))?$")


def _local(ts: float) -> str:
    """Local time with its UTC offset, to the second: 2026-11-24 14:01:02 +08:00."""
    z = datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
    return f"{z[:-2]}:{z[-2:]}"


def _when(v: Any) -> str:
    return datetime.fromtimestamp(v).strftime("%Y-%m-%d %H:%M") if isinstance(v, (int, float)) else "?"


def _yes_no(v: Any) -> str:
    return {True: "yes", False: "no"}.get(v, "unknown")


def describe(kind: str, d: dict[str, Any]) -> str:
    """One event in plain English, for timeline.txt."""
    g = d.get
    text = {
        "deposit_started": lambda: f"deposit started: size {g('size', '?')}"
        + (", recipient's phone given" if g("phone_given") else ""),
        "deposit_stored": lambda: f"parcel stored and door closed; pickup password sent to the courier "
        f"(expires {_when(g('expires'))})",
        "deposit_empty": lambda: "door closed with the box empty: deposit not completed",
        "deposit_reopened": lambda: "box reopened for the courier",
        "deposit_cancelled": lambda: "deposit cancelled",
        "door_opened": lambda: "door opened",
        "door_closed": lambda: f"door closed (parcel inside: {_yes_no(g('item_inside'))})",
        "tamper": lambda: "door opened without a command: tamper alarm",
        "unlock_failed": lambda: f"the door could not be opened: {g('reason', '?')}",
        "pickup_opened": lambda: "right password: door opened for pickup",
        "pickup_expired": lambda: "password given after it expired: door not opened",
        "pickup_failed": lambda: f"wrong password ({g('tries_left', '?')} tries left)",
        "box_locked": lambda: f"box locked after {g('tries', '?')} wrong passwords, until {_when(g('until'))}",
        "parcel_collected": lambda: "the customer accepted and took the parcel",
        "parcel_refused": lambda: f"the customer refused the parcel (reason: {g('reason', '?')})",
        "closed_without_choice": lambda: f"door closed without a choice: {g('outcome', '?')} "
        f"(parcel inside: {_yes_no(g('item_inside'))})",
        "lockout_cleared": lambda: f"lockout cleared; new password sent to the courier (expires {_when(g('expires'))})",
        "password_reissued": lambda: f"new password sent to the courier ({g('reason', '?')})",
        "parcel_overdue": lambda: "free storage period over: parcel overdue",
        "return_collected": lambda: f"the courier took the parcel back (it was {g('was', '?')})",
        "maintainer_open": lambda: f"a maintainer opened the box: {g('reason', '')}",
        "box_released": lambda: f"a maintainer released the box (the parcel was {g('was', '?')}): {g('reason', '')}",
        "recovered": lambda: f"after a restart: settled as {g('state', '?')} (was {g('was', '?')}, parcel inside: "
        f"{_yes_no(g('item_inside'))})",
        "clip_recorded": lambda: f"video clip {g('txn', '?')}-{g('part', '?')} recorded: "
        f"{_duration(g('started'), g('ended'))} from {_when(g('started'))}, SHA-256 {str(g('sha256', ''))[:16]}…"
        + ("" if g("complete", True) else f" (incomplete: {g('note', '')})"),
        "clips_deleted": lambda: "video deleted by retention: " + ", ".join(
            f"{Path(str(c.get('file', '?'))).stem} ({c.get('reason', '?')})"
            for c in g("clips", []) if isinstance(c, dict)),
    }.get(kind)
    if text is None:
        extra = ", ".join(f"{k}: {v}" for k, v in d.items() if k != "txn")
        line = kind.replace("_", " ") + (f" ({extra})" if extra else "")
    else:
        line = text()
    return " ".join(line.split())  # one line, single spaces: "  by " ends the description


def _duration(a: Any, b: Any) -> str:
    return f"{b - a:.0f} s" if isinstance(a, (int, float)) and isinstance(b, (int, float)) else "? s"


def _event_line(e: dict[str, Any], stamp: str) -> str:
    who = "_".join(str(e["actor"]).split()) or "-"
    line = f"{stamp}  #{e['id']:<6} {describe(e['kind'], e['data'] if isinstance(e['data'], dict) else {}):<60}  by {who}"
    return line + (f"  box {e['box_no']}" if e.get("box_no") else "")


def timeline(cabinet: dict[str, str], tracking: str, now: float, parcels: list[dict[str, Any]],
             events: list[dict[str, Any]]) -> str:
    where = cabinet["site"] + (f", {cabinet['address']}" if cabinet.get("address") else "")
    head = [f"Timeline of parcel {tracking} at cabinet {cabinet['id']} ({where})",
            f"Exported {_local(now)}. Times are local time with their offset from UTC."]
    head += [f"Parcel record {p['id']}: {p['state']}" + (f" ({p['reason']})" if p.get("reason") else "")
             + f", box {p['box_no']}, courier {p['courier_no']}" for p in parcels]
    head += ["#N is the event's number in the cabinet's audit log; events.json holds each event in full.", ""]
    return "\n".join(head + [_event_line(e, _local(e["ts"])) for e in events]) + "\n"


# ---------------------------------------------------------------------------------------------------- README


def _readme(cabinet: dict[str, str], tracking: str, now: float, head_id: int, head_hash: str, first: int) -> str:
    return f"""Evidence bundle: parcel {tracking} at cabinet {cabinet['id']} ({cabinet['site']}{', ' + cabinet['address'] if cabinet['address'] else ''})
Exported {_local(now)} by kiosk {__version__}.

WHAT IS INSIDE
  manifest.json  what this bundle is: cabinet, tracking number, export time, the audit chain head at export,
                 the size and SHA-256 of every other file, and the status of every video clip of the parcel
  SHA256SUMS     the SHA-256 of every file, manifest.json included, in the format `sha256sum -c` reads
  parcel.json    the parcel record(s) with this tracking number
  timeline.txt   the parcel's events in plain English, in local time
  events.json    the full audit records of those events and of the video clips that show the parcel
  chain.json     the proof that these events are links of the cabinet's audit chain: for every event from
                 #{first} to the head #{head_id}, its id, previous hash, content digest and hash. Other
                 people's events appear only as digests.
  clips/         the video of the transactions (MP4, H.264; ordinary players open it). A clip that was
                 deleted under the retention rules is listed in manifest.json as not available; its SHA-256
                 stays in its clip_recorded event.

CHECK IT WITH THE KIOSK SOFTWARE
  kiosk evidence --verify THIS.zip
  It checks every file against SHA256SUMS and the manifest, recomputes each event's digest from its full
  record and every link of the chain up to the head, and compares each clip with the SHA-256 its
  clip_recorded event logged when it was recorded. It names every file, event, link or clip that does not
  match. On the cabinet, add --against-cabinet to compare the chain head with the cabinet's own log.

CHECK IT BY HAND
  1. Unzip into an empty directory and run:  sha256sum -c SHA256SUMS   (every line must say OK)
  2. For each file in clips/, its SHA-256 must equal the "sha256" of the clip_recorded event in events.json
     whose "txn" and "part" match the file name.
  3. The chain, for those who want to recompute it: an event's digest is the SHA-256 of the UTF-8 JSON array
     [id, ts, kind, actor, box_no, parcel_id, tracking, data_text] written without spaces, where ts is the
     shortest decimal string that reads back as the same double (Python's repr, e.g. "1780000000.25") and
     data_text is the event's data as JSON with sorted keys, no spaces and non-ASCII characters as they are.
     Each link's hash is the SHA-256 of the ASCII text  prev_hash + "\\n" + id + "\\n" + digest, and each
     link's prev_hash is the hash of the link before it.

WHAT IT PROVES
  The hashes show the files are the ones exported. The chain shows these events sit, unchanged, in the
  cabinet's audit log whose head at export was event #{head_id} with hash
  {head_hash}
  Ask the cabinet's operator to confirm that hash (`kiosk events --json` prints every event's hash). Later
  events never change it: the log is append-only.
"""
