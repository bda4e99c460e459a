"""Film render speed against FFmpeg on the same ten clips, and the event loop while it renders.

Ten clips of the simulator's default kind (640x360, 24 fps, 4 s, H.264 + AAC) are cut into one
film three ways, medians and bests of a few rounds printed as ratios:

- **stream copy**: ``render_film`` (plan, copy, faststart, fsync, rename) against the FFmpeg
  concat demuxer with ``-c copy`` (goal: within 1.5x). The ``ffmpeg`` binary is used when it
  is installed; otherwise the same concat demuxer and stream-copy remux run through PyAV's
  libavformat. The baseline writes a faststart file and is fsynced too, as ours is; the plain
  ``-c copy`` time is printed beside it.
- **re-encode**: every shot trimmed by one frame at its start (off the keyframe, so the film
  must be re-encoded) against ``ffmpeg -c:v libx264 -preset veryfast`` (same CRF, AAC at the
  same bit rate) of the same clips with the same ``inpoint`` (goal: within 1.2x).
- **event loop**: the worst stall of an asyncio loop ticking every 5 ms while
  ``render_film_async`` renders each film (goal: under 16 ms).

Run with ``pytest -m benchmark -s tests/benchmarks/test_film_render.py``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import av
import pytest

from tests.film.clips import sim_clips
from veo_desktop.film.encode import AUDIO_BIT_RATE, VIDEO_OPTIONS
from veo_desktop.film.render import Clip, render_film, render_film_async

pytestmark = pytest.mark.benchmark

CLIPS = 10
SECONDS = 4.0
SIZE = (640, 360)
ROUNDS = 3
TICK = 0.005
ONE_FRAME = 1 / 24


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def concat_list(folder: Path, clips: list[Path], *, inpoint: float = 0.0) -> Path:
    listing = folder / "concat.txt"
    lines = []
    for clip in clips:
        lines.append(f"file '{clip}'")
        if inpoint:
            lines.append(f"inpoint {inpoint:.6f}")
    listing.write_text("\n".join(lines) + "\n")
    return listing


def ffmpeg_copy(ffmpeg: str, listing: Path, out: Path, *, faststart: bool) -> None:
    flags = ["-movflags", "+faststart"] if faststart else []
    command = [ffmpeg, "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
    subprocess.run([*command, "-c", "copy", *flags, str(out)], check=True)


def pyav_concat_copy(listing: Path, out: Path, *, faststart: bool) -> None:
    """What ``ffmpeg -f concat -i LIST -c copy`` does, through PyAV's libavformat."""
    options = {"movflags": "+faststart"} if faststart else {}
    with (
        av.open(str(listing), format="concat", options={"safe": "0"}) as src,
        av.open(str(out), "w", format="mp4", options=options) as dst,
    ):
        streams = {stream.index: dst.add_stream_from_template(stream) for stream in src.streams}
        for packet in src.demux():
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            dst.mux(packet)


