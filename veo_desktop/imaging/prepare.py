"""From an image file to JPEG or PNG bytes APIXO takes: converted, upright, within 10 MB.

Every function here is a plain blocking function meant to run off the event loop's thread
(``await run_imaging(prepare_image, path)``, or ``asyncio.to_thread``): decoding a 10 MB
photo takes a noticeable moment. QImage and QImageReader are reentrant and need no
QGuiApplication. Cropping and scaling are done by QImageReader while the GIL is released,
so the event loop keeps running meanwhile.

Rules, in the order they apply:

- JPEG and PNG within the limit are sent as they are (after a full decode, so a damaged
  file is caught here and not after a paid wait), unless they need turning upright (EXIF
  orientation), are CMYK, or are cropped.
- Other formats Qt reads (WebP, BMP, GIF's first frame, TIFF, ...) become PNG, or JPEG when
  they are large and photo-like; transparency always stays PNG.
- Anything over the limit is re-encoded (JPEG quality 92, then 85) and then scaled down step
  by step until it fits; each change is described in :attr:`PreparedImage.notes`.
- What is not an image is refused with a message naming the file.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize, Qt
from PySide6.QtGui import QImage, QImageIOHandler, QImageReader, QImageWriter

from veo_desktop.hosting.model import (
    MAX_IMAGE_BYTES,
    ImageError,
    PreparedImage,
    describe_limit,
    describe_size,
)
from veo_desktop.imaging.crop import CropRect, constrain_crop, default_crop, matches_aspect

log = logging.getLogger(__name__)

JPEG = "image/jpeg"
PNG = "image/png"

#: Quality for photos converted to JPEG, and for the first re-encode of one that is too big.
JPEG_QUALITY = 92
#: Quality once a photo must shrink to fit.
JPEG_SHRINK_QUALITY = 85
#: Quality for re-encoding a JPEG that was only turned upright or cropped.
JPEG_KEEP_QUALITY = 95
#: Images this large (pixels) and colourful are treated as photos (JPEG rather than PNG).
PHOTO_MIN_PIXELS = 500_000
#: Distinct colours among 4096 samples above which an image is photo-like.
PHOTO_MIN_COLOURS = 1200
#: Larger images are decoded scaled down (Qt refuses to allocate more than 256 MB).
MAX_DECODE_PIXELS = 50_000_000
#: A file larger than this is not read at all.
MAX_SOURCE_BYTES = 256 * 1024 * 1024
_MAX_SHRINK_STEPS = 12
_TIMES = "\N{MULTIPLICATION SIGN}"
#: Pixels handled per step when scanning a picture in Python (a few ms of GIL each).
_STRIP_PIXELS = 1_000_000

#: Formats refused even though a Qt plugin may render them: documents and drawings.
_REFUSED_FORMATS = {
    "pdf": "a PDF document",
    "svg": "an SVG drawing",
    "svgz": "an SVG drawing",
}
_FORMAT_NAMES = {
    "jpeg": "JPEG",
    "jpg": "JPEG",
    "png": "PNG",
    "webp": "WebP",
    "bmp": "BMP",
    "gif": "GIF",
    "tiff": "TIFF",
    "tif": "TIFF",
}
#: Magic bytes of common files that are not images Qt reads, for a precise message.
_NOT_IMAGES = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1a\x45\xdf\xa3", "a video (WebM/MKV)"),
    (b"OggS", "an Ogg audio or video file"),
    (b"ID3", "an MP3 audio file"),
    (b"RIFF", "a RIFF file (audio or video)"),
    (b"<svg", "an SVG drawing"),
    (b"<?xml", "an XML document"),
    (b"<!DOCTYPE html", "a web page"),
    (b"<html", "a web page"),
)
_FTYP_BRANDS = {
    b"heic": "a HEIC photo",
    b"heix": "a HEIC photo",
    b"heif": "a HEIF photo",
    b"mif1": "a HEIF photo",
    b"avif": "an AVIF image",
    b"avis": "an AVIF image",
}


@dataclass(frozen=True)
class LoadedImage:
    """An image decoded for showing (maybe scaled down), with its full upright size."""

    image: QImage
    width: int
    height: int
    format_name: str


def prepare_image(
    path: Path | str,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    aspect: str | None = None,
    crop: CropRect | None = None,
) -> PreparedImage:
    """Read an image file and make it ready to upload.

    Args:
        path: the file.
        max_bytes: the largest result (APIXO's 10 MB).
        aspect: crop to this shape (``16:9`` or ``9:16``); None keeps the whole picture.
        crop: the part to keep, in upright image pixels; made exactly ``aspect``'s shape.
            Without it, the crop is centred and as large as possible.

    Raises:
        ImageError: the file cannot be read or is not an image (the message names it).
    """
    source = Path(path)
    data = _read_file(source)
    return prepare_image_data(data, source=source, max_bytes=max_bytes, aspect=aspect, crop=crop)


def crop_image(
    path: Path | str,
    aspect: str,
    rect: CropRect | None = None,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
) -> PreparedImage:
    """:func:`prepare_image` cropped to ``aspect`` (``rect`` or the centred default)."""
    return prepare_image(path, max_bytes=max_bytes, aspect=aspect, crop=rect)


def prepare_image_data(
    data: bytes,
    *,
    source: Path,
    max_bytes: int = MAX_IMAGE_BYTES,
    aspect: str | None = None,
    crop: CropRect | None = None,
) -> PreparedImage:
    """:func:`prepare_image` for bytes already read (``source`` names them in messages)."""
    name = source.name or "The image"
    if not data:
        raise ImageError(f"{name} is empty (0 bytes).")
    picture = _Source.inspect(data, name)
    notes: list[str] = []
    full_w, full_h = picture.upright_size
    clip: CropRect | None = None
    if aspect is not None:
        clip = _choose_crop(full_w, full_h, aspect, crop)
    area_w, area_h = (clip.width, clip.height) if clip is not None else (full_w, full_h)
    target: tuple[int, int] | None = None
    if area_w * area_h > MAX_DECODE_PIXELS:
        factor = math.sqrt(MAX_DECODE_PIXELS / (area_w * area_h))
        target = (max(1, int(area_w * factor)), max(1, int(area_h * factor)))
        notes.append(
            f"Scaled down from {_dims(area_w, area_h)} to {_dims(*target)}: too large to process."
        )
    as_is = (
        picture.format_name in ("jpeg", "jpg", "png")
        and picture.upright
        and clip is None
        and target is None
        and len(data) <= max_bytes
    )
    image = picture.decode(clip, target)
    if image.format() == QImage.Format.Format_CMYK8888:
        image = image.convertToFormat(QImage.Format.Format_RGB32)
        notes.append("Converted CMYK colours to RGB.")
        as_is = False
    if as_is:
        mime = JPEG if picture.format_name in ("jpeg", "jpg") else PNG
        return _prepared(data, mime, image.width(), image.height(), notes, source)

    format_name = picture.format_name
    kind = _FORMAT_NAMES.get(format_name, format_name.upper())
    if not picture.upright:
        notes.append("Turned upright, as the photo's orientation tag says.")
    if format_name == "gif" and picture.frames > 1:
        notes.append(f"Used the first frame of {picture.frames} (an animated GIF).")
    if clip is not None:
        notes.append(
            f"Cropped to {aspect} ({_dims(clip.width, clip.height)} of {_dims(full_w, full_h)})."
        )
    transparent = _has_transparency(image)
    if transparent:
        mime = PNG
    elif format_name in ("jpeg", "jpg"):
        mime = JPEG
    elif format_name == "png":
        mime = PNG
    else:
        mime = JPEG if _looks_like_photo(image) else PNG
    if format_name not in ("jpeg", "jpg", "png"):
        out = "JPEG" if mime == JPEG else "PNG"
        notes.insert(0, f"Converted from {kind} to {out} (APIXO takes JPEG or PNG).")
    if len(data) > max_bytes:
        # Too big already: no point saving it again as it is; shrink straight away.
        why = f"Was {describe_size(len(data))}"
    else:
        quality = JPEG_KEEP_QUALITY if format_name in ("jpeg", "jpg") else JPEG_QUALITY
        encoded = _encode(image, mime, quality)
        if len(encoded) <= max_bytes:
            return _prepared(encoded, mime, image.width(), image.height(), notes, source)
        out = "JPEG" if mime == JPEG else "PNG"
        why = f"As {out} it came to {describe_size(len(encoded))}"

    def redecode(width: int, height: int) -> QImage:
        return picture.decode(clip, (width, height))

    image, mime, encoded, shrink_note = _shrink(image, transparent, why, max_bytes, name, redecode)
    notes.append(shrink_note)
    return _prepared(encoded, mime, image.width(), image.height(), notes, source)


def prepare_qimage(
    image: QImage, *, name: str = "Pasted image", max_bytes: int = MAX_IMAGE_BYTES
) -> PreparedImage:
    """Pixels (a paste) made ready to upload: PNG, or JPEG for a large photo; within the limit.

    Raises:
        ImageError: the image is empty.
    """
    if image.isNull():
        raise ImageError(f"{name} has no pixels.")
    if image.format() == QImage.Format.Format_CMYK8888:
        image = image.convertToFormat(QImage.Format.Format_RGB32)
    transparent = _has_transparency(image)
    mime = PNG if transparent or not _looks_like_photo(image) else JPEG
    encoded = _encode(image, mime, JPEG_QUALITY)
    notes: list[str] = []
    if len(encoded) > max_bytes:
        why = f"As {'PNG' if mime == PNG else 'JPEG'} it came to {describe_size(len(encoded))}"
        image, mime, encoded, note = _shrink(image, transparent, why, max_bytes, name)
        notes.append(note)
    return _prepared(encoded, mime, image.width(), image.height(), notes, Path(name))


def load_image(path: Path | str, *, max_side: int | None = None) -> LoadedImage:
    """Decode an image upright (first frame) for showing, e.g. in the crop dialog.

    Args:
        path: the file.
        max_side: decode scaled down so neither side exceeds this (the full size is still
            reported, so crop rectangles stay in full-image pixels).

    Raises:
        ImageError: the file cannot be read or is not an image.
    """
    source = Path(path)
    data = _read_file(source)
    name = source.name
    buffer, reader = _open_reader(data)
    try:
        format_name = bytes(reader.format().data()).decode("ascii", "replace").lower()
        if not format_name or format_name in _REFUSED_FORMATS:
            raise ImageError(_not_an_image_message(name, data, format_name))
        raw = reader.size()
        transformation = reader.transformation()
        reader.setAutoTransform(True)
        swapped = _swaps_sides(transformation)
        full_w, full_h = (raw.height(), raw.width()) if swapped else (raw.width(), raw.height())
        limit = MAX_DECODE_PIXELS
        target = raw
        if raw.isValid() and raw.width() * raw.height() > limit:
            target = _fit_pixels(raw, limit)
        if max_side is not None and raw.isValid() and max(raw.width(), raw.height()) > max_side:
            target = target.scaled(QSize(max_side, max_side), Qt.AspectRatioMode.KeepAspectRatio)
        if target != raw:
            reader.setScaledSize(target)
        image = reader.read()
        if image.isNull():
            raise ImageError(f"{name} cannot be decoded ({reader.errorString()}).")
    finally:
        del reader
        buffer.close()
    if not raw.isValid():
        full_w, full_h = image.width(), image.height()
    return LoadedImage(image, full_w, full_h, _FORMAT_NAMES.get(format_name, format_name.upper()))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Source:
    """An encoded picture and what its header says; decodes parts of it on demand.

    Cropping and scaling are asked of :class:`QImageReader` (``setClipRect``,
    ``setScaledSize``) rather than done on a decoded QImage: the reader does them while
    Python's GIL is released, so a worker thread preparing a 12 MP photo does not stall the
    window's event loop the way ``QImage.copy``/``QImage.scaled`` would.
    """

    def __init__(
        self,
        data: bytes,
        name: str,
        format_name: str,
        raw_size: QSize,
        transformation: QImageIOHandler.Transformation,
        frames: int,
    ) -> None:
        self.data = data
        self.name = name
        self.format_name = format_name
        self.raw_size = raw_size
        self.transformation = transformation
        self.frames = frames

    @classmethod
    def inspect(cls, data: bytes, name: str) -> _Source:
        """Read the header: format, size, orientation, frames (refuses non-images)."""
        buffer, reader = _open_reader(data)
        try:
            format_name = bytes(reader.format().data()).decode("ascii", "replace").lower()
            if not format_name or format_name in _REFUSED_FORMATS:
                raise ImageError(_not_an_image_message(name, data, format_name))
            return cls(
                data,
                name,
                format_name,
                reader.size(),
                reader.transformation(),
                reader.imageCount(),
            )
        finally:
            del reader
            buffer.close()

    @property
    def upright(self) -> bool:
        return self.transformation == QImageIOHandler.Transformation.TransformationNone

    @property
    def swaps_sides(self) -> bool:
        return _swaps_sides(self.transformation)

    @property
    def upright_size(self) -> tuple[int, int]:
        """Width and height as the person sees the picture (0, 0 when the header has none)."""
        if not self.raw_size.isValid():
            return 0, 0
        w, h = self.raw_size.width(), self.raw_size.height()
        return (h, w) if self.swaps_sides else (w, h)

    def decode(self, clip: CropRect | None = None, size: tuple[int, int] | None = None) -> QImage:
        """The first frame, upright; only ``clip`` of it (upright pixels), scaled to ``size``.

        Raises:
            ImageError: it cannot be decoded.
        """
        buffer, reader = _open_reader(self.data)
        try:
            reader.setAutoTransform(True)
            if clip is not None and self.raw_size.isValid():
                reader.setClipRect(self._raw_rect(clip))
            if size is not None:
                width, height = size
                reader.setScaledSize(
                    QSize(height, width) if self.swaps_sides else QSize(width, height)
                )
            image = reader.read()
            if image.isNull():
                kind = _FORMAT_NAMES.get(self.format_name, self.format_name.upper())
                raise ImageError(
                    f"{self.name} looks like a {kind} image but cannot be decoded "
                    f"({reader.errorString()}); it may be damaged or incomplete."
                )
            return image
        finally:
            del reader
            buffer.close()

    def _raw_rect(self, rect: CropRect) -> QRect:
        """``rect`` (upright pixels) in the stored picture's pixels, before orientation.

        Qt turns a picture upright by mirroring and/or flipping it, then rotating it 90
        degrees clockwise (or, for Rotate270, rotating 270 degrees); this undoes that.
        """
        transform = self.transformation
        w, h = self.raw_size.width(), self.raw_size.height()
        flag = QImageIOHandler.Transformation

        def to_raw(u: int, v: int) -> tuple[int, int]:
            if transform == flag.TransformationRotate270:
                return w - v, u
            if transform & flag.TransformationRotate90:
                x, y = v, h - u
            else:
                x, y = u, v
            if transform & flag.TransformationMirror:
                x = w - x
            if transform & flag.TransformationFlip:
                y = h - y
            return x, y

        x0, y0 = to_raw(rect.x, rect.y)
        x1, y1 = to_raw(rect.right, rect.bottom)
        return QRect(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))


def _choose_crop(width: int, height: int, aspect: str, crop: CropRect | None) -> CropRect | None:
    """The crop to apply (None when the picture already has the shape and none was chosen)."""
    if crop is None:
        if matches_aspect(width, height, aspect):
            return None
        chosen = default_crop(width, height, aspect)
    else:
        chosen = constrain_crop(crop, width, height, aspect)
    if chosen.as_tuple() == (0, 0, width, height):
        return None
    return chosen


# -- internals -----------------------------------------------------------------------------


def _read_file(source: Path) -> bytes:
    name = source.name or str(source)
    try:
        if source.is_dir():
            raise ImageError(f"{name} is a folder, not an image.")
        size = source.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise ImageError(
                f"{name} is {describe_size(size)}: too large to be a picture Veo Desktop can use."
            )
        return source.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"{name} does not exist (looked for {source}).") from None
    except PermissionError:
        raise ImageError(f"{name} cannot be read (permission denied).") from None
    except OSError as error:
        raise ImageError(f"{name} cannot be read: {error.strerror or error}.") from None


def _open_reader(data: bytes) -> tuple[QBuffer, QImageReader]:
    """A reader over ``data``; delete the reader before closing the buffer."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setDecideFormatFromContent(True)
    return buffer, reader


def _not_an_image_message(name: str, data: bytes, format_name: str) -> str:
    head = data[:64]
    what = _REFUSED_FORMATS.get(format_name)
    if what is None and head[4:8] == b"ftyp":
        brand = head[8:12]
        what = _FTYP_BRANDS.get(brand, "a video or HEIC/AVIF file")
    if what is None:
        stripped = head.lstrip()
        for magic, description in _NOT_IMAGES:
            if stripped[: len(magic)].lower() == magic.lower():
                what = description
                break
    if what is None and _is_text(head):
        what = "a text file"
    if what is None:
        return (
            f"{name} is not an image Veo Desktop can read. Use a JPEG, PNG, WebP, BMP, GIF "
            "or TIFF file."
        )
    advice = (
        "export it as JPEG or PNG first"
        if "photo" in what or "AVIF" in what
        else ("use a JPEG or PNG image")
    )
    return f"{name} is {what}, not an image Veo Desktop can use; {advice}."


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _swaps_sides(transformation: QImageIOHandler.Transformation) -> bool:
    return bool(transformation & QImageIOHandler.Transformation.TransformationRotate90)


def _fit_pixels(size: QSize, limit: int) -> QSize:
    factor = math.sqrt(limit / (size.width() * size.height()))
    return QSize(max(1, int(size.width() * factor)), max(1, int(size.height() * factor)))


def _dims(width: int, height: int) -> str:
    return f"{width} {_TIMES} {height}"


def _has_transparency(image: QImage) -> bool:
    """Whether any pixel is not fully opaque (not just whether the format could be).

    Checked in strips, so the GIL is held a few milliseconds at a time.
    """
    if not image.hasAlphaChannel():
        return False
    width, height = image.width(), image.height()
    rows = max(1, _STRIP_PIXELS // max(width, 1))
    for top in range(0, height, rows):
        strip = image.copy(0, top, width, min(rows, height - top))
        rgba = strip.convertToFormat(QImage.Format.Format_RGBA8888)
        if bytes(rgba.constBits())[3::4].translate(None, b"\xff"):
            return True
    return False


def _looks_like_photo(image: QImage) -> bool:
    """Large and colourful (a photo, a render) rather than a drawing, a screenshot, an icon."""
    if image.width() * image.height() < PHOTO_MIN_PIXELS:
        return False
    if image.format() in (QImage.Format.Format_Indexed8, QImage.Format.Format_Mono):
        return False
    sample = image.scaled(
        64, 64, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.FastTransformation
    ).convertToFormat(QImage.Format.Format_RGB888)
    raw = bytes(sample.constBits())
    line = sample.bytesPerLine()
    colours = {
        raw[row * line + col * 3 : row * line + col * 3 + 3]
        for row in range(sample.height())
        for col in range(sample.width())
    }
    return len(colours) >= PHOTO_MIN_COLOURS


def _encode(image: QImage, mime: str, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG or PNG bytes. The writer converts pixel formats itself (with the GIL released);
    a JPEG of an opaque ARGB picture simply drops the alpha channel."""
    if mime == JPEG and image.format() == QImage.Format.Format_CMYK8888:
        image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"jpeg" if mime == JPEG else b"png"))
    if mime == JPEG:
        writer.setQuality(quality)
    ok = writer.write(image)
    error = writer.errorString()
    del writer
    buffer.close()
    if not ok:
        raise ImageError(f"The image could not be encoded ({error}).")
    return bytes(data.data())  # (already bytes at run time: no copy is made)


def _shrink(
    image: QImage,
    transparent: bool,
    why: str,
    max_bytes: int,
    name: str,
    redecode: Callable[[int, int], QImage] | None = None,
) -> tuple[QImage, str, bytes, str]:
    """Re-encode, then scale down, until the image fits; returns the note saying so.

    ``why`` starts the note ("Was 14.2 MB"). Transparent images stay PNG and can only get
    smaller by scaling; others become JPEG at quality 92, then 85, then scale down.
    ``redecode(width, height)`` decodes the picture again at a smaller size (GIL-free);
    without it the decoded image is scaled.
    """
    limit = describe_limit(max_bytes)
    full_w, full_h = image.width(), image.height()
    mime = PNG if transparent else JPEG
    qualities = [0] if transparent else [JPEG_QUALITY, JPEG_SHRINK_QUALITY]
    current = image
    encoded = b""
    quality = qualities[-1]
    for quality in qualities:
        encoded = _encode(image, mime, quality)
        if len(encoded) <= max_bytes:
            break
    else:
        scale = 1.0
        for _ in range(_MAX_SHRINK_STEPS):
            scale *= max(0.3, min(0.9, math.sqrt(max_bytes / len(encoded)) * 0.92))
            width = max(1, round(full_w * scale))
            height = max(1, round(full_h * scale))
            if redecode is not None:
                current = redecode(width, height)
            else:
                current = image.scaled(
                    width,
                    height,
                    Qt.AspectRatioMode.IgnoreAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            encoded = _encode(current, mime, quality)
            if len(encoded) <= max_bytes:
                break
        else:
            raise ImageError(f"{name} could not be made smaller than {limit}.")
    kind = "PNG" if mime == PNG else f"JPEG (quality {quality})"
    scaled = ""
    if current is not image:
        scaled = (
            f", scaled down from {_dims(full_w, full_h)} to "
            f"{_dims(current.width(), current.height())}"
        )
    log.info("shrunk %s to %d bytes", name, len(encoded))
    note = (
        f"{why}, over APIXO's {limit} limit: saved as {kind}{scaled}, "
        f"now {describe_size(len(encoded))}."
    )
    return current, mime, encoded, note


def _prepared(
    data: bytes, mime: str, width: int, height: int, notes: list[str], source: Path
) -> PreparedImage:
    return PreparedImage(
        data=data,
        mime=mime,
        width=width,
        height=height,
        sha256=sha256_hex(data),
        notes=tuple(notes),
        source=source,
    )
