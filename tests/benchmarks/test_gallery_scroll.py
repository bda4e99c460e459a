"""The gallery at 100,000 tasks: scrolling page by page against a bare QListView (icon mode)
holding the same number of items, measured in the same run.

Run with ``pytest -m benchmark -s tests/benchmarks/test_gallery_scroll.py``. The records are
made as in the task list's scroll benchmark (a mix of states); every finished one has a real
(small) video, so tiles paint real thumbnails. It runs twice: every record held, and most
rows shelved (a large library scrolled to its end: the tiles in view read from a real
store). The goal is every scrolled page painted within a frame at 60 Hz (16.7 ms); the
figures are printed, nothing here asserts a timing.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QSize, QStringListModel
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu

from tests.benchmarks.test_tasklist_scroll import records, timed
from tests.fixtures.mp4 import encoded_clip
from tests.ui.tasks_support import read_shelved_from, shelve_all_but
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.library.gallery import Gallery
from veo_desktop.ui.library.gallery_groups import Grouping
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy
from veo_desktop.ui.tasks.view import TaskView
from veo_desktop.ui.thumbnails import ThumbnailCache

pytestmark = pytest.mark.benchmark

COUNT = 100_000
SIZE = (1600, 1000)
PAGES = 200


def page_steps(view: QAbstractItemView, pages: int = PAGES) -> list[Callable[[], None]]:
    """One step per page: move one page down and paint it, across the whole list."""
    bar = view.verticalScrollBar()
    step = max(1, bar.pageStep())
    stride = max(step, (bar.maximum() - bar.minimum()) // max(1, pages))
    steps = []
    position = 0
    for _ in range(pages):
        position = position + stride if position + stride <= bar.maximum() else 0

        def page(value: int = position) -> None:
            bar.setValue(value)
            view.viewport().repaint()

        steps.append(page)
    return steps


def scroll_both(
    ours: QAbstractItemView, bare: QAbstractItemView, pages: int = PAGES
) -> tuple[list[float], list[float]]:
    """Page times of both views, taken in turns (a busy machine slows both alike)."""
    samples: tuple[list[float], list[float]] = ([], [])
    for step_ours, step_bare in zip(page_steps(ours, pages), page_steps(bare, pages), strict=True):
        samples[0].append(timed(step_ours))
        samples[1].append(timed(step_bare))
    return samples


def percentile(samples: list[float], share: float = 0.95) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def bare_list(count: int, qtbot: Any) -> QListView:
    """Qt's own grid of ``count`` items (icon mode, uniform sizes): the baseline."""
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setUniformItemSizes(True)
    view.setGridSize(QSize(212, 170))
    view.setLayoutMode(QListView.LayoutMode.SinglePass)
    model = QStringListModel([f"Shot {i}: a slow dolly past a neon street" for i in range(count)])
    view.setModel(model)
    model.setParent(view)
    qtbot.addWidget(view)
    view.resize(*SIZE)
    view.show()
    QCoreApplication.processEvents()
    return view


def shelve_most(model: TaskTableModel, tasks: list[TaskRecord], folder: Path) -> TaskStore:
    """List ``tasks`` as a large library scrolled to its end lists them: the newest
    thousand's records held, the rest shelved (each read from a real store when shown)."""
    store = TaskStore.open(folder / "tasks.sqlite3")
    with store.transaction():
        for task in tasks:
            store.insert(task, durable=False)
    read_shelved_from(model, store)
    shelve_all_but(model, tasks, 1000)
    assert model.shelved_count > COUNT * 0.9
    return store


@pytest.mark.parametrize("listed", ["records", "shelved"])
def test_the_gallery_scrolls_100_000_tasks_within_a_frame(
    qtbot: Any, tmp_path: Path, listed: str
) -> None:
    """Every task's record held, or most of them shelved (a large library's, scrolled to
    its end): the tiles in view are then read from the store, one query a paint."""
    clip = tmp_path / "clip.mp4"
    encoded_clip(clip, frames=24, width=192, height=108)
    tasks = [
        task.evolve(files=(str(clip),)) if task.state == TaskState.SUCCEEDED else task
        for task in records(COUNT)
    ]
    videos = sum(1 for task in tasks if task.files)

    thumbnails = ThumbnailCache(None)
    model = TaskTableModel(thumbnails=thumbnails)
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    table = TaskView()
    table.setModel(proxy)
    store = shelve_most(model, tasks, tmp_path) if listed == "shelved" else None
    if store is None:
        model.set_tasks(tasks)
    gallery = Gallery(proxy, table.selectionModel(), thumbnails, QMenu)
    qtbot.addWidget(gallery)
    qtbot.addWidget(table)
    gallery.resize(*SIZE)
    view = gallery.view

    def first_paint() -> None:
        gallery.show()
        view.viewport().repaint()

    build = timed(first_paint)
    qtbot.waitUntil(lambda: thumbnails.get(str(clip)) is not None)
    assert len(view.shown_rows()) == videos

    def regroup(grouping: Grouping) -> Callable[[], float]:
        def run() -> float:
            return timed(lambda: (view.set_grouping(grouping), view.viewport().repaint()))

        return run

    start = time.perf_counter()
    baseline = bare_list(videos, qtbot)
    baseline_build = time.perf_counter() - start
    scroll_both(view, baseline, 20)  # warm-up (fonts, glyph caches)
    gallery_pages, bare_pages = scroll_both(view, baseline)
    by_run = regroup(Grouping.RUN)()
    by_day = regroup(Grouping.DAY)()

    def search() -> None:
        proxy.set_search_text("take 3")
        view.viewport().repaint()

    searched = timed(search)
    proxy.set_search_text("")
    view.viewport().repaint()

    gallery_median, bare_median = statistics.median(gallery_pages), statistics.median(bare_pages)
    gallery_worst, bare_worst = max(gallery_pages), max(bare_pages)
    held = "every record held" if store is None else f"{model.shelved_count:,} rows shelved"
    print(
        f"\n\ngallery: {COUNT:,} tasks ({videos:,} finished videos, {held}) at {SIZE[0]}x{SIZE[1]}"
    )
    print(f"{'':34} {'bare QListView':>15} {'gallery':>12} {'ratio':>8}")
    rows = [
        ("scroll one page (median)", bare_median, gallery_median),
        ("scroll one page (95th percentile)", percentile(bare_pages), percentile(gallery_pages)),
        ("scroll one page (worst)", bare_worst, gallery_worst),
        ("build + first paint", baseline_build, build),
    ]
    for name, bare, ours in rows:
        print(f"{name:34} {bare * 1000:12.2f} ms {ours * 1000:9.2f} ms {ours / bare:7.2f}x")
    print(f"{'group by run (+ paint)':34} {'':15} {by_run * 1000:9.2f} ms")
    print(f"{'group by day (+ paint)':34} {'':15} {by_day * 1000:9.2f} ms")
    print(f"{'search keystroke (+ gallery paint)':34} {'':15} {searched * 1000:9.2f} ms")
    print(f"{'frame budget at 60 Hz':34} {'':15} {16.7:9.2f} ms")
    gallery.close_strips()
    thumbnails.close()
    if store is not None:
        store.close()
