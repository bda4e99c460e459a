"""The MP4 check: a video only counts when every box is whole and every packet demuxes.

The clips are real: H.264 rendered by the simulator's render worker (``moov`` first, as
served), and the same packets remuxed with ``moov`` last (as many encoders write them).
"""

from __future__ import annotations

import asyncio
import io
import struct
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from veo_desktop.core.downloads import DownloadCorruptError, verify_video
from veo_desktop.core.mp4check import MAX_BOXES, Box, video_problem, walk_boxes
from veo_desktop.sim.renderer import RenderJob, RenderWorker


@dataclass(frozen=True)
class Clip:
    data: bytes
    boxes: list[Box]
    packets: list[bytes]


def packets_of(path: Path) -> list[bytes]:
    """Every packet, stream by stream (video, then the clip's audio), each in file order."""
    with av.open(str(path), format="mp4") as container:
        packets = [
            (packet.stream.index, bytes(packet)) for packet in container.demux() if packet.size
        ]
    return [data for _, data in sorted(packets, key=lambda item: item[0])]


def clip_of(path: Path) -> Clip:
    return Clip(path.read_bytes(), walk_boxes(path), packets_of(path))


def remux_moov_last(source: Path, target: Path) -> None:
    with av.open(str(source)) as src, av.open(str(target), "w", format="mp4") as out:
        streams = {
            stream.index: out.add_stream_from_template(stream)
            for stream in (*src.streams.video, *src.streams.audio)
        }
        for packet in src.demux(*src.streams.video, *src.streams.audio):
            if packet.size:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Clip]:
    folder = tmp_path_factory.mktemp("clips")
    served = folder / "served.mp4"

    async def render() -> None:
        worker = RenderWorker()
        try:
            job = RenderJob(str(served), 320, 180, 1.0, 24, "a fox in the snow", "t" * 12, "test")
            await worker.render(job)
        finally:
            await worker.close()

    asyncio.run(render())
    remux_moov_last(served, folder / "moov-last.mp4")
    return {name: clip_of(folder / f"{name}.mp4") for name in ("served", "moov-last")}


def problem_with(tmp_path: Path, data: bytes) -> str | None:
    path = tmp_path / "check.mp4"
    path.write_bytes(data)
    return video_problem(path)


def test_the_rendered_clips_have_the_expected_layouts(clips):
    assert [b.kind for b in clips["served"].boxes] == [b"ftyp", b"moov", b"free", b"mdat"]
    assert [b.kind for b in clips["moov-last"].boxes] == [b"ftyp", b"free", b"mdat", b"moov"]
    assert clips["served"].packets == clips["moov-last"].packets
    with av.open(io.BytesIO(clips["served"].data), format="mp4") as container:
        assert sum(1 for packet in container.demux(video=0) if packet.size) == 24
        assert container.streams.audio, "the simulator's clips carry sound"


@pytest.mark.parametrize("name", ["served", "moov-last"])
def test_a_complete_clip_passes(clips, tmp_path, name):
    assert problem_with(tmp_path, clips[name].data) is None


@pytest.mark.parametrize("name", ["served", "moov-last"])
def test_a_clip_cut_at_any_box_boundary_is_rejected(clips, tmp_path, name):
    clip = clips[name]
    for cut in sorted(
        {0, 1, 7, 8, *(b.start for b in clip.boxes), *(b.payload for b in clip.boxes)}
    ):
        if cut < len(clip.data):
            assert problem_with(tmp_path, clip.data[:cut]) is not None, cut


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(["served", "moov-last"]), fraction=st.floats(0, 1, exclude_max=True))
@example(name="served", fraction=0.5)
def test_a_clip_cut_anywhere_is_rejected(clips, tmp_path, name, fraction):
    data = clips[name].data
    cut = int(len(data) * fraction)
    problem = problem_with(tmp_path, data[:cut])
    assert problem is not None


@pytest.mark.parametrize("name", ["served", "moov-last"])
def test_every_flipped_bit_in_a_box_header_is_rejected_or_harmless(clips, tmp_path, name):
    """Accepted means the video is still the same: every packet as it was (a ``free`` box
    renamed is still a valid file; a ``moov`` that swallows the ``free`` after it too)."""
    clip = clips[name]
    path = tmp_path / "flipped.mp4"
    rejected = 0
    for box in clip.boxes:
        for at in range(box.start, box.start + 8):
            for bit in range(8):
                damaged = bytearray(clip.data)
                damaged[at] ^= 1 << bit
                path.write_bytes(damaged)
                if video_problem(path) is None:
                    assert packets_of(path) == clip.packets, (box.kind, at - box.start, bit)
                else:
                    rejected += 1
    assert rejected > 200


