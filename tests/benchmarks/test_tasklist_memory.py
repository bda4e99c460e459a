"""Memory of the task list at 10,000 tasks, against 10, measured in the same run.

Run with ``pytest -m benchmark -s tests/benchmarks``. Python allocations come from
tracemalloc; the process's resident size from /proc (Linux) where available.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication

from tests.benchmarks.test_tasklist_scroll import records
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy
from veo_desktop.ui.tasks.view import TaskView

pytestmark = pytest.mark.benchmark


def rss_bytes() -> int | None:
    statm = Path("/proc/self/statm")
    if not statm.exists():
        return None
    import os

    return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(count: int, qtbot: Any) -> tuple[int, int, int | None]:
    """(bytes for the records, bytes for model+proxy+view on top, RSS growth)."""
    gc.collect()
    rss_before = rss_bytes()
    tracemalloc.start()
    tasks = records(count)
    after_records, _ = tracemalloc.get_traced_memory()
    model = TaskTableModel()
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    view = TaskView()
    view.setModel(proxy)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    model.set_tasks(tasks)
    view.viewport().repaint()
    QCoreApplication.processEvents()
    gc.collect()
    total, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = rss_bytes()
    growth = None if rss_before is None or rss_after is None else rss_after - rss_before
    return after_records, total - after_records, growth


def test_memory_at_ten_thousand_tasks(qtbot: Any) -> None:
    small = measure(10, qtbot)
    large = measure(10_000, qtbot)
    mb = 1024 * 1024
    print("\n\ntask list memory: 10 tasks (baseline) vs 10,000 tasks")
    print(f"{'':34} {'10 tasks':>10} {'10,000 tasks':>13} {'per task':>10}")
    names = ("records (Python)", "model + proxy + view (Python)")
    for name, a, b in zip(names, small[:2], large[:2], strict=True):
        print(f"{name:34} {a / mb:8.2f} MB {b / mb:11.2f} MB {(b - a) / 9990:8.0f} B")
    if small[2] is not None and large[2] is not None:
        print(f"{'process RSS growth':34} {small[2] / mb:8.2f} MB {large[2] / mb:11.2f} MB")
