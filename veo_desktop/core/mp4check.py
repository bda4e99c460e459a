"""Whether a file is a complete MP4 video: every box whole, every packet readable.

A download whose body was cut short can look finished: without a ``Content-Length`` the end
of a close-delimited body is indistinguishable from a normal end of stream. So a file only
counts once it passes two checks:

1. **the box walk**: the top-level boxes follow each other to the exact end of the file
   (64-bit ``largesize`` and the "to the end of the file" size 0 understood), the first is
   ``ftyp``, and ``moov`` (the index) and ``mdat`` (the media) are both there;
2. **the demux**: PyAV reads every packet of every stream without decoding it; each must be
   whole, the count must match the index, and each must lie inside an ``mdat`` box.

Demuxing costs about what reading the file costs (no frame is decoded); run it off the event
loop (:func:`veo_desktop.core.downloads.verify_video` does).
"""

from __future__ import annotations

import bisect
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from veo_desktop.logs import quiet_ffmpeg

#: More top-level boxes than this is not a video but a way to keep the check busy (a plain
#: mp4 has four or five; a fragmented one two per fragment: 100,000 is hours of 1 s ones).
MAX_BOXES: Final = 100_000
#: Boxes that must appear at the top level of a playable file.
_REQUIRED: Final = (b"moov", b"mdat")
_HEADER: Final = struct.Struct(">I4s")
_LARGE_SIZE: Final = struct.Struct(">Q")


class Mp4Problem(ValueError):
    """The file is not a complete MP4 video; ``str()`` says why, in plain words."""


@dataclass(frozen=True)
class Box:
    """One top-level box: its four-character type and where it sits in the file.

    Attributes:
        kind: the box type (``b"moov"``).
        start: the offset of its header.
        payload: the offset of its first byte after the header.
        end: the offset just past its last byte.
    """

    kind: bytes
    start: int
    payload: int
    end: int


def video_problem(path: Path) -> str | None:
    """Why ``path`` is not a complete MP4 video, or None when it is.

    Blocking (it reads the whole file): call it through ``asyncio.to_thread``.
    """
    try:
        boxes = walk_boxes(path)
        demux_all(path, boxes)
    except Mp4Problem as problem:
        return str(problem)
    except OSError as error:
        return f"it cannot be read ({error.strerror or type(error).__name__})"
    return None


def walk_boxes(path: Path) -> list[Box]:
    """The top-level boxes of ``path``, checked to fill the file exactly.

    Raises:
        Mp4Problem: a box is cut short or impossible, or ``ftyp``/``moov``/``mdat`` is missing.
        OSError: the file cannot be read.
    """
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(_HEADER.size)
        if len(head) < _HEADER.size or head[4:] != b"ftyp":
            raise Mp4Problem("it does not start like an MP4 file")
        boxes = _walk(handle, size)
    kinds = {box.kind for box in boxes}
    for required in _REQUIRED:
        if required not in kinds:
            raise Mp4Problem(f"its {required.decode()} box is missing")
    return boxes


def _walk(handle: BinaryIO, size: int) -> list[Box]:
    boxes: list[Box] = []
    offset = 0
    while offset < size:
        if len(boxes) >= MAX_BOXES:
            raise Mp4Problem(f"it has more than {MAX_BOXES:,} top-level boxes")
        handle.seek(offset)
        header = handle.read(_HEADER.size)
        if len(header) < _HEADER.size:
            raise Mp4Problem(f"it ends inside a box header at byte {offset:,}")
        box_size, kind = _HEADER.unpack(header)
        if not all(0x20 <= byte <= 0x7E for byte in kind):
            raise Mp4Problem(f"the box at byte {offset:,} has no valid type")
        payload = offset + _HEADER.size
        if box_size == 1:
            large = handle.read(_LARGE_SIZE.size)
            if len(large) < _LARGE_SIZE.size:
                raise Mp4Problem(f"it ends inside a box header at byte {offset:,}")
            (box_size,) = _LARGE_SIZE.unpack(large)
            payload += _LARGE_SIZE.size
        elif box_size == 0:
            box_size = size - offset
        name = kind.decode("ascii")
        if box_size < payload - offset:
            raise Mp4Problem(f"the {name} box at byte {offset:,} has an impossible size")
        end = offset + box_size
        if end > size:
            raise Mp4Problem(
                f"it is cut short: the {name} box needs {end:,} bytes, the file has {size:,}"
            )
        boxes.append(Box(kind, offset, payload, end))
        offset = end
    return boxes


def demux_all(path: Path, boxes: Sequence[Box]) -> None:
    """Read every packet of ``path`` without decoding it.

    Raises:
        Mp4Problem: PyAV cannot open or read the file, there is no video stream, a packet is
            cut short or lies outside every ``mdat`` box, or fewer packets than the index
            lists could be read.
    """
    media = [(box.payload, box.end) for box in boxes if box.kind == b"mdat"]
    try:
        problem = _demux(path, media)
    except Exception as error:
        raise Mp4Problem(f"it cannot be demuxed ({type(error).__name__})") from error
    if problem is not None:
        raise Mp4Problem(problem)


def _demux(path: Path, media: Sequence[tuple[int, int]]) -> str | None:
    """What is wrong with the packets of ``path``, or None; PyAV's own errors propagate."""
    import av  # here, not at import: PyAV takes 0.1-0.25 s to load and start-up needs none

    quiet_ffmpeg()
    starts = [low for low, _ in media]
    with av.open(str(path), format="mp4") as container:
        streams = list(container.streams)
        if not container.streams.video:
            return "it holds no video stream"
        counts = dict.fromkeys(range(len(streams)), 0)
        for packet in container.demux():
            if packet.size == 0 and packet.dts is None:
                continue  # the end-of-stream marker PyAV yields per stream
            if packet.is_corrupt:
                return "a packet is damaged or cut short"
            start = packet.pos
            if start is not None and start >= 0:
                where = bisect.bisect_right(starts, start) - 1
                if where < 0 or start + packet.size > media[where][1]:
                    return f"a packet at byte {start:,} lies outside the media"
            counts[packet.stream.index] += 1
    for index, stream in enumerate(streams):
        if stream.frames and counts[index] != stream.frames:
            return f"stream {index} has {counts[index]:,} of its {stream.frames:,} packets"
        if not counts[index]:
            # A track whose index was cut off (a moov cut short in the sound's track) keeps
            # its header but lists nothing: the video plays, its sound is gone.
            return f"stream {index} holds no packets"
    if not any(counts.values()):
        return "it holds no packets"
    return None
