"""Clips for the film tests: real MP4s made by the simulator's renderer, or by PyAV with each
frame's grey level telling which frame it is, and what a rendered film holds, decoded back."""

from __future__ import annotations

import asyncio
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from veo_desktop.sim.renderer import RenderJob, RenderWorker

FPS = 24
#: The grey level (luma) of frame ``i`` of an :func:`index_clip` is ``LEVEL_BASE + LEVEL_STEP * i``.
LEVEL_BASE = 20
LEVEL_STEP = 4


def sim_clips(folder: Path, sizes: Sequence[tuple[int, int]], seconds: float = 1.0) -> list[Path]:
    """Clips made by the simulator's render worker (H.264 + AAC), one per size."""
    paths = [folder / f"sim{index}.mp4" for index in range(len(sizes))]

    async def render() -> None:
        worker = RenderWorker()
        try:
            for index, (path, (width, height)) in enumerate(zip(paths, sizes, strict=True)):
                job = RenderJob(
                    str(path), width, height, seconds, FPS, f"shot {index}", f"film-{index}", "t"
                )
                await worker.render(job)
        finally:
            await worker.close()

    asyncio.run(render())
    return paths


def index_clip(
    path: Path,
    *,
    frames: int = 48,
    size: tuple[int, int] = (160, 90),
    gop: int = 12,
    tone: int | None = 440,
    fps: int = FPS,
) -> Path:
    """A clip whose frame ``i`` is flat grey at ``LEVEL_BASE + LEVEL_STEP * i``, a keyframe
    every ``gop`` frames, and a sine tone (None: no audio track)."""
    width, height = size
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {
            "preset": "ultrafast",
            "g": str(gop),
            "keyint_min": str(gop),
            "sc_threshold": "0",
            "crf": "10",
        }
        audio = out.add_stream("aac", rate=48000, layout="stereo") if tone else None
        for index in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            levels = (LEVEL_BASE + LEVEL_STEP * index, 128, 128)
            for plane, level in zip(frame.planes, levels, strict=True):
                plane.update(bytes([level]) * plane.buffer_size)
            frame.pts, frame.time_base = index, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio is not None:
            graph = av.filter.Graph()
            chain = [
                graph.add(
                    "sine",
                    f"frequency={tone}:sample_rate=48000:samples_per_frame=1024"
                    f":duration={frames / fps}",
                ),
                graph.add("aformat", "sample_fmts=fltp:channel_layouts=stereo"),
                graph.add("abuffersink"),
            ]
            chain[0].link_to(chain[1])
            chain[1].link_to(chain[2])
            graph.configure()
            while True:
                try:
                    sound = graph.pull()
                except (av.BlockingIOError, av.EOFError):
                    break
                out.mux(audio.encode(sound))
            out.mux(audio.encode(None))
    return path


def level_of(frame_index: int) -> int:
    return LEVEL_BASE + LEVEL_STEP * frame_index


@dataclass(frozen=True)
class Film:
    """A film decoded back."""

    width: int
    height: int
    frames: int
    video_seconds: float
    audio_seconds: float | None
    metadata: dict[str, str]
    #: the luma of each frame's centre pixel, and of its row's second pixel (the left edge)
    centre: list[int]
    edge: list[int]


def decode_film(path: Path) -> Film:
    """Decode every frame and audio sample of ``path``."""
    centre: list[int] = []
    edge: list[int] = []
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        width, height = video.codec_context.width, video.codec_context.height
        for frame in container.decode(video=0):
            plane = frame.planes[0]
            row = bytes(plane)[height // 2 * plane.line_size :][:width]
            centre.append(row[width // 2])
            edge.append(row[1])
        audio_seconds = None
        if container.streams.audio:
            container.seek(0)
            samples = sum(frame.samples for frame in container.decode(audio=0))
            audio_seconds = samples / container.streams.audio[0].codec_context.sample_rate
        assert video.duration is not None and video.time_base is not None
        return Film(
            width=width,
            height=height,
            frames=len(centre),
            video_seconds=float(video.duration * video.time_base),
            audio_seconds=audio_seconds,
            metadata=dict(container.metadata),
            centre=centre,
            edge=edge,
        )


def loudness_per_frame(path: Path) -> list[float]:
    """The RMS of the first audio channel over each video frame's time (1/24 s)."""
    samples = array("f")
    with av.open(str(path)) as container:
        rate = container.streams.audio[0].codec_context.sample_rate
        for frame in container.decode(audio=0):
            sound = frame.reformat(format="fltp") if frame.format.name != "fltp" else frame
            samples.frombytes(bytes(sound.planes[0])[: sound.samples * 4])
    step = rate // FPS
    return [
        math.sqrt(sum(value * value for value in samples[at : at + step]) / step)
        for at in range(0, len(samples) - step + 1, step)
    ]


def video_packets(path: Path) -> list[bytes]:
    """The bytes of every video packet, in decode order."""
    with av.open(str(path)) as container:
        return [bytes(packet) for packet in container.demux(video=0) if packet.size]
