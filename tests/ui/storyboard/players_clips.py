"""Small real H.264 clips whose every frame says which clip and which frame it is, for the trim
editor and sequence player tests.

Each frame is one flat colour: red is the clip's mark, green is ``4 + 8 * frame``, so the
picture on a player's surface (after H.264 and back) tells the test exactly what it shows.
"""

from __future__ import annotations

from pathlib import Path

import av
from PySide6.QtGui import QImage

WIDTH, HEIGHT = 96, 54


def marked_clip(path: Path, *, fps: int, frames: int, mark: int) -> Path:
    """Write a clip of ``frames`` frames at ``fps`` whose red channel is ``mark``."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "12"}
        for index in range(frames):
            pixel = bytes([mark, 4 + 8 * index, 128, 255])
            frame = av.VideoFrame.from_bytes(pixel * (WIDTH * HEIGHT), WIDTH, HEIGHT, format="rgba")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def what_shows(image: QImage | None) -> tuple[int, int] | None:
    """(mark, frame) read back from a shown frame (None: no frame)."""
    if image is None or image.isNull():
        return None
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour.red(), round((colour.green() - 4) / 8)


def same_mark(mark: int, seen: int) -> bool:
    """Whether a red value read back is ``mark`` (H.264 moves it by a few units)."""
    return abs(mark - seen) <= 6
