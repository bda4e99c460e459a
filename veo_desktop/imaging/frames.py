"""Still frames out of a video file, as QImages: the one frame decoder of the app.

The task list's thumbnails take a video's first frame scaled to a small box
(:func:`first_frame`); "Use this frame as first (or last) frame" takes its last frame at full
size (:func:`last_frame`). Both open the file with PyAV, pick the first video stream, decode
the frame wanted and convert it to RGB here, so they fail the same way: a file that is not a
video, or has no video frames, is a :class:`ValueError` naming the file.

Every function blocks (decoding): call it off the GUI thread (the thumbnail worker,
``run_imaging`` or ``asyncio.to_thread``). A ``QImage`` may be built in any thread.

PyAV (~50 ms to import) loads with the first decode, on that thread, not with this module:
the task list imports it to show the window's workspace, which needs no video decoded.
:func:`veo_desktop.logs.quiet_ffmpeg`, called with that import, keeps FFmpeg's own messages
(a damaged clip's "Invalid NAL unit size", "partial file") off the person's terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage

from veo_desktop.logs import quiet_ffmpeg

if TYPE_CHECKING:
    import av

#: How far before the end the decoder starts looking for the last frame (seconds); it seeks
#: to the key frame before this point and decodes forward.
TAIL_SECONDS = 2.0

#: Picks one frame out of an open container's video stream; None when there is none.
FramePicker = Callable[["av.container.InputContainer", "av.VideoStream"], "av.VideoFrame | None"]
#: The size a still is converted to, given the frame's width and height.
StillSize = Callable[[int, int], tuple[int, int]]


def first_frame(video: Path, box: QSize) -> QImage:
    """The first video frame of ``video``, scaled to fit ``box`` (aspect kept, never enlarged).

    Raises:
        ValueError: the file has no decodable video frame.
        OSError: the file cannot be read.
    """
    fitted = (box.width(), box.height())
    return decode_still(video, _first, lambda width, height: fit_size(width, height, fitted))


def last_frame(video: Path) -> QImage:
    """The last frame of ``video`` at its full size.

    Seeks to a key frame near the end and decodes to the end (from the start when the file
    cannot seek).

    Raises:
        ValueError: the file has no decodable video frame.
        OSError: the file cannot be read.
    """
    return decode_still(video, _last, lambda width, height: (width, height))


def decode_still(video: Path, pick: FramePicker, size: StillSize) -> QImage:
    """The frame ``pick`` chooses from ``video``'s first video stream, as RGB at ``size``.

    Raises:
        ValueError: no video stream, no frame, or FFmpeg cannot decode the file.
        OSError: the file cannot be read.
    """
    import av

    quiet_ffmpeg()
    try:
        with av.open(str(video)) as container:
            if not container.streams.video:
                raise ValueError(f"{video.name} has no video stream")
            frame = pick(container, container.streams.video[0])
            if frame is None:
                raise ValueError(f"{video.name} has no video frames")
            return rgb_image(frame, *size(frame.width, frame.height))
    except av.FFmpegError as error:
        raise ValueError(f"{video.name} cannot be decoded: {error}") from error


def rgb_image(frame: av.VideoFrame, width: int, height: int) -> QImage:
    """``frame`` converted to RGB at ``width`` x ``height``, as a QImage owning its pixels."""
    rgb = frame.reformat(width=width, height=height, format="rgb24")
    plane = rgb.planes[0]
    image = QImage(
        bytes(plane), rgb.width, rgb.height, plane.line_size, QImage.Format.Format_RGB888
    )
    return image.copy()


def fit_size(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """The size of a ``width`` x ``height`` picture scaled to fit ``box``, never enlarged.

    Sizes are even (at least 2): even sizes keep swscale's chroma handling exact.
    """
    scale = min(box[0] / max(1, width), box[1] / max(1, height), 1.0)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _first(container: av.container.InputContainer, stream: av.VideoStream) -> av.VideoFrame | None:
    for frame in container.decode(stream):
        return frame
    return None


def _last(container: av.container.InputContainer, stream: av.VideoStream) -> av.VideoFrame | None:
    last = _decode_tail(container, stream)
    if last is None:
        container.seek(0)
        last = _decode_tail(container, stream, seek=False)
    return last


def _decode_tail(
    container: av.container.InputContainer, stream: av.VideoStream, *, seek: bool = True
) -> av.VideoFrame | None:
    import av

    if seek:
        duration = _duration_seconds(container, stream)
        if duration is None or stream.time_base is None:
            return None
        target = max(0.0, duration - TAIL_SECONDS)
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
        from av import time_base

        return container.duration / time_base
    return None
