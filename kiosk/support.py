"""The maintainer's support bundle: one zip with what a support engineer needs, and nothing a thief could use.

Why it is built this way: a cabinet that misbehaves is often offline and far away, so a maintainer carries its
state to the support team on a USB stick. Sticks get pulled and fill up, so the zip is written under a
temporary name and renamed only when complete and synced; any failure removes the partial file and says why
in one line. The bundle leaves the building, so privacy is decided here, not by whoever reads it:

- the configuration is exported from its parsed form with every secret-looking value replaced (maintainer PIN
  hash, MQTT password, anything named like a password, token or key); file *paths* stay, and key files are
  never opened;
- the audit log contributes its chain check and the last events as id, time, kind, actor role and box only:
  no tracking numbers, phone numbers or event payloads (device faults keep their device and message);
- logs are copied newest first up to a cap, with every known secret value and anything shaped like a mobile
  phone number masked;
- a MANIFEST lists the SHA-256 of every member, so the bundle can be checked after the trip.

Pure core: no Qt, ui or hardware. The selftest (hardware/) and the live device states (ui/) are handed in by
the caller; the database is opened read-only on the calling thread, so this runs on a worker thread while
the kiosk keeps serving.
"""

from __future__ import annotations

import dataclasses
import errno
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__, audit
from .config import Config
from .schema import MIGRATIONS

LOG_CAP_BYTES = 20 * 2**20  # logs (files + journal) kept in a bundle, newest first
JOURNAL_CAP_BYTES = 8 * 2**20
JOURNAL_TIMEOUT_S = 20.0
# The unit's last week, newest 50,000 lines at most (journalctl keeps the newest when both bounds apply).
JOURNAL_CMD = ("journalctl", "-u", "parcel-kiosk", "--since", "-7d", "--lines", "50000", "--no-pager", "-o",
               "short-iso")
LAST_EVENTS = 500
REDACTED = "<redacted>"
# Key names whose values are secrets; a name ending in _file/_dir/_path is a path and stays.
_SECRET_KEY = re.compile(r"pass|pin_hash|hash$|secret|token|psk|credential|private|^key$", re.I)
_PATH_KEY = re.compile(r"(_file|_dir|_path)$", re.I)
# A mainland mobile number (11 digits from 13x–19x), optionally +86, not inside a longer run of digits.
_PHONE = re.compile(rb"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])")
DEVICE_EVENT_KEYS = ("device", "message")  # the only payload kept, and only for device_ok / device_fault
PACKAGES = ("PySide6-Essentials", "PySide6", "PySide6-Addons", "opencv-python", "opencv-python-headless", "av",
            "paho-mqtt", "gpiozero", "lgpio", "pyfingerprint", "pyserial", "cryptography", "numpy")
STEPS = ("config", "versions", "audit", "state", "selftest", "logs", "journal", "write")


class SupportError(RuntimeError):
    """The bundle could not be written; the message says where and why in one line. ``reason`` names the cause
    for a screen that says it in its own language: full, read_only, permission, gone, not_dir or other."""

    def __init__(self, message: str, reason: str = "other") -> None:
        super().__init__(message)
        self.reason = reason


# ---- where to put it ---------------------------------------------------------------------------------


def find_usb(globs: Iterable[str], require_mount: bool = True) -> list[Path]:
    """Writable directories matching ``globs`` (in glob order, no duplicates); with ``require_mount`` only
    mount points, so an empty /mnt/usb left by an unplugged stick is not mistaken for the stick."""
    found: list[Path] = []
    for pattern in globs:
        for name in sorted(glob.glob(pattern)):
            p = Path(name)
            try:
                ok = p.is_dir() and os.access(p, os.W_OK | os.X_OK) and (not require_mount or os.path.ismount(p))
            except OSError:  # a stick pulled without unmounting: its directory answers EIO
                ok = False
            if ok and p not in found:
                found.append(p)
    return found


