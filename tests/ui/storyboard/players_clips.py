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
SAMPLE_RATE = 48_000
_CHUNK = 1024
#: 1024 stereo 16-bit samples of a 375 Hz square wave (128 samples a period), quiet.
_TONE = b"".join(
    (1500 if (i // 64) % 2 else -1500).to_bytes(2, "little", signed=True) * 2 for i in range(_CHUNK)
)


def marked_clip(path: Path, *, fps: int, frames: int, mark: int, sound: bool = True) -> Path:
    """Write a clip of ``frames`` frames at ``fps`` whose red channel is ``mark``; with
    ``sound``, a tone as long as the picture on an AAC track (as Veo 3.1 clips have)."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "12"}
        audio = out.add_stream("aac", rate=SAMPLE_RATE) if sound else None
        if audio is not None:
            audio.layout = "stereo"
        for index in range(frames):
            pixel = bytes([mark, 4 + 8 * index, 128, 255])
            frame = av.VideoFrame.from_bytes(pixel * (WIDTH * HEIGHT), WIDTH, HEIGHT, format="rgba")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
        if audio is not None:
            total = frames * SAMPLE_RATE // fps
            for start in range(0, total, _CHUNK):
                count = min(_CHUNK, total - start)
                chunk = av.AudioFrame(format="s16", layout="stereo", samples=count)
                chunk.planes[0].update(_TONE[: count * 4])
                chunk.sample_rate, chunk.pts = SAMPLE_RATE, start
                out.mux(audio.encode(chunk))
            out.mux(audio.encode())
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
