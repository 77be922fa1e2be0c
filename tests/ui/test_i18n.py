"""Every string on every screen is translated, and every compiled catalogue matches its source."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ui import i18n_tool
from ui.i18n import catalogue_dir

CATALOGUES = sorted(catalogue_dir().glob("*.zh_CN.ts"))
UI = Path(i18n_tool.__file__).parent


def test_there_are_catalogues():
    assert any(p.name == "shell.zh_CN.ts" for p in CATALOGUES)


@pytest.mark.parametrize("ts", CATALOGUES, ids=lambda p: p.name)
def test_every_message_is_translated(ts):
    assert i18n_tool.missing(ts.name.split(".")[0]) == []


@pytest.mark.parametrize("ts", CATALOGUES, ids=lambda p: p.name)
def test_compiled_catalogue_is_current(ts, tmp_path):
    qm = tmp_path / "out.qm"
    subprocess.run([i18n_tool._tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
    assert qm.read_bytes() == ts.with_suffix(".qm").read_bytes(), "run: python -m ui.i18n_tool release"


def test_every_tr_string_in_ui_is_in_a_catalogue(tmp_path):
    """lupdate over all of ui/ finds no source string that no catalogue holds."""
    known = {m.findtext("source") for ts in CATALOGUES for m in i18n_tool.messages(ts)}
    probe = tmp_path / "all.zh_CN.ts"
    subprocess.run([i18n_tool._tool("lupdate"), *map(str, sorted(UI.glob("*.py"))), "-ts", str(probe),
                    "-no-obsolete", "-silent"], check=True, capture_output=True)
    found = {m.findtext("source") for m in ET.parse(probe).getroot().iter("message")}
    assert sorted(found - known) == []
