"""The large-cabinet fixture (issue 7): 200 boxes on 13 Kerong boards and 1 M finished parcels of history.

Why it is built this way: the point is to show that the kiosk stays fast as *history* grows, so the history
must look like the kiosk wrote it — the real schema (``kiosk.store.Store`` runs the migrations), rows in the
states the service leaves them in, password rows already used or voided, and an audit chain that
``kiosk.audit.verify`` accepts. Going through ``CabinetService`` for a million parcels would take hours of
fsyncs, so the history is written with ``executemany`` in large transactions (``synchronous=OFF`` while
building only) and the chain is computed in Python with ``kiosk.audit.content_digest``/``link_hash``, the same
functions ``chain_hash`` is made of. Content digests do not depend on each other, so two worker processes
compute them while the main process links the chain and inserts; only the cheap link hash is sequential.
Everything before and after the history (boxes, couriers, the ~150 parcels now in the cabinet) goes through
the real service, so their events, passwords and outbox messages are exactly what the kiosk produces, and
their passwords are read back from the simulated handheld's outbox messages.

The built fixture is cached (``--cache``, one folder per parcel count) because building 1 M parcels takes a
minute or two; a benchmark copies it and never writes to the cached copy.

Run: python bench/large_cabinet.py [--parcels 1000000] [--cache ~/.cache/parcel-locker/large] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk import audit, config, passwords  # noqa: E402
from kiosk.clock import FakeClock  # noqa: E402
from kiosk.keys import Keyring  # noqa: E402
from kiosk.service import CabinetService  # noqa: E402
from kiosk.store import Store  # noqa: E402

FORMAT = 1  # bump when the fixture's content changes, so stale caches are rebuilt
BOXES = 200
BOARD_LOCKS = 16  # Kerong KR-CU16: channel c is board (c-1)//16, lock (c-1)%16 → 13 boards for 200 boxes
COURIERS = 24
LIVE = 150
NOW = 1_780_000_000.0  # the fixture's "now"; history ends two days before it
HISTORY_DAYS = 730.0
EVENTS_PER_PARCEL = 4
CHUNK = 20_000  # parcels per worker task / per executemany batch
TX_PARCELS = 200_000  # parcels per committed transaction
DEFAULT_CACHE = Path("~/.cache/parcel-locker/large-cabinet").expanduser()
SIZES = ("S", "S", "S", "M", "M", "M", "L", "XL")


@dataclass(frozen=True)
class Fixture:
    dir: Path  # holds cabinet.toml and state/ (database and secret)
    parcels: int  # finished parcels of history
    now: float  # the time the fixture was left at (start a FakeClock here)
    live: dict[str, tuple[int, str, str]]  # box → (parcel id, tracking, password) of the stored parcels
    couriers: dict[str, str]  # courier number → PIN
    build_s: float

    @property
    def config_path(self) -> Path:
        return self.dir / "cabinet.toml"


def box_numbers() -> list[str]:
    """A01…A16 on board 0, B01…B16 on board 1, … M01…M08 on board 12."""
    return [f"{chr(ord('A') + (c - 1) // BOARD_LOCKS)}{(c - 1) % BOARD_LOCKS + 1:02d}" for c in range(1, BOXES + 1)]


def config_text(data_dir: str = "state") -> str:
    boxes = "\n".join(
        f'  {{ no = "{no}", size = "{SIZES[i % len(SIZES)]}", lock = {i + 1}, ir = true, accessible = {str(i % 4 == 1).lower()} }},'
        for i, no in enumerate(box_numbers()))
    text = f"""# Large benchmark cabinet (bench/large_cabinet.py): {BOXES} boxes on {(BOXES - 1) // BOARD_LOCKS + 1} Kerong boards.
boxes = [
{boxes}
]

[cabinet]
id = "BENCH-LARGE-200"
site = "Benchmark site"
lat = 22.5431
lon = 113.9510
data_dir = "/placeholder"

[video]
enabled = false

[hardware.locks]
kind = "emulated"

[hardware.camera]
kind = "none"

