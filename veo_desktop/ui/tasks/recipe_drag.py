"""A video dragged out of the task list is a copy that carries its recipe.

The task list's drag hands out file URLs. With "Embed the recipe in saved videos" on (the
default), each URL names a copy of the library's video in the app's cache folder
(``<cache>/drag-out/<task>-<n>-<size>-<mtime>-<recipe>/<name>.mp4``) whose metadata carries
the task's recipe (``veo_desktop.film.recipe``); the library's own file is never handed out
to be changed. With the setting off, the library's file itself is handed out.

A stream copy of a long clip on a slow disk takes seconds, so no copy is made on the GUI
thread. :class:`DragCopies` (one per window) makes them in one worker thread, ahead of time:
:func:`follow_current` asks for the current task's copies once the selection has rested for
:data:`PREPARE_DELAY_MS`, so by the time the mouse moves the copy is usually there. A drag
that starts before its copies are ready waits for them with a busy cursor while the event
loop keeps running (at most :data:`WAIT_LIMIT_S`); if the button was let go meanwhile, or
the copies are still not ready, no drag starts (the status bar says why) and the copies
go on being made for the next drag. Copies are keyed by the file, its size and mtime and
the recipe itself, made once and reused; only the :data:`KEEP` most recently used are kept
(the worker prunes the rest after each batch, never a drag's own).

A video that cannot be copied (a full disk, a damaged file) is handed out as it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEventLoop,
    QMimeData,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QMainWindow, QWidget

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
#: How long the current row must stay current before its copies are made (milliseconds):
#: arrowing through the list does not copy every video passed.
PREPARE_DELAY_MS = 250
#: How long a drag waits for copies not made yet (seconds), the event loop running.
WAIT_LIMIT_S = 10.0
#: How often a waiting drag looks whether its copies are done (milliseconds).
_POLL_MS = 15
#: The object name of a window's :class:`DragCopies`.
COPIES_NAME = "recipeDragCopies"
#: What the status bar says when a drag gave up waiting for its copies.
STILL_COPYING_TEXT = "The copy with its recipe is still being written; drag again in a moment."

_Key = tuple[str, int, int, str]


class DragCopies(QObject):
    """A window's recipe-carrying copies, made in one worker thread (see the module).

    Args:
        cache_dir: the app's cache folder (the copies go to its :data:`DRAG_FOLDER`).
        wait_limit: how long :meth:`wait` waits at most (seconds).
    """

    def __init__(
        self, cache_dir: Path, parent: QObject | None = None, *, wait_limit: float = WAIT_LIMIT_S
    ) -> None:
        super().__init__(parent)
        self.setObjectName(COPIES_NAME)
        self.root = Path(cache_dir) / DRAG_FOLDER
        self.wait_limit = wait_limit
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drag-copies")
        # The worker ends with the object (no copy queued behind it is started).
        weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        self._copies: dict[_Key, Future[Path | None]] = {}
        self._folders: dict[_Key, Path] = {}
        self._pending: list[TaskRecord] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREPARE_DELAY_MS)
        self._timer.timeout.connect(self.on_timer_timeout)
        #: A drag is waiting for its copies (a second one started meanwhile is refused).
        self.waiting = False

    # -- asking for copies ----------------------------------------------------------------------

    def prepare(self, tasks: Iterable[TaskRecord]) -> None:
        """Make the copies of ``tasks``' videos soon (once the selection rests)."""
        self._pending = [task for task in tasks if task.files]
        if self._pending:
            self._timer.start()
        else:
            self._timer.stop()

    def on_timer_timeout(self) -> None:
        tasks, self._pending = self._pending, []
        self._prune({self._folders[key] for key in self.request(tasks)})

    def request(self, tasks: Iterable[TaskRecord]) -> list[_Key]:
        """Start the copies of ``tasks``' existing videos not made (or asked for) yet; their
        keys, in order. Nothing but a stat of each video happens on this thread."""
        from veo_desktop.film.recipe import file_index, recipe_for, recipe_text

        keys: list[_Key] = []
        for task in tasks:
            for name in task.files:
                source = Path(name)
                try:
                    stat = source.stat()
                except OSError:
                    continue  # not downloaded (or gone): nothing to hand out
                index = file_index(task, source)
                recipe = recipe_for(task, index, source)
                digest = hashlib.sha256(recipe_text(recipe).encode()).hexdigest()[:12]
                key = (str(source), stat.st_size, stat.st_mtime_ns, digest)
                keys.append(key)
                if not self._usable(key):
                    folder = self.root / f"{task.local_id}-{index}-{key[1]}-{key[2]}-{digest}"
                    self._folders[key] = folder
                    self._copies[key] = self._pool.submit(_make_copy, source, folder, recipe)
        return keys

    def _usable(self, key: _Key) -> bool:
        """Whether ``key``'s copy is being made, or made and still there (the pruning of
        another window, or a person, may have deleted it; a failed one is tried again)."""
        future = self._copies.get(key)
        if future is None or future.cancelled():
            return False
        if not future.done():
            return True
        copy = future.result()
        return copy is not None and copy.is_file()

    def copy_of(self, key: _Key) -> Path | None:
        """The finished copy of ``key`` (None: not finished, or it could not be made)."""
        future = self._copies.get(key)
        if future is None or not future.done() or future.cancelled():
            return None
        return future.result()

    def done(self, keys: Iterable[_Key]) -> bool:
        return all(key in self._copies and self._copies[key].done() for key in keys)

    def wait(self, keys: Sequence[_Key]) -> bool:
        """Wait for the copies of ``keys``, at most :attr:`wait_limit` seconds, with a busy
        cursor and the event loop running; whether they are all done."""
        if self.done(keys):
            return True
        loop = QEventLoop()
        deadline = time.monotonic() + self.wait_limit

        def check() -> None:
            if self.done(keys) or time.monotonic() >= deadline:
                loop.quit()

        poll = QTimer()
        poll.setInterval(_POLL_MS)
        poll.timeout.connect(check)
        poll.start()
        self.waiting = True
        QGuiApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        try:
            loop.exec()
        finally:
            QGuiApplication.restoreOverrideCursor()
            poll.stop()
            self.waiting = False
        return self.done(keys)

    def handed_out(self, keys: Sequence[_Key]) -> list[Path]:
        """The files a drag of ``keys`` (all done) hands out: each copy, or the video itself
        where the copy could not be made. They are marked used, and the cache pruned around
        them (in the worker)."""
        paths = [self.copy_of(key) or Path(key[0]) for key in keys]
        self._prune({self._folders[key] for key in keys}, touch=True)
        return paths

    # -- inside ---------------------------------------------------------------------------------

    def _prune(self, spare: set[Path], *, touch: bool = False) -> None:
        self._pool.submit(_prune, self.root, KEEP, spare, touch)


