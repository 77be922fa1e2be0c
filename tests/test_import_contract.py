"""The core never imports Qt, ui or hardware (napari-style): checked in the source and at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import kiosk

FORBIDDEN = ("PySide6", "shiboken6", "ui", "hardware", "cv2", "av", "serial", "gpiozero", "pyfingerprint")
CORE = Path(kiosk.__file__).parent
# The composition root wires the core to devices and screens (DESIGN.md section 4); it is the one exception.
EXEMPT = {"__main__.py"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            roots.add(str(node.args[0].value).split(".")[0])
    return roots


def test_no_core_module_imports_qt_ui_or_hardware():
    modules = [p for p in CORE.rglob("*.py") if p.name not in EXEMPT]
    assert len(modules) > 10
    offenders = {p.name: sorted(imported_roots(p) & set(FORBIDDEN)) for p in modules}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtCore import QObject\nimport hardware.kerong\n")
    assert imported_roots(bad) >= {"PySide6", "hardware"}


def test_importing_every_core_module_loads_no_forbidden_package():
    names = [f"kiosk.{p.stem}" for p in CORE.glob("*.py") if p.name not in EXEMPT | {"__init__.py"}]
    code = ("import importlib, sys\n"
            f"for n in {names!r}: importlib.import_module(n)\n"
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