[hardware.fingerprint]
kind = "none"
"""
    return config.with_data_dir(text, data_dir)


def load_config(fixture_dir: Path) -> config.Config:
    return config.load(fixture_dir / "cabinet.toml")


# ------------------------------------------------------------------------------------------------ history


def _history_rows(args: tuple[int, int, int, list[tuple[int, str]], bytes]) -> tuple[list, list, list]:
    """Parcel, password and event rows of parcels [first, last) with each event's content digest.

    Deterministic in the parcel number, so any worker can build any chunk; event ids are fixed by the parcel
    number (EVENTS_PER_PARCEL each) after ``first_event``.
    """
    first, last, first_event, couriers, key = args
    boxes = box_numbers()
    start = NOW - 2 * 86400 - HISTORY_DAYS * 86400
    step = HISTORY_DAYS * 86400 / max(1, N_HINT[0])
    parcels, pws, events = [], [], []
    rnd = random.Random(first)
    for n in range(first, last):
        pid = n + 1
        box = boxes[n % BOXES]
        courier_id, courier_no = couriers[n % len(couriers)]
        tracking = f"SF{7_000_000_000 + n}"
        created = start + n * step
        stored = created + 40.0 + rnd.random() * 60
        due = stored + 48 * 3600
        returned = n % 20 == 7  # 5 % are never picked up: overdue, then taken back by the courier
        code = f"{rnd.randrange(1_000_000):06d}"
        expires = stored + 72 * 3600
        if returned:
            t3, t4 = due + 30.0, due + 3600 * (2 + rnd.random() * 20)
            parcels.append((pid, tracking, box, courier_id, None, 1, "returned", 0, None, 0, created, stored,
                            due, t4, t4))
            pws.append((pid, pid, passwords.digest(key, code), stored, expires, None, t4, "returned"))
            kinds = (("parcel_overdue", "system", {"due_at": due}), ("return_collected", f"courier:{courier_no}",
                                                                     {"was": "overdue"}))
        else:
            t3 = stored + 600 + rnd.random() * 40 * 3600
            t4 = t3 + 20 + rnd.random() * 40
            parcels.append((pid, tracking, box, courier_id, None, 1, "collected", 0, None, 0, created, stored,
                            due, t4, t4))
            pws.append((pid, pid, passwords.digest(key, code), stored, expires, t3, None, None))
            kinds = (("pickup_opened", "customer", {}), ("parcel_collected", "customer", {}))
        evs = (("deposit_started", f"courier:{courier_no}", created,
                {"size": "S", "asked_accessible": False, "phone_given": False, "consent": True}),
               ("deposit_stored", "device", stored, {"item_inside": True, "expires": expires}),
               (kinds[0][0], kinds[0][1], t3, kinds[0][2]),
               (kinds[1][0], kinds[1][1], t4, kinds[1][2]))
        eid = first_event + (n - first) * EVENTS_PER_PARCEL
        for j, (kind, actor, ts, data) in enumerate(evs):
            text = audit.encode_data(data)
            events.append((eid + j, ts, kind, actor, box, pid, tracking, text,
                           audit.content_digest(eid + j, ts, kind, actor, box, pid, tracking, text)))
    return parcels, pws, events


N_HINT = [1]  # total parcel count, set in each worker (it fixes the time step between parcels)


def _init_worker(n: int) -> None:
    N_HINT[0] = n


def _write_history(store: Store, n: int, couriers: list[tuple[int, str]], key: bytes, log=print) -> None:
    c = store.conn
    last_id, prev = c.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    tasks = [(a, min(a + CHUNK, n), last_id + 1 + a * EVENTS_PER_PARCEL, couriers, key) for a in range(0, n, CHUNK)]
    t0 = time.perf_counter()
    c.execute("BEGIN")
    done = 0
    with multiprocessing.get_context("fork").Pool(2, initializer=_init_worker, initargs=(n,)) as pool:
        for parcels, pws, events in pool.imap(_history_rows, tasks):
            c.executemany("INSERT INTO parcels (id, tracking, box_no, courier_id, phone, consent, state,"
                          " wrong_tries, reason, review, created, stored_at, due_at, finished_at, updated)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", parcels)
            c.executemany("INSERT INTO passwords (id, parcel_id, digest, created, expires, used_at, void_at,"
                          " void_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", pws)
            rows = []
            for eid, ts, kind, actor, box, pid, tracking, text, digest in events:
                h = audit.link_hash(prev, eid, digest)
                rows.append((eid, ts, kind, actor, box, pid, tracking, text, prev, h))
                prev = h
            c.executemany("INSERT INTO events (id, ts, kind, actor, box_no, parcel_id, tracking, data, prev_hash,"
                          " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            done += len(parcels)
            if done % TX_PARCELS == 0 or done == n:
                c.execute("COMMIT")
                log(f"  history {done:>9,} / {n:,} parcels  ({time.perf_counter() - t0:5.1f} s)")
                if done < n:
                    c.execute("BEGIN")


# ------------------------------------------------------------------------------------------------ build


def _deposit_live(svc: CabinetService, locks, clock: FakeClock, couriers, count: int) -> dict:
    """Stored parcels through the real flow; passwords read back from the handheld's outbox messages."""
    live: dict[str, tuple[int, str, str]] = {}
    rnd = random.Random(7)
    for i in range(count):
        courier = couriers[i % len(couriers)]
        p = svc.start_deposit(courier, rnd.choice(("S", "S", "M", "L")), f"LIVE{900_000 + i}", consent=True)
        locks.close(p.box_no, item=True)
        svc.door_closed(p.box_no)
        for m in svc.take_outbox():
            if m.kind == "password":
                live[m.payload["box"]] = (p.id, m.payload["tracking"], m.payload["password"])
        clock.advance(300.0)
    return live


