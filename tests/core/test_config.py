"""Config loading: the shipped default works, and every mistake names its key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.config import ConfigError, default_config_path, load

DEFAULT = default_config_path().read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cabinet.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_default_simulated_cabinet_loads():
    cfg = load(default_config_path())
    assert cfg.cabinet_id == "SZ-NS-0042" and len(cfg.boxes) == 24
    assert {b.size for b in cfg.boxes} == {"S", "M", "L", "XL"}
    assert any(b.accessible for b in cfg.boxes) and any(not b.ir for b in cfg.boxes)
    assert cfg.lockout.max_tries == 3 and cfg.lockout.minutes == 30
    assert cfg.passwords.alphabet == "digits" and cfg.passwords.length == 6
    assert cfg.hardware.locks.kind == "emulated" and cfg.hardware.camera.kind == "synthetic"
    assert cfg.secret_file == cfg.data_dir / "cabinet.key"


def test_relative_data_dir_is_relative_to_the_config_file(tmp_path):
    text = re.sub(r'data_dir = ".*"', 'data_dir = "state"', DEFAULT)
    cfg = load(write(tmp_path, text))
    assert cfg.data_dir == tmp_path / "state"


@pytest.mark.parametrize("old, new, message", [
    ('max_tries = 3 ', 'max_tries = 0 ', r"^lockout\.max_tries: must be 1–20, got 0$"),
    ('max_tries = 3 ', 'max_trys = 3 ', r"^lockout\.max_trys: unknown key"),
    ('alphabet = "digits"', 'alphabet = "emoji"', r"^passwords\.alphabet: must be 'digits' or 'alnum'"),
    ('length = 6 ', 'length = 8 ', r"^passwords\.length: must be 6"),
    ('lat = 22.5431', 'lat = 122.5', r"^cabinet\.lat: must be between -90 and 90"),
    ('lat = 22.5431', 'lat = "north"', r"^cabinet\.lat: must be a number, got 'north'"),
    ('id = "SZ-NS-0042"', 'id = "bad id!"', r"^cabinet\.id: must be 1–32"),
    ('{ no = "A02", size = "S",', '{ no = "A02", size = "XXL",', r"^boxes\[1\]\.size: must be one of S, M, L, XL"),
    ('{ no = "A02",', '{ no = "A01",', r"^boxes\[1\]\.no: box A01 is already defined at boxes\[0\]"),
    ('lock =  2,', 'lock =  1,', r"^boxes\[1\]\.lock: channel 1 is already used by box A01"),
    ('{ no = "A02", size = "S",', '{ no = "A02", size = "S", colour = "red",', r"^boxes\[1\]\.colour: unknown key"),
    ('kind = "emulated"                     # "emulated", "kerong"', 'kind = "magic" #',
     r"^hardware\.locks\.kind: must be one of emulated, kerong, gpio"),
    ('max_delay_s = 60', 'max_delay_s = 1', r"^throttle\.max_delay_s: must be ≥ throttle\.base_delay_s"),
])
def test_mistakes_name_the_key_and_the_problem(tmp_path, old, new, message):
    assert old in DEFAULT
    with pytest.raises(ConfigError, match=message):
        load(write(tmp_path, DEFAULT.replace(old, new, 1)))


def test_missing_pieces(tmp_path):
    with pytest.raises(ConfigError, match=r"^cabinet: missing table \[cabinet\]"):
        load(write(tmp_path, "boxes = []\n"))
    no_site = re.sub(r"\nsite = .*\n", "\n", DEFAULT)
    with pytest.raises(ConfigError, match=r"^cabinet\.site: missing \(required\)"):
        load(write(tmp_path, no_site))
    no_boxes = re.sub(r"boxes = \[.*?\n\]\n", "boxes = []\n", DEFAULT, flags=re.S)
    with pytest.raises(ConfigError, match=r"^boxes: a cabinet needs at least one box"):
        load(write(tmp_path, no_boxes))


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(write(tmp_path, "[cabinet\nid = 1"))


def test_with_data_dir_points_a_copy_elsewhere_and_refuses_text_without_the_key(tmp_path):
    from kiosk.config import with_data_dir
    cfg = load(write(tmp_path, with_data_dir(DEFAULT, "elsewhere")))
    assert cfg.data_dir == tmp_path / "elsewhere"
    with pytest.raises(ConfigError, match=r"^cabinet\.data_dir: expected exactly one"):
        with_data_dir("[cabinet]\nid = 'x'\n", "elsewhere")