def bundle_name(cabinet_id: str, now: float) -> str:
    stamp = datetime.fromtimestamp(now, timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"support-{cabinet_id}-{stamp}.zip"


# ---- the bundle ----------------------------------------------------------------------------------------


def write_bundle(config: Config, out_dir: str | Path, *, selftest: Callable[[], str] | None = None,
                 now: float | None = None, devices: dict[str, tuple[bool | None, str]] | None = None,
                 db: sqlite3.Connection | None = None, journal_cmd: tuple[str, ...] | None = JOURNAL_CMD,
                 log_cap: int = LOG_CAP_BYTES, on_step: Callable[[str], None] | None = None) -> Path:
    """Write ``support-<cabinet>-<UTC time>.zip`` into ``out_dir`` and return its path.

    ``db``: an open connection to read (default: the cabinet's database opened read-only here, so call this on
    the thread that will use it). ``devices``: live device states (name → (ok?, one line)). ``journal_cmd``:
    None skips the system journal. ``on_step`` hears each step's name (``STEPS``) as it starts.
    """
    now = time.time() if now is None else now
    out = Path(out_dir)
    step = on_step or (lambda _s: None)
    if not out.is_dir():
        raise SupportError(f"cannot write the support bundle: {out} is not a directory (is the stick plugged in?)",
                           "not_dir")
    members: dict[str, bytes] = {}
    secrets: set[str] = set()

    step("config")
    raw, raw_problem = _raw_config(config)
    members["config/file.json"] = _json({"source": str(config.source) if config.source else None,
                                         "problem": raw_problem, "config": _redact(raw, secrets)})
    members["config/effective.json"] = _json(_redact(_plain(dataclasses.asdict(config)), secrets))

    step("versions")
    conn, db_problem = (db, "") if db is not None else _open_readonly(config.db_path)
    try:
        schema = _scalar(conn, "PRAGMA user_version") if conn is not None else None
        members["versions.json"] = _json(_versions(schema))
        step("audit")
        members["audit.json"] = _json(_audit(conn, db_problem))
        step("state")
        members["state.json"] = _json(_state(config, conn, devices))
    finally:
        if conn is not None and db is None:
            conn.close()

    step("selftest")
    members["selftest.txt"] = _selftest(selftest)
    step("logs")
    logs, notes = _logs(config.log_dir, log_cap)
    members.update(logs)
    step("journal")
    if journal_cmd is not None:
        left = max(0, log_cap - sum(len(v) for v in logs.values()))
        members["logs/journal.txt"] = _journal(journal_cmd, min(left, JOURNAL_CAP_BYTES))
    members["summary.txt"] = _summary(config, now, members, notes)

    # Defence in depth: a secret echoed into a log line or an error message is masked wherever it landed.
    members = {name: _scrub(data, secrets, phones=name.startswith("logs/")) for name, data in members.items()}
    members["MANIFEST.sha256"] = _manifest(members)
    step("write")
    return _write_zip(out, bundle_name(config.cabinet_id, now), members, now)


# ---- members -------------------------------------------------------------------------------------------


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")


def _plain(obj: Any) -> Any:
    """Paths to strings, tuples to lists: what JSON shows."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _raw_config(config: Config) -> tuple[dict[str, Any], str]:
    """The config file as written (parsed, so no comment can smuggle a secret out); "" or why it is missing."""
    if config.source is None:
        return {}, "no config file (built in code)"
    try:
        return tomllib.loads(Path(config.source).read_text(encoding="utf-8")), ""
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, RecursionError) as e:
        return {}, f"config file {config.source} could not be re-read: {e}"


def _redact(obj: Any, found: set[str], key: str = "") -> Any:
    """``obj`` with every value under a secret-looking key replaced; the replaced values go into ``found``."""
    if isinstance(obj, dict):
        return {k: _redact(v, found, str(k)) for k, v in obj.items()}
    if isinstance(obj, list) and not (key and _is_secret(key)):
        return [_redact(v, found, key) for v in obj]
    if key and _is_secret(key) and obj not in ("", None, [], 0, False):
        for leaf in obj if isinstance(obj, list) else [obj]:
            if len(str(leaf)) >= 4:
                found.add(str(leaf))
        return REDACTED
    return obj


def _is_secret(key: str) -> bool:
    return bool(_SECRET_KEY.search(key)) and not _PATH_KEY.search(key)


def _scrub(data: bytes, secrets: set[str], phones: bool) -> bytes:
    for s in sorted(secrets, key=len, reverse=True):
        for form in {s, json.dumps(s, ensure_ascii=False)[1:-1], json.dumps(s)[1:-1]}:
            data = data.replace(form.encode("utf-8"), REDACTED.encode())
    if phones:
        data = _PHONE.sub(b"<phone>", data)
    return data


def _open_readonly(path: Path) -> tuple[sqlite3.Connection | None, str]:
    if not path.exists():
        return None, f"no database at {path}"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn, ""
    except sqlite3.Error as e:
        return None, f"database {path} cannot be read: {e}"


def _scalar(conn: sqlite3.Connection, sql: str) -> Any:
    try:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None
    except sqlite3.Error as e:
        return f"error: {e}"


def _versions(schema: Any) -> dict[str, Any]:
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {"kiosk": __version__, "schema": {"database": schema, "software": len(MIGRATIONS)},
            "python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine(),
            "packages": packages}


def _audit(conn: sqlite3.Connection | None, problem: str) -> dict[str, Any]:
    if conn is None:
        return {"problem": problem}
    started = time.monotonic()
    v = audit.verify(conn)
    out: dict[str, Any] = {"chain": {"ok": v.ok, "events_verified": v.count, "first_bad_id": v.bad_id,
                                     "problem": v.problem, "seconds": round(time.monotonic() - started, 3)}}
    try:
        events = audit.events(conn, limit=LAST_EVENTS, newest_first=True)
    except (sqlite3.Error, ValueError) as e:
        out["events_problem"] = f"events could not be read: {e}"
        return out
    out["last_events"] = [_event(e) for e in events]
    out["note"] = ("newest first; id, UTC time, kind, actor role and box only: payloads and tracking numbers "
                   "stay in the cabinet (kiosk events / kiosk evidence there)")
    return out


def _event(e: audit.Event) -> dict[str, Any]:
    out: dict[str, Any] = {"id": e.id, "time": _utc(e.ts), "kind": e.kind, "actor": e.actor.split(":")[0],
                           "box": e.box_no}
    if e.kind in ("device_ok", "device_fault"):
        out.update({k: e.data[k] for k in DEVICE_EVENT_KEYS if isinstance(e.data.get(k), str)})
    return out


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _state(config: Config, conn: sqlite3.Connection | None, devices: dict | None) -> dict[str, Any]:
    out: dict[str, Any] = {"devices": {k: {"ok": ok, "detail": detail} for k, (ok, detail) in (devices or {}).items()}
                           if devices is not None else "not given (command line: see selftest.txt)"}
    disks: dict[str, Any] = {}
    for what, path in (("data_dir", config.data_dir), ("video_dir", config.video_dir), ("log_dir", config.log_dir)):
        p = path
        while not p.exists() and p != p.parent:  # a folder not made yet: the disk it would be on
            p = p.parent
        try:
            du = shutil.disk_usage(p)
            disks[what] = {"path": str(path), "free_bytes": du.free, "total_bytes": du.total}
        except OSError as e:
            disks[what] = {"path": str(path), "problem": str(e)}
    out["disk"] = disks
    if conn is not None:
        try:
            r = conn.execute("SELECT COUNT(*) FILTER (WHERE sent_at IS NULL), COUNT(*) FILTER (WHERE sent_at IS NOT"
                             " NULL), MIN(created) FILTER (WHERE sent_at IS NULL) FROM outbox").fetchone()
            out["outbox"] = {"pending": r[0], "sent": r[1], "oldest_pending": _utc(r[2]) if r[2] else None}
            out["parcels_by_state"] = dict(conn.execute("SELECT state, COUNT(*) FROM parcels GROUP BY state"))
            out["lockouts_open"] = _scalar(conn, "SELECT COUNT(*) FROM lockouts WHERE ended_at IS NULL")
        except sqlite3.Error as e:
            out["outbox"] = {"problem": str(e)}
    return out


def _selftest(selftest: Callable[[], str] | None) -> bytes:
    if selftest is None:
        return b"not run (kiosk support-bundle --selftest runs it; stop the kiosk first, it opens the devices)\n"
    try:
        return (selftest().rstrip() + "\n").encode("utf-8")
    except Exception as e:  # the bundle is most wanted when something is broken: record, do not stop
        return f"selftest failed to run: {type(e).__name__}: {e}\n".encode("utf-8")


def log_files(log_dir: Path) -> list[Path]:
    """kiosk.log, then its rotations kiosk.log.1, .2, … (newest first, as RotatingFileHandler names them)."""
    if not log_dir.is_dir():
        return []
    rotated = []
    for p in log_dir.glob("kiosk.log.*"):
        suffix = p.name[len("kiosk.log."):]
        if suffix.isdigit() and p.is_file():
            rotated.append((int(suffix), p))
    head = [log_dir / "kiosk.log"] if (log_dir / "kiosk.log").is_file() else []
    return head + [p for _n, p in sorted(rotated)]


def _logs(log_dir: Path, cap: int) -> tuple[dict[str, bytes], list[str]]:
    """Newest first until ``cap`` bytes; the file that crosses the cap keeps its newest end."""
    out: dict[str, bytes] = {}
    notes: list[str] = []
    left = cap
    files = log_files(log_dir)
    if not files:
        notes.append(f"no kiosk.log in {log_dir}")
    for p in files:
        if left <= 0:
            notes.append(f"{p.name} left out: the {cap // 2**20} MB log cap was reached")
            continue
        try:
            size = p.stat().st_size
            with open(p, "rb") as f:
                if size > left:
                    f.seek(size - left)
                    data = f.read(left)
                    nl = data.find(b"\n")
                    data = data[nl + 1:] if 0 <= nl < len(data) - 1 else data  # start on a whole line
                    notes.append(f"{p.name}: only its newest {len(data):,} of {size:,} bytes (log cap)")
                else:
                    data = f.read(size)
        except OSError as e:
            notes.append(f"{p.name} could not be read: {e.strerror or e}")
            continue
        out[f"logs/{p.name}"] = data
        left = 0 if size > left else left - len(data)
    return out, notes


def _journal(cmd: tuple[str, ...], cap: int) -> bytes:
    """The unit's journal of the last week (bounded in time and size), or why there is none."""
    if shutil.which(cmd[0]) is None:
        return f"{cmd[0]} not found: no system journal on this machine\n".encode()
    if cap <= 0:
        return b"left out: the log cap was reached by the log files\n"
    try:
        with open(os.devnull, "rb") as devnull:
            p = subprocess.run(list(cmd), stdin=devnull, capture_output=True, timeout=JOURNAL_TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        partial = (e.stdout or b"")[-cap:]
        return partial + f"\n[journal read stopped after {JOURNAL_TIMEOUT_S:g} s]\n".encode()
    except OSError as e:
        return f"{' '.join(cmd)} could not run: {e}\n".encode()
    data = p.stdout
    if len(data) > cap:
        data = b"[older lines left out: log cap]\n" + data[-cap:]
    if p.returncode != 0 or not data.strip():
        data += f"[{' '.join(cmd)}: exit {p.returncode}] {p.stderr.decode(errors='replace').strip()}\n".encode()
    return data


def _summary(config: Config, now: float, members: dict[str, bytes], notes: list[str]) -> bytes:
    a = json.loads(members["audit.json"])
    chain = a.get("chain")
    lines = [f"support bundle of cabinet {config.cabinet_id} ({config.site}), made {_utc(now)}",
             f"kiosk {__version__}, python {sys.version.split()[0]}, {platform.platform()}",
             ("audit chain: " + (f"ok, {chain['events_verified']} events" if chain and chain["ok"] else
                                 f"BROKEN at event {chain['first_bad_id']}: {chain['problem']}" if chain
                                 else a.get("problem", "not checked")))]
    lines += [f"note: {n}" for n in notes]
    lines += ["", "members:"] + [f"  {name} ({len(data):,} bytes)" for name, data in members.items()]
    lines += ["", "Privacy: secrets are replaced by <redacted>; events carry no payloads, tracking or phone "
                  "numbers; phone-shaped numbers in logs are masked. MANIFEST.sha256 lists every member."]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _manifest(members: dict[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in members.items()).encode()


# ---- writing -------------------------------------------------------------------------------------------


def _write_zip(out: Path, name: str, members: dict[str, bytes], now: float) -> Path:
    final = out / name
    for n in range(1, 100):  # two exports in one second: keep both
        if not final.exists():
            break
        final = out / name.replace(".zip", f"-{n}.zip")
    tmp = out / f".{final.name}.part"
    stamp = datetime.fromtimestamp(now, timezone.utc).timetuple()[:6]
    try:
        with open(tmp, "wb") as f:
            with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
                for member, data in members.items():
                    info = zipfile.ZipInfo(member, date_time=stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    z.writestr(info, data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        _sync_dir(out)
    except OSError as e:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # the stick is gone: nothing is left to clean on it
        raise SupportError(*_why(out, e)) from None
    return final


def _sync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems (vfat on some kernels) refuse fsync on a directory; the file itself is synced
    finally:
        os.close(fd)


def _why(out: Path, e: OSError) -> tuple[str, str]:
    reasons = {errno.ENOSPC: ("full", "the stick is full"), errno.EDQUOT: ("full", "the stick is full"),
               errno.EROFS: ("read_only", "the stick is read-only (write-protect switch?)"),
               errno.EACCES: ("permission", "no permission to write there"),
               errno.EPERM: ("permission", "no permission to write there"),
               errno.EIO: ("gone", "input/output error (stick pulled out?)"),
               errno.ENOENT: ("gone", "the folder is gone (stick pulled out?)"),
               errno.ENODEV: ("gone", "the device is gone (stick pulled out?)")}
    reason, text = reasons.get(e.errno or 0, ("other", e.strerror or str(e)))
    return f"cannot write the support bundle to {out}: {text}", reason
