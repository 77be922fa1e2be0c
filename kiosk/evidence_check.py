"""Checking an evidence bundle without the kiosk's database (or against it): every problem, one line each.

Why a module of its own: the bundle's reader is not its writer. Whoever receives a bundle (a court, a courier
company) runs only this against ``kiosk/evidence.py``'s format constants, and it must report every problem it
finds rather than stop at the first, so they know what is still sound. See ``kiosk/evidence.py`` for what a
bundle holds and why each check proves what it proves.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import audit
from .evidence import (_CHUNK, _HEX64, _LINE, _TEXT_LIMIT, CHAIN, CLIP_DIR, EVENTS, FORMAT, MANIFEST, PARCELS, SUMS,
                       TIMELINE, VERSION)


@dataclass
class Verdict:
    path: Path
    problems: list[str] = field(default_factory=list)
    readable: bool = True  # False: not a zip, truncated, missing; ``problems`` holds the one reason
    tracking: str = ""
    cabinet: str = ""
    events: int = 0
    chain_from: int = 0
    head_id: int = 0
    head_hash: str = ""
    clips_included: list[str] = field(default_factory=list)
    clips_unavailable: list[str] = field(default_factory=list)  # "T000001-1: not available (deleted …)"
    fingerprint: str = ""
    against: str = ""  # what the check against a cabinet's log found, when asked

    @property
    def ok(self) -> bool:
        return self.readable and not self.problems

    def problem(self, line: str) -> None:
        if line not in self.problems:
            self.problems.append(line)



def verify(zip_path: str | Path, *, against: sqlite3.Connection | None = None,
           cabinet_id: str | None = None) -> Verdict:
    """Check a bundle; ``against``: a cabinet's database whose log must hold the bundle's chain head."""
    path = Path(zip_path)
    v = Verdict(path)
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        return _unreadable(v, f"{path}: no such file")
    except IsADirectoryError:
        return _unreadable(v, f"{path}: is a directory, not a zip file")
    except PermissionError:
        return _unreadable(v, f"{path}: cannot be read (permission denied)")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return _unreadable(v, _why_not_zip(path))
    with zf:
        _check(zf, v, against, cabinet_id)
    return v


def _unreadable(v: Verdict, why: str) -> Verdict:
    v.readable = False
    v.problems = [why]
    return v


def _why_not_zip(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            start = f.read(4)
    except OSError as e:
        return f"{path}: cannot be read ({e.strerror or e})"
    if not start:
        return f"{path}: empty file, not a zip"
    if start == b"PK\x03\x04":
        return f"{path}: truncated or damaged zip (the archive's table of contents at its end is missing)"
    return f"{path}: not a zip file"


@contextmanager
def _section(v: Verdict, member: str) -> Iterator[None]:
    """A member whose JSON has the wrong shape is one problem line, not a traceback."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        v.problem(f"{member}: unexpected content ({type(e).__name__}: {e})")


