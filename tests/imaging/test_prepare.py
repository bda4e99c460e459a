"""Local image files become JPEG/PNG bytes APIXO takes: real files of every format."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter

from tests.imaging import samples
from tests.imaging.samples import BLUE, GREEN, RED, colour_at, near
from veo_desktop.imaging import (
    MAX_IMAGE_BYTES,
    CropRect,
    ImageError,
    load_image,
    prepare_image,
    prepare_qimage,
    run_imaging,
)

YELLOW = QColor(255, 220, 0)
JPEG_MAGIC = b"\xff\xd8\xff"
X = "\N{MULTIPLICATION SIGN}"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- JPEG and PNG are sent as they are -------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime", "name"), [("JPEG", "image/jpeg", "a.jpg"), ("PNG", "image/png", "a.png")]
)
def test_jpeg_and_png_are_sent_unchanged(tmp_path: Path, fmt: str, mime: str, name: str) -> None:
    data = samples.encode(samples.two_tone(64, 48), fmt)
    path = samples.write(tmp_path, name, data)

    image = prepare_image(path)

    assert image.data == data
    assert image.mime == mime
    assert (image.width, image.height) == (64, 48)
    assert image.sha256 == hashlib.sha256(data).hexdigest()
    assert image.notes == ()
    assert image.source == path


def test_type_comes_from_the_content_not_the_name(tmp_path: Path) -> None:
    data = samples.encode(samples.two_tone(32, 32), "JPEG")
    image = prepare_image(samples.write(tmp_path, "really-a-jpeg.png", data))
    assert image.mime == "image/jpeg"
    assert image.extension == "jpg"


# -- other formats are converted -------------------------------------------------------------


def test_webp_becomes_png_and_says_so(tmp_path: Path) -> None:
    path = samples.write(tmp_path, "logo.webp", samples.encode(samples.two_tone(80, 40), "WEBP"))

    image = prepare_image(path)

    assert image.mime == "image/png"
    assert image.data.startswith(PNG_MAGIC)
    assert image.notes[0] == "Converted from WebP to PNG (APIXO takes JPEG or PNG)."
    decoded = samples.decode(image.data)
    assert near(colour_at(decoded, 5, 20), RED)
    assert near(colour_at(decoded, 75, 20), BLUE)


def test_small_flat_bmp_becomes_png(tmp_path: Path) -> None:
    path = samples.write(tmp_path, "icon.bmp", samples.encode(samples.two_tone(50, 50), "BMP"))
    image = prepare_image(path)
    assert image.mime == "image/png"
    assert "Converted from BMP to PNG" in image.notes[0]
    assert (image.width, image.height) == (50, 50)


def test_large_photo_like_bmp_becomes_jpeg(tmp_path: Path) -> None:
    photo = samples.noise(900, 700)
    path = samples.write(tmp_path, "photo.bmp", samples.encode(photo, "BMP"))

    image = prepare_image(path)

    assert image.mime == "image/jpeg"
    assert image.data.startswith(JPEG_MAGIC)
    assert image.notes[0] == "Converted from BMP to JPEG (APIXO takes JPEG or PNG)."
    assert (image.width, image.height) == (900, 700)
    assert image.size <= MAX_IMAGE_BYTES


def test_animated_gif_uses_its_first_frame(tmp_path: Path) -> None:
    path = samples.write(tmp_path, "loop.gif", samples.animated_gif(40, 30))

    image = prepare_image(path)

    assert image.mime == "image/png"
    assert image.notes == (
        "Converted from GIF to PNG (APIXO takes JPEG or PNG).",
        "Used the first frame of 2 (an animated GIF).",
    )
    decoded = samples.decode(image.data)
    assert colour_at(decoded, 2, 2) == (255, 0, 0)
    assert colour_at(decoded, 38, 2) == (0, 0, 255)


def test_tiff_becomes_png(tmp_path: Path) -> None:
    path = samples.write(tmp_path, "scan.tiff", samples.encode(samples.two_tone(60, 30), "TIFF"))
    image = prepare_image(path)
    assert image.mime == "image/png"
    assert "Converted from TIFF to PNG" in image.notes[0]
    assert near(colour_at(samples.decode(image.data), 50, 10), BLUE)


def test_transparency_stays_png_even_for_a_large_colourful_picture(tmp_path: Path) -> None:
    picture = samples.noise(800, 700, alpha=True)
    path = samples.write(tmp_path, "cutout.tiff", samples.encode(picture, "TIFF"))

    image = prepare_image(path)

    assert image.mime == "image/png"
    decoded = samples.decode(image.data)
    assert decoded.hasAlphaChannel()
    assert QColor.fromRgba(decoded.pixel(3, 3)).alpha() == picture.pixelColor(3, 3).alpha()


def test_transparent_badge_webp_keeps_its_transparent_corners(tmp_path: Path) -> None:
    path = samples.write(
        tmp_path, "badge.webp", samples.encode(samples.transparent_badge(), "WEBP")
    )
    decoded = samples.decode(prepare_image(path).data)
    assert QColor.fromRgba(decoded.pixel(1, 1)).alpha() == 0
    assert QColor.fromRgba(decoded.pixel(60, 40)).alpha() == 255


# -- EXIF orientation ------------------------------------------------------------------------


def test_exif_rotated_jpeg_is_turned_upright(tmp_path: Path) -> None:
    # Stored 64x32 with red on the left; orientation 6 means "rotate 90 degrees clockwise
    # to view", so the upright picture is 32x64 with red on top.
    stored = samples.encode(samples.two_tone(64, 32), "JPEG", 95)
    path = samples.write(tmp_path, "phone.jpg", samples.with_exif_orientation(stored, 6))

    image = prepare_image(path)

    assert (image.width, image.height) == (32, 64)
    assert image.mime == "image/jpeg"
    assert "Turned upright, as the photo's orientation tag says." in image.notes
    decoded = samples.decode(image.data)
    assert (decoded.width(), decoded.height()) == (32, 64)
    assert near(colour_at(decoded, 16, 5), RED)
    assert near(colour_at(decoded, 16, 58), BLUE)


def test_exif_orientation_1_is_left_alone(tmp_path: Path) -> None:
    data = samples.with_exif_orientation(samples.encode(samples.two_tone(64, 32), "JPEG"), 1)
    image = prepare_image(samples.write(tmp_path, "upright.jpg", data))
    assert image.data == data
    assert image.notes == ()


# -- over 10 MB ------------------------------------------------------------------------------


def test_a_png_over_10_mb_is_reencoded_to_fit_and_says_so(tmp_path: Path) -> None:
    big = samples.encode(samples.noise(2100, 1800), "PNG")
    assert len(big) > MAX_IMAGE_BYTES
    path = samples.write(tmp_path, "huge.png", big)

    image = prepare_image(path)

    assert image.size <= MAX_IMAGE_BYTES
    assert image.mime == "image/jpeg"
    assert (image.width, image.height) == (2100, 1800)
    assert len(image.notes) == 1
    note = image.notes[0]
    assert note.startswith(f"Was {len(big) / 1e6:.1f} MB, over APIXO's 10 MB limit: saved as JPEG")
    assert f"now {image.size / 1e6:.1f} MB" in note


def test_an_image_that_needs_it_is_scaled_down_until_it_fits(tmp_path: Path) -> None:
    data = samples.encode(samples.noise(800, 600), "JPEG", 100)
    path = samples.write(tmp_path, "sharp.jpg", data)

    image = prepare_image(path, max_bytes=60_000)

    assert image.size <= 60_000
    assert image.width < 800
    assert abs(image.width / image.height - 800 / 600) < 0.02
    assert f"scaled down from 800 {X} 600 to" in image.notes[-1]


def test_a_transparent_image_over_the_limit_shrinks_as_png(tmp_path: Path) -> None:
    data = samples.encode(samples.noise(400, 400, alpha=True), "PNG")
    path = samples.write(tmp_path, "alpha.png", data)

    image = prepare_image(path, max_bytes=150_000)

    assert image.mime == "image/png"
    assert image.size <= 150_000
    assert samples.decode(image.data).hasAlphaChannel()
    assert f"saved as PNG, scaled down from 400 {X} 400" in image.notes[-1]


# -- not an image ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notes.txt", b"Buy milk\nCall Sam\n", "notes.txt is a text file, not an image"),
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "report.pdf is a PDF document"),
        (
            "IMG_0001.heic",
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64),
            "IMG_0001.heic is a HEIC photo, not an image Veo Desktop can use; export it as "
            "JPEG or PNG first.",
        ),
        ("page.png", b"<!DOCTYPE html><html><body>hi</body></html>", "page.png is a web page"),
        ("random.bin", bytes(range(256)) * 4, "random.bin is not an image Veo Desktop can read"),
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
            "drawing.svg is an SVG drawing",
        ),
    ],
)
def test_what_is_not_an_image_is_refused_naming_the_file(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = samples.write(tmp_path, name, content)
    with pytest.raises(ImageError) as caught:
        prepare_image(path)
    assert str(caught.value).startswith(expected)


def test_a_damaged_jpeg_is_refused(tmp_path: Path) -> None:
    path = samples.write(tmp_path, "broken.jpg", b"\xff\xd8\xff\xe0" + bytes(40))
    with pytest.raises(ImageError, match=r"^broken\.jpg .*cannot be decoded"):
        prepare_image(path)


def test_empty_missing_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"^empty\.png is empty \(0 bytes\)\.$"):
        prepare_image(samples.write(tmp_path, "empty.png", b""))
    with pytest.raises(ImageError, match=r"^gone\.jpg does not exist"):
        prepare_image(tmp_path / "gone.jpg")
    (tmp_path / "album").mkdir()
    with pytest.raises(ImageError, match=r"^album is a folder, not an image\.$"):
        prepare_image(tmp_path / "album")


# -- crop ------------------------------------------------------------------------------------


def _bands_file(tmp_path: Path, width: int, height: int) -> Path:
    picture = samples.bands(width, height, [RED, GREEN, BLUE])
    return samples.write(tmp_path, "bands.png", samples.encode(picture, "PNG"))


def test_default_crop_to_16_9_is_centred(tmp_path: Path) -> None:
    path = _bands_file(tmp_path, 480, 480)

    image = prepare_image(path, aspect="16:9")

    assert (image.width, image.height) == (480, 270)
    assert image.notes == (f"Cropped to 16:9 (480 {X} 270 of 480 {X} 480).",)
    decoded = samples.decode(image.data)
    # The centred crop drops 105 rows above and below: it starts inside the red band.
    assert colour_at(decoded, 240, 2) == (255, 0, 0)
    assert colour_at(decoded, 240, 135) == (0, 200, 0)
    assert colour_at(decoded, 240, 267) == (0, 0, 255)


def test_crop_to_9_16_with_a_chosen_rect(tmp_path: Path) -> None:
    path = samples.write(tmp_path, "wide.png", samples.encode(samples.two_tone(640, 360), "PNG"))

    image = prepare_image(path, aspect="9:16", crop=CropRect(0, 0, 180, 320))

    assert (image.width, image.height) == (180, 320)
    decoded = samples.decode(image.data)
    assert colour_at(decoded, 90, 160) == (255, 0, 0)


def test_a_picture_already_16_9_is_not_cropped(tmp_path: Path) -> None:
    data = samples.encode(samples.two_tone(320, 180), "PNG")
    image = prepare_image(samples.write(tmp_path, "ok.png", data), aspect="16:9")
    assert (image.width, image.height) == (320, 180)
    assert not any(note.startswith("Cropped") for note in image.notes)


def test_crop_happens_in_upright_coordinates(tmp_path: Path) -> None:
    stored = samples.encode(samples.two_tone(640, 360), "JPEG", 95)
    path = samples.write(tmp_path, "portrait.jpg", samples.with_exif_orientation(stored, 6))

    image = prepare_image(path, aspect="9:16")

    # Upright it is 360x640 (already 9:16): red on top, blue below.
    assert (image.width, image.height) == (360, 640)
    decoded = samples.decode(image.data)
    assert near(colour_at(decoded, 180, 20), RED)
    assert near(colour_at(decoded, 180, 620), BLUE)


# -- pasted pixels and previews --------------------------------------------------------------


def test_pasted_pixels_become_png() -> None:
    image = prepare_qimage(samples.two_tone(100, 50))
    assert image.mime == "image/png"
    assert image.name == "Pasted image"
    assert (image.width, image.height) == (100, 50)


def test_pasted_empty_image_is_refused() -> None:
    with pytest.raises(ImageError, match="has no pixels"):
        prepare_qimage(QImage())


def test_load_image_scales_for_display_but_reports_the_full_upright_size(tmp_path: Path) -> None:
    stored = samples.encode(samples.two_tone(1600, 800), "JPEG")
    path = samples.write(tmp_path, "big.jpg", samples.with_exif_orientation(stored, 6))

    loaded = load_image(path, max_side=400)

    assert (loaded.width, loaded.height) == (800, 1600)
    assert max(loaded.image.width(), loaded.image.height()) == 400
    assert loaded.image.height() > loaded.image.width()
    assert loaded.format_name == "JPEG"


def test_works_in_a_worker_thread_without_any_qt_application(tmp_path: Path) -> None:
    path = samples.write(tmp_path, "x.webp", samples.encode(samples.two_tone(40, 20), "WEBP"))
    code = textwrap.dedent(
        f"""
        import threading
        from PySide6.QtCore import QCoreApplication
        from veo_desktop.imaging import prepare_image
        box = {{}}
        worker = threading.Thread(target=lambda: box.update(image=prepare_image({str(path)!r})))
        worker.start()
        worker.join()
        assert QCoreApplication.instance() is None
        print(box["image"].mime, box["image"].width, box["image"].height)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["image/png", "40", "20"]


