"""A drag out of the task list hands out copies that carry their recipe, made off the GUI
thread: ahead of time when the row becomes current, or (when the drag comes first) while
the event loop keeps running. Every file a drag hands out is still there at the drop (the
drag cache keeps only :data:`KEEP` copies, but never prunes the drag's own)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QTimer
from PySide6.QtWidgets import QMainWindow, QTableView, QWidget

from tests.fixtures.mp4 import encoded_clip, sized_mp4
from tests.fixtures.recipe import assert_carries_recipe
from tests.ui.tasks_support import make_record
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.film.recipe import read_recipe
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.recipe_drag import (
    DRAG_FOLDER,
    KEEP,
    STILL_COPYING_TEXT,
    DragCopies,
    copies_for,
    drag_mime,
    follow_current,
)


def held() -> bool:
    """The mouse button is still down (as in a real drag)."""
    return True


class Window(QMainWindow):
    """A top-level window with the app's folders and settings, as the main window has."""

    def __init__(self, paths: AppPaths, settings: Settings | None = None) -> None:
        super().__init__()
        self.paths = paths
        self.settings = settings or Settings()


def window_with(
    qtbot: Any, paths: AppPaths, records: list[TaskRecord], settings: Settings | None = None
) -> tuple[Window, QTableView, TaskTableModel]:
    window = Window(paths, settings)
    qtbot.addWidget(window)
    view = QTableView(window)
    window.setCentralWidget(view)
    model = TaskTableModel(view)
    model.set_tasks(records)
    view.setModel(model)
    return window, view, model


def library(tmp_path: Path) -> AppPaths:
    paths = AppPaths.resolve(tmp_path / "data")
    paths.library_dir.mkdir(parents=True)
    return paths


def long_clip(paths: AppPaths) -> Path:
    """A real MP4 of ~16,000 packets: its stream copy takes a few tenths of a second alone
    (and much longer on a busy machine: the tests do not depend on how long)."""
    video = paths.library_dir / "long.mp4"
    sized_mp4(video, 4_000_000, packet_bytes=256)
    return video


def urls(data: Any) -> list[Path]:
    return [Path(url.toLocalFile()) for url in data.urls()]


def test_a_drag_before_its_copy_is_ready_keeps_the_event_loop_running(
    tmp_path: Path, qtbot: Any
) -> None:
    paths = library(tmp_path)
    video = long_clip(paths)
    task = make_record(1, files=(str(video),))
    window, view, model = window_with(qtbot, paths, [task])
    # However busy the machine, the copy is waited for (the limit has its own test).
    DragCopies(paths.cache_dir, window, wait_limit=600.0)
    drag_folder = paths.cache_dir / DRAG_FOLDER
    # Ticks of a timer while the drag is being prepared, and whether one came while the
    # worker had the copy half-written (its partial file there).
    ticks: list[bool] = []

    def tick() -> None:
        ticks.append(any(drag_folder.glob("*/.*.part")))

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    try:
        data = drag_mime(view, model, [model.index(0, 0)], held=held)
    finally:
        timer.stop()

    (copy,) = urls(data)
    assert copy.is_relative_to(drag_folder) and copy.name == video.name
    assert any(ticks), f"the event loop never ran while the copy was written ({len(ticks)} ticks)"
    assert_carries_recipe(copy, video, task)
    assert not list(drag_folder.glob("*/.*.part"))