def _hash_members(zf: zipfile.ZipFile, v: Verdict) -> tuple[dict[str, tuple[int, str]], dict[str, bytes]]:
    """Every member's (size, SHA-256), streamed; the text members' bytes too."""
    digests: dict[str, tuple[int, str]] = {}
    texts: dict[str, bytes] = {}
    seen: set[str] = set()
    for info in zf.infolist():
        name = info.filename
        if name in seen:
            v.problem(f"{name}: the zip holds two members of this name")
            continue
        seen.add(name)
        if info.is_dir():
            continue
        keep = not name.startswith(CLIP_DIR)
        if keep and info.file_size > _TEXT_LIMIT:
            v.problem(f"{name}: {info.file_size} bytes, too large for a bundle's text file")
            continue
        h, size, body = hashlib.sha256(), 0, bytearray()
        try:
            with zf.open(info) as f:
                while block := f.read(_CHUNK):
                    h.update(block)
                    size += len(block)
                    if keep:
                        body += block
        except zipfile.BadZipFile as e:
            v.problem(f"{name}: damaged inside the zip ({'CRC-32 check failed' if 'CRC' in str(e) else e})")
            continue
        except (zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as e:
            v.problem(f"{name}: damaged inside the zip (cannot be read: {e})")
            continue
        digests[name] = (size, h.hexdigest())
        if keep:
            texts[name] = bytes(body)
    return digests, texts


def _load(v: Verdict, texts: dict[str, bytes], name: str, damaged: bool) -> Any:
    if name not in texts:
        if not damaged:
            v.problem(f"{name}: missing from the bundle")
        return None
    try:
        return json.loads(texts[name].decode("utf-8"))
    except UnicodeDecodeError:
        v.problem(f"{name}: not UTF-8 text")
    except ValueError as e:
        v.problem(f"{name}: not valid JSON ({e})")
    return None


def _check(zf: zipfile.ZipFile, v: Verdict, against: sqlite3.Connection | None, cabinet_id: str | None) -> None:
    digests, texts = _hash_members(zf, v)
    damaged = {n for n in zf.namelist() if n not in digests}
    if SUMS in texts:
        v.fingerprint = hashlib.sha256(texts[SUMS]).hexdigest()
    _check_sums(v, digests, texts, damaged)
    manifest = _load(v, texts, MANIFEST, MANIFEST in damaged)
    if not isinstance(manifest, dict):
        if manifest is not None:
            v.problem(f"{MANIFEST}: not a JSON object")
        return
    with _section(v, MANIFEST):
        if manifest.get("format") != FORMAT:
            v.problem(f"{MANIFEST}: not a parcel evidence bundle (format {manifest.get('format')!r})")
            return
        if not isinstance(manifest.get("version"), int) or manifest["version"] > VERSION:
            v.problem(f"{MANIFEST}: bundle version {manifest.get('version')!r}; this kiosk reads version "
                      f"{VERSION}: upgrade it")
            return
        v.tracking, v.cabinet = str(manifest["tracking"]), str(manifest["cabinet"]["id"])
        _check_files(v, manifest, digests, damaged)
    # by_id stays None while events.json cannot be read: what depends on it is then left unjudged, since
    # the one problem (events.json damaged) is already named.
    by_id: dict[int, dict[str, Any]] | None = None
    events = _load(v, texts, EVENTS, EVENTS in damaged)
    with _section(v, EVENTS):
        if events is not None:
            by_id = _check_events(v, manifest, events["events"])
    chain = _load(v, texts, CHAIN, CHAIN in damaged)
    with _section(v, CHAIN):
        if chain is not None:
            _check_chain(v, manifest, chain["links"], by_id or {})
    with _section(v, MANIFEST):
        _check_clips(v, manifest, by_id, digests)
    parcels = _load(v, texts, PARCELS, PARCELS in damaged)
    with _section(v, PARCELS):
        if parcels is not None:
            _check_parcels(v, manifest, parcels["parcels"], by_id or {})
    if TIMELINE not in texts:
        if TIMELINE not in damaged:
            v.problem(f"{TIMELINE}: missing from the bundle")
    elif by_id is not None:
        with _section(v, TIMELINE):
            _check_timeline(v, texts[TIMELINE], by_id)
    if against is not None:
        _check_against(v, manifest, against, cabinet_id)


def _check_sums(v: Verdict, digests: dict[str, tuple[int, str]], texts: dict[str, bytes], damaged: set[str]) -> None:
    if SUMS not in texts:
        if SUMS not in damaged:
            v.problem(f"{SUMS}: missing from the bundle")
        return
    listed: dict[str, str] = {}
    for n, line in enumerate(texts[SUMS].decode("utf-8", "replace").splitlines(), 1):
        m = re.match(r"^([0-9a-f]{64}) [ *](.+)$", line)
        if m is None:
            v.problem(f"{SUMS}: line {n} is not '<sha256>  <file name>'")
            continue
        listed[m.group(2)] = m.group(1)
    for name, sha in listed.items():
        if name in digests and digests[name][1] != sha:
            v.problem(f"{name}: SHA-256 does not match {SUMS}")
        elif name not in digests and name not in damaged:
            v.problem(f"{name}: listed in {SUMS} but missing from the bundle")
    for name in digests:
        if name not in listed and name != SUMS:
            v.problem(f"{name}: in the bundle but not listed in {SUMS}")


def _check_files(v: Verdict, manifest: dict[str, Any], digests: dict[str, tuple[int, str]], damaged: set[str]) -> None:
    listed = set()
    for f in manifest["files"]:
        name, size, sha = f["name"], f["size"], f["sha256"]
        listed.add(name)
        if name in damaged:
            continue
        if name not in digests:
            v.problem(f"{name}: listed in the manifest but missing from the bundle")
        elif digests[name][1] != sha:
            v.problem(f"{name}: SHA-256 does not match the manifest")
        elif digests[name][0] != size:
            v.problem(f"{name}: size does not match the manifest ({digests[name][0]} bytes, manifest says {size})")
    for name in digests:
        if name not in listed and name not in (MANIFEST, SUMS):
            v.problem(f"{name}: in the bundle but not listed in the manifest")


def _event_digest(e: dict[str, Any]) -> str:
    text = e["data_text"] if "data_text" in e else audit.encode_data(e["data"])
    if "data_text" in e and json.loads(text) != e["data"]:
        raise ValueError(f"event {e['id']}: data and data_text differ")
    if not isinstance(e["ts"], (int, float)) or isinstance(e["ts"], bool) or not isinstance(e["id"], int):
        raise ValueError(f"event {e.get('id')}: id or ts of the wrong type")
    return audit.content_digest(e["id"], e["ts"], e["kind"], e["actor"], e["box_no"], e["parcel_id"],
                                e["tracking"], text)


def _check_events(v: Verdict, manifest: dict[str, Any], events: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    by_id: dict[int, dict[str, Any]] = {}
    for e in events:
        try:
            e["_digest"] = _event_digest(e)
        except (KeyError, TypeError, ValueError) as err:
            v.problem(f"{EVENTS}: an event is malformed ({err})")
            continue
        if e["id"] in by_id:
            v.problem(f"{EVENTS}: event {e['id']} appears twice")
        by_id[e["id"]] = e
        if e["tracking"] not in (None, v.tracking):
            v.problem(f"{EVENTS}: event {e['id']} is about parcel {e['tracking']}, not {v.tracking}")
    want = manifest["events"]
    if sorted(by_id) != sorted(want):
        gone = sorted(set(want) - set(by_id))
        extra = sorted(set(by_id) - set(want))
        v.problem(f"{EVENTS}: does not hold the events the manifest lists"
                  + (f" (missing {', '.join(map(str, gone))})" if gone else "")
                  + (f" (not listed: {', '.join(map(str, extra))})" if extra else ""))
    v.events = len(by_id)
    return by_id


def _check_chain(v: Verdict, manifest: dict[str, Any], links: list[dict[str, Any]],
                 by_id: dict[int, dict[str, Any]]) -> None:
    head = manifest["chain"]["head"]
    if not links:
        v.problem(f"{CHAIN}: holds no links")
        return
    at: dict[int, dict[str, Any]] = {}
    prev: dict[str, Any] | None = None
    for n, link in enumerate(links):
        lid = link.get("id")
        if not (isinstance(lid, int) and all(isinstance(link.get(k), str) and _HEX64.match(link[k])
                                              for k in ("prev_hash", "digest", "hash"))):
            v.problem(f"chain: entry {n + 1} is malformed")
            prev = None
            continue
        at[lid] = link
        if prev is not None:
            if lid <= prev["id"]:
                v.problem(f"chain: link {lid} out of order (after link {prev['id']})")
            elif lid != prev["id"] + 1:
                missing = f"{prev['id'] + 1}" + (f"–{lid - 1}" if lid - 1 > prev["id"] + 1 else "")
                v.problem(f"chain: event {missing} missing (links jump from {prev['id']} to {lid})")
            elif link["prev_hash"] != prev["hash"]:
                v.problem(f"chain: link {lid} broken (its previous hash is not the hash of link {prev['id']})")
        if audit.link_hash(link["prev_hash"], lid, link["digest"]) != link["hash"]:
            v.problem(f"chain: link {lid} broken (its hash does not match its previous hash and digest)")
        prev = link
    first, last = links[0], links[-1]
    v.chain_from, v.head_id, v.head_hash = first.get("id", 0), head["id"], head["hash"]
    if first.get("id") != manifest["chain"]["from"]:
        v.problem(f"chain: starts at event {first.get('id')}, the manifest says {manifest['chain']['from']}")
    if last.get("id") != head["id"] or last.get("hash") != head["hash"]:
        v.problem(f"chain: ends at event {last.get('id')}, not at the manifest's chain head "
                  f"(event {head['id']}, {str(head['hash'])[:12]}…)")
    for eid, e in sorted(by_id.items()):
        link = at.get(eid)
        if link is None:
            v.problem(f"{EVENTS}: event {eid} is not in the chain proof")
        elif e["_digest"] != link["digest"]:
            v.problem(f"{EVENTS}: event {eid} does not match its chain digest")
        elif e["prev_hash"] != link["prev_hash"] or e["hash"] != link["hash"]:
            v.problem(f"{EVENTS}: event {eid}'s hashes differ from its chain link")


def _check_clips(v: Verdict, manifest: dict[str, Any], by_id: dict[int, dict[str, Any]] | None,
                 digests: dict[str, tuple[int, str]]) -> None:
    entries = manifest["clips"]
    members = set()
    for c in entries:
        name, member = c["name"], c.get("member")
        ev = by_id.get(c["event_id"]) if by_id is not None else None
        if ev is not None and ev["kind"] != "clip_recorded":
            ev = None
        if by_id is not None and ev is None:
            v.problem(f"clip {name}: its clip_recorded event {c['event_id']} is not in {EVENTS}")
        elif ev is not None and (ev["data"].get("sha256") != c["sha256"] or ev["data"].get("file") != c["file"]):
            v.problem(f"clip {name}: the manifest's file or SHA-256 differs from its clip_recorded event "
                      f"{c['event_id']}")
        if member is None:
            v.clips_unavailable.append(f"{name}: {c['status']}")
            continue
        members.add(member)
        if member not in digests or ev is None:
            continue  # named already: missing, damaged, or no event to prove it
        if digests[member][1] != ev["data"].get("sha256"):
            v.problem(f"clip {name} ({member}) is not the file the audit log recorded "
                      f"(SHA-256 differs from event {ev['id']})")
        else:
            v.clips_included.append(name)
    for name in digests:
        if name.startswith(CLIP_DIR) and name not in members:
            v.problem(f"{name}: not one of the manifest's clips")
    logged = {c["event_id"] for c in entries}
    for eid, e in sorted((by_id or {}).items()):
        if e["kind"] == "clip_recorded" and eid not in logged:
            v.problem(f"clip {e['data'].get('txn')}-{e['data'].get('part')} (event {eid}) is neither in the bundle "
                      "nor listed in the manifest as not available")


def _check_parcels(v: Verdict, manifest: dict[str, Any], parcels: list[dict[str, Any]],
                   by_id: dict[int, dict[str, Any]]) -> None:
    ids = set()
    for p in parcels:
        ids.add(p["id"])
        if p["tracking"] != v.tracking:
            v.problem(f"{PARCELS}: parcel {p['id']} has tracking number {p['tracking']}, not {v.tracking}")
    if sorted(ids) != sorted(manifest["parcels"]):
        v.problem(f"{PARCELS}: does not hold the parcels the manifest lists")
    for eid, e in sorted(by_id.items()):
        if e["tracking"] == v.tracking and e["parcel_id"] not in ids:
            v.problem(f"{EVENTS}: event {eid} names parcel {e['parcel_id']}, which is not in {PARCELS}")


def _check_timeline(v: Verdict, body: bytes, by_id: dict[int, dict[str, Any]]) -> None:
    """Each event line must be an event of events.json, at its time, by its actor, at its box, in order;
    the wording of "what" may differ between kiosk versions and is covered by the file's hashes."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        v.problem(f"{TIMELINE}: not UTF-8 text")
        return
    seen: list[int] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line[:1].isdigit():
            continue
        m = _LINE.match(line)
        e = by_id.get(int(m.group(4))) if m else None
        if m is None or e is None:
            v.problem(f"{TIMELINE}: line {n} is not an event of {EVENTS}")
            continue
        stamp = datetime.strptime(f"{m.group(1)} {m.group(2)}{m.group(3)}", "%Y-%m-%d %H:%M:%S %z")
        who = "_".join(str(e["actor"]).split()) or "-"
        if (abs(stamp.timestamp() - e["ts"]) >= 1 or m.group(6) != who
                or (m.group(7) or None) != (e["box_no"] or None)):
            v.problem(f"{TIMELINE}: line {n} (event {e['id']}) does not match {EVENTS}")
        seen.append(e["id"])
    if seen != sorted(by_id):
        v.problem(f"{TIMELINE}: does not list the events of {EVENTS} once each, in order")


def _check_against(v: Verdict, manifest: dict[str, Any], conn: sqlite3.Connection, cabinet_id: str | None) -> None:
    if cabinet_id is not None and v.cabinet and v.cabinet != cabinet_id:
        v.problem(f"the bundle is from cabinet {v.cabinet}, not from this cabinet ({cabinet_id})")
        return
    try:
        head = manifest["chain"]["head"]
        row = conn.execute("SELECT hash FROM events WHERE id = ?", (int(head["id"]),)).fetchone()
    except (KeyError, TypeError, ValueError, sqlite3.Error) as e:
        v.problem(f"cannot compare with this cabinet's log: {e}")
        return
    if row is None:
        v.problem(f"this cabinet's audit log has no event {head['id']}: the bundle's chain head is not from it")
    elif row[0] != head["hash"]:
        v.problem(f"chain head event {head['id']}: this cabinet's audit log has a different hash "
                  f"({row[0][:12]}…, the bundle says {str(head['hash'])[:12]}…)")
    else:
        v.against = f"the chain head (event {head['id']}) is in this cabinet's audit log"
