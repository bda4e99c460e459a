"""The task list with 10,000 tasks against 10: load, page-by-page scrolling, updates, filters.

Run with ``pytest -m benchmark -s tests/benchmarks``. Figures are printed as ratios
against the 10-task baseline measured in the same run; nothing here asserts a timing.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, Qt

from tests.ui.tasks_support import make_record, read_shelved_from, shelve_all_but
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.tasks.columns import StateFilter
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy
from veo_desktop.ui.tasks.view import TaskView

pytestmark = pytest.mark.benchmark

STATES = [
    TaskState.SUCCEEDED,
    TaskState.SUCCEEDED,
    TaskState.SUCCEEDED,
    TaskState.FAILED,
    TaskState.PROCESSING,
    TaskState.PENDING,
    TaskState.REJECTED,
    TaskState.UNCERTAIN,
]


def records(count: int) -> list[TaskRecord]:
    base = time.time() - count
    return [
        make_record(
            i,
            state=STATES[i % len(STATES)],
            prompt=f"Shot {i}: a slow dolly past a rain-soaked neon street, reflections, "
            f"cinematic, 35 mm, take {i % 17}",
            created_at=base + i,
            mode="quality" if i % 5 == 0 else "fast",
        )
        for i in range(count)
    ]


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_of(measure: Callable[[], float], repeats: int = 5) -> float:
    """The median of a few runs (the machine is shared; single runs are noisy)."""
    return statistics.median(measure() for _ in range(repeats))


class Bench:
    """One list of ``count`` tasks in the real view, delegate and proxy."""

    def __init__(self, count: int, qtbot: Any) -> None:
        self.tasks = records(count)
        self.model = TaskTableModel()
        self.proxy = TaskFilterProxy()
        self.proxy.setSourceModel(self.model)
        self.view = TaskView()
        self.view.setModel(self.proxy)
        qtbot.addWidget(self.view)
        self.view.resize(900, 600)
        self.view.show()
        QCoreApplication.processEvents()

    def load(self) -> float:
        def run() -> None:
            self.model.set_tasks(self.tasks)
            self.view.viewport().repaint()

        return timed(run)

    def scroll_pages(self, pages: int) -> list[float]:
        """Time per page: move one page down and paint it, across the whole list."""
        bar = self.view.verticalScrollBar()
        step = max(1, bar.pageStep())
        stride = max(step, (bar.maximum() - bar.minimum()) // max(1, pages))
        samples = []
        position = 0
        for _ in range(pages):
            position = position + stride if position + stride <= bar.maximum() else 0

            def page(value: int = position) -> None:
                bar.setValue(value)
                self.view.viewport().repaint()

            samples.append(timed(page))
        return samples

    def update_one(self) -> float:
        victim = self.tasks[len(self.tasks) // 2]

        def run() -> None:
            for n in range(100):
                self.model.upsert(victim.evolve(note=f"note {n}"))
            self.view.viewport().repaint()

        return timed(run) / 100

    def add_one(self) -> float:
        fresh = make_record(10**6, state=TaskState.SUBMITTING)
        return timed(lambda: (self.model.upsert(fresh), self.view.viewport().repaint()))

    def search(self) -> float:
        def run() -> None:
            self.proxy.set_search_text("take 3")
            self.view.viewport().repaint()
            self.proxy.set_search_text("")

        return timed(run)

    def filter_state(self) -> float:
        def run() -> None:
            self.proxy.set_state_filter(StateFilter.FAILED)
            self.view.viewport().repaint()
            self.proxy.set_state_filter(StateFilter.ALL)

        return timed(run)

    def sort(self) -> float:
        def run() -> None:
            self.view.sortByColumn(6, Qt.SortOrder.AscendingOrder)
            self.view.viewport().repaint()
            self.view.sortByColumn(7, Qt.SortOrder.DescendingOrder)

        return timed(run)


class ShelvedBench(Bench):
    """``count`` tasks in a real store, listed as a large library scrolled to its end lists
    them: the newest thousand's records held, the rest shelved (each read when shown)."""

    def __init__(self, count: int, qtbot: Any, folder: Path) -> None:
        super().__init__(count, qtbot)
        self.store = TaskStore.open(folder / "tasks.sqlite3")
        with self.store.transaction():
            for task in self.tasks:
                self.store.insert(task, durable=False)
        read_shelved_from(self.model, self.store)

    def load(self) -> float:
        def run() -> None:
            shelve_all_but(self.model, self.tasks, 1000)
            self.view.viewport().repaint()

        return timed(run)


