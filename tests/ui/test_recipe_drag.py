"""A drag of many videos out of the task list: every file it hands out is still there at
the drop (the drag cache keeps only :data:`KEEP` copies, but never prunes the drag's own)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QTableView, QVBoxLayout, QWidget

from tests.fixtures.mp4 import encoded_clip
from tests.ui.tasks_support import make_record
from veo_desktop.core.paths import AppPaths
from veo_desktop.film.recipe import read_recipe
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.recipe_drag import DRAG_FOLDER, KEEP, drag_mime


class Window(QWidget):
    """A top-level window with the app's folders, as the main window has."""

    def __init__(self, paths: AppPaths) -> None:
        super().__init__()
        self.paths = paths


def test_a_drag_of_more_videos_than_the_cache_keeps_hands_out_only_files_that_exist(
    tmp_path: Path, qtbot: Any
) -> None:
    paths = AppPaths.resolve(tmp_path / "data")
    paths.library_dir.mkdir(parents=True)
    clip = paths.library_dir / "clip.mp4"
    encoded_clip(clip, frames=2, width=32, height=32)
    records = []
    for number in range(KEEP + 2):
        video = paths.library_dir / f"video-{number}.mp4"
        shutil.copyfile(clip, video)
        records.append(make_record(number, files=(str(video),)))
    window = Window(paths)
    qtbot.addWidget(window)
    view = QTableView(window)
    QVBoxLayout(window).addWidget(view)
    model = TaskTableModel(view)
    model.set_tasks(records)
    view.setModel(model)

    indexes = [model.index(row, 0) for row in range(model.rowCount())]
    dragged = [Path(url.toLocalFile()) for url in drag_mime(view, model, indexes).urls()]

    assert len(dragged) == KEEP + 2
    assert all(path.is_relative_to(paths.cache_dir / DRAG_FOLDER) for path in dragged)
    assert all(path.is_file() for path in dragged)
    assert read_recipe(dragged[0]) is not None
    # The next drag prunes the cache back to KEEP copies, its own kept.
    again = [Path(url.toLocalFile()) for url in drag_mime(view, model, indexes[:1]).urls()]
    assert all(path.is_file() for path in again)
    assert len(list((paths.cache_dir / DRAG_FOLDER).iterdir())) == KEEP
