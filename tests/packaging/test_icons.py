"""The app icon: an SVG, PNGs rendered from it at every size, .ico/.icns, and the loader."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from veo_desktop import resources

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"
SVG = ICONS / "veo-desktop.svg"


def _render(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    return image


def _difference(a: QImage, b: QImage) -> float:
    """Mean absolute channel difference (0-255) over every pixel."""
    total = 0
    for y in range(a.height()):
        for x in range(a.width()):
            p, q = QColor(a.pixelColor(x, y)), QColor(b.pixelColor(x, y))
            total += sum(
                abs(u - v)
                for u, v in zip(p.getRgb(), q.getRgb(), strict=True)  # type: ignore[arg-type]
            )
    return total / (a.width() * a.height() * 4)


def test_the_svg_is_valid_for_qt(qapp: object) -> None:
    renderer = QSvgRenderer(str(SVG))
    assert renderer.isValid()
    assert renderer.defaultSize().width() == renderer.defaultSize().height() == 512


@pytest.mark.parametrize("size", resources.ICON_SIZES)
def test_each_png_is_the_svg_at_that_size(qapp: object, size: int) -> None:
    png = QImage(str(ICONS / f"veo-desktop-{size}.png"))
    assert (png.width(), png.height()) == (size, size)
    assert png.hasAlphaChannel()
    assert png.pixelColor(0, 0).alpha() == 0, "the corners are transparent"
    centre = png.pixelColor(size // 2, size // 2)
    assert centre.alpha() == 255
    if size <= 128:  # a pixel-by-pixel comparison is cheap enough here
        diff = _difference(png.convertToFormat(QImage.Format.Format_ARGB32), _render(size))
        assert diff < 3.0, f"{size}px PNG differs from the SVG; run packaging/render_icons.py"


def test_the_windows_ico_holds_png_images_up_to_256(qapp: object) -> None:
    data = (ICONS / "veo-desktop.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, _h, _c, _r, _planes, _bits, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        assert data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + length <= len(data)
        sizes.append(width or 256)
    assert {16, 32, 48, 256} <= set(sizes)


def test_the_macos_icns_holds_png_elements() -> None:
    data = (ICONS / "veo-desktop.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack_from(">I", data, 4)[0] == len(data)
    kinds = []
    offset = 8
    while offset < len(data):
        kind, length = data[offset : offset + 4], struct.unpack_from(">I", data, offset + 4)[0]
        assert data[offset + 8 : offset + 16] == b"\x89PNG\r\n\x1a\n"
        kinds.append(kind)
        offset += length
    assert offset == len(data)
    assert {b"icp4", b"ic07", b"ic08", b"ic09", b"ic10"} <= set(kinds)


def test_the_app_icon_has_every_size(qapp: object) -> None:
    icon = resources.app_icon()
    assert not icon.isNull()
    sizes = sorted(size.width() for size in icon.availableSizes())
    assert sizes == list(resources.ICON_SIZES)
    assert icon.pixmap(24, 24).width() == 24  # scaled between the rendered sizes


def test_icon_path_finds_files_with_or_without_an_extension() -> None:
    assert resources.icon_path("veo-desktop") == ICONS / "veo-desktop.svg"
    assert resources.icon_path("veo-desktop-64.png") == ICONS / "veo-desktop-64.png"
    with pytest.raises(resources.ResourceNotFoundError, match="no icon 'nope'"):
        resources.icon_path("nope")


def test_the_regeneration_script_runs(tmp_path: Path) -> None:
    """packaging/render_icons.py renders every file (checked without writing them)."""
    script = ROOT / "packaging" / "render_icons.py"
    code = (
        "import runpy\n"
        f"ns = runpy.run_path({str(script)!r}, run_name='render')\n"
        "files = ns['outputs']()\n"
        "print(len(files), sum(len(v) for v in files.values()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    count, total = map(int, result.stdout.split())
    assert count == len(resources.ICON_SIZES) + 2
    assert total > 50_000
