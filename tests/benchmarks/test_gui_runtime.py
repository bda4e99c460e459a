"""The window at work: event-loop stalls under load, and CPU when idle.

- Stall: the longest lateness of a 10 ms QTimer while 500 tasks are polled (the window
  shows them all) and a 200 MB video downloads on the same loop, through the app's own
  downloader (streamed to a .part file, written back as it comes, fsynced off the loop).
  The video downloads again and again for the whole measured 6 s, at loopback speed, so
  no part of the window is measured without a download. The polls run at the app's own
  cadence (every 5-10 s) and, as a stress test, at three times it. The servers run at
  the lowest CPU priority, and the simulator serves one shared clip instead of rendering
  one per task (see ``serving``). The baseline is the same timer with nothing running
  (goal < 16 ms).
- Idle: process CPU time over 3 s with the window shown and nothing to do, against a bare
  QMainWindow in the same process (goal ~0: no busy timers).

Run with ``pytest -m benchmark -s tests/benchmarks``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QMainWindow

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    close_window,
    make_window_fixture,
    wait_started,
)
from tests.fixtures.mp4 import sized_mp4
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.downloads import DOWNLOAD_TIMEOUT, Downloader
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.core.timing import PollTiming
from veo_desktop.ui.app_loop import freeze_startup_heap
from veo_desktop.ui.window.main_window import MainWindow

pytestmark = pytest.mark.benchmark

TICK_MS = 10
ROOT = Path(__file__).resolve().parents[2]


class StallMeter:
    """A 10 ms timer that remembers how late it fired."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.clock = QElapsedTimer()
        self.last = 0
        self.worst = 0.0
        self.ticks = 0
        self.timer.timeout.connect(self.on_timer_timeout)

    def start(self) -> None:
        self.worst = 0.0
        self.ticks = 0
        self.clock.start()
        self.last = self.clock.nsecsElapsed()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def on_timer_timeout(self) -> None:
        now = self.clock.nsecsElapsed()
        late = (now - self.last) / 1e6 - TICK_MS
        self.worst = max(self.worst, late)
        self.ticks += 1
        self.last = now


def measure(qtbot: Any, seconds: float, work: Callable[[], bool] | None = None) -> StallMeter:
    meter = StallMeter()
    meter.start()
    deadline = time.monotonic() + seconds
    qtbot.waitUntil(
        lambda: time.monotonic() >= deadline or (work is not None and work()),
        timeout=int(seconds * 1000) + 60_000,
    )
    meter.stop()
    return meter


