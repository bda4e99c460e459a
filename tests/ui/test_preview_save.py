"""The preview's "Save as…" on a fresh account (issue 14, item 2): real dialog, real files.

A fresh home has no ``~/Videos``. The dialog used to open in the current folder with
``home/Videos/name.mp4`` as a relative name, so Enter saved to ``<cwd>/<home>/Videos/…`` and
failed with "[Errno 2] … .part". These tests start in a different current folder, press Enter
on the suggested name, and check the file, the folders, and what the person reads.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QLineEdit, QListView, QMainWindow, QMessageBox, QTreeView

from tests.fixtures.contrast import assert_legible
from tests.fixtures.mp4 import encoded_clip, sized_mp4
from tests.fixtures.recipe import assert_carries_recipe
from tests.fixtures.screenshots import check_and_save, save_screenshot
from tests.ui.tasks_support import make_record
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.preview.panel import PreviewPanel
from veo_desktop.ui.preview.save_dialog import DIALOG_SIZE, save_folder
from veo_desktop.ui.tasks.files import suggested_name

PROMPT = "A lighthouse on a rocky coast at dusk, waves"


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home folder (no Videos), and a current folder somewhere else."""
    home = tmp_path / "home" / "newcomer"
    home.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(elsewhere)
    return home


@pytest.fixture
def task(tmp_path: Path) -> TaskRecord:
    library = tmp_path / "library"
    library.mkdir()
    video = library / "task-1.mp4"
    encoded_clip(video, frames=12, width=64, height=36)
    return make_record(prompt=PROMPT, files=(str(video),))


@pytest.fixture
def window(qloop: Any, qtbot: Any, tmp_path: Path) -> Iterator[QMainWindow]:
    """The preview in a main window with a status bar, as in the app."""
    main = QMainWindow()
    preview = PreviewPanel(frames_dir=tmp_path / "frames")
    preview.audio.setMuted(True)
    main.setCentralWidget(preview)
    main.statusBar()
    qtbot.addWidget(main)
    main.resize(900, 620)
    main.show()
    qtbot.waitExposed(main)
    yield main
    preview.shutdown()


def preview_of(window: QMainWindow) -> PreviewPanel:
    preview = window.centralWidget()
    assert isinstance(preview, PreviewPanel)
    return preview


def open_dialog(window: QMainWindow, task: TaskRecord, qtbot: Any) -> QFileDialog:
    preview = preview_of(window)
    preview.show_task(task)
    preview.save_action.trigger()
    dialog = window.findChild(QFileDialog, "saveVideoDialog")
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def press_enter_on_the_name(dialog: QFileDialog) -> QLineEdit:
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    assert name is not None, "Qt's own dialog (the one used on Linux without a desktop theme)"
    QTest.keyClick(name, Qt.Key.Key_Return)
    return name


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_save_as_on_a_fresh_account_saves_in_home_and_says_where(
    window: QMainWindow,
    task: TaskRecord,
    fresh_home: Path,
    qtbot: Any,
    tmp_path: Path,
    themed: Callable[[bool], None],
) -> None:
    themed(False)  # the app's light theme, as a person sees the dialog
    assert not (fresh_home / "Videos").exists()
    assert save_folder() == fresh_home
    dialog = open_dialog(window, task, qtbot)
    assert Path(dialog.directory().absolutePath()) == fresh_home
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    assert name is not None and name.text() == suggested_name(task)
    # Room for the columns: not Qt's ~630x410 default.
    assert dialog.width() >= min(DIALOG_SIZE.width(), window.screen().availableSize().width() * 0.9)
    details = dialog.findChild(QTreeView, "treeView")
    assert details is not None
    header = details.header()
    columns = [
        header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i)
    ]
    assert len(columns) == 4 and columns[0] >= 200  # Name, Size, Type, Date Modified
    assert sum(columns) <= details.viewport().width()  # none cut off at the right
    places = dialog.findChild(QListView, "sidebar")
    assert places is not None
    assert places.width() >= places.fontMetrics().horizontalAdvance(fresh_home.name) + 40
    check_and_save(dialog, tmp_path, "save_as_dialog_fresh_home")

    press_enter_on_the_name(dialog)
    target = fresh_home / suggested_name(task)
    bar = window.statusBar()
    qtbot.waitUntil(lambda: bar.currentMessage() == f"Saved to {target}", timeout=10_000)
    assert_carries_recipe(target, Path(task.files[0]), task)
    # Nothing else appeared: no Videos folder, no partial file, nothing in the current folder.
    assert tree(fresh_home) == [target.name]
    assert tree(Path.cwd()) == []
    assert window.findChild(QMessageBox) is None
    save_screenshot(window.grab(), tmp_path, "save_as_confirmation")
    assert_legible(window, window.grab(), "save_as_confirmation")


