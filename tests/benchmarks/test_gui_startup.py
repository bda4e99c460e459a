"""Cold start to the first painted window, and memory, against a bare QMainWindow.

Each start is a fresh ``python`` process (offscreen), timed from launch to the first
``QEvent.Paint`` of the main window; the bare PySide6 QMainWindow is measured the same way
in the same run, and the figures are printed as ratios (goals: <= 1.5x with an empty store,
<= 2x with 10,000 tasks). Run with ``pytest -m benchmark -s tests/benchmarks``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.lifecycle import TaskState
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.records import StateChange, TaskRecord
from veo_desktop.storage.store import TaskStore

pytestmark = pytest.mark.benchmark

ROOT = Path(__file__).resolve().parents[2]
RUNS = 5

_PAINT_PROBE = """
import os, sys, time, json
from PySide6.QtCore import QEvent, QObject

def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

class FirstPaint(QObject):
    def __init__(self, on_paint):
        super().__init__()
        self.on_paint = on_paint
        self.done = False
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            self.on_paint()
        return False
"""

BARE = (
    _PAINT_PROBE
    + """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1280, 800)
def painted():
    print(json.dumps({"rss_mb": rss_mb()}), flush=True)
    app.quit()
probe = FirstPaint(painted)
window.installEventFilter(probe)
window.show()
app.exec()
"""
)

APP = (
    _PAINT_PROBE
    + """
import asyncio
from pathlib import Path
import qasync
from veo_desktop.ui.main import make_application
from veo_desktop.app import build_main_window
started = time.perf_counter()
app = make_application()
app.setQuitOnLastWindowClosed(False)
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)

async def main():
    painted = asyncio.get_running_loop().create_future()
    # What veo-desktop does: paint the window, then open the workspace.
    window = build_main_window(base_url="http://127.0.0.1:9/api/v1", data_dir=Path(sys.argv[1]))
    window.resize(1280, 800)

    async def open_workspace():
        window.open_with_key("bench-key", source=window.key_source)

    window.start_after_first_paint(open_workspace)
    probe = FirstPaint(lambda: painted.done() or painted.set_result(rss_mb()))
    window.installEventFilter(probe)
    window.show()
    rss = await painted
    print(json.dumps({"rss_mb": rss}), flush=True)
    while window.session is None or not window.session.engine.started:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0)
    rows = window.task_panel.model.rowCount()
    print(json.dumps({"ready_s": time.perf_counter() - started, "rows": rows,
                      "rss_mb": rss_mb()}), flush=True)
    window.close()
    await window.aclose()

loop.run_until_complete(main())
"""
)


def _start(code: str, *args: str) -> tuple[float, dict[str, float]]:
    """Seconds from launch to the first printed line, and every line's figures merged."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    rest, _ = process.communicate(timeout=120)
    assert line, f"the child printed nothing (exit {process.returncode})"
    figures = json.loads(line)
    for later in rest.splitlines():
        ready = json.loads(later)
        figures.update({f"ready_{k}" if k == "rss_mb" else k: v for k, v in ready.items()})
    return elapsed, figures


def _median_start(code: str, *args: str) -> tuple[float, dict[str, float]]:
    times, last = [], {}
    _start(code, *args)  # warm the OS file cache
    for _ in range(RUNS):
        elapsed, last = _start(code, *args)
        times.append(elapsed)
    return statistics.median(times), last


def _fill_store(root: Path, count: int) -> None:
    paths = AppPaths.resolve(root).ensure()
    store = TaskStore.open(paths.store_path)
    now = time.time() - count
    body = GenerationRequest(prompt="").to_payload()
    try:
        with store.transaction():
            for index in range(count):
                created = now + index
                request = dict(body, input=dict(body["input"], prompt=f"benchmark task {index}"))
                final = TaskState.SUCCEEDED if index % 7 else TaskState.FAILED
                store.insert(
                    TaskRecord(
                        local_id=uuid.uuid4().hex,
                        model="veo-3-1",
                        request=request,
                        state=final,
                        created_at=created,
                        updated_at=created + 90,
                        apixo_task_id=f"task_{index}",
                        price=Decimal("0.20"),
                        history=(
                            StateChange(created, TaskState.SUBMITTING),
                            StateChange(created + 1, TaskState.PENDING),
                            StateChange(created + 90, final),
                        ),
                    )
                )
    finally:
        store.close()


def test_cold_start_to_first_paint(tmp_path: Path) -> None:
    bare, bare_info = _median_start(BARE)
    empty, empty_info = _median_start(APP, str(tmp_path / "empty"))
    _fill_store(tmp_path / "full", 10_000)
    full, full_info = _median_start(APP, str(tmp_path / "full"))
    assert full_info["rows"] == 10_000
    grown = full_info["ready_rss_mb"] - empty_info["ready_rss_mb"]
    print(
        f"\ncold start (median of {RUNS}), from launch to the first paint of the window:"
        f"\n  bare QMainWindow       {bare * 1000:7.0f} ms   RSS {bare_info['rss_mb']:6.1f} MB"
        f"\n  Veo Desktop, empty     {empty * 1000:7.0f} ms   {empty / bare:4.2f}x (goal <= 1.5x)"
        f"\n  Veo Desktop, 10k tasks {full * 1000:7.0f} ms   {full / bare:4.2f}x (goal <= 2x)"
        f"\nuntil the workspace is ready (tasks listed), measured in the child:"
        f"\n  empty store            {empty_info['ready_s'] * 1000:7.0f} ms"
        f"   RSS {empty_info['ready_rss_mb']:6.1f} MB"
        f"\n  10,000 tasks           {full_info['ready_s'] * 1000:7.0f} ms"
        f"   RSS {full_info['ready_rss_mb']:6.1f} MB"
        f"\n  memory for 10,000 tasks: +{grown:.1f} MB"
    )
