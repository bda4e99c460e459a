"""Download throughput against ``curl`` on the same 200 MB loopback file (goal: >= 0.8), and
the peak memory growth while downloading (goal: flat, < 20 MB).

The simulator runs in a child process (its CPU and memory stay out of the figures) and serves
the file with ``add_media_file``. ``curl -o`` and the engine's downloader (stream to a
``.part`` file, fsync) fetch it in turns. The engine's download is durable (fsync before the
rename), so the fair baseline is ``curl -o`` followed by an fsync of its file; plain ``curl``
is printed too. Medians and bests of five rounds are shown (a busy 2-core machine is noisy).

Run with ``pytest -m benchmark -s tests/benchmarks/test_core_download.py``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.core import sim_process
from tests.fixtures.mp4 import sized_mp4
from veo_desktop.core.downloads import Downloader

pytestmark = pytest.mark.benchmark

SIZE = 200 * 1024 * 1024
ROUNDS = 5


def peak_rss_bytes() -> int:
    """This process's resident-memory high-water mark (VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/self/status")


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def make_video(path: Path) -> int:
    """A real mp4 of about SIZE bytes (the downloader checks every box and packet); its size."""
    return sized_mp4(path, SIZE)


async def ours(url: str, part: Path, size: int) -> float:
    """Seconds for one download by the engine's downloader, nothing else running."""
    async with httpx.AsyncClient() as http:
        downloader = Downloader(http, max_bytes=SIZE * 2)
        started = time.perf_counter()
        result = await downloader.fetch(url, part)
        seconds = time.perf_counter() - started
    assert result.size == size
    return seconds


async def instrumented(url: str, part: Path) -> tuple[int, float]:
    """Peak memory growth and the longest event-loop stall of one more download."""
    stall = 0.0

    async def ticker() -> None:
        nonlocal stall
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            stall = max(stall, time.perf_counter() - started - 0.01)

    async with httpx.AsyncClient() as http:
        downloader = Downloader(http, max_bytes=SIZE * 2)
        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)
        if not reset_peak_rss():
            pytest.skip("cannot reset the peak RSS here")
        base = peak_rss_bytes()
        await downloader.fetch(url, part)
        growth = peak_rss_bytes() - base
        tick.cancel()
    return growth, stall


def test_download_throughput_and_memory_against_curl(tmp_path):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    source = tmp_path / "big.mp4"
    size = make_video(source)
    curl_times: list[float] = []
    synced_times: list[float] = []
    our_times: list[float] = []
    os.sync()  # the new file's pages are on disk before anything is timed
    with sim_process([source]) as sim:
        (url,) = sim.files
        warm_up = tmp_path / "warm.mp4.part"
        asyncio.run(ours(url, warm_up, size))
        warm_up.unlink()
        for _ in range(ROUNDS):
            target = tmp_path / "curl.mp4"
            started = time.perf_counter()
            subprocess.run([curl, "-s", "-o", str(target), url], check=True)
            curl_times.append(time.perf_counter() - started)
            fd = os.open(target, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
            synced_times.append(time.perf_counter() - started)
            assert target.stat().st_size == size
            target.unlink()

            part = tmp_path / "ours.mp4.part"
            our_times.append(asyncio.run(ours(url, part, size)))
            part.unlink()
        part = tmp_path / "ours.mp4.part"
        growth, stall = asyncio.run(instrumented(url, part))
        part.unlink()

    mb = size / 1024 / 1024
    med = statistics.median
    print()
    print(f"Download of a {mb:.0f} MB loopback file ({ROUNDS} rounds; median, best)")
    for label, times in (
        ("curl -o", curl_times),
        ("curl -o + fsync (baseline)", synced_times),
        ("engine downloader (+fsync)", our_times),
    ):
        print(f"  {label:28s} {mb / med(times):6.0f} MB/s {mb / min(times):6.0f} MB/s")
    print(f"  ratio ours / (curl + fsync)  {med(synced_times) / med(our_times):6.2f} (goal >= 0.8)")
    print(f"  ratio ours / plain curl      {med(curl_times) / med(our_times):6.2f}")
    print(f"  peak RSS growth              {growth / 1024 / 1024:6.1f} MB (goal < 20 MB)")
    print(f"  longest event-loop stall     {stall * 1000:6.1f} ms")
