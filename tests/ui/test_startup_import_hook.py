"""``veo-desktop`` keeps PySide6's import hook from reading every module's source line by line.

Once PySide6 is imported, each newly imported module is checked for the word "PySide6" in
its source (``__feature__`` bookkeeping). PySide6 does it with ``inspect.getsource``
(about 0.2 ms a module through ``linecache``, 50-75 ms of the ~330 modules the window
loads before its workspace is usable); the window process gives the same answer from the
file's bytes (:func:`veo_desktop.ui.main.check_pyside_use_cheaply`).
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import veo_desktop.core.paths
import veo_desktop.ui
import veo_desktop.ui.main
from veo_desktop.ui.main import module_mentions_pyside

ROOT = Path(__file__).resolve().parents[2]


def inspect_says(module: types.ModuleType) -> bool:
    """PySide6's own answer (``_mod_uses_pyside``): "PySide6" in the module's source."""
    try:
        return "PySide6" in inspect.getsource(module)
    except (TypeError, OSError, SyntaxError):
        return False


@pytest.mark.parametrize(
    "module",
    [
        veo_desktop.ui.main,  # says "PySide6"
        veo_desktop.core.paths,  # Qt-free
        veo_desktop.ui,  # a package: its __init__.py
        json,  # the standard library
        sys.modules["PySide6.QtCore"],  # an extension module: no source
        types.ModuleType("made_in_memory"),  # no spec, no file
    ],
    ids=lambda module: module.__name__,
)
def test_the_cheap_check_answers_as_inspect_does(module: types.ModuleType) -> None:
    assert module_mentions_pyside(module) is inspect_says(module)


def test_a_module_whose_file_went_away_does_not_mention_pyside(tmp_path: Path) -> None:
    module = types.ModuleType("gone")
    module.__spec__ = types.SimpleNamespace(origin=str(tmp_path / "gone.py"))  # type: ignore[assignment]
    assert module_mentions_pyside(module) is False


CHILD = """
import json, linecache, sys
sys.path.insert(0, sys.argv[1])
import PySide6.QtCore
from veo_desktop.ui.main import check_pyside_use_cheaply

check_pyside_use_cheaply()
import uses_qt, plain

feature = sys.modules["PySide6.support.feature"]
print(json.dumps({
    "marks": {name: feature.pyside_feature_dict.get(name) for name in ("uses_qt", "plain")},
    "read_by_linecache": [name for name in ("uses_qt", "plain")
                          if sys.modules[name].__file__ in linecache.cache],
}))
"""


def test_the_window_process_marks_modules_without_reading_them_line_by_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "uses_qt.py").write_text("from PySide6.QtCore import QObject\n")
    (tmp_path / "plain.py").write_text("ANSWER = 42\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    # PySide6's marks as before: 0 for a module using PySide6, -1 ("ignore") for the rest.
    assert result["marks"] == {"uses_qt": 0, "plain": -1}
    # ... found without inspect.getsource (which leaves every line in linecache).
    assert result["read_by_linecache"] == []
