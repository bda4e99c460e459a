"""The one frame decoder: first and last frames of real H.264 files, and what is not a video."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage

from tests.fixtures.mp4 import decoded_frames, encoded_clip
from veo_desktop.imaging.frames import first_frame, fit_size, last_frame


def near(a: QColor, b: QColor, tolerance: int = 3) -> bool:
    """Equal but for scaling's rounding."""
    pairs = ((a.red(), b.red()), (a.green(), b.green()), (a.blue(), b.blue()))
    return all(abs(x - y) <= tolerance for x, y in pairs)


def same_picture(a: QImage, b: QImage) -> bool:
    return a.convertToFormat(QImage.Format.Format_RGB32) == b.convertToFormat(
        QImage.Format.Format_RGB32
    )


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    encoded_clip(path, frames=6, width=96, height=64)
    return path


def test_last_frame_is_the_true_last_frame_at_full_size(clip: Path) -> None:
    frames = decoded_frames(clip)
    image = last_frame(clip)
    assert (image.width(), image.height()) == (96, 64)
    assert same_picture(image, frames[-1])
    assert not same_picture(image, frames[0])


def test_first_frame_is_the_first_frame_scaled_into_the_box(clip: Path) -> None:
    frames = decoded_frames(clip)
    image = first_frame(clip, QSize(48, 48))
    assert (image.width(), image.height()) == (48, 32)
    centre = image.pixelColor(24, 16)
    assert near(centre, frames[0].pixelColor(48, 32))
    assert not near(centre, frames[-1].pixelColor(48, 32))


def test_first_frame_is_never_enlarged(clip: Path) -> None:
    image = first_frame(clip, QSize(1920, 1080))
    assert (image.width(), image.height()) == (96, 64)
    assert same_picture(image, decoded_frames(clip)[0])


def test_fit_size_keeps_the_aspect_and_even_sizes() -> None:
    assert fit_size(640, 360, (192, 108)) == (192, 108)
    assert fit_size(360, 640, (192, 108)) == (60, 108)
    assert fit_size(101, 51, (1000, 1000)) == (100, 50)
    assert fit_size(1, 1, (1, 1)) == (2, 2)
    assert fit_size(0, 0, (10, 10)) == (2, 2)


@pytest.mark.parametrize("decode", [last_frame, lambda path: first_frame(path, QSize(8, 8))])
def test_what_is_not_a_video_is_a_value_error_naming_the_file(
    tmp_path: Path, decode: object
) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"this is not a video at all" * 100)
    assert callable(decode)
    with pytest.raises(ValueError, match=r"notes\.mp4 cannot be decoded"):
        decode(junk)


def test_a_file_without_a_video_stream_says_so(tmp_path: Path) -> None:
    sound = tmp_path / "sound.mp4"
    with av.open(str(sound), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=44100)
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 44100
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    with pytest.raises(ValueError, match=r"sound\.mp4 has no video stream"):
        last_frame(sound)
    with pytest.raises(ValueError, match=r"sound\.mp4 has no video stream"):
        first_frame(sound, QSize(8, 8))