def test_a_hundred_thousand_shelved_tasks_scroll_like_ten(qtbot: Any, tmp_path: Path) -> None:
    """Scrolling over shelved rows reads each newly shown row's record from the store."""
    small = Bench(10, qtbot)
    large = ShelvedBench(100_000, qtbot, tmp_path)
    load_small, load_large = small.load(), large.load()
    small.scroll_pages(20)  # warm-up (fonts, glyph caches)
    page_small = statistics.median(small.scroll_pages(200))
    pages = large.scroll_pages(200)
    print("\n\ntask list: 10 tasks (baseline) vs 100,000 (1,000 records held, the rest shelved)")
    print(f"{'':32} {'10 tasks':>12} {'100,000 tasks':>14} {'ratio':>8}")
    for name, a, b in [
        ("load + first paint", load_small, load_large),
        ("scroll one page (median)", page_small, statistics.median(pages)),
        ("search by prompt words", median_of(small.search), median_of(large.search)),
        ("state filter", median_of(small.filter_state), median_of(large.filter_state)),
        ("sort by price, back by date", median_of(small.sort), median_of(large.sort)),
    ]:
        print(f"{name:32} {a * 1000:10.2f} ms {b * 1000:12.2f} ms {b / a:7.2f}x")
    print(f"{'worst scrolled page':32} {'':12} {max(pages) * 1000:12.2f} ms")
    print(f"{'frame budget at 60 Hz':32} {'':12} {16.7:12.2f} ms")
    large.store.close()


def test_removing_thousands_of_a_hundred_thousand_rows_at_once(qtbot: Any, tmp_path: Path) -> None:
    """A Clean up of every failed task among 100,000 listed (most rows shelved): the rows
    taken out one at a time (each renumbers the rows above it), timed on a sample, against
    all of them at once (``remove_hidden``: one pass and one reset), each with a repaint."""
    large = ShelvedBench(100_000, qtbot, tmp_path)
    large.load()
    failed = [t.evolve(hidden=True) for t in large.tasks if t.state == TaskState.FAILED]
    sample, rest = failed[:200], failed[200:]

    def one_by_one() -> None:
        for task in sample:
            large.model.upsert(task)
        large.view.viewport().repaint()

    each = timed(one_by_one) / len(sample)
    together = timed(lambda: (large.model.remove_hidden(rest), large.view.viewport().repaint()))
    print(f"\n\nremoving {len(rest):,} failed tasks of {100_000:,} listed (the rest shelved)")
    print(f"{'one by one (each, + repaint)':36} {each * 1000:10.2f} ms")
    print(f"{'one by one, all of them (estimated)':36} {each * len(rest):10.2f} s")
    print(f"{'all at once (+ repaint)':36} {together * 1000:10.2f} ms")
    print(f"{'ratio':36} {each * len(rest) / together:10.0f}x")
    large.store.close()


def test_ten_thousand_tasks_scroll_like_ten(qtbot: Any) -> None:
    small = Bench(10, qtbot)
    large = Bench(10_000, qtbot)
    load_small, load_large = median_of(small.load), median_of(large.load)
    small.scroll_pages(20)  # warm-up (fonts, glyph caches)
    page_small = statistics.median(small.scroll_pages(200))
    page_large_all = large.scroll_pages(200)
    page_large = statistics.median(page_large_all)
    worst_large = max(page_large_all)
    rows = [
        ("load + first paint", load_small, load_large),
        ("scroll one page (median)", page_small, page_large),
        ("update one task (+ repaint)", median_of(small.update_one), median_of(large.update_one)),
        ("add one task (+ repaint)", small.add_one(), large.add_one()),
        ("search by prompt words", median_of(small.search), median_of(large.search)),
        ("state filter", median_of(small.filter_state), median_of(large.filter_state)),
        ("sort by price, back by date", median_of(small.sort), median_of(large.sort)),
    ]
    print("\n\ntask list: 10 tasks (baseline) vs 10,000 tasks")
    print(f"{'':32} {'10 tasks':>12} {'10,000 tasks':>14} {'ratio':>8}")
    for name, a, b in rows:
        print(f"{name:32} {a * 1000:10.2f} ms {b * 1000:12.2f} ms {b / a:7.2f}x")
    print(f"{'worst scrolled page (10,000)':32} {'':12} {worst_large * 1000:12.2f} ms")
    print(f"{'frame budget at 60 Hz':32} {'':12} {16.7:12.2f} ms")