def as_large_box(clip: Clip) -> bytes:
    """The clip with its 8-byte ``free`` box and the ``mdat`` after it merged into one
    ``mdat`` with a 64-bit size (what the ``free`` box is reserved for)."""
    free, mdat = (b for b in clip.boxes if b.kind in (b"free", b"mdat"))
    assert free.end - free.start == 8 and free.end == mdat.start
    header = struct.pack(">I4sQ", 1, b"mdat", mdat.end - free.start)
    return clip.data[: free.start] + header + clip.data[mdat.payload :]


@pytest.mark.parametrize("name", ["served", "moov-last"])
def test_a_64_bit_box_size_is_understood(clips, tmp_path, name):
    data = as_large_box(clips[name])
    assert problem_with(tmp_path, data) is None
    (mdat,) = (b for b in walk_boxes(tmp_path / "check.mp4") if b.kind == b"mdat")
    assert mdat.payload - mdat.start == 16
    assert packets_of(tmp_path / "check.mp4") == clips[name].packets
    assert problem_with(tmp_path, data[:-1]) is not None


@pytest.mark.parametrize("name", ["served", "moov-last"])
def test_a_last_box_sized_to_the_end_of_the_file_is_understood(clips, tmp_path, name):
    clip = clips[name]
    last = clip.boxes[-1]
    data = clip.data[: last.start] + b"\0\0\0\0" + clip.data[last.start + 4 :]
    assert problem_with(tmp_path, data) is None
    # ... and when it is the cut-off one, the demux notices what the walk cannot (cut in its
    # middle: the last bytes of a moov may be only tags, which a player does without).
    assert problem_with(tmp_path, data[: last.start + (len(data) - last.start) // 2]) is not None


def test_a_file_without_its_index_is_rejected(clips, tmp_path):
    clip = clips["served"]
    moov = clip.boxes[1]
    data = clip.data[: moov.start] + clip.data[moov.end :]
    assert problem_with(tmp_path, data) == "its moov box is missing"


def test_a_packet_outside_the_media_box_is_rejected(clips, tmp_path):
    """The walk adds up (the end of mdat became a free box), but a packet lies beyond mdat."""
    clip = clips["served"]
    mdat = clip.boxes[-1]
    shrunk = mdat.end - mdat.start - 64
    data = bytearray(clip.data)
    data[mdat.start : mdat.start + 4] = struct.pack(">I", shrunk)
    data[mdat.start + shrunk : mdat.start + shrunk + 8] = struct.pack(">I4s", 64, b"free")
    problem = problem_with(tmp_path, bytes(data))
    assert problem is not None and "outside the media" in problem


def test_an_index_that_lists_nothing_playable_is_rejected(clips, tmp_path):
    clip = clips["served"]
    moov = clip.boxes[1]
    data = bytearray(clip.data)
    data[moov.payload : moov.end] = bytes(moov.end - moov.payload)
    assert problem_with(tmp_path, bytes(data)) is not None


def test_a_file_of_countless_tiny_boxes_is_refused_quickly(clips, tmp_path):
    clip = clips["served"]
    boxes = struct.pack(">I4s", 8, b"free") * (MAX_BOXES + 1)
    problem = problem_with(tmp_path, clip.data + boxes)
    assert problem == f"it has more than {MAX_BOXES:,} top-level boxes"


def test_something_else_is_rejected_in_plain_words(tmp_path):
    assert problem_with(tmp_path, b"<!DOCTYPE html><html>" + b"x" * 500) == (
        "it does not start like an MP4 file"
    )
    assert problem_with(tmp_path, b"") == "it does not start like an MP4 file"
    assert (
        video_problem(tmp_path / "missing.mp4") == "it cannot be read (No such file or directory)"
    )


def test_verify_video_raises_the_download_error_that_starts_the_download_again(clips, tmp_path):
    good = tmp_path / "good.mp4"
    good.write_bytes(clips["served"].data)
    asyncio.run(verify_video(good))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clips["served"].data[:5000])
    with pytest.raises(DownloadCorruptError, match="incomplete or damaged") as caught:
        asyncio.run(verify_video(cut))
    assert not caught.value.permanent
