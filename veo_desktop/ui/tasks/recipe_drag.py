"""A video dragged out of the task list is a copy that carries its recipe.

The task list's drag hands out file URLs. With "Embed the recipe in saved videos" on (the
default), each URL names a copy of the library's video in the app's cache folder
(``<cache>/drag-out/<task>-<n>-<size>-<mtime>/<name>.mp4``) whose metadata carries the task's
recipe (``veo_desktop.film.recipe``); the library's own file is never handed out to be
changed. A copy is made once (a stream copy takes tens of milliseconds for an 8-second
clip) and reused by later drags; only the :data:`KEEP` most recent copies are kept.

A video that cannot be copied (a full disk, a damaged file) is handed out as it is.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QMimeData, QModelIndex, QUrl
from PySide6.QtWidgets import QWidget

from veo_desktop.core.paths import AppPaths
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.preview.saving import embed_recipe_wanted
from veo_desktop.ui.tasks.columns import LOCAL_ID_ROLE
from veo_desktop.ui.tasks.model import TaskTableModel

log = logging.getLogger(__name__)

#: The cache's sub-folder for dragged copies.
DRAG_FOLDER = "drag-out"
#: How many dragged copies stay in the cache (older ones are deleted as new ones are made).
KEEP = 12


def drag_mime(
    widget: QWidget, model: QAbstractItemModel, indexes: Sequence[QModelIndex]
) -> QMimeData:
    """The drag's data for ``indexes`` of ``model``: the model's own, with each video's URL
    replaced by a copy that carries the recipe (when the window's setting asks for it)."""
    data = model.mimeData(list(indexes))
    cache = _cache_dir(widget)
    if not data.hasUrls() or cache is None or not embed_recipe_wanted(widget):
        return data
    tasks = _tasks(model, indexes)
    urls = [QUrl.fromLocalFile(str(path)) for path in carried_paths(tasks, cache)]
    if urls:
        data.setUrls(urls)
    return data


def carried_file(widget: QWidget, task: TaskRecord | None, source: Path) -> Path:
    """The file a drag of ``source`` (one of ``task``'s videos) out of ``widget`` hands out:
    its recipe-carrying copy when the window's setting asks for one, else ``source``."""
    cache = _cache_dir(widget)
    if task is None or cache is None or not embed_recipe_wanted(widget):
        return source
    return recipe_copy(task, source, cache) or source


def carried_paths(tasks: Sequence[TaskRecord], cache_dir: Path) -> list[Path]:
    """The files a drag of ``tasks`` hands out: each existing video's recipe-carrying copy
    (the video itself when it cannot be copied)."""
    paths: list[Path] = []
    for task in tasks:
        for name in task.files:
            source = Path(name)
            if source.is_file():
                paths.append(recipe_copy(task, source, cache_dir, prune=False) or source)
    # Pruned once, after the whole drag: none of this drag's copies is deleted.
    _prune(cache_dir / DRAG_FOLDER, keep=KEEP, spare={path.parent for path in paths})
    return paths


def recipe_copy(
    task: TaskRecord, source: Path, cache_dir: Path, *, prune: bool = True
) -> Path | None:
    """The cached copy of ``source`` carrying ``task``'s recipe (made if missing); None when
    it cannot be made. With ``prune``, older copies past :data:`KEEP` are deleted (never
    this one)."""
    from veo_desktop.film.recipe import RecipeError, embed_recipe, file_index, recipe_for

    root = cache_dir / DRAG_FOLDER
    try:
        stat = source.stat()
        index = file_index(task, source)
        folder = root / f"{task.local_id}-{index}-{stat.st_size}-{stat.st_mtime_ns}"
        target = folder / source.name
        if target.is_file():
            folder.touch()  # recently used: kept by the pruning
            return target
        folder.mkdir(parents=True, exist_ok=True)
        embed_recipe(source, target, recipe_for(task, index, source))
    except (OSError, RecipeError) as error:
        log.warning("dragging %s without its recipe: %s", source.name, error)
        return None
    if prune:
        _prune(root, keep=KEEP, spare={folder})
    return target


def _prune(root: Path, *, keep: int, spare: set[Path]) -> None:
    """Delete the least recently used copies past ``keep``, never one in ``spare``."""
    try:
        folders = sorted(
            (p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
        )
    except OSError:
        return
    for stale in folders[keep:]:
        if stale not in spare:
            shutil.rmtree(stale, ignore_errors=True)


def _tasks(model: QAbstractItemModel, indexes: Sequence[QModelIndex]) -> list[TaskRecord]:
    source = model.task_model() if hasattr(model, "task_model") else model
    if not isinstance(source, TaskTableModel):
        return []
    tasks: dict[str, TaskRecord] = {}
    for index in indexes:
        local_id = index.data(LOCAL_ID_ROLE)
        task = source.get(local_id) if isinstance(local_id, str) else None
        if task is not None:
            tasks.setdefault(task.local_id, task)
    return list(tasks.values())


def _cache_dir(widget: QWidget) -> Path | None:
    paths = getattr(widget.window(), "paths", None)
    return paths.cache_dir if isinstance(paths, AppPaths) else None