def test_a_cmyk_jpeg_is_converted_to_rgb(tmp_path: Path) -> None:
    cmyk = samples.two_tone(40, 20).convertToFormat(QImage.Format.Format_CMYK8888)
    path = samples.write(tmp_path, "print.jpg", samples.encode(cmyk, "JPEG", 95))

    image = prepare_image(path)

    assert image.mime == "image/jpeg"
    assert image.notes == ("Converted CMYK colours to RGB.",)
    decoded = samples.decode(image.data)
    assert decoded.format() != QImage.Format.Format_CMYK8888
    assert near(colour_at(decoded, 5, 5), RED)


def test_a_small_file_that_grows_when_converted_still_fits(tmp_path: Path) -> None:
    webp = samples.encode(samples.noise(800, 700), "WEBP", 30)
    path = samples.write(tmp_path, "small.webp", webp)
    limit = 400_000
    assert len(webp) < limit

    image = prepare_image(path, max_bytes=limit)

    assert image.size <= limit
    assert image.mime == "image/jpeg"
    assert image.notes[0] == "Converted from WebP to JPEG (APIXO takes JPEG or PNG)."
    assert image.notes[1].startswith("As JPEG it came to ")
    assert ", over APIXO's 400 KB limit: saved as JPEG" in image.notes[1]


