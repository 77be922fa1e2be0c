"""Fuzzing the config loader: whatever a technician (or a corrupted disk) puts in the file, the kiosk says
``ConfigError: <key path or file name>: what is wrong`` and nothing else.

Three sources: arbitrary TOML-shaped tables, the shipped config with a few keys replaced, removed or added,
and arbitrary bytes (or the shipped file's bytes with some changed) handed to ``load``. A config that parses
must also name every box once, as a customer typing its number sees it.
"""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk import config, validate
from tests.fuzz import fuzz

DEFAULT_TEXT = config.default_config_path().read_bytes()
DEFAULT = tomllib.loads(DEFAULT_TEXT.decode("utf-8"))
BASE = Path("/nonexistent/cabinet")  # parse() never touches the file system

# Strings that mean something to the config, mixed into arbitrary text so the fuzzer reaches deep checks.
WORDS = ["", "~", "~/x", "~no_such_user_zz9/x", "/abs/path", "rel/x", "A01", "A1", "A01\n", "ZZ999", "S", "XL",
         "digits", "alnum", "emulated", "kerong", "gpio", "zfm", "none", "opencv", "synthetic", "zh", "en",
         "veryfast", "scrypt$1$2$3$4$5", "SZ-NS-0042", "SZ\n", "localhost", "\x00", "é", "𝔸"]
scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(10**400), 10**400),
    st.sampled_from([0, 1, 2, 6, 10, 50, 300, 4096, 4097, 65535]),
    st.floats(),
    st.text(max_size=40),
    st.sampled_from(WORDS),
    st.datetimes(), st.dates(), st.times(),
)
keys = st.one_of(st.text(max_size=12), st.sampled_from(
    ["id", "site", "lat", "lon", "data_dir", "no", "size", "lock", "sensor", "ir", "kind", "host", "tls",
     "cert_file", "ca_file", "key_file", "dir", "length", "alphabet", "max_delay_s", "base_delay_s"]))
toml_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                           max_leaves=12)
TABLES = ["cabinet", "boxes", "passwords", "lockout", "throttle", "couriers", "storage", "hardware", "ui", "video",
          "mqtt"]