def ffmpeg_encode(ffmpeg: str, listing: Path, out: Path) -> None:
    command = [ffmpeg, "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
    video = ["-c:v", "libx264", "-preset", VIDEO_OPTIONS["preset"], "-crf", VIDEO_OPTIONS["crf"]]
    audio = ["-c:a", "aac", "-b:a", str(AUDIO_BIT_RATE)]
    subprocess.run([*command, *video, *audio, "-movflags", "+faststart", str(out)], check=True)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


async def stalls_during(work: Callable[[], Awaitable[object]]) -> list[float]:
    """How late each 5 ms tick of the event loop came while ``work`` ran, sorted."""
    late: list[float] = []

    async def ticker() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(TICK)
            late.append(time.perf_counter() - started - TICK)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    late.clear()
    await work()
    tick.cancel()
    return sorted(late)


def stall_line(label: str, late: list[float]) -> str:
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
    return (
        f"  {label:34s} worst {late[-1] * 1000:6.1f} ms  p99 {p99 * 1000:5.1f} ms  "
        f"({len(late)} ticks)"
    )


def print_nothing(_: float) -> None:
    """A progress callback (the window's progress bar stands for it)."""


def test_film_render_against_ffmpeg(tmp_path: Path) -> None:
    sources = sim_clips(tmp_path, [SIZE] * CLIPS, SECONDS)
    ffmpeg = shutil.which("ffmpeg")
    baseline = "ffmpeg binary" if ffmpeg else "PyAV concat demuxer + stream copy (no ffmpeg)"
    copy_clips = [Clip(path) for path in sources]
    encode_clips = [Clip(path, ONE_FRAME) for path in sources]
    os.sync()

    results: dict[str, list[float]] = {
        "ours copy": [],
        "baseline copy (faststart+fsync)": [],
        "baseline copy (plain)": [],
        "ours re-encode": [],
        "ffmpeg re-encode": [],
    }
    copy_list = concat_list(tmp_path, sources)
    film = tmp_path / "film.mp4"
    other = tmp_path / "baseline.mp4"

    def baseline_copy(*, faststart: bool, sync: bool) -> None:
        if ffmpeg:
            ffmpeg_copy(ffmpeg, copy_list, other, faststart=faststart)
        else:
            pyav_concat_copy(copy_list, other, faststart=faststart)
        if sync:
            fsync(other)

    render_film(copy_clips, film)  # warm-up: page cache, PyAV's first use
    for _ in range(ROUNDS):
        results["ours copy"].append(timed(lambda: render_film(copy_clips, film)))
        results["baseline copy (faststart+fsync)"].append(
            timed(lambda: baseline_copy(faststart=True, sync=True))
        )
        results["baseline copy (plain)"].append(
            timed(lambda: baseline_copy(faststart=False, sync=False))
        )
    copy_report = render_film(copy_clips, film)
    assert copy_report.method == "copy"
    frames = round(CLIPS * SECONDS * 24)
    assert copy_report.frames == frames

    if ffmpeg:
        encode_list = concat_list(tmp_path, sources, inpoint=ONE_FRAME)
        for _ in range(ROUNDS):
            results["ours re-encode"].append(timed(lambda: render_film(encode_clips, film)))
            results["ffmpeg re-encode"].append(
                timed(lambda: (ffmpeg_encode(ffmpeg, encode_list, other), fsync(other)))
            )
    encode_report = render_film(encode_clips, film)
    assert encode_report.method == "encode"
    assert encode_report.frames == frames - CLIPS
    assert encode_report.audio_duration_s is not None
    assert abs(encode_report.audio_duration_s - encode_report.duration_s) < ONE_FRAME

    stall_copy = tmp_path / "stall-copy.mp4"
    stall_encode = tmp_path / "stall-encode.mp4"
    copy_stalls = asyncio.run(stalls_during(lambda: render_film_async(copy_clips, stall_copy)))
    encode_started = time.perf_counter()
    encode_stalls = asyncio.run(
        stalls_during(lambda: render_film_async(encode_clips, stall_encode, progress=print_nothing))
    )
    encode_seconds = time.perf_counter() - encode_started
    idle_stalls = asyncio.run(stalls_during(lambda: asyncio.sleep(encode_seconds)))

    med = statistics.median
    print()
    print(
        f"Film of {CLIPS} clips ({SIZE[0]}x{SIZE[1]}, {SECONDS:g} s, H.264 + AAC), "
        f"{ROUNDS} rounds (median, best); baseline: {baseline}"
    )
    for label, times in results.items():
        if times:
            print(f"  {label:34s} {med(times):7.3f} s {min(times):7.3f} s")
    copy_ratio = med(results["ours copy"]) / med(results["baseline copy (faststart+fsync)"])
    plain_ratio = med(results["ours copy"]) / med(results["baseline copy (plain)"])
    print(f"  ratio copy ours / baseline         {copy_ratio:7.2f} (goal <= 1.5)")
    print(f"  ratio copy ours / plain -c copy    {plain_ratio:7.2f}")
    if results["ffmpeg re-encode"]:
        encode_ratio = med(results["ours re-encode"]) / med(results["ffmpeg re-encode"])
        print(f"  ratio re-encode ours / ffmpeg      {encode_ratio:7.2f} (goal <= 1.2)")
    else:
        print("  re-encode baseline skipped: no ffmpeg binary")
    print("Event loop ticking every 5 ms (goal: worst stall < 16 ms); idle = nothing rendering")
    print(stall_line("during the stream copy", copy_stalls))
    print(stall_line("during the re-encode", encode_stalls))
    print(stall_line("idle, as long as the re-encode", idle_stalls))
