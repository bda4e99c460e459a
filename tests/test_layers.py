"""The layering rules: Qt-free layers never import Qt or qasync; the import contracts hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import veo_desktop

PACKAGE = Path(veo_desktop.__file__).parent
QT_FREE = ["api", "core", "storage", "records", "runtime", "sim", "hosting"]


def _modules(layer: str) -> list[str]:
    return sorted(
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for path in (PACKAGE / layer).rglob("*.py")
        if path.name != "__main__.py" and not path.name.startswith("render")
    )


@pytest.mark.parametrize("layer", QT_FREE)
def test_layer_imports_without_qt(layer: str) -> None:
    modules = _modules(layer)
    assert modules, f"no modules found in {layer}/"
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "qt = ('PySide6', 'qasync', 'shiboken6')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in qt)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{layer}/ pulled in Qt: {result.stdout.strip()}"


def test_import_contracts_hold() -> None:
    """The layers and forbidden imports declared in pyproject.toml ([tool.importlinter])."""
    root = PACKAGE.parent
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache", "--config", str(root / "pyproject.toml")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=root,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