def shown(key: str) -> str:
    """A key as TOML (and ConfigError) writes it: bare, or quoted when it is empty or holds other characters."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in a TOML document, as ConfigError spells it (``a.b``, ``boxes[2].no``, ``ui."x y"``)."""
    out = {prefix} if prefix else set()
    if isinstance(value, dict):
        for k, v in value.items():
            out |= paths(v, f"{prefix}.{shown(k)}" if prefix else shown(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out |= paths(v, f"{prefix}[{i}]")
    return out


SCHEMA_PATHS = paths(DEFAULT) | set(TABLES) | {f"boxes[{i}].{k}" for i in range(64) for k in ("no", "size", "lock")} \
    | {"throttle.max_delay_s", "mqtt.cert_file", "mqtt.tls"} | {f"hardware.{d}" for d in config.DEVICE_KINDS}


def assert_names_a_key(error: config.ConfigError, raw: dict[str, Any]) -> None:
    message = str(error)
    known = paths(raw) | SCHEMA_PATHS
    assert any(message.startswith(p + ":") for p in known), f"message does not start with a key path: {message!r}"


def assert_sound(cfg: config.Config) -> None:
    """A config that loads names each box once, the way the keypad sees it, and drives each lock once."""
    keys_ = [validate.box_key(b.no) for b in cfg.boxes]
    assert None not in keys_ and len(set(keys_)) == len(keys_), [b.no for b in cfg.boxes]
    assert len({b.lock for b in cfg.boxes}) == len(cfg.boxes)
    assert config.CABINET_ID.match(cfg.cabinet_id) and "\n" not in cfg.cabinet_id


def parse(raw: dict[str, Any]) -> config.Config | None:
    try:
        cfg = config.parse(raw, base_dir=BASE)
    except config.ConfigError as e:
        assert_names_a_key(e, raw)
        return None
    assert_sound(cfg)
    return cfg


# ---------------------------------------------------------------------------------------------- parse


@fuzz()
@given(raw=st.dictionaries(st.one_of(keys, st.sampled_from(TABLES)), toml_values, max_size=8))
def test_parse_arbitrary_tables_only_raises_config_error(raw):
    parse(raw)


def deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value


@st.composite
def mutated_default(draw) -> dict[str, Any]:
    """The shipped config with 1–4 edits: a value replaced, a key removed, or a key added, anywhere."""
    raw = deep_copy(DEFAULT)
    for _ in range(draw(st.integers(1, 4))):
        node: Any = raw
        while True:  # walk down a random path; bounded by the document's depth
            children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
            if not children:
                break
            k, child = draw(st.sampled_from(children))
            if isinstance(child, (dict, list)) and draw(st.booleans()):
                node = child
                continue
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                node[k] = draw(toml_values)
            elif action == "delete":
                del node[k]
            elif isinstance(node, dict):
                node[draw(keys)] = draw(toml_values)
            else:
                node.append(draw(toml_values))
            break
    return raw


@fuzz()
@given(raw=mutated_default())
def test_parse_mutated_default_config_only_raises_config_error(raw):
    parse(raw)


@fuzz(0.5)
@given(boxes=st.lists(st.fixed_dictionaries({"no": st.one_of(st.from_regex(r"\A[A-C]{0,2}0{0,2}[1-9]\Z"),
                                                              st.sampled_from(WORDS)),
                                             "size": st.sampled_from(config.SIZES),
                                             "lock": st.integers(1, 8)}), min_size=1, max_size=6))
def test_box_numbers_that_look_alike_are_refused(boxes):
    """Several boxes drawn from a tiny name space: "A1" next to "A01" must be refused, not silently merged."""
    raw = deep_copy(DEFAULT)
    raw["boxes"] = boxes
    parse(raw)


@pytest.mark.parametrize("edit, where", [
    ({"cabinet": {"data_dir": "~no_such_user_zz9/x"}}, "cabinet.data_dir:"),
    ({"video": {"dir": "~no_such_user_zz9/v"}}, "video.dir:"),
    ({"cabinet": {"lat": 10**400}}, "cabinet.lat:"),
    ({"storage": {"free_hours": -(10**309)}}, "storage.free_hours:"),
    ({"boxes": [{"no": "A1", "size": "S", "lock": 1}, {"no": "A01", "size": "S", "lock": 2}]}, "boxes[1].no:"),
    ({"boxes": [{"no": "A01\n", "size": "S", "lock": 1}]}, "boxes[0].no:"),
    ({"cabinet": {"id": "SZ\n"}}, "cabinet.id:"),
    ({"": 1}, '"": unknown key'),
    ({"ui": {"a.b": 1}}, 'ui."a.b": unknown key'),
])
def test_found_by_fuzzing_each_is_a_config_error_naming_the_key(edit, where):
    """Inputs the fuzzer found that crashed (RuntimeError, OverflowError), were wrongly accepted, or gave a
    message starting with ": " (the empty key)."""
    raw = deep_copy(DEFAULT)
    for table, value in edit.items():
        if isinstance(value, dict):
            raw[table] = {**raw.get(table, {}), **value}
        else:
            raw[table] = value
    with pytest.raises(config.ConfigError) as e:
        config.parse(raw, base_dir=BASE)
    assert str(e.value).startswith(where)


# ---------------------------------------------------------------------------------------------- load

_dir = tempfile.TemporaryDirectory(prefix="fuzz-config-")  # one file rewritten by every example
FILE = Path(_dir.name) / "kiosk.toml"


def teardown_module() -> None:
    _dir.cleanup()


def load_bytes(data: bytes, file: Path = FILE) -> None:
    """``data`` as the config file: loads into a sound config, or a ConfigError naming the file or a key
    (also bench/fuzz_atheris.py's ``config`` target)."""
    file.write_bytes(data)
    try:
        cfg = config.load(file)
    except config.ConfigError as e:
        message = str(e)
        if message.startswith(str(file)):
            return
        raw = tomllib.loads(file.read_text(encoding="utf-8"))  # it was TOML (read as load() reads it, \r and all)
        assert_names_a_key(e, raw)
        return
    assert_sound(cfg)


@fuzz()
@given(data=st.binary(max_size=400))
def test_load_arbitrary_bytes_only_raises_config_error(data):
    load_bytes(data)


@fuzz()
@given(edits=st.lists(st.tuples(st.integers(0, len(DEFAULT_TEXT) - 1), st.sampled_from(["flip", "delete", "insert"]),
                                st.binary(min_size=1, max_size=4)), min_size=1, max_size=4))
def test_load_default_file_with_changed_bytes_only_raises_config_error(edits):
    data = bytearray(DEFAULT_TEXT)
    for index, action, blob in edits:
        index %= max(1, len(data))
        if action == "flip":
            data[index] ^= blob[0] or 1
        elif action == "delete":
            del data[index:index + len(blob)]
        else:
            data[index:index] = blob
    load_bytes(bytes(data))


@pytest.mark.parametrize("data", [b"\xff\xfe id = 1", b"a = " + b"[" * 5000 + b"]" * 5000, b"x = " + b"9" * 5000])
def test_found_by_fuzzing_bad_files_are_config_errors_naming_the_file(data):
    """Not UTF-8 (UnicodeDecodeError), nested too deep (RecursionError), a 5000-digit integer (ValueError)."""
    FILE.write_bytes(data)
    with pytest.raises(config.ConfigError) as e:
        config.load(FILE)
    assert str(e.value).startswith(str(FILE) + ": ")


def test_a_config_path_under_an_unknown_home_is_a_config_error():
    with pytest.raises(config.ConfigError) as e:
        config.load("~no_such_user_zz9/kiosk.toml")
    assert str(e.value).startswith("config file ~no_such_user_zz9/kiosk.toml")

