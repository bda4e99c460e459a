"""Still frames out of a video, for "Use this frame as first (or last) frame".

Both functions block (decoding, file writes): call them off the GUI thread, e.g. with
``asyncio.to_thread``. A ``QImage`` may be built and saved in any thread as long as it is
not shared while it is written.
"""

from __future__ import annotations

import contextlib
import os
import re
from fractions import Fraction
from pathlib import Path

import av
from PySide6.QtGui import QImage, QImageWriter

#: How far before the end the decoder starts looking for the last frame (seconds); it seeks
#: to the key frame before this point and decodes forward.
_TAIL_SECONDS = 2.0


def last_frame(video: Path) -> QImage:
    """The last frame of ``video`` at its full size.

    Seeks to a key frame near the end and decodes to the end (from the start when the
    file cannot seek).

    Raises:
        ValueError: the file has no decodable video frame.
        OSError: the file cannot be read.
    """
    try:
        with av.open(str(video)) as container:
            if not container.streams.video:
                raise ValueError(f"{video.name} has no video stream")
            stream = container.streams.video[0]
            last = _decode_tail(container, stream)
            if last is None:
                container.seek(0)
                last = _decode_tail(container, stream, seek=False)
            if last is None:
                raise ValueError(f"{video.name} has no video frames")
            rgb = last.reformat(format="rgb24")
            plane = rgb.planes[0]
            image = QImage(
                bytes(plane), rgb.width, rgb.height, plane.line_size, QImage.Format.Format_RGB888
            )
            return image.copy()
    except av.FFmpegError as error:
        raise ValueError(f"{video.name} cannot be decoded: {error}") from error


def _decode_tail(
    container: av.container.InputContainer, stream: av.VideoStream, *, seek: bool = True
) -> av.VideoFrame | None:
    if seek:
        duration = _duration_seconds(container, stream)
        if duration is None or stream.time_base is None:
            return None
        target = max(0.0, duration - _TAIL_SECONDS)
        try:
            container.seek(int(Fraction(target) / stream.time_base), stream=stream, backward=True)
        except av.FFmpegError:
            return None
    last: av.VideoFrame | None = None
    for frame in container.decode(stream):
        last = frame
    return last


def _duration_seconds(
    container: av.container.InputContainer, stream: av.VideoStream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def save_png(image: QImage, directory: Path, stem: str) -> Path:
    """Write ``image`` as ``<directory>/<stem>.png`` (complete or not at all).

    Raises:
        OSError: the folder cannot be made or the file cannot be written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    name = _UNSAFE.sub("-", stem).strip("-.") or "frame"
    target = directory / f"{name}.png"
    partial = directory / f".{name}.png.part"
    try:
        writer = QImageWriter(str(partial), b"png")
        if not writer.write(image):
            raise OSError(f"The frame could not be written to {directory}: {writer.errorString()}")
        os.replace(partial, target)
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return target