def build(cache: Path, n: int, rebuild: bool = False, log=print) -> Fixture:
    """Build (or reuse from ``cache``) the fixture with ``n`` finished parcels of history."""
    fdir = cache.expanduser() / f"parcels-{n}"
    meta_path = fdir / "fixture.json"
    if meta_path.exists() and not rebuild:
        meta = json.loads(meta_path.read_text())
        if meta.get("format") == FORMAT:
            return _fixture(fdir, meta)
    if fdir.exists():
        shutil.rmtree(fdir)
    (fdir / "state").mkdir(parents=True)
    (fdir / "cabinet.toml").write_text(config_text())
    cfg = load_config(fdir)
    from tests.fakes import FakeLocks

    t0 = time.perf_counter()
    store = Store(cfg.db_path)
    store.conn.execute("PRAGMA synchronous=OFF")  # building only: a crash here just means building again
    store.conn.execute("PRAGMA cache_size=-262144")
    keys = Keyring.load_or_create(cfg.secret_file)
    locks = FakeLocks([b.no for b in cfg.boxes], ir={b.no for b in cfg.boxes})
    clock = FakeClock(NOW - 2 * 86400 - HISTORY_DAYS * 86400 - 3600)
    svc = CabinetService(cfg, store, keys, locks, clock)  # boxes_configured: event 1
    pins = {f"C{100 + i}": f"{246800 + i:06d}" for i in range(COURIERS)}
    for no, pin in pins.items():
        svc.add_courier(no, f"Courier {no}", pin)
    couriers = [(r[0], r[1]) for r in store.query("SELECT id, number FROM couriers ORDER BY id")]
    log(f"building {n:,} parcels of history in {fdir}")
    _write_history(store, n, couriers, keys.password_key, log)
    store.conn.execute("ANALYZE")
    clock.set(NOW - 15 * 3600)  # live parcels stored over the last 12.5 h: none due for 33 h
    live = _deposit_live(svc, locks, clock, [svc.courier(no) for no in pins], LIVE)
    now = clock.now()
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    meta = {"format": FORMAT, "parcels": n, "now": now, "live": live, "couriers": pins,
            "build_s": time.perf_counter() - t0}
    meta_path.write_text(json.dumps(meta))
    log(f"built in {meta['build_s']:.1f} s: {cfg.db_path.stat().st_size / 1e6:,.0f} MB")
    return _fixture(fdir, meta)


def _fixture(fdir: Path, meta: dict) -> Fixture:
    return Fixture(fdir, meta["parcels"], meta["now"], {k: tuple(v) for k, v in meta["live"].items()},
                   meta["couriers"], meta["build_s"])


def working_copy(fx: Fixture, dest: Path) -> Path:
    """Copy the fixture to ``dest`` (config, database, secret) and return the config path; the cache stays
    untouched by whatever the benchmark does."""
    (dest / "state").mkdir(parents=True, exist_ok=True)
    shutil.copy2(fx.config_path, dest / "cabinet.toml")
    for name in ("kiosk.sqlite3", "cabinet.key"):
        shutil.copy2(fx.dir / "state" / name, dest / "state" / name)
    return dest / "cabinet.toml"


def verify(fx: Fixture) -> audit.Verification:
    conn = sqlite3.connect(f"file:{fx.dir / 'state' / 'kiosk.sqlite3'}?mode=ro", uri=True)
    try:
        return audit.verify(conn)
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=1_000_000, help="finished parcels of history")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where built fixtures are kept")
    ap.add_argument("--rebuild", action="store_true", help="build again even if cached")
    ap.add_argument("--verify", action="store_true", help="walk the audit chain of the built fixture")
    a = ap.parse_args(argv)
    if a.parcels < 1:
        print("--parcels: must be ≥ 1", file=sys.stderr)
        return 2
    fx = build(a.cache, a.parcels, a.rebuild)
    print(f"fixture {fx.dir}: {fx.parcels:,} parcels of history, {len(fx.live)} stored now, built in {fx.build_s:.1f} s")
    if a.verify:
        t = time.perf_counter()
        v = verify(fx)
        print(f"audit chain: {'ok' if v.ok else 'BROKEN: ' + v.problem} ({v.count:,} events, "
              f"{time.perf_counter() - t:.1f} s)")
        return 0 if v.ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
