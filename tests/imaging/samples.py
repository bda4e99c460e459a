"""Real image files made in the test: every format, EXIF orientation, noise, transparency.

Qt writes JPEG, PNG, WebP, BMP and TIFF; it cannot write GIF, so :func:`gif_bytes` encodes
one by hand (uncompressed LZW), and :func:`with_exif_orientation` writes the EXIF APP1
segment's bytes into a JPEG.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage, QImageWriter, QPainter

RED = QColor(255, 0, 0)
BLUE = QColor(0, 0, 255)
GREEN = QColor(0, 200, 0)


def encode(image: QImage, fmt: str, quality: int = -1) -> bytes:
    """``image`` written by Qt as ``fmt`` (``JPEG``, ``PNG``, ``WEBP``, ``BMP``, ``TIFF``)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(fmt.lower().encode()))
    writer.setQuality(quality)
    ok = writer.write(image)
    del writer
    buffer.close()
    assert ok, f"Qt could not write {fmt}"
    return bytes(data.data())


def decode(data: bytes) -> QImage:
    image = QImage()
    assert image.loadFromData(data), "not decodable"
    return image


def two_tone(width: int, height: int, left: QColor = RED, right: QColor = BLUE) -> QImage:
    """Left half one colour, right half another (orientation and crop checks)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(right)
    painter = QPainter(image)
    painter.fillRect(0, 0, width // 2, height, left)
    painter.end()
    return image


def bands(width: int, height: int, colours: list[QColor]) -> QImage:
    """Horizontal bands, top to bottom (crop position checks)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    step = height / len(colours)
    painter = QPainter(image)
    for index, colour in enumerate(colours):
        painter.fillRect(0, round(index * step), width, round(step) + 1, colour)
    painter.end()
    return image


def noise(width: int, height: int, *, alpha: bool = False, seed: int = 1) -> QImage:
    """Random pixels: photo-like to the heuristics and incompressible (big files)."""
    channels = 4 if alpha else 3
    data = random.Random(seed).randbytes(width * height * channels)
    fmt = QImage.Format.Format_RGBA8888 if alpha else QImage.Format.Format_RGB888
    image = QImage(data, width, height, width * channels, fmt)
    return image.copy()


def transparent_badge(width: int = 120, height: int = 80) -> QImage:
    """A red rectangle on a fully transparent background."""
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    painter.fillRect(width // 4, height // 4, width // 2, height // 2, RED)
    painter.end()
    return image


def gif_bytes(
    frames: list[list[int]], width: int, height: int, palette: list[tuple[int, int, int]]
) -> bytes:
    """A GIF89a with ``frames`` (palette indices, row by row), written without compression."""
    colours = list(palette) + [(0, 0, 0)] * (256 - len(palette))
    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", width, height, 0xF7, 0, 0)
    for r, g, b in colours:
        out += bytes((r, g, b))
    if len(frames) > 1:
        out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for indices in frames:
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
        out += b"\x08"
        data = _lzw_literals(indices)
        for start in range(0, len(data), 255):
            chunk = data[start : start + 255]
            out += bytes((len(chunk),)) + chunk
        out += b"\x00"
    out += b"\x3b"
    return bytes(out)


def _lzw_literals(indices: list[int]) -> bytearray:
    """GIF LZW data that only ever uses literal 9-bit codes (a clear code every 254)."""
    codes = [256]
    for position, index in enumerate(indices):
        if position and position % 254 == 0:
            codes.append(256)
        codes.append(index)
    codes.append(257)
    data = bytearray()
    bits = 0
    count = 0
    for code in codes:
        bits |= code << count
        count += 9
        while count >= 8:
            data.append(bits & 0xFF)
            bits >>= 8
            count -= 8
    if count:
        data.append(bits & 0xFF)
    return data


def animated_gif(width: int = 40, height: int = 30) -> bytes:
    """Two frames: red | blue halves first, then all green."""
    first = [0 if x < width // 2 else 1 for _ in range(height) for x in range(width)]
    second = [2] * (width * height)
    return gif_bytes([first, second], width, height, [(255, 0, 0), (0, 0, 255), (0, 255, 0)])


def exif_orientation_segment(orientation: int) -> bytes:
    """An APP1 EXIF segment holding only the Orientation tag (0x0112)."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    payload = b"Exif\x00\x00" + tiff + ifd + struct.pack(">I", 0)
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """``jpeg`` with an EXIF orientation tag inserted after its JFIF header."""
    assert jpeg[:2] == b"\xff\xd8"
    position = 2
    if jpeg[2:4] == b"\xff\xe0":
        (length,) = struct.unpack(">H", jpeg[4:6])
        position = 4 + length
    return jpeg[:position] + exif_orientation_segment(orientation) + jpeg[position:]


def write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def colour_at(image: QImage, x: int, y: int) -> tuple[int, int, int]:
    colour = QColor(image.pixel(x, y))
    return colour.red(), colour.green(), colour.blue()


def near(actual: tuple[int, int, int], expected: QColor, tolerance: int = 40) -> bool:
    """Whether a decoded pixel is ``expected`` within JPEG's error."""
    wanted = (expected.red(), expected.green(), expected.blue())
    return all(abs(a - b) <= tolerance for a, b in zip(actual, wanted, strict=True))