def _quadrants(width: int, height: int) -> QImage:
    """Four different colours, so every turn and mirror of it looks different."""
    image = samples.two_tone(width, height, RED, BLUE)
    painter = QPainter(image)
    painter.fillRect(0, height // 2, width // 2, height - height // 2, GREEN)
    painter.fillRect(width // 2, height // 2, width - width // 2, height - height // 2, YELLOW)
    painter.end()
    return image


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_crop_of_a_turned_photo_matches_the_upright_picture(
    tmp_path: Path, orientation: int
) -> None:
    stored = samples.encode(_quadrants(640, 400), "JPEG", 95)
    path = samples.write(
        tmp_path, f"o{orientation}.jpg", samples.with_exif_orientation(stored, orientation)
    )
    reference = QImageReader(str(path))
    reference.setAutoTransform(True)
    upright = reference.read()
    rect = CropRect(upright.width() // 8, upright.height() // 3, 160, 90)

    image = prepare_image(path, aspect="16:9", crop=rect)

    assert (image.width, image.height) == (160, 90)
    decoded = samples.decode(image.data)
    expected = upright.copy(rect.x, rect.y, rect.width, rect.height)
    for x, y in ((5, 5), (150, 5), (5, 85), (150, 85), (80, 45)):
        want = QColor(expected.pixel(x, y))
        assert near(colour_at(decoded, x, y), want), (orientation, x, y)


def test_run_imaging_works_in_its_own_thread_and_passes_errors_back(tmp_path: Path) -> None:
    path = samples.write(tmp_path, "a.webp", samples.encode(samples.two_tone(40, 20), "WEBP"))

    async def run() -> tuple[str, str]:
        image = await run_imaging(prepare_image, path, aspect="16:9")
        with pytest.raises(ImageError, match="does not exist"):
            await run_imaging(prepare_image, tmp_path / "missing.png")
        name = await run_imaging(lambda: threading.current_thread().name)
        return image.mime, name

    mime, thread = asyncio.run(run())
    assert mime == "image/png"
    assert thread.startswith("imaging")
    assert thread != threading.current_thread().name
