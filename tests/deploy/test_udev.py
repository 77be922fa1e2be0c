"""deploy/udev/99-parcel-kiosk.rules: every rule parses, the names the config uses are made, for the four
USB-serial adapters, readable by the dialout group only."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.config import load

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "udev" / "99-parcel-kiosk.rules"
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "SUBSYSTEMS", "KERNEL", "KERNELS", "DRIVERS", "ATTR", "ATTRS", "ENV"}
ASSIGN_KEYS = {"GROUP", "MODE", "OWNER", "SYMLINK", "ENV", "GOTO", "LABEL", "IMPORT", "TAG", "RUN"}
TOKEN = re.compile(r'(?P<key>[A-Z]+)(?:\{(?P<attr>[A-Za-z0-9_]+)\})?(?P<op>==|!=|\+=|-=|:=|=)"(?P<value>[^"]*)"')
ADAPTERS = {("1a86", "7523"), ("10c4", "ea60"), ("0403", "6001"), ("067b", "2303")}  # CH340 CP210x FTDI PL2303


def parse(text: str, include_commented_examples: bool = True) -> list[list[dict[str, str]]]:
    """Rules as lists of {key, attr, op, value}; a commented line that looks like a rule is parsed too."""
    rules = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if include_commented_examples and re.match(r"#[A-Z]+[{=!]", line):
            line = line[1:]
        if not line or line.startswith("#"):
            continue
        tokens = [t.strip() for t in line.split(", ")]
        rule = []
        for t in tokens:
            m = TOKEN.fullmatch(t)
            assert m, f"line {n}: cannot parse {t!r}"
            d = m.groupdict()
            if d["op"] in ("==", "!="):
                assert d["key"] in MATCH_KEYS, f"line {n}: {d['key']} is not a match key"
            else:
                assert d["key"] in ASSIGN_KEYS, f"line {n}: {d['key']} cannot be assigned"
            rule.append(d)
        rules.append(rule)
    return rules


def test_every_rule_parses_and_every_goto_has_its_label():
    rules = parse(RULES.read_text())
    assert len(rules) >= 10
    labels = {t["value"] for r in rules for t in r if t["key"] == "LABEL"}
    gotos = {t["value"] for r in rules for t in r if t["key"] == "GOTO"}
    assert gotos and gotos <= labels


def test_the_four_adapters_get_dialout_0660_and_the_stable_names():
    rules = parse(RULES.read_text(), include_commented_examples=False)
    pairs = set()
    for r in rules:
        attrs = {t["attr"]: t["value"] for t in r if t["key"] == "ATTRS" and t["op"] == "=="}
        if "idVendor" in attrs:
            pairs.add((attrs["idVendor"], attrs["idProduct"]))
    assert pairs == ADAPTERS
    perms = [r for r in rules if any(t["key"] == "GROUP" for t in r)]
    assert len(perms) == 1 and {(t["key"], t["value"]) for t in perms[0]} >= {("GROUP", "dialout"), ("MODE", "0660")}
    links = {}
    for r in rules:
        for t in r:
            if t["key"] == "SYMLINK":
                assert t["op"] == "+="
                path = [u["value"] for u in r if u["key"] == "ENV" and u["attr"] == "ID_PATH" and u["op"] == "=="]
                assert len(path) == 1 and path[0], f"{t['value']} must be matched by its USB port (ID_PATH)"
                links[t["value"]] = path[0]
    assert set(links) == {"kiosk-fingerprint", "kiosk-lockboard0", "kiosk-lockboard1"}
    assert len(set(links.values())) == 3  # three different ports


def test_the_deploy_config_uses_the_stable_names():
    cfg = load(DEPLOY / "kiosk.toml")
    made = {"/dev/" + t["value"] for r in parse(RULES.read_text()) for t in r if t["key"] == "SYMLINK"}
    assert cfg.hardware.locks.options["port"] in made
    assert cfg.hardware.fingerprint.options["port"] in made


def test_parse_refuses_a_broken_rule():
    with pytest.raises(AssertionError):
        parse('SUBSYSTEM=="tty", ATTRS{idVendor}=1a86, SYMLINK+="x"')
    with pytest.raises(AssertionError):
        parse('SYMLINK=="kiosk-fingerprint"')


def test_udevadm_verify_accepts_the_rules():
    udevadm = shutil.which("udevadm")
    if udevadm is None or subprocess.run([udevadm, "verify", "--help"], capture_output=True).returncode != 0:
        pytest.skip("udevadm verify needs systemd >= 254 (the parse tests above still ran)")
    r = subprocess.run([udevadm, "verify", "--resolve-names=never", str(RULES)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
