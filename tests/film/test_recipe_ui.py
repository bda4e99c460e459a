"""The recipe in the window, on a real window against the simulator: a drag out of the task
list hands out a copy that carries it, that copy renamed and dropped back restores its
settings, the setting turns embedding off, and File ▸ Import videos… adds a folder once."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox

from tests.e2e.helpers import drop
from tests.e2e.helpers import make_window_fixture as make_window_fixture  # a fixture
from tests.fixtures.recipe import assert_carries_recipe
from tests.fixtures.screenshots import check_and_save
from tests.ui.test_tasks_actions_save import PROMPT, window_with_a_video
from veo_desktop.core.settings import Settings
from veo_desktop.film.recipe import embed_recipe, read_recipe, recipe_for
from veo_desktop.ui.tasks.columns import Column
from veo_desktop.ui.tasks.recipe_drag import DRAG_FOLDER, drag_mime
from veo_desktop.ui.window.main_window import MainWindow


def test_drag_out_drop_back_setting_and_import(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    arun: Any,
    themed: Callable[[bool], None],
) -> None:
    themed(False)
    window, task = window_with_a_video(make_window, sim, tmp_path, qtbot, arun)
    panel, session = window.task_panel, window.session
    assert panel is not None and session is not None
    video = Path(task.files[0])
    library_bytes = video.read_bytes()

    # A drag out hands out a cached copy that carries the recipe (made once, then reused).
    view = panel.view
    indexes = [i for i in view.selectedIndexes() if i.column() == Column.THUMBNAIL]
    started = time.perf_counter()
    mime = drag_mime(view, view.model(), indexes, held=lambda: True)
    dragged = [Path(u.toLocalFile()) for u in mime.urls()]
    assert time.perf_counter() - started < 1.0  # the drag starts at once
    (copy,) = dragged
    assert copy.parent.parent == window.paths.cache_dir / DRAG_FOLDER and copy.name == video.name
    assert_carries_recipe(copy, video, task)
    again = [Path(u.toLocalFile()) for u in drag_mime(view, view.model(), indexes).urls()]
    assert again == dragged and video.read_bytes() == library_bytes
    # The preview's drag out hands out the same copy.
    preview = window.preview_panel
    assert preview is not None
    qtbot.waitUntil(lambda: preview.surface.drag_mime() is not None, timeout=5_000)
    data = preview.surface.drag_mime()
    assert data is not None and [Path(u.toLocalFile()) for u in data.urls()] == dragged

    # Renamed, without a sidecar, dropped on the window: the settings come back.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    renamed = shutil.copy(copy, elsewhere / "best take ever.mp4")
    compose = window.compose_panel
    assert compose is not None
    compose.clear_form()
    assert drop(window, urls=[str(renamed)])
    qtbot.waitUntil(lambda: compose.prompt_edit.toPlainText() == PROMPT, timeout=5_000)
    assert window.status.currentMessage() == "Restored the settings of best take ever.mp4."

    # The setting (Settings ▸ General) turns embedding off: the drag hands out the video.
    window.settings_action.trigger()
    dialog = window.settings_flow.dialog
    assert dialog is not None
    check = dialog.library.embed_recipe_check
    assert check.isChecked() and check.text() == "Embed the recipe in saved videos"
    check.setChecked(False)
    change = dialog.change()
    assert change is not None and change.settings.embed_recipe is False
    dialog.reject()
    # What OK applies first (the rest would reopen the session: its fast test timing is
    # rounded by the dialog's fields).
    window.settings = change.settings
    window.settings.save(window.paths)
    assert Settings.load(window.paths).embed_recipe is False
    plain = [Path(u.toLocalFile()) for u in drag_mime(view, view.model(), indexes).urls()]
    assert plain == [video]
    data = preview.surface.drag_mime()
    assert data is not None and [Path(u.toLocalFile()) for u in data.urls()] == [video]

    # File ▸ Import videos…: a folder from another machine joins once.
    handed = tmp_path / "from the laptop"
    handed.mkdir()
    shutil.copy(renamed, handed / "a copy.mp4")  # this library's own task: a duplicate
    heron = task.evolve(
        local_id="f" * 32,
        apixo_task_id="task_made_on_the_laptop",
        request={**task.request, "input": {**task.input, "prompt": "A heron over a lake"}},
    )
    embed_recipe(video, handed / "heron.mp4", recipe_for(heron))
    window.import_action.trigger()
    flow = window.import_flow
    assert flow.dialog is not None and flow.dialog.objectName() == "importFolderDialog"
    flow.dialog.reject()
    job = flow.import_from(handed)
    assert job is not None
    assert flow.import_from(handed) is None  # one import at a time: no duplicates
    busy = flow.result_box
    assert busy is not None and busy.text().startswith("An import is already running.")
    qtbot.waitUntil(job.done, timeout=10_000)
    box = flow.result_box
    assert isinstance(box, QMessageBox) and box.objectName() == "importResultBox"
    assert box.text() == (
        "Imported 1 video from from the laptop; skipped 1 already in the library."
    )
    assert box.informativeText() == (
        "Skipped:\na copy.mp4: already in the library (the same APIXO task)."
    )
    qtbot.waitUntil(box.isVisible)
    check_and_save(box, tmp_path, "import_result")
    imported = session.controller.get("f" * 32)
    assert imported.prompt == "A heron over a lake" and imported.state.value == "succeeded"
    assert panel.select_task(imported.local_id)  # the task list shows it
    assert read_recipe(Path(imported.files[0])) is not None  # the file as it was handed over
    box.close()
