"""``veo-desktop`` answers PySide6's "does this module use PySide6?" from earlier starts.

PySide6's import hook asks it of every module imported after PySide6; the window process
answers from the module file's bytes (tests/ui/test_startup_import_hook.py), and from the
answers kept in the cache folder while the file is unchanged
(:class:`veo_desktop.ui.main.PysideUseAnswers`): one ``stat`` instead of reading the file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

from veo_desktop.ui.main import PYSIDE_USE_FILE, PysideUseAnswers, module_mentions_pyside

ROOT = Path(__file__).resolve().parents[2]


def module_at(path: Path) -> types.ModuleType:
    module = types.ModuleType(path.stem)
    module.__spec__ = types.SimpleNamespace(origin=str(path))  # type: ignore[assignment]
    return module


def test_answers_are_those_of_the_files_bytes(tmp_path: Path) -> None:
    uses = tmp_path / "uses_qt.py"
    uses.write_text("from PySide6.QtCore import QObject\n")
    plain = tmp_path / "plain.py"
    plain.write_text("ANSWER = 42\n")
    answers = PysideUseAnswers(tmp_path / PYSIDE_USE_FILE)
    for path in (uses, plain, tmp_path / "gone.py"):
        module = module_at(path)
        assert answers.mentions_pyside(module) is module_mentions_pyside(module)
    assert answers.mentions_pyside(sys.modules["json"]) is False
    assert answers.mentions_pyside(types.ModuleType("made_in_memory")) is False


def test_a_later_start_reuses_an_answer_without_reading_the_file(tmp_path: Path) -> None:
    source = tmp_path / "uses_qt.py"
    source.write_text("from PySide6.QtCore import QObject\n")
    kept = tmp_path / "cache" / PYSIDE_USE_FILE
    first = PysideUseAnswers(kept)
    assert first.mentions_pyside(module_at(source)) is True
    first.save()
    # The kept answer says the opposite of the file: a start that reused it without reading
    # the file (same size, same modification time) answers as kept.
    data = json.loads(kept.read_text())
    data["files"][str(source)][2] = False
    kept.write_text(json.dumps(data))
    assert PysideUseAnswers(kept).mentions_pyside(module_at(source)) is False


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    source = tmp_path / "plain.py"
    source.write_text("ANSWER = 42\n")
    kept = tmp_path / PYSIDE_USE_FILE
    first = PysideUseAnswers(kept)
    assert first.mentions_pyside(module_at(source)) is False
    first.save()
    source.write_text("import PySide6\n")  # another size
    assert PysideUseAnswers(kept).mentions_pyside(module_at(source)) is True
    stat = source.stat()
    source.write_text("import PySide2\n")  # the same size, another time
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert PysideUseAnswers(kept).mentions_pyside(module_at(source)) is False


def test_a_damaged_or_foreign_answers_file_is_ignored_and_replaced(tmp_path: Path) -> None:
    source = tmp_path / "uses_qt.py"
    source.write_text("from PySide6.QtCore import QObject\n")
    kept = tmp_path / PYSIDE_USE_FILE
    for text in ("not json", "[]", '{"version": 99, "files": {}}', '{"version": 1}'):
        kept.write_text(text)
        answers = PysideUseAnswers(kept)
        assert answers.mentions_pyside(module_at(source)) is True
        answers.save()
        assert json.loads(kept.read_text())["files"][str(source)][2] is True


def test_answers_of_files_no_longer_imported_are_dropped(tmp_path: Path) -> None:
    source = tmp_path / "plain.py"
    source.write_text("ANSWER = 42\n")
    kept = tmp_path / PYSIDE_USE_FILE
    gone = {str(tmp_path / f"old_{n}.py"): [1, 2, False] for n in range(5)}
    kept.write_text(json.dumps({"version": PysideUseAnswers.VERSION, "files": gone}))
    answers = PysideUseAnswers(kept)
    assert answers.mentions_pyside(module_at(source)) is False
    answers.save()
    assert list(json.loads(kept.read_text())["files"]) == [str(source)]


def test_nothing_new_read_leaves_the_file_alone(tmp_path: Path) -> None:
    source = tmp_path / "plain.py"
    source.write_text("ANSWER = 42\n")
    kept = tmp_path / PYSIDE_USE_FILE
    PysideUseAnswers(kept).save()
    assert not kept.exists()
    first = PysideUseAnswers(kept)
    first.mentions_pyside(module_at(source))
    first.save()
    written = kept.stat().st_mtime_ns
    kept.write_text(kept.read_text() + " ")  # (marks the file as this test's)
    again = PysideUseAnswers(kept)
    assert again.mentions_pyside(module_at(source)) is False
    again.save()
    assert kept.read_text().endswith(" ")  # not written again
    assert written <= kept.stat().st_mtime_ns
    PysideUseAnswers(None).save()  # keeping nothing: nothing to write


def test_an_unwritable_cache_folder_is_not_a_failure(tmp_path: Path) -> None:
    source = tmp_path / "plain.py"
    source.write_text("ANSWER = 42\n")
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    answers = PysideUseAnswers(blocker / PYSIDE_USE_FILE)
    assert answers.mentions_pyside(module_at(source)) is False
    answers.save()  # (logged, not raised)


CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import PySide6.QtCore
from veo_desktop.ui.main import remember_pyside_use

answers = remember_pyside_use(Path(sys.argv[2]))
import uses_qt, plain

feature = sys.modules["PySide6.support.feature"]
answers.save()
print(json.dumps({name: feature.pyside_feature_dict.get(name) for name in ("uses_qt", "plain")}))
"""


def test_the_window_process_marks_modules_as_pyside6_does_at_every_start(
    tmp_path: Path,
) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "uses_qt.py").write_text("from PySide6.QtCore import QObject\n")
    (modules / "plain.py").write_text("ANSWER = 42\n")
    data = tmp_path / "data"
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    for _start in range(2):  # the first start reads the files, the second reuses its answers
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(modules), str(data)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        # PySide6's marks: 0 for a module using PySide6, -1 ("ignore") for the rest.
        assert json.loads(done.stdout) == {"uses_qt": 0, "plain": -1}
    kept = json.loads((data / "cache" / PYSIDE_USE_FILE).read_text())["files"]
    assert kept[str(modules / "uses_qt.py")][2] is True
    assert kept[str(modules / "plain.py")][2] is False
