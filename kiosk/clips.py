"""Clips as evidence: their rows, the parcels they show, and how long they are kept.

Why it is built this way:

- A clip is only evidence if the log proves which file it was: its SHA-256, times and transaction go into a
  ``clip_recorded`` audit event, and the parcels it shows are those whose events carry its transaction id
  (``data.txn``), so the link itself is inside the hash chain.
- Retention is a policy on rows, then files: by age, then by total size, oldest first; and while the disk is
  short of the reserve, more of the oldest, so the database and the audit log are never starved. A clip tied
  to an open dispute (a refused parcel not yet returned, a parcel flagged for review) is never deleted. A
  deleted clip keeps its row and its event: the log still says what existed and when and why it went.
- A clip whose row never made it (the database was full, the kiosk died between file and row) is found again
  by the JSON sidecar the recorder writes beside it, and registered on the next start.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import Clip

if TYPE_CHECKING:
    from .service import CabinetService

log = logging.getLogger(__name__)

_HOLD_SQL = ("EXISTS (SELECT 1 FROM clip_parcels cp JOIN parcels p ON p.id = cp.parcel_id WHERE cp.clip_id = k.id"
             " AND (p.state = 'refused' OR (p.review = 1 AND p.state IN ('reserved', 'stored', 'picking',"
             " 'refused', 'overdue', 'unconfirmed'))))")
_SELECT = ("SELECT k.*, (SELECT group_concat(cp.parcel_id) FROM clip_parcels cp WHERE cp.clip_id = k.id) AS pids,"
           " (SELECT group_concat(p.tracking, char(31)) FROM clip_parcels cp JOIN parcels p ON p.id = cp.parcel_id"
           " WHERE cp.clip_id = k.id) AS trackings FROM clips k")


def record(c: sqlite3.Connection, service: CabinetService, *, txn: str, part: int, kind: str, file: str,
           started: float, ended: float, txn_started: float, preroll_s: float, frames: int, size: int,
           sha256: str, boxes: tuple[str, ...], complete: bool, note: str) -> Clip:
    row = c.execute("SELECT first_event FROM transactions WHERE id = ?", (txn,)).fetchone()
    parcels = _txn_values(c, txn, row[0] if row else 0, "parcel_id")
    one = service.parcel(parcels[0]) if len(parcels) == 1 else None
    eid = service._event(c, "clip_recorded", "recorder", one, box_no=boxes[0] if len(boxes) == 1 else None,
                         txn=txn, part=part, txn_kind=kind, file=file, sha256=sha256, bytes=size, frames=frames,
                         started=started, ended=ended, txn_started=txn_started, preroll_s=preroll_s,
                         boxes=list(boxes), parcels=parcels, complete=complete, note=note)
    cur = c.execute("INSERT INTO clips (txn, part, kind, file, started, ended, txn_started, preroll_s, frames,"
                    " bytes, sha256, boxes, complete, note, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " ?, ?, ?)", (txn, part, kind, file, started, ended, txn_started, preroll_s, frames, size,
                                  sha256, json.dumps(list(boxes)), int(complete), note, eid))
    clip_id = cur.lastrowid
    c.executemany("INSERT INTO clip_parcels (clip_id, parcel_id) VALUES (?, ?)", [(clip_id, p) for p in parcels])
    return _one(c, clip_id)


def _txn_values(c: sqlite3.Connection, txn: str, first_event: int, column: str) -> list[Any]:
    """The distinct values of ``column`` (parcel_id, box_no) in a transaction's events, which come after its
    first_event; data is compact JSON with sorted keys, so the tag is a plain substring (no JSON parsing: one
    damaged event must not stop the recording of a clip)."""
    return [r[0] for r in c.execute(
        f"SELECT DISTINCT {column} FROM events WHERE id >= ? AND {column} IS NOT NULL AND instr(data, ?) > 0"
        f" ORDER BY {column}", (first_event, f'"txn":{json.dumps(txn)}'))]


def _one(c: sqlite3.Connection, clip_id: int | None) -> Clip:
    return _clip(c.execute(f"{_SELECT} WHERE k.id = ?", (clip_id,)).fetchone())


def _clip(r: sqlite3.Row) -> Clip:
    pids = tuple(int(x) for x in r["pids"].split(",")) if r["pids"] else ()
    trackings = tuple(sorted(set(r["trackings"].split("\x1f")))) if r["trackings"] else ()
    return Clip(r["id"], r["txn"], r["part"], r["kind"], r["file"], r["started"], r["ended"], r["txn_started"],
                r["preroll_s"], r["frames"], r["bytes"], r["sha256"], tuple(json.loads(r["boxes"])),
                bool(r["complete"]), r["note"], r["event_id"], r["deleted_at"], r["deleted_reason"], pids, trackings)


def query(conn: sqlite3.Connection, *, tracking: str | None = None, box: str | None = None,
          day: date | None = None, txn: str | None = None, limit: int = 200) -> list[Clip]:
    where: list[str] = []
    params: list[Any] = []
    if tracking:
        where.append("k.id IN (SELECT cp.clip_id FROM clip_parcels cp JOIN parcels p ON p.id = cp.parcel_id"
                     " WHERE p.tracking = ?)")
        params.append(tracking)
    if box:
        where.append("EXISTS (SELECT 1 FROM json_each(k.boxes) WHERE value = ?)")
        params.append(box)
    if day is not None:  # a local calendar day, as the maintainer means it
        start = datetime.combine(day, datetime.min.time()).timestamp()
        end = datetime.combine(day + timedelta(days=1), datetime.min.time()).timestamp()
        where.append("k.started < ? AND k.ended >= ?")
        params += [end, start]
    if txn:
        where.append("k.txn = ?")
        params.append(txn)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY k.started DESC, k.id DESC"
    sql += f" LIMIT {int(limit)}"
    return [_clip(r) for r in conn.execute(sql, params)]


def held(conn: sqlite3.Connection) -> set[int]:
    """Clips that must be kept: they show a parcel in an open dispute."""
    return {r[0] for r in conn.execute(f"SELECT k.id FROM clips k WHERE k.deleted_at IS NULL AND {_HOLD_SQL}")}


def plan(clips: list[tuple[int, float, int]], keep: set[int], *, now: float, max_age_s: float,
         quota_bytes: int, free_bytes: int, reserve_bytes: int) -> list[tuple[int, str]]:
    """Which clips to delete and why ("age", "quota", "disk"), oldest first, never one in ``keep``.

    ``clips``: (id, started, bytes) of every clip still on disk.
    """
    out: list[tuple[int, str]] = []
    gone: set[int] = set()
    oldest_first = sorted(clips, key=lambda k: (k[1], k[0]))
    for cid, started, _ in oldest_first:
        if started < now - max_age_s and cid not in keep:
            out.append((cid, "age"))
            gone.add(cid)
    total = sum(size for cid, _, size in clips if cid not in gone)
    short = reserve_bytes - free_bytes - sum(size for cid, _, size in clips if cid in gone)
    for cid, _, size in oldest_first:
        if total <= quota_bytes and short <= 0:
            break
        if cid in gone or cid in keep:
            continue
        out.append((cid, "quota" if total > quota_bytes else "disk"))
        gone.add(cid)
        total -= size
        short -= size
    return out


def apply_retention(service: CabinetService, free_bytes: Callable[[Path], int] | None = None) -> list[Clip]:
    cfg, conn = service.config.video, service.store.conn
    video_dir = service.video_dir
    measure = free_bytes or _free_bytes
    rows = conn.execute("SELECT id, started, bytes FROM clips WHERE deleted_at IS NULL").fetchall()
    if not rows:
        return []
    decisions = plan([(r[0], r[1], r[2]) for r in rows], held(conn), now=service.clock.now(),
                     max_age_s=cfg.retention_days * 86400, quota_bytes=cfg.quota_mb * 2**20,
                     free_bytes=measure(video_dir), reserve_bytes=cfg.min_free_mb * 2**20)
    if not decisions:
        return []
    why = dict(decisions)
    removed = []
    for clip in [_one(conn, cid) for cid, _ in decisions]:
        path = video_dir / clip.file
        try:
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
        except OSError as e:
            log.error("cannot delete clip %s: %s", path, e)
            continue
        removed.append(clip)
    if not removed:
        return []
    now = service.clock.now()
    with service._tx() as c:
        c.executemany("UPDATE clips SET deleted_at = ?, deleted_reason = ? WHERE id = ?",
                      [(now, why[k.id], k.id) for k in removed])
        service._event(c, "clips_deleted", "system", clips=[
            {"id": k.id, "file": k.file, "sha256": k.sha256, "reason": why[k.id]} for k in removed],
            bytes=sum(k.bytes for k in removed))
    log.info("retention deleted %d clip(s), %d bytes", len(removed), sum(k.bytes for k in removed))
    return [_one(conn, k.id) for k in removed]


def _free_bytes(path: Path) -> int:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_sidecar(sidecar: Path) -> dict[str, Any]:
    """The recorder's JSON sidecar as ``record_clip`` keyword arguments (``path``: the clip beside it).
    Raises OSError / ValueError / KeyError / TypeError when it is not one."""
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    return {"txn": str(data["txn"]), "part": int(data["part"]), "kind": str(data["kind"]),
            "path": sidecar.with_name(str(data.get("path", sidecar.with_suffix(".mp4").name))).absolute(), "started": float(data["started"]),
            "ended": float(data["ended"]), "txn_started": float(data["txn_started"]),
            "preroll_s": float(data["preroll_s"]), "frames": int(data["frames"]), "bytes": int(data["bytes"]),
            "sha256": str(data["sha256"]), "boxes": tuple(str(b) for b in data.get("boxes", ())),
            "complete": bool(data.get("complete", False)), "note": str(data.get("note", ""))}


def adopt_orphans(service: CabinetService, probe: Callable[[Path], dict[str, Any]] | None = None) -> list[Clip]:
    """Register clips that have no row (the row was lost): from their sidecar, and with ``probe`` (the
    recorder's ``probe_clip``) also a clip without one, which is what a kill or power cut mid-clip leaves: the
    fragmented MP4 plays up to its last finished fragment but the sidecar is written only at the end. Such a
    clip is registered as incomplete, hashed as found. A file that no longer matches its sidecar's hash is
    registered as incomplete with a note saying so, never silently."""
    video_dir = service.video_dir
    if not video_dir.is_dir():
        return []
    known = {r[0] for r in service.store.conn.execute("SELECT file FROM clips")}
    adopted = []
    for mp4 in sorted(video_dir.glob("*/*.mp4")):
        if mp4.relative_to(video_dir).as_posix() in known:
            continue
        sidecar = mp4.with_suffix(".json")
        has_sidecar = sidecar.exists()
        if not has_sidecar and probe is None:
            log.warning("clip %s has no sidecar and no row: not registered (no probe)", mp4)
            continue
        try:
            info = _from_sidecar(mp4, sidecar) if has_sidecar else _from_file(service, mp4, probe(mp4))
            adopted.append(service.record_clip(**info))
        except (OSError, ValueError, KeyError, TypeError) as e:
            if has_sidecar:
                log.error("cannot register orphan clip %s: %s", mp4, e)
            else:
                log.error("cannot register clip %s (no sidecar): %s", mp4, e)
    return adopted


def _from_sidecar(mp4: Path, sidecar: Path) -> dict[str, Any]:
    """``record_clip``'s arguments for a finished clip whose row was lost, the file hashed as found."""
    info = read_sidecar(sidecar)
    actual = file_sha256(mp4)
    if actual != info["sha256"]:
        info["note"] = f"file does not match its sidecar hash (sidecar {info['sha256'][:12]}…)"
        info["complete"] = False
    info.update(path=mp4, bytes=mp4.stat().st_size, sha256=actual, note=info["note"] or "registered after restart")
    return info


def _from_file(service: CabinetService, mp4: Path, facts: dict[str, Any]) -> dict[str, Any]:
    """``record_clip``'s arguments for a clip the recorder never finished: the transaction's own row says when
    it began and what it was, its events which boxes it showed."""
    row = service.store.conn.execute("SELECT kind, started, first_event FROM transactions WHERE id = ?",
                                     (facts["txn"],)).fetchone()
    kind, txn_started = (row[0], row[1]) if row else (facts["kind"], facts["started"])
    boxes = tuple(_txn_values(service.store.conn, facts["txn"], row[2], "box_no")) if row else ()
    log.warning("clip %s was cut short (no sidecar): registered with %d frames", mp4, facts["frames"])
    return dict(txn=facts["txn"], part=facts["part"], kind=kind, path=mp4, started=facts["started"],
                ended=facts["ended"], txn_started=txn_started, preroll_s=0.0, frames=facts["frames"],
                bytes=mp4.stat().st_size, sha256=file_sha256(mp4), boxes=boxes, complete=False,
                note="cut short: the recorder stopped before finishing it (registered after restart from the "
                     "file; its start is when the clip was requested)")