def test_save_as_starts_in_videos_when_it_exists(
    window: QMainWindow, task: TaskRecord, fresh_home: Path, qtbot: Any
) -> None:
    videos = fresh_home / "Videos"
    videos.mkdir()
    dialog = open_dialog(window, task, qtbot)
    assert Path(dialog.directory().absolutePath()) == videos
    press_enter_on_the_name(dialog)
    target = videos / suggested_name(task)
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage() == f"Saved to {target}", timeout=10_000
    )
    assert_carries_recipe(target, Path(task.files[0]), task)


def failure_text(window: QMainWindow, qtbot: Any) -> str:
    def shown() -> bool:
        box = window.findChild(QMessageBox, "saveFailedBox")
        return box is not None and box.isVisible()

    qtbot.waitUntil(shown, timeout=10_000)
    box = window.findChild(QMessageBox, "saveFailedBox")
    assert box is not None
    text = box.text()
    box.close()
    return text


def assert_reads_like_a_person_wrote_it(text: str) -> None:
    assert "Errno" not in text and ".part" not in text
    assert "[" not in text and "Traceback" not in text


def test_a_missing_folder_is_named_in_words_and_nothing_is_created(
    window: QMainWindow, task: TaskRecord, fresh_home: Path, qtbot: Any, tmp_path: Path
) -> None:
    preview = preview_of(window)
    preview.show_task(task)
    failures: list[str] = []
    preview.save_failed.connect(failures.append)
    missing = fresh_home / "Videos"
    job = preview.save_to(missing / "dusk.mp4")
    assert job is not None
    text = failure_text(window, qtbot)
    assert text == (
        f"The video was not saved as \u201cdusk.mp4\u201d in {missing}: that folder does not exist."
    )
    assert failures == [text]
    assert_reads_like_a_person_wrote_it(text)
    assert not missing.exists() and tree(fresh_home) == []
    assert window.statusBar().currentMessage() == ""


def test_a_video_gone_from_the_library_says_so(
    window: QMainWindow, task: TaskRecord, fresh_home: Path, qtbot: Any
) -> None:
    preview = preview_of(window)
    preview.show_task(task)
    Path(task.files[0]).unlink()
    job = preview.save_to(fresh_home / "dusk.mp4")
    assert job is not None
    text = failure_text(window, qtbot)
    assert text.endswith("the video file to copy is no longer on this computer.")
    assert_reads_like_a_person_wrote_it(text)
    assert tree(fresh_home) == []


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_says_so_and_leaves_no_partial_file(
    window: QMainWindow, fresh_home: Path, qtbot: Any, tmp_path: Path
) -> None:
    video = tmp_path / "big.mp4"
    sized_mp4(video, 600 * 1024, packet_bytes=64 * 1024)  # 600 KB of packets, copied whole
    big = make_record(prompt=PROMPT, files=(str(video),))
    preview = preview_of(window)
    preview.show_task(big)
    with small_disk(tmp_path / "small", "256k") as disk:
        job = preview.save_to(disk / "dusk.mp4")
        assert job is not None
        text = failure_text(window, qtbot)
        assert text == (
            f"The video was not saved as \u201cdusk.mp4\u201d in {disk}: the disk is full."
        )
        assert list(disk.iterdir()) == []
