"""Hover scrubbing: a strip of small frames across each clip, decoded once, off the GUI thread.

As the pointer crosses a gallery tile, the tile shows the clip's frame at that horizontal
position. For that each clip is decoded once into a filmstrip (:data:`STRIP_FRAMES` frames,
evenly spread over its duration, side by side in one picture) by
:func:`frame_strip`, which opens the file through the app's one frame decoder
(:func:`veo_desktop.imaging.frames.decode_still`) with a picker that keeps the frames it
passes. :class:`ScrubStrips` is a :class:`~veo_desktop.ui.thumbnails.ThumbnailCache` whose
pictures are those strips: the same worker thread (newest request first), the same bounded
in-memory LRU and the same PNG files on disk between runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QRect, QSize
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView

from veo_desktop.imaging.frames import decode_still, fit_size, rgb_image
from veo_desktop.ui.thumbnails import DEFAULT_SIZE, ThumbnailCache

if TYPE_CHECKING:
    import av


#: How many frames a strip holds (the scrub's resolution across a tile).
STRIP_FRAMES = 10
#: How many strips stay in memory (~0.8 MB each at the default size).
MEMORY_STRIPS = 24
#: The most the strips' PNG files may take on disk (a strip is some 100-400 KB); the least
#: recently used go first, as with thumbnails.
DISK_BYTES = 100_000_000


def frame_strip(video: Path, box: QSize, count: int = STRIP_FRAMES) -> QImage:
    """``count`` frames of ``video`` spread evenly over its duration, each fitted to
    ``box``, side by side left to right in one image (each frame ``box`` wide).

    Raises:
        ValueError: the file has no decodable video frame.
        OSError: the file cannot be read.
    """
    fitted = (box.width(), box.height())
    kept: list[QImage] = []

    def pick(
        container: av.container.InputContainer, stream: av.VideoStream
    ) -> av.VideoFrame | None:
        seconds = _seconds(container, stream)
        targets = [seconds * (i + 0.5) / count for i in range(count)]
        last = None
        for frame in container.decode(stream):
            last = frame
            time = frame.time if frame.time is not None else 0.0
            while len(kept) < count and (time >= targets[len(kept)] or seconds <= 0):
                kept.append(rgb_image(frame, *fit_size(frame.width, frame.height, fitted)))
            if len(kept) >= count:
                break
        if last is not None:
            while len(kept) < count:  # a clip shorter than it said: repeat its last frame
                kept.append(rgb_image(last, *fit_size(last.width, last.height, fitted)))
        return last

    decode_still(video, pick, lambda width, height: fit_size(width, height, fitted))
    strip = QImage(box.width() * count, box.height(), QImage.Format.Format_RGB888)
    strip.fill(0)
    painter = QPainter(strip)
    for number, image in enumerate(kept):
        x = number * box.width() + (box.width() - image.width()) // 2
        painter.drawImage(QPoint(x, (box.height() - image.height()) // 2), image)
    painter.end()
    return strip


def strip_frame(strip: QPixmap, fraction: float, count: int = STRIP_FRAMES) -> QRect:
    """The part of ``strip`` showing the frame at ``fraction`` (0..1) of the clip."""
    width = strip.width() // max(1, count)
    number = min(count - 1, max(0, int(fraction * count)))
    return QRect(number * width, 0, width, strip.height())


@dataclass(frozen=True)
class Scrub:
    """The tile being scrubbed: its row in the view's model and where the pointer is (0..1)."""

    row: int
    fraction: float


class HoverScrub:
    """Which tile of ``view`` the pointer scrubs, and where: told where the pointer moves, it
    repaints the tiles concerned (the delegate paints the frame under the pointer)."""

    def __init__(self, view: QAbstractItemView) -> None:
        self._view = view
        #: The tile scrubbed now (``None``: the pointer is over no tile).
        self.current: Scrub | None = None

    def move(self, point: QPoint) -> None:
        """The pointer is at ``point`` (viewport coordinates)."""
        view = self._view
        index = view.indexAt(point)
        if not index.isValid():
            self.set(None)
            return
        rect = view.visualRect(index)
        fraction = (point.x() - rect.left()) / max(1, rect.width() - 1)
        self.set(Scrub(index.row(), min(1.0, max(0.0, fraction))))

    def forget(self) -> None:
        """No tile is scrubbed (the rows are changing; nothing is asked of the view)."""
        self.current = None

    def set(self, scrub: Scrub | None) -> None:
        old, self.current = self.current, scrub
        if old == scrub:
            return
        view = self._view
        model = view.model()
        for changed in (old, scrub):
            if changed is not None and model is not None:
                rect = view.visualRect(model.index(changed.row, 0))
                if rect.isValid():
                    view.viewport().update(rect)


class ScrubStrips(ThumbnailCache):
    """Filmstrips of videos (see :func:`frame_strip`), made off the GUI thread and cached.

    :meth:`get` answers a strip from memory or schedules it and returns ``None``;
    ``thumbnail_ready`` says when it came.

    Args:
        cache_dir: where strips are kept as PNG between runs (``None``: memory only).
        size: the box each frame is fitted to.
        memory_items: how many strips stay in memory.
        max_bytes: the most the strip files may take on disk.

    Only :meth:`_load` differs from the thumbnail cache (the picture made is a strip); keep
    it in step with :meth:`ThumbnailCache._load`.
    """

    def __init__(
        self,
        cache_dir: Path | None,
        *,
        size: QSize = DEFAULT_SIZE,
        memory_items: int = MEMORY_STRIPS,
        max_bytes: int = DISK_BYTES,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(
            cache_dir, size=size, memory_items=memory_items, max_bytes=max_bytes, parent=parent
        )

    WHAT = "scrub strip"

    def _decode(self, path: Path, size: QSize) -> QImage:
        return frame_strip(path, size)


def _seconds(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    """The clip's duration (0 when neither the stream nor the container says)."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000  # AV_TIME_BASE
    return 0.0