def copies_for(widget: QWidget) -> DragCopies | None:
    """The :class:`DragCopies` of ``widget``'s window (made on first use); None when the
    window has no app folders (a bare widget) or its setting turns embedding off."""
    window = widget.window()
    paths = getattr(window, "paths", None)
    if not isinstance(paths, AppPaths) or not embed_recipe_wanted(widget):
        return None
    copies = window.findChild(DragCopies, COPIES_NAME)
    if copies is None or copies.root != paths.cache_dir / DRAG_FOLDER:
        copies = DragCopies(paths.cache_dir, window)
    return copies


def follow_current(view: QAbstractItemView) -> None:
    """Make the copies of ``view``'s current task ahead of a drag (after a short rest)."""

    def on_current_changed(current: QModelIndex, _previous: QModelIndex) -> None:
        model = view.model()
        copies = copies_for(view)
        if copies is not None and model is not None and current.isValid():
            copies.prepare(_tasks(model, [current]))

    view.selectionModel().currentRowChanged.connect(on_current_changed)


def drag_mime(
    widget: QWidget,
    model: QAbstractItemModel,
    indexes: Sequence[QModelIndex],
    *,
    held: Callable[[], bool] | None = None,
) -> QMimeData:
    """The drag's data for ``indexes`` of ``model``: the model's own, with each video's URL
    replaced by a copy that carries the recipe (when the window's setting asks for it).

    Empty (no drag should start) when the copies had to be waited for and the mouse button
    was let go meanwhile (``held``: whether it still is; the real button by default), or
    they were not ready in time.
    """
    data = model.mimeData(list(indexes))
    copies = copies_for(widget)
    if not data.hasUrls() or copies is None:
        return data
    if copies.waiting:
        return QMimeData()  # a drag already waits for its copies
    keys = copies.request(_tasks(model, indexes))
    if not keys:
        return data
    if not copies.done(keys):
        if not copies.wait(keys):
            _tell(widget, STILL_COPYING_TEXT)
            return QMimeData()
        if not (held or _button_held)():
            return QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path)) for path in copies.handed_out(keys)])
    return data


def carried_file(widget: QWidget, task: TaskRecord | None, source: Path) -> Path | None:
    """The file a drag of ``source`` (one of ``task``'s videos) out of ``widget`` hands out:
    its recipe-carrying copy when the window's setting asks for one, else ``source``. None:
    no drag should start (see :func:`drag_mime`)."""
    copies = copies_for(widget)
    if task is None or copies is None:
        return source
    if copies.waiting:
        return None
    wanted = Path(source).resolve()
    keys = [key for key in copies.request([task]) if Path(key[0]).resolve() == wanted]
    if not keys:
        return source
    if not copies.done(keys):
        if not copies.wait(keys):
            _tell(widget, STILL_COPYING_TEXT)
            return None
        if not _button_held():
            return None
    return copies.handed_out(keys)[0]


def _make_copy(source: Path, folder: Path, recipe: dict[str, Any]) -> Path | None:
    """The worker's job: ``source`` copied into ``folder`` with ``recipe`` (reused when
    there); None when it cannot be made."""
    from veo_desktop.film.recipe import RecipeError, embed_recipe

    target = folder / source.name
    try:
        if target.is_file():
            os.utime(folder)  # recently used: kept by the pruning
            return target
        folder.mkdir(parents=True, exist_ok=True)
        embed_recipe(source, target, recipe)
    except (OSError, RecipeError) as error:
        log.warning("dragging %s without its recipe: %s", source.name, error)
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return target


def _prune(root: Path, keep: int, spare: set[Path], touch: bool) -> None:
    """Delete the least recently used copies past ``keep``, never one in ``spare`` (marked
    used first with ``touch``)."""
    if touch:
        for folder in spare:
            with contextlib.suppress(OSError):
                os.utime(folder)
    try:
        folders = sorted(
            (p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
        )
    except OSError:
        return
    for stale in folders[keep:]:
        if stale not in spare:
            shutil.rmtree(stale, ignore_errors=True)


def _button_held() -> bool:
    return QGuiApplication.mouseButtons() != Qt.MouseButton.NoButton


def _tell(widget: QWidget, text: str) -> None:
    window = widget.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, 5000)


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
