"""The gallery at 100,000 tasks: what one arriving video costs (issue 16).

Run with ``pytest -m benchmark -s tests/benchmarks/test_gallery_arrivals.py``. The task list's
real model, filter proxy, table and gallery (grouped by day, then by variations run) hold
100,000 tasks made as in the task list's scroll benchmark, spread over a year. Each step is
one change and the gallery's repaint: a running task finishing, a new finished video (an
import), a video removed. It is timed twice in turns: as the gallery does it now (the video
goes straight to its tile), and with the gallery regrouping every video after the change, as
it did before (the baseline, the same change plus a full regroup, measured in the same run).
A table alone over the same tasks (its own model and proxy) takes the same kind of change:
what the model, proxy and table cost whatever the gallery does. Nothing here asserts a timing.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMenu

from tests.benchmarks.test_tasklist_scroll import records, timed
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.library.gallery import Gallery
from veo_desktop.ui.library.gallery_groups import Grouping
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy
from veo_desktop.ui.tasks.view import TaskView
from veo_desktop.ui.thumbnails import ThumbnailCache

pytestmark = pytest.mark.benchmark

COUNT = 100_000
#: Changes timed per kind and way (each way in turns).
ROUNDS = 15
#: The records span this many seconds per task (100,000 tasks: about a year).
SPACING = 300.0


def test_one_arriving_video_costs_its_own_tile_not_a_regroup(qtbot: Any, tmp_path: Path) -> None:
    made = records(COUNT)
    start = made[-1].created_at - COUNT * SPACING
    tasks = [
        task.evolve(
            created_at=start + n * SPACING,
            files=(f"/videos/{n}.mp4",) if task.state == TaskState.SUCCEEDED else (),
        )
        for n, task in enumerate(made)
    ]
    running = [t for t in tasks if t.state in (TaskState.PENDING, TaskState.PROCESSING)]
    thumbnails = ThumbnailCache(None)
    model = TaskTableModel(thumbnails=thumbnails)
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    table = TaskView()
    table.setModel(proxy)
    model.set_tasks(tasks)
    gallery = Gallery(proxy, table.selectionModel(), thumbnails, QMenu)
    qtbot.addWidget(gallery)
    qtbot.addWidget(table)
    gallery.resize(1600, 1000)
    view = gallery.view
    gallery.show()
    view.viewport().repaint()
    QCoreApplication.processEvents()
    videos = len(view.shown_rows())
    counter = iter(range(10**9))

    def finish() -> TaskRecord:
        task = running.pop()
        return task.evolve(state=TaskState.SUCCEEDED, files=(f"/videos/{task.local_id}.mp4",))

    def arrive() -> TaskRecord:
        n = next(counter)
        return tasks[n * 7].evolve(
            local_id=f"import-{n}", created_at=tasks[-1].created_at + 1 + n, hidden=False
        )

    def leave() -> TaskRecord:
        return tasks[-1 - 7 * next(counter)].evolve(hidden=True)

    def step(change: Callable[[], TaskRecord], *, regroup: bool) -> Callable[[], None]:
        def run() -> None:
            model.upsert(change())
            if regroup:
                view._invalidate()  # what every change did before: regroup every video
            view.viewport().repaint()

        return run

    # The same list in a table alone: what a change costs the model, proxy and table.
    bare_model = TaskTableModel()
    bare_proxy = TaskFilterProxy()
    bare_proxy.setSourceModel(bare_model)
    bare_table = TaskView()
    bare_table.setModel(bare_proxy)
    bare_model.set_tasks(tasks)
    qtbot.addWidget(bare_table)
    bare_table.resize(1600, 1000)
    bare_table.show()

    def table_only(change: Callable[[], TaskRecord]) -> float:
        def run() -> None:
            bare_model.upsert(change())
            bare_table.viewport().repaint()

        return timed(run)

    results: dict[str, tuple[list[float], list[float], list[float]]] = {}
    for grouping in (Grouping.DAY, Grouping.RUN):
        view.set_grouping(grouping)
        view.viewport().repaint()
        for name, change in (("finish", finish), ("import", arrive), ("remove", leave)):
            now_, before, bare = [], [], []
            for _ in range(ROUNDS):
                now_.append(timed(step(change, regroup=False)))
                before.append(timed(step(change, regroup=True)))
                bare.append(table_only(change))
            results[f"{name} (by {grouping.value})"] = (now_, before, bare)
    assert len(view.shown_rows()) > 0

    repaint = statistics.median(timed(view.viewport().repaint) for _ in range(ROUNDS)) * 1000
    print(f"\n\ngallery arrivals: {COUNT:,} tasks ({videos:,} finished videos), median of {ROUNDS}")
    heads = ("table only", "regroup all", "in place", "ratio")
    print(f"{'one change + repaint':26} {heads[0]:>11} {heads[1]:>12} {heads[2]:>10} {heads[3]:>7}")
    for name, (now_, before, bare) in results.items():
        ours, old, table_ms = (statistics.median(s) * 1000 for s in (now_, before, bare))
        print(f"{name:26} {table_ms:8.2f} ms {old:9.2f} ms {ours:7.2f} ms {ours / old:6.2f}x")
    print(f"{'the gallery repaint alone':26} {'':11} {'':12} {repaint:7.2f} ms")
    gallery.close_strips()
    thumbnails.close()
