"""The ``kiosk`` command line: courier management and the audit log, for maintainers at a shell.

Why a CLI beside the touchscreen: a technician commissioning a cabinet over SSH must add couriers and check
the log without the UI. Errors are one line on stderr and a non-zero exit, never a traceback. Commands that
need hardware or Qt (run, emulate, selftest) are added by the composition root, kiosk/__main__.py.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import __version__, audit, evidence, evidence_check
from .clock import Clock, SystemClock
from .config import CABINET_ID, Config, ConfigError, default_config_path, load
from .keys import Keyring, SecretError
from .model import KioskError
from .ports import OfflineLocks
from .service import CabinetService
from .store import Store, StoreError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """One line for stderr; the command exits non-zero."""


@dataclass
class Context:
    config: Config
    store: Store
    keys: Keyring

    def service(self, locks=None, clock: Clock | None = None) -> CabinetService:
        return CabinetService(self.config, self.store, self.keys, locks or OfflineLocks(), clock or SystemClock())


def open_context(config_path: str | None) -> Context:
    cfg = load(config_path or default_config_path())
    store = Store(cfg.db_path)
    try:
        keys = Keyring.load_or_create(cfg.secret_file)
    except Exception:
        store.close()
        raise
    return Context(cfg, store, keys)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other failure here
        raise CliError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="F", default=argparse.SUPPRESS,
                        help="cabinet config (TOML); default: the simulated cabinet in assets/")
    p = _Parser(prog="kiosk", description="Parcel-locker kiosk.", parents=[common])
    p.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p.set_defaults(func=None)

    courier = sub.add_parser("courier", parents=[common], help="add, list or remove couriers")
    csub = courier.add_subparsers(dest="courier_command", metavar="ACTION", parser_class=_Parser, required=True)
    add = csub.add_parser("add", parents=[common], help="add a courier (PIN read from the terminal or stdin)")
    add.add_argument("number")
    add.add_argument("--name", required=True)
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")
    add.set_defaults(func=cmd_courier_add)
    ls = csub.add_parser("list", parents=[common], help="list couriers")
    ls.add_argument("--all", action="store_true", help="include removed couriers")
    ls.set_defaults(func=cmd_courier_list)
    rm = csub.add_parser("remove", parents=[common], help="deactivate a courier and free their fingerprints")
    rm.add_argument("number")
    rm.set_defaults(func=cmd_courier_remove)

    mp = sub.add_parser("maintainer-pin", parents=[common],
                        help="print the hash of a maintainer PIN for ui.maintainer_pin_hash (PIN from tty or stdin)")
    mp.set_defaults(func=cmd_maintainer_pin)

    ev = sub.add_parser("events", parents=[common], help="show or verify the audit log")
    ev.add_argument("--parcel", metavar="T", help="only events of tracking number T")
    ev.add_argument("--verify", action="store_true", help="check the hash chain; exit 1 at the first bad event")
    ev.add_argument("--limit", type=int, default=None, help="newest N events only")
    ev.add_argument("--json", action="store_true", help="one JSON object per line")
    ev.set_defaults(func=cmd_events)

    evd = sub.add_parser("evidence", parents=[common],
                         help="export a parcel's evidence bundle (timeline, audit events with chain proof, clips), "
                              "or verify one")
    evd.add_argument("tracking", nargs="?", metavar="TRACKING", help="the parcel's tracking number")
    evd.add_argument("--out", metavar="F.zip", help="write the bundle here")
    evd.add_argument("--verify", metavar="F.zip", help="check a bundle; exit 1 naming everything that does not match")
    evd.add_argument("--against-cabinet", action="store_true",
                     help="with --verify: also check the bundle's chain head against this cabinet's audit log")
    evd.set_defaults(func=cmd_evidence)

    hh = sub.add_parser("handheld", parents=[common],
                        help="a courier's handheld: print each message for COURIER_NO from the config's broker")
    hh.add_argument("courier_no", metavar="COURIER_NO")
    hh.add_argument("--count", type=_positive(int), metavar="N", help="exit after N messages")
    hh.add_argument("--timeout", type=_positive(float), metavar="S", help="exit after S seconds without a message")
    hh.add_argument("--client-id", default="", metavar="ID",
                    help="a stable client id: the broker keeps what is sent while this handheld is off")
    hh.set_defaults(func=cmd_handheld)

    cm = sub.add_parser("command", parents=[common],
                        help="sign a remote command with the key file, send it to a cabinet and print its result")
    cm.add_argument("cmd", choices=("open", "reissue", "clear_lockout", "status"), metavar="CMD",
                    help="open, reissue, clear_lockout or status")
    cm.add_argument("--box", metavar="B", help="the box (open, reissue, clear_lockout)")
    cm.add_argument("--reason", metavar="R", help="why (logged with the command)")
    cm.add_argument("--key-file", metavar="K", required=True, help="the fleet's HMAC key (hex)")
    cm.add_argument("--cabinet", metavar="ID", help="the cabinet (default: the config's cabinet id)")
    cm.add_argument("--by", metavar="NAME", help="who sends it, for the audit log (default: your user name)")
    cm.add_argument("--wait", type=float, default=10.0, metavar="S",
                    help="seconds to wait for the result (default 10; 0: publish only)")
    cm.set_defaults(func=cmd_command)

    mg = sub.add_parser("migrate", parents=[common],
                        help="bring the database to this version's schema (the upgrade step); --backup first")
    mg.add_argument("--backup", metavar="DIR", help="copy the database into DIR first (SQLite online backup)")
    mg.set_defaults(func=cmd_migrate)
    return p


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    return parse


def run(argv: list[str] | None, extra: Callable[[argparse._SubParsersAction], None] | None = None) -> int:
    parser = build_parser()
    if extra is not None:
        extra(next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)))
    try:
        args = parser.parse_args(argv)
        if args.func is None:
            parser.print_help()
            return EXIT_USAGE
        return int(args.func(args) or EXIT_OK)
    except CliError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, StoreError, SecretError, KioskError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130


def _ctx(args: argparse.Namespace) -> Context:
    return open_context(getattr(args, "config", None))


def _read_pin(args: argparse.Namespace) -> str:
    if args.pin_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise CliError("courier add: no PIN on standard input")
        return line.strip()
    pin = getpass.getpass("PIN: ")
    if getpass.getpass("PIN again: ") != pin:
        raise CliError("courier add: the two PINs differ")
    return pin


def cmd_courier_add(args: argparse.Namespace) -> int:
    ctx = _ctx(args)
    try:
        c = ctx.service().add_courier(args.number, args.name, _read_pin(args), actor="cli")
    finally:
        ctx.store.close()
    print(f"courier {c.number} ({c.name}) added; enrol a finger on the maintainer screen")
    return EXIT_OK


def cmd_courier_list(args: argparse.Namespace) -> int:
    ctx = _ctx(args)
    try:
        couriers = ctx.service().couriers(include_inactive=args.all)
    finally:
        ctx.store.close()
    print(f"{'number':<12} {'name':<24} {'active':<7} fingers")
    for c in couriers:
        print(f"{c.number:<12} {c.name:<24} {'yes' if c.active else 'no':<7} {','.join(map(str, c.fingers)) or '-'}")
    return EXIT_OK


def cmd_courier_remove(args: argparse.Namespace) -> int:
    ctx = _ctx(args)
    try:
        c = ctx.service().remove_courier(args.number, actor="cli")
    finally:
        ctx.store.close()
    print(f"courier {c.number} removed")
    return EXIT_OK


def cmd_maintainer_pin(args: argparse.Namespace) -> int:
    from . import pins, validate

    args.pin_stdin = False
    pin = validate.pin(_read_pin(args), 6)
    print(f'maintainer_pin_hash = "{pins.hash_pin(pin)}"')
    return EXIT_OK


def cmd_events(args: argparse.Namespace) -> int:
    ctx = _ctx(args)
    try:
        if args.verify:
            v = audit.verify(ctx.store.conn)
            if not v.ok:
                print(f"audit chain BROKEN at event {v.bad_id}: {v.problem} ({v.count} events before it verify)",
                      file=sys.stderr)
                return EXIT_FAIL
            print(f"audit chain ok: {v.count} events")
            return EXIT_OK
        evs = audit.events(ctx.store.conn, tracking=args.parcel.upper() if args.parcel else None,
                           limit=args.limit, newest_first=args.limit is not None)
        if args.limit is not None:
            evs.reverse()
        for e in evs:
            if args.json:
                print(json.dumps({"id": e.id, "ts": e.ts, "kind": e.kind, "actor": e.actor, "box": e.box_no,
                                  "parcel": e.parcel_id, "tracking": e.tracking, "data": e.data, "hash": e.hash},
                                 ensure_ascii=False))
            else:
                when = datetime.fromtimestamp(e.ts).strftime("%Y-%m-%d %H:%M:%S")
                data = " ".join(f"{k}={v}" for k, v in e.data.items())
                print(f"{e.id:>6} {when} {e.kind:<22} {e.actor:<16} {e.box_no or '-':<4} {e.tracking or '-':<16} {data}")
        if args.parcel and not evs:
            print(f"no events for parcel {args.parcel}", file=sys.stderr)
            return EXIT_FAIL
        return EXIT_OK
    finally:
        ctx.store.close()


def cmd_evidence(args: argparse.Namespace) -> int:
    if args.verify is not None:
        if args.tracking is not None or args.out is not None:
            raise CliError("evidence: --verify F.zip takes no TRACKING and no --out")
        return _verify_evidence(args)
    if args.against_cabinet:
        raise CliError("evidence: --against-cabinet goes with --verify F.zip")
    if args.tracking is None or args.out is None:
        raise CliError("evidence: give TRACKING --out F.zip to export, or --verify F.zip to check")
    ctx = _ctx(args)
    try:
        service = ctx.service()
        built = evidence.build(service, args.tracking, args.out)
        service.evidence_exported(built.tracking, built.fingerprint, str(built.path))  # who saw what, logged
    finally:
        ctx.store.close()
    print(f"evidence for parcel {built.tracking} written to {built.path} ({built.size:,} bytes)")
    print(f"  {built.parcels} parcel record(s), {built.events} events; chain proof from event {built.chain_from}"
          f" to the head, event {built.head_id} ({built.head_hash[:16]}…)")
    for line in built.clips:
        print(f"  clip {line}")
    if not built.clips:
        print("  no clips of this parcel")
    print(f"  bundle fingerprint (SHA-256 of SHA256SUMS): {built.fingerprint}")
    for w in built.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return EXIT_FAIL if built.warnings else EXIT_OK


def _verify_evidence(args: argparse.Namespace) -> int:
    if args.against_cabinet:
        ctx = _ctx(args)
        try:
            v = evidence_check.verify(args.verify, against=ctx.store.conn, cabinet_id=ctx.config.cabinet_id)
        finally:
            ctx.store.close()
    else:
        v = evidence_check.verify(args.verify)
    if not v.readable:
        print(f"error: {v.problems[0]}", file=sys.stderr)
        return EXIT_FAIL
    if not v.ok:
        print(f"evidence NOT verified: {args.verify} ({len(v.problems)} problem(s))", file=sys.stderr)
        for p in v.problems:
            print(f"  {p}", file=sys.stderr)
        return EXIT_FAIL
    print(f"evidence ok: parcel {v.tracking}, cabinet {v.cabinet}")
    print(f"  {v.events} events, linked through chain events {v.chain_from}–{v.head_id} to the head "
          f"{v.head_hash[:16]}…")
    print(f"  clips matching the audit log: {', '.join(v.clips_included) or 'none'}")
    for line in v.clips_unavailable:
        print(f"  clip {line}")
    if v.against:
        print(f"  {v.against}")
    print(f"  bundle fingerprint (SHA-256 of SHA256SUMS): {v.fingerprint}")
    return EXIT_OK


def cmd_handheld(args: argparse.Namespace) -> int:
    from . import handheld, validate

    cfg = load(getattr(args, "config", None) or default_config_path())
    number = validate.courier_no(args.courier_no)
    try:
        device = handheld.Handheld(cfg.mqtt, number, sys.stdout, sys.stderr, client_id=args.client_id)
        return device.run(args.count, args.timeout)
    except handheld.ClientError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_FAIL


def cmd_command(args: argparse.Namespace) -> int:
    from . import handheld, remote

    if args.cmd in remote.NEEDS_BOX and not args.box:
        raise CliError(f"command {args.cmd}: give the box with --box B")
    if args.wait < 0:
        raise CliError("command: --wait must be ≥ 0")
    cfg = load(getattr(args, "config", None) or default_config_path())
    cabinet = args.cabinet or cfg.cabinet_id
    if not CABINET_ID.match(cabinet):
        raise CliError(f"command: {cabinet!r} is not a cabinet id")
    by = args.by or _user()
    if not 1 <= len(by) <= 64 or not by.isprintable():
        raise CliError("command: --by must be 1–64 printable characters")
    key = remote.load_key(args.key_file)
    command = remote.sign(remote.new_command(args.cmd, cabinet=cabinet, by=by, now=time.time(), box=args.box,
                                             reason=args.reason), key)
    try:
        result = handheld.send_command(cfg.mqtt, cabinet, command, args.wait,
                                       log=lambda line: print(line, file=sys.stderr))
    except handheld.ClientError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_FAIL
    if result is None:
        print(f"sent command {command['id']} ({args.cmd}) to cabinet {cabinet}; not waiting for its result")
        return EXIT_OK
    ok = result.get("ok") is True
    print(f"{'ok' if ok else 'NOT DONE'}: {result.get('message')}")
    return EXIT_OK if ok else EXIT_FAIL


def cmd_migrate(args: argparse.Namespace) -> int:
    """Back up, then open the store (which migrates by PRAGMA user_version); print "schema vN -> vM".

    Run by deploy/install.sh --upgrade with the kiosk stopped, as the kiosk user. A cabinet with no database
    yet is left alone: the first start creates it, owned by whoever starts the kiosk.
    """
    cfg = load(getattr(args, "config", None) or default_config_path())
    db = cfg.db_path
    if not db.exists():
        print(f"no database at {db} yet: nothing to migrate (the first start creates it)")
        return EXIT_OK
    before = _schema_version(db)
    if args.backup:
        print(f"backup: {_backup_db(db, args.backup, before)}")
    store = Store(db)
    try:
        after = store.version
    finally:
        store.close()
    print(f"schema v{before} -> v{after}")
    return EXIT_OK


def _schema_version(db) -> int:
    """The file's PRAGMA user_version, read without migrating anything."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise StoreError(f"cannot read database {db}: {e}") from None


def _backup_db(db, out_dir: str, version: int) -> str:
    """A consistent copy by SQLite's online backup (WAL content included), mode 0600, checked after writing."""
    import os
    import sqlite3
    from pathlib import Path

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        dest = out / f"kiosk-{datetime.now():%Y%m%d-%H%M%S}-v{version}.sqlite3"
        os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # hashes and sealed data: owner only
        src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
    except (OSError, sqlite3.Error) as e:
        raise CliError(f"migrate: backup into {out_dir} failed: {e}") from None
    if ok != "ok":
        raise CliError(f"migrate: backup {dest} fails its integrity check: {ok}")
    return str(dest)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "operator"