def test_the_current_row_s_copy_is_made_ahead_and_a_drag_then_starts_at_once(
    tmp_path: Path, qtbot: Any
) -> None:
    paths = library(tmp_path)
    video = paths.library_dir / "clip.mp4"
    encoded_clip(video, frames=2, width=32, height=32)
    tasks = [make_record(n, files=(str(video),) if n == 1 else ()) for n in range(2)]
    _window, view, model = window_with(qtbot, paths, tasks)
    follow_current(view)
    row = model.index_of(tasks[1].local_id)
    view.selectionModel().setCurrentIndex(row, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    # Made in the worker once the row has rested, without a drag asking; the drag then needs
    # no wait at all (one that had to wait, the button let go, would hand out nothing).
    made = paths.cache_dir / DRAG_FOLDER
    qtbot.waitUntil(lambda: any(made.glob("*/clip.mp4")), timeout=10_000)
    copies = copies_for(view)
    assert copies is not None
    qtbot.waitUntil(lambda: copies.done(copies.request([tasks[1]])), timeout=10_000)
    (copy,) = urls(drag_mime(view, model, [row], held=lambda: False))
    assert_carries_recipe(copy, video, tasks[1])
    # Asked again (the same file, mtime and recipe): the same copy, not a new one.
    (again,) = urls(drag_mime(view, model, [row], held=lambda: False))
    assert again == copy
    # A changed recipe is a new copy.
    changed = tasks[1].evolve(apixo_task_id="apixo-changed")
    model.upsert(changed)
    (other,) = urls(drag_mime(view, model, [row], held=held))
    assert other != copy
    recipe = read_recipe(other)
    assert recipe is not None and recipe["apixo_task_id"] == "apixo-changed"


def test_with_embedding_off_the_library_file_is_dragged_and_nothing_is_copied(
    tmp_path: Path, qtbot: Any
) -> None:
    paths = library(tmp_path)
    video = paths.library_dir / "clip.mp4"
    encoded_clip(video, frames=2, width=32, height=32)
    task = make_record(1, files=(str(video),))
    settings = replace(Settings(), embed_recipe=False)
    _window, view, model = window_with(qtbot, paths, [task], settings)
    follow_current(view)
    view.selectionModel().setCurrentIndex(
        model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    assert urls(drag_mime(view, model, [model.index(0, 0)], held=lambda: False)) == [video]
    assert copies_for(view) is None
    assert not (paths.cache_dir / DRAG_FOLDER).exists()


def test_a_drag_whose_copy_is_not_ready_in_time_does_not_start_and_says_why(
    tmp_path: Path, qtbot: Any
) -> None:
    paths = library(tmp_path)
    video = long_clip(paths)
    task = make_record(1, files=(str(video),))
    window, view, model = window_with(qtbot, paths, [task])
    copies = DragCopies(paths.cache_dir, window, wait_limit=0.0)
    assert copies_for(view) is copies

    data = drag_mime(view, model, [model.index(0, 0)], held=held)

    assert not data.hasUrls()
    assert window.statusBar().currentMessage() == STILL_COPYING_TEXT
    # The copy goes on being made: the next drag hands it out.
    qtbot.waitUntil(lambda: copies.done(copies.request([task])), timeout=20_000)
    (copy,) = urls(drag_mime(view, model, [model.index(0, 0)], held=held))
    assert read_recipe(copy) is not None


def test_a_drag_that_waited_after_the_button_was_let_go_does_not_start(
    tmp_path: Path, qtbot: Any
) -> None:
    paths = library(tmp_path)
    video = long_clip(paths)  # not copied before the drag asks: it waits
    _window, view, model = window_with(qtbot, paths, [make_record(1, files=(str(video),))])
    assert not drag_mime(view, model, [model.index(0, 0)], held=lambda: False).hasUrls()


def test_a_drag_of_more_videos_than_the_cache_keeps_hands_out_only_files_that_exist(
    tmp_path: Path, qtbot: Any
) -> None:
    paths = library(tmp_path)
    clip = paths.library_dir / "clip.mp4"
    encoded_clip(clip, frames=2, width=32, height=32)
    records = []
    for number in range(KEEP + 2):
        video = paths.library_dir / f"video-{number}.mp4"
        shutil.copyfile(clip, video)
        records.append(make_record(number, files=(str(video),)))
    _window, view, model = window_with(qtbot, paths, records)

    indexes = [model.index(row, 0) for row in range(model.rowCount())]
    dragged = urls(drag_mime(view, model, indexes, held=held))

    assert len(dragged) == KEEP + 2
    assert all(path.is_relative_to(paths.cache_dir / DRAG_FOLDER) for path in dragged)
    copies = copies_for(view)
    assert copies is not None
    # The worker prunes after the drag, never the drag's own copies.
    qtbot.waitUntil(lambda: copies.done(copies.request(records)), timeout=10_000)
    assert all(path.is_file() for path in dragged)
    assert read_recipe(dragged[0]) is not None
    # The next drag prunes the cache back to KEEP copies, its own kept.
    again = urls(drag_mime(view, model, indexes[:1], held=held))
    assert all(path.is_file() for path in again)
    qtbot.waitUntil(
        lambda: len(list((paths.cache_dir / DRAG_FOLDER).iterdir())) == KEEP, timeout=10_000
    )
    assert all(path.is_file() for path in again)


def test_a_bare_widget_without_app_folders_drags_the_model_s_own_urls(
    tmp_path: Path, qtbot: Any
) -> None:
    video = tmp_path / "clip.mp4"
    encoded_clip(video, frames=2, width=32, height=32)
    widget = QWidget()
    qtbot.addWidget(widget)
    view = QTableView(widget)
    model = TaskTableModel(view)
    model.set_tasks([make_record(1, files=(str(video),))])
    view.setModel(model)
    assert urls(drag_mime(view, model, [model.index(0, 0)])) == [video]
