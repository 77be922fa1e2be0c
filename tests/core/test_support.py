"""The support bundle on real files: secrets never leave, the MANIFEST holds, logs are capped, failures clean up.

Every test reads the written zip back. Secrets are planted with known values (MQTT password, maintainer PIN
hash, key files with a known content) and every member's bytes are searched for them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from kiosk import support
from kiosk.clock import FakeClock
from kiosk.config import default_config_path, load, with_data_dir
from kiosk.keys import Keyring
from kiosk.service import CabinetService
from kiosk.store import Store
from tests.core.conftest import PIN
from tests.fakes import FakeLocks

MQTT_PASSWORD = "mqtt-Pa55word-7f3a91"
PIN_HASH = "scrypt$16384$8$1$00112233445566778899aabbccddeeff$" + "ab" * 32
KEY_CONTENT = "KEYFILE-CONTENT-9d2c1b7e"
COMMAND_KEY = "c0ffee" * 10
PHONE = "13812345678"
NOW = 1_790_000_000.0  # 2026-09-21T…Z


def cabinet_config(tmp_path: Path, extra: str = "") -> Path:
    """The simulated cabinet with every kind of secret planted, data under tmp_path/data."""
    (tmp_path / "client.key").write_text(KEY_CONTENT)
    (tmp_path / "client.pem").write_text("CERT")
    (tmp_path / "command.key").write_text(COMMAND_KEY)
    text = with_data_dir(default_config_path().read_text(), str(tmp_path / "data"))
    text = text.replace('host = ""', f'host = "127.0.0.1"\ntls = true\nusername = "SZ"\npassword = "{MQTT_PASSWORD}"\n'
                        f'cert_file = "{tmp_path / "client.pem"}"\nkey_file = "{tmp_path / "client.key"}"\n'
                        f'command_key_file = "{tmp_path / "command.key"}"', 1)
    # letters in pickup passwords: a digits-only code could turn up by chance inside a hash or a timestamp
    text = text.replace('alphabet = "digits"', 'alphabet = "alnum"', 1)
    text = text.replace('maintainer_pin_hash = "', f'maintainer_pin_hash = "{PIN_HASH}"\n# was "', 1)
    p = tmp_path / "cabinet.toml"
    p.write_text(text + extra)
    return p


@pytest.fixture
def cfg(tmp_path: Path):
    c = load(cabinet_config(tmp_path))
    assert c.mqtt.password == MQTT_PASSWORD and c.ui.maintainer_pin_hash == PIN_HASH
    return c


def with_parcel(cfg) -> str:
    """A courier, a parcel with a customer's phone number in its events, a device fault; returns the parcel's
    pickup password (as the courier received it)."""
    from kiosk import outbox
    store = Store(cfg.db_path)
    try:
        keys = Keyring.load_or_create(cfg.secret_file)
        svc = CabinetService(cfg, store, keys, FakeLocks([b.no for b in cfg.boxes], set()), FakeClock())
        courier = svc.add_courier("C1001", "Li Wei", PIN)
        p = svc.start_deposit(courier, "M", "SF100200300", phone=PHONE, consent=True)
        svc.locks.close(p.box_no, item=True)
        svc.door_closed(p.box_no)
        svc.device_state("camera", False, "camera unplugged")
        msgs = [m for m in outbox.for_courier(store.conn, keys, "C1001") if m.kind == "password"]
        return msgs[0].payload["password"]
    finally:
        store.close()


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write(cfg, out: Path, **kw) -> Path:
    kw.setdefault("journal_cmd", None)
    return support.write_bundle(cfg, out, now=NOW, **kw)


def test_no_secret_and_no_personal_data_in_any_member(cfg, tmp_path):
    password = with_parcel(cfg)
    assert len(password) == 6 and not password.isdigit()
    cfg.log_dir.mkdir(parents=True)
    (cfg.log_dir / "kiosk.log").write_text(f"mqtt connect failed with password {MQTT_PASSWORD}\n"
                                           f"sms to {PHONE} queued; also +86 138-1234-5678\n")
    out = tmp_path / "usb"
    out.mkdir()
    path = write(cfg, out, selftest=lambda: "database ok", devices={"camera": (False, "camera unplugged")})
    assert path.name == "support-SZ-NS-0042-20260921T141320Z.zip"
    got = members(path)
    forbidden = [password, MQTT_PASSWORD, PIN_HASH, PIN_HASH.split("$")[-1], KEY_CONTENT, COMMAND_KEY, PHONE,
                 "138-1234-5678", "SF100200300", "Li Wei"]
    for name, data in got.items():
        for secret in forbidden:
            assert secret.encode() not in data, f"{secret!r} leaked into {name}"
    effective = json.loads(got["config/effective.json"])
    assert effective["mqtt"]["password"] == support.REDACTED
    assert effective["ui"]["maintainer_pin_hash"] == support.REDACTED
    assert effective["mqtt"]["key_file"] == str(tmp_path / "client.key")  # the path stays, the content is never read
    assert json.loads(got["config/file.json"])["config"]["mqtt"]["password"] == support.REDACTED
    assert b"<redacted>" in got["logs/kiosk.log"] and got["logs/kiosk.log"].count(b"<phone>") == 2


def test_bundle_holds_what_support_needs(cfg, tmp_path):
    with_parcel(cfg)
    path = write(cfg, tmp_path, selftest=lambda: "lockboard ok\ncamera FAULT", devices={"camera": (False, "gone")})
    got = members(path)
    assert {"summary.txt", "config/file.json", "config/effective.json", "versions.json", "audit.json",
            "state.json", "selftest.txt", "MANIFEST.sha256"} <= set(got)
    a = json.loads(got["audit.json"])
    assert a["chain"]["ok"] is True and a["chain"]["events_verified"] == len(a["last_events"]) >= 4
    kinds = [e["kind"] for e in a["last_events"]]
    assert kinds[0] == "device_fault" and "courier_added" in kinds
    fault = a["last_events"][0]
    assert fault["device"] == "camera" and fault["message"] == "camera unplugged"
    assert all(set(e) <= {"id", "time", "kind", "actor", "box", "device", "message"} for e in a["last_events"])
    assert all(":" not in e["actor"] for e in a["last_events"])  # "courier:C1001" → "courier"
    v = json.loads(got["versions.json"])
    assert v["kiosk"] and v["schema"]["database"] == v["schema"]["software"] and "av" in v["packages"]
    s = json.loads(got["state.json"])
    assert s["devices"] == {"camera": {"ok": False, "detail": "gone"}}
    assert s["outbox"]["pending"] >= 1 and s["disk"]["data_dir"]["free_bytes"] > 0
    assert s["parcels_by_state"] == {"stored": 1}
    assert got["selftest.txt"] == b"lockboard ok\ncamera FAULT\n"
    assert b"audit chain: ok" in got["summary.txt"]


def test_manifest_hashes_match_every_member(cfg, tmp_path):
    path = write(cfg, tmp_path)
    got = members(path)
    listed = {}
    for line in got.pop("MANIFEST.sha256").decode().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert listed == {name: hashlib.sha256(data).hexdigest() for name, data in got.items()}


def test_broken_chain_is_reported_with_the_first_bad_event(cfg, tmp_path):
    with_parcel(cfg)
    import sqlite3
    conn = sqlite3.connect(cfg.db_path)
    triggers = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    for t in triggers:
        conn.execute(f"DROP TRIGGER {t}")
    conn.execute("UPDATE events SET actor = 'mallory' WHERE id = 2")
    conn.commit()
    conn.close()
    a = json.loads(members(write(cfg, tmp_path))["audit.json"])
    assert a["chain"]["ok"] is False and a["chain"]["first_bad_id"] == 2


def test_rotated_logs_newest_first_and_capped(cfg, tmp_path):
    cfg.log_dir.mkdir(parents=True)
    line = b"x" * 99 + b"\n"
    (cfg.log_dir / "kiosk.log").write_bytes(b"newest\n" + line * 10)
    (cfg.log_dir / "kiosk.log.1").write_bytes(b"older\n" + line * 20)
    (cfg.log_dir / "kiosk.log.2").write_bytes(b"oldest\n" + line * 20)
    (cfg.log_dir / "kiosk.log.bak").write_bytes(b"not a rotation")
    assert [p.name for p in support.log_files(cfg.log_dir)] == ["kiosk.log", "kiosk.log.1", "kiosk.log.2"]
    got = members(write(cfg, tmp_path, log_cap=2500))
    assert got["logs/kiosk.log"].startswith(b"newest")  # whole
    part = got["logs/kiosk.log.1"]
    assert len(part) <= 2500 - len(got["logs/kiosk.log"]) and part.endswith(line) and not part.startswith(b"older")
    assert "logs/kiosk.log.2" not in got and "logs/kiosk.log.bak" not in got
    summary = got["summary.txt"].decode()
    assert "kiosk.log.1: only its newest" in summary and "kiosk.log.2 left out" in summary
    assert sum(len(v) for k, v in got.items() if k.startswith("logs/")) <= 2500


def test_journal_output_is_included_and_bounded(cfg, tmp_path):
    cmd = (sys.executable, "-c", f"print('Nov 24 kiosk[1]: started; sms {PHONE}')")
    got = members(write(cfg, tmp_path, journal_cmd=cmd))
    assert got["logs/journal.txt"] == b"Nov 24 kiosk[1]: started; sms <phone>\n"
    missing = members(write(cfg, tmp_path, journal_cmd=("no-such-journalctl-here",)))
    assert missing["logs/journal.txt"].startswith(b"no-such-journalctl-here not found")


def test_two_exports_in_one_second_keep_both(cfg, tmp_path):
    a, b = write(cfg, tmp_path), write(cfg, tmp_path)
    assert a != b and a.exists() and b.exists() and b.name.endswith("-1.zip")


def test_unwritable_target_is_a_clear_error_and_leaves_no_temp_file(cfg, tmp_path):
    out = tmp_path / "stick"
    out.mkdir()
    out.chmod(0o500)
    try:
        # A read-only folder stops everyone but root; sysfs refuses new files even to root.
        targets = ([] if os.access(out, os.W_OK) else [out]) + [Path("/sys")]
        for target in targets:
            with pytest.raises(support.SupportError,
                               match=rf"cannot write the support bundle to {target}: no permission to write there"):
                write(cfg, target)
    finally:
        out.chmod(0o700)
    assert list(out.iterdir()) == []


def test_full_stick_removes_the_partial_file(cfg, tmp_path, monkeypatch):
    """The write fails half-way (ENOSPC from the stick): the .part file goes, nothing has the final name."""
    import errno
    import zipfile as zf
    real = zf.ZipFile.writestr
    calls = []

    def fail_on_third(self, info, data, *a, **k):
        calls.append(info)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, info, data, *a, **k)

    monkeypatch.setattr(zf.ZipFile, "writestr", fail_on_third)
    with pytest.raises(support.SupportError, match="the stick is full") as e:
        write(cfg, tmp_path)
    assert e.value.reason == "full"
    assert len(calls) == 3 and list(tmp_path.glob("*.zip*")) == [] and list(tmp_path.glob(".*part")) == []


def test_missing_target_and_missing_database(cfg, tmp_path):
    with pytest.raises(support.SupportError, match="is not a directory"):
        write(cfg, tmp_path / "gone")
    a = json.loads(members(write(cfg, tmp_path))["audit.json"])  # no database yet: still a bundle
    assert a["problem"].startswith("no database at")


def test_find_usb_lists_writable_mounts_only(tmp_path):
    (tmp_path / "media" / "kiosk" / "STICK").mkdir(parents=True)
    (tmp_path / "media" / "kiosk" / "file").write_text("")
    globs = [str(tmp_path / "media" / "*" / "*"), str(tmp_path / "media" / "*" / "*")]
    assert support.find_usb(globs, require_mount=False) == [tmp_path / "media" / "kiosk" / "STICK"]
    assert support.find_usb(globs) == []  # a plain folder is not a mounted stick
    assert support.find_usb([str(tmp_path / "nothing*")], require_mount=False) == []


def test_record_export_writes_a_chained_audit_event(cfg, tmp_path):
    from kiosk import audit
    from kiosk.cli import open_context
    path = write(cfg, tmp_path)
    ctx = open_context(str(cfg.source))
    store = ctx.store
    try:
        ctx.service().support_exported(path, path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
        ev = audit.events(store.conn, limit=1, newest_first=True)[0]
        assert ev.kind == "support_exported" and ev.actor == "maintainer"
        assert ev.data == {"file": path.name, "dir": str(tmp_path), "size": path.stat().st_size,
                           "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        assert audit.verify(store.conn).ok
    finally:
        store.close()


def test_cli_prints_the_path_runs_the_selftest_and_logs_the_export(cfg, tmp_path, capsys):
    from kiosk import audit
    from kiosk.__main__ import main
    with_parcel(cfg)
    out = tmp_path / "usb"
    out.mkdir()
    assert main(["support-bundle", "--config", str(cfg.source), "--out", str(out), "--selftest"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.parent == out and path.exists()
    got = members(path)
    assert b"lockboard" in got["selftest.txt"] and b"database" in got["selftest.txt"]
    store = Store(cfg.db_path)
    try:
        ev = audit.events(store.conn, limit=1, newest_first=True)[0]
    finally:
        store.close()
    assert ev.kind == "support_exported" and ev.actor == "cli" and ev.data["file"] == path.name


def test_cli_error_is_one_line_and_exit_2(cfg, tmp_path, capsys):
    from kiosk.__main__ import main
    assert main(["support-bundle", "--config", str(cfg.source), "--out", str(tmp_path / "no-stick")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: cannot write the support bundle") and "no-stick" in err
