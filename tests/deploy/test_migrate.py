"""`kiosk migrate --backup DIR`: the upgrade step. A database at an older schema is copied, then migrated."""

from __future__ import annotations

import sqlite3
import stat

from kiosk import cli
from kiosk.config import default_config_path, with_data_dir
from kiosk.schema import MIGRATIONS
from kiosk.store import _statements


def make_config(tmp_path):
    cfg = tmp_path / "cabinet.toml"
    cfg.write_text(with_data_dir(default_config_path().read_text(), "state"))
    return cfg


def make_v1_database(path):
    """A cabinet's database as the first release left it: schema v1, two couriers."""
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("INSERT INTO couriers (number, name, pin_hash, created) VALUES ('C1', 'Li Wei', 'h1', 1.0)")
    conn.execute("INSERT INTO couriers (number, name, pin_hash, created) VALUES ('C2', 'Wang Fang', 'h2', 2.0)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def rows(path, sql="SELECT number, name, pin_hash FROM couriers ORDER BY number"):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall(), conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_migrate_backs_up_an_old_database_then_brings_it_to_the_current_schema(tmp_path, capsys):
    cfg = make_config(tmp_path)
    db = tmp_path / "state" / "kiosk.sqlite3"
    make_v1_database(db)
    latest = len(MIGRATIONS)
    assert latest > 1

    assert cli.run(["migrate", "--config", str(cfg), "--backup", str(tmp_path / "backups")]) == 0
    out = capsys.readouterr().out
    assert f"schema v1 -> v{latest}" in out

    backups = list((tmp_path / "backups").iterdir())
    assert len(backups) == 1 and backups[0].name.endswith("-v1.sqlite3") and f"backup: {backups[0]}" in out
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600  # password hashes: owner only
    couriers, version = rows(backups[0])
    assert version == 1 and couriers == [("C1", "Li Wei", "h1"), ("C2", "Wang Fang", "h2")]
    assert rows(backups[0], "PRAGMA integrity_check")[0] == [("ok",)]

    couriers, version = rows(db)
    assert version == latest and couriers == [("C1", "Li Wei", "h1"), ("C2", "Wang Fang", "h2")]
    assert rows(db, "SELECT count(*) FROM command_nonces")[0] == [(0,)]  # a later migration's table exists

    assert cli.run(["migrate", "--config", str(cfg)]) == 0  # again: nothing left to do
    assert f"schema v{latest} -> v{latest}" in capsys.readouterr().out


def test_migrate_without_a_database_creates_nothing(tmp_path, capsys):
    cfg = make_config(tmp_path)
    assert cli.run(["migrate", "--config", str(cfg), "--backup", str(tmp_path / "backups")]) == 0
    assert "nothing to migrate" in capsys.readouterr().out
    assert not (tmp_path / "state" / "kiosk.sqlite3").exists() and not (tmp_path / "backups").exists()


def test_a_database_newer_than_the_software_is_refused_after_the_backup(tmp_path, capsys):
    cfg = make_config(tmp_path)
    db = tmp_path / "state" / "kiosk.sqlite3"
    make_v1_database(db)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.commit()
    conn.close()
    assert cli.run(["migrate", "--config", str(cfg), "--backup", str(tmp_path / "backups")]) == cli.EXIT_FAIL
    assert "newer than this kiosk" in capsys.readouterr().err
    assert len(list((tmp_path / "backups").iterdir())) == 1  # the copy was made before anything was refused
