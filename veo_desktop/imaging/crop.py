"""Crop rectangles locked to a video's aspect ratio (16:9 or 9:16), in image pixels.

Pure arithmetic, no Qt: the crop dialog and :func:`~veo_desktop.imaging.prepare_image`
share it. Coordinates are those of the image as a person sees it (after EXIF orientation).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The smallest crop offered (pixels on the short side).
MIN_CROP_SIDE = 16


@dataclass(frozen=True)
class CropRect:
    """A rectangle in image pixels (``x``, ``y`` is the top-left corner)."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        """One past the last column."""
        return self.x + self.width

    @property
    def bottom(self) -> int:
        """One past the last row."""
        return self.y + self.height

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def as_tuple(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.width, self.height


def aspect_ratio(aspect: str) -> tuple[int, int]:
    """``"16:9"`` -> ``(16, 9)``.

    Raises:
        ValueError: not ``W:H`` with positive whole numbers (``auto`` has no shape).
    """
    try:
        left, right = aspect.split(":")
        width, height = int(left), int(right)
    except ValueError:
        raise ValueError(f"{aspect!r} is not an aspect ratio like 16:9") from None
    if width <= 0 or height <= 0:
        raise ValueError(f"{aspect!r} is not an aspect ratio like 16:9")
    return width, height


def matches_aspect(width: int, height: int, aspect: str, *, tolerance: float = 0.01) -> bool:
    """Whether ``width`` x ``height`` already has ``aspect``'s shape (within 1 %)."""
    if width <= 0 or height <= 0:
        return False
    rw, rh = aspect_ratio(aspect)
    return abs((width / height) / (rw / rh) - 1) <= tolerance


def _size_for(width: float, ratio: float) -> tuple[int, int]:
    w = max(1, round(width))
    return w, max(1, round(w / ratio))


def default_crop(width: int, height: int, aspect: str) -> CropRect:
    """The largest rectangle of ``aspect``'s shape, centred in a ``width`` x ``height`` image."""
    rw, rh = aspect_ratio(aspect)
    ratio = rw / rh
    if width / height > ratio:
        h = height
        w = min(width, round(h * ratio))
    else:
        w = width
        h = min(height, round(w / ratio))
    return CropRect((width - w) // 2, (height - h) // 2, w, h)


def constrain_crop(rect: CropRect, width: int, height: int, aspect: str) -> CropRect:
    """``rect`` made exactly ``aspect``'s shape and moved inside the image.

    The result is the largest rectangle of that shape fitting inside ``rect`` (and the
    image), centred where ``rect`` was centred, then shifted to lie within the image. A
    rectangle too small is grown to the minimum size.
    """
    rw, rh = aspect_ratio(aspect)
    ratio = rw / rh
    full = default_crop(width, height, aspect)
    req_w = max(1, min(rect.width, width))
    req_h = max(1, min(rect.height, height))
    if abs(req_w * rh - req_h * rw) <= max(rw, rh) / 2:
        # Already the shape, to within a pixel's rounding: keep it (so constraining twice
        # changes nothing).
        w, h = req_w, req_h
    else:
        w, h = _size_for(req_w, ratio)
        if h > req_h:
            h = req_h
            w = min(req_w, max(1, round(h * ratio)))
    min_w = MIN_CROP_SIDE if ratio <= 1 else round(MIN_CROP_SIDE * ratio)
    if w < min_w:
        w, h = _size_for(min_w, ratio)
    if w > full.width or h > full.height:
        w, h = full.width, full.height
    cx, cy = rect.center
    x = round(cx - w / 2)
    y = round(cy - h / 2)
    x = max(0, min(x, width - w))
    y = max(0, min(y, height - h))
    return CropRect(x, y, w, h)
