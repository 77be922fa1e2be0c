"""Maintain the Chinese catalogues: ``python -m ui.i18n_tool update|fill|missing|release``.

Why a tool: lupdate/lrelease ship with PySide6 (no Qt SDK needed), but filling a .ts by hand in XML is error
prone. ``update PART FILE...`` extracts the strings of those sources into ``assets/i18n/PART.zh_CN.ts``;
``fill PART MAP.json`` writes translations from ``{"English source": "中文", ...}``; ``missing PART`` lists
what is untranslated; ``release`` compiles every .ts to .qm (run it before committing).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from .i18n import catalogue_dir

LANG = "zh_CN"


def _tool(name: str) -> str:
    exe = shutil.which(f"pyside6-{name}") or str(Path(sys.executable).with_name(f"pyside6-{name}"))
    return exe


def ts_path(part: str) -> Path:
    return catalogue_dir() / f"{part}.{LANG}.ts"


def update(part: str, files: list[str]) -> None:
    subprocess.run([_tool("lupdate"), *files, "-ts", str(ts_path(part)), "-no-obsolete", "-locations", "none"],
                   check=True)


def messages(ts: Path) -> list[ET.Element]:
    return list(ET.parse(ts).getroot().iter("message"))


def missing(part: str) -> list[str]:
    out = []
    for m in messages(ts_path(part)):
        t = m.find("translation")
        if t is None or not (t.text or "").strip() or t.get("type") in ("unfinished", "vanished", "obsolete"):
            out.append(m.findtext("source") or "")
    return out


def fill(part: str, mapping: dict[str, str]) -> int:
    path = ts_path(part)
    tree = ET.parse(path)
    n = 0
    for m in tree.getroot().iter("message"):
        src = m.findtext("source")
        if src in mapping:
            t = m.find("translation")
            t.text = mapping[src]
            t.attrib.pop("type", None)
            n += 1
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return n


def release() -> None:
    for ts in sorted(catalogue_dir().glob(f"*.{LANG}.ts")):
        subprocess.run([_tool("lrelease"), "-silent", str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("update", "fill", "missing", "release"):
        print(__doc__)
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "update":
        update(rest[0], rest[1:])
    elif cmd == "fill":
        print(f"{fill(rest[0], json.loads(Path(rest[1]).read_text(encoding='utf-8')))} translations written")
    elif cmd == "missing":
        left = missing(rest[0])
        print("\n".join(left) or "all translated")
        return 1 if left else 0
    else:
        release()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
