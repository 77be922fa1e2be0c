"""A cabinet on a real SQLite file in tmp_path, with a fake clock and in-memory locks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kiosk import config as config_mod
from kiosk.clock import FakeClock
from kiosk.keys import Keyring
from kiosk.service import CabinetService
from kiosk.store import Store
from tests.fakes import FakeLocks

PIN = "135790"


def make_config(tmp_path: Path, **overrides) -> config_mod.Config:
    cfg = config_mod.load(config_mod.default_config_path())
    return dataclasses.replace(cfg, data_dir=tmp_path, secret_file=tmp_path / "cabinet.key", **overrides)


class Cabinet:
    """Everything a core test touches, reopenable to prove state survives a restart."""

    def __init__(self, tmp_path: Path, cfg: config_mod.Config | None = None) -> None:
        self.cfg = cfg or make_config(tmp_path)
        self.clock = FakeClock()
        ir = {b.no for b in self.cfg.boxes if b.ir}
        self.locks = FakeLocks([b.no for b in self.cfg.boxes], ir)
        self.open()

    def open(self) -> None:
        self.store = Store(self.cfg.db_path)
        self.keys = Keyring.load_or_create(self.cfg.secret_file)
        self.svc = CabinetService(self.cfg, self.store, self.keys, self.locks, self.clock)

    def reopen(self) -> None:
        self.store.close()
        self.open()

    def courier(self, number: str = "C1001", slot: int | None = 1):
        c = self.svc.add_courier(number, f"Courier {number}", PIN)
        return self.svc.assign_finger(number, slot) if slot is not None else c

    def deposit(self, courier, size: str = "M", tracking: str = "SF100200300", **kw):
        """Courier deposits; returns (parcel, password read from the outbox message)."""
        p = self.svc.start_deposit(courier, size, tracking, consent=True, **kw)
        self.locks.close(p.box_no, item=True)
        out = self.svc.door_closed(p.box_no)
        assert out.action == "stored"
        return out.parcel, self.last_password(courier.number)

    def last_password(self, courier_no: str) -> str:
        from kiosk import outbox
        msgs = [m for m in outbox.for_courier(self.store.conn, self.keys, courier_no) if m.kind == "password"]
        return msgs[0].payload["password"]


@pytest.fixture
def cab(tmp_path: Path) -> Cabinet:
    c = Cabinet(tmp_path)
    yield c
    c.store.close()