@contextmanager
def serving(*command: str, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A server in its own process, at the lowest CPU priority.

    The servers stand in for machines across the network (APIXO, its video storage). On a
    two-core machine they would otherwise take the CPU from the window's process mid-
    callback (a 256 KB ``recv`` measured 21 ms of wall time for 0.1 ms of CPU): that is
    this machine's contention, not the window's stall. For the same reason the simulator
    runs with ``--video shared``: rendering a clip for each of 500 tasks kept a core busy
    for the whole measurement, even at nice 19, and the window's thread then waited up to
    21 ms in the run queue (``/proc/thread-self/schedstat``) to be given a CPU back.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        ["nice", "-n", "19", sys.executable, *command],
        env=env,
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.communicate(timeout=20)


def status_requests(base_url: str) -> int:
    """How many status requests the simulator has answered so far."""
    origin = base_url.removesuffix("/api/v1")
    log = httpx.get(f"{origin}/sim/requests", timeout=30).json()
    return sum(1 for record in log if record["endpoint"] == "status")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


#: (label, shortest and longest gap between a task's polls): the app's own cadence, and
#: three times as fast as a stress test.
CADENCES = {
    "app": ("the app's cadence, 5-10 s", PollTiming().interval_min, PollTiming().interval_max),
    "stress": ("stress, 2-3 s", 2.0, 3.0),
}


@pytest.mark.parametrize("cadence", CADENCES)
def test_longest_stall_while_500_tasks_poll_and_a_video_downloads(
    make_window: Callable[..., MainWindow],
    qtbot: Any,
    tmp_path: Path,
    arun: Callable[..., Any],
    cadence: str,
) -> None:
    label, interval_min, interval_max = CADENCES[cadence]
    data = tmp_path / "data"
    Settings(
        timing=PollTiming(
            first_poll_fast=0.5,
            first_poll_quality=0.5,
            interval_min=interval_min,
            interval_max=interval_max,
        )
    ).save(AppPaths.resolve(data))
    big = tmp_path / "big.mp4"
    big_size = sized_mp4(big, 200 * 1024 * 1024)  # a real mp4: downloads check every packet
    media_port = free_port()
    with (
        serving(
            "-m",
            "veo_desktop.sim",
            "--port",
            "0",
            "--api-key",
            SIM_API_KEY,
            "--duration",
            "300",
            "--balance",
            "1000",
            "--video",
            "shared",
            tmp_path=tmp_path,
        ) as sim,
        serving("-m", "http.server", "--bind", "127.0.0.1", str(media_port), tmp_path=tmp_path),
    ):
        assert sim.stdout is not None
        base_url = sim.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:"), base_url
        window = make_window(base_url=base_url, api_key=SIM_API_KEY, data_dir=data, fast=False)
        window.resize(1600, 1000)
        window.show()
        wait_started(qtbot, window)
        freeze_startup_heap()  # as veo-desktop does once its session has started
        baseline = measure(qtbot, 2.0)

        session = window.session
        assert session is not None
        controller = session.controller

        async def submit_all() -> None:
            for start in range(0, 500, 50):
                await asyncio.gather(
                    *(
                        controller.submit(GenerationRequest(prompt=f"load task {n}"))
                        for n in range(start, start + 50)
                    )
                )

        submitting = controller.run(submit_all(), name="submit 500")
        qtbot.waitUntil(submitting.done, timeout=120_000)
        assert len(controller.tasks()) == 500

        # The app's own download path (streamed to a .part file, checked, fsynced off the
        # loop), on a client made before the clock starts, as the engine's is at start-up.
        http = httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT)
        downloader = Downloader(http)
        url = f"http://127.0.0.1:{media_port}/big.mp4"
        measuring = True
        downloads = 0

        async def download_all_along() -> None:
            nonlocal downloads
            copy = tmp_path / "copy.mp4.part"
            while measuring:
                result = await downloader.fetch(url, copy)
                assert result.size == big_size
                downloads += 1
                # Deleting the copy is the benchmark's doing, not the app's: off the loop.
                await asyncio.to_thread(copy.unlink)

        job = controller.run(download_all_along(), name="download")
        try:
            polls_before = status_requests(base_url)
            loaded = measure(qtbot, 6.0)
            polls = status_requests(base_url) - polls_before
        finally:
            measuring = False
            qtbot.waitUntil(job.done, timeout=120_000)
            arun(http.aclose())
        job.result()
        closing = time.monotonic()
        close_window(window, arun)
        closed_in = time.monotonic() - closing
        gc.unfreeze()
    print(
        f"\nevent-loop lateness of a {TICK_MS} ms timer (worst), polls {label}:"
        f"\n  idle window                      {baseline.worst:6.1f} ms ({baseline.ticks} ticks)"
        f"\n  500 tasks polling + 200 MB video {loaded.worst:6.1f} ms ({loaded.ticks} ticks)"
        f" goal < 16 ms ({polls / 6:.0f} polls/s; {downloads} downloads of 200 MB)"
        f"\n  closing the window with 500 tasks in flight: {closed_in:.2f} s"
    )


def test_cpu_when_idle(
    make_window: Callable[..., MainWindow], sim: Any, qtbot: Any, tmp_path: Path
) -> None:
    bare = QMainWindow()
    qtbot.addWidget(bare)
    bare.show()
    start_cpu, start = time.process_time(), time.monotonic()
    qtbot.wait(3000)
    bare_cpu = (time.process_time() - start_cpu) / (time.monotonic() - start)
    bare.close()

    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.show()
    wait_started(qtbot, window)
    session = window.session
    assert session is not None
    job = session.controller.run(
        session.controller.submit(GenerationRequest(prompt="one finished task")), name="submit"
    )
    qtbot.waitUntil(job.done)
    qtbot.waitUntil(lambda: all(t.is_final for t in session.controller.tasks()), timeout=20_000)
    qtbot.wait(500)
    start_cpu, start = time.process_time(), time.monotonic()
    qtbot.wait(3000)
    idle_cpu = (time.process_time() - start_cpu) / (time.monotonic() - start)
    print(
        f"\nCPU when idle (share of one core, 3 s):"
        f"\n  bare QMainWindow  {bare_cpu * 100:5.2f} %"
        f"\n  Veo Desktop       {idle_cpu * 100:5.2f} %  goal ~0"
    )
