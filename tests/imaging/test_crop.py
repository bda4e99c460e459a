"""Crop rectangles locked to 16:9 or 9:16, inside the picture."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veo_desktop.imaging import (
    CropRect,
    aspect_ratio,
    constrain_crop,
    default_crop,
    matches_aspect,
)
from veo_desktop.imaging.crop import MIN_CROP_SIDE


def test_aspect_ratio_parses_and_refuses_auto() -> None:
    assert aspect_ratio("16:9") == (16, 9)
    assert aspect_ratio("9:16") == (9, 16)
    for bad in ("auto", "16x9", "0:9", ""):
        with pytest.raises(ValueError, match="aspect ratio like 16:9"):
            aspect_ratio(bad)


@pytest.mark.parametrize(
    ("size", "aspect", "expected"),
    [
        ((4000, 3000), "16:9", CropRect(0, 375, 4000, 2250)),
        ((4000, 3000), "9:16", CropRect(1156, 0, 1688, 3000)),
        ((1920, 1080), "16:9", CropRect(0, 0, 1920, 1080)),
        ((1080, 1920), "16:9", CropRect(0, 656, 1080, 608)),
        ((3000, 1000), "16:9", CropRect(611, 0, 1778, 1000)),
    ],
)
def test_default_crop_is_the_largest_centred_rect(
    size: tuple[int, int], aspect: str, expected: CropRect
) -> None:
    assert default_crop(*size, aspect) == expected


def test_constrain_keeps_the_centre_and_moves_inside() -> None:
    # A square request at the right edge: the 16:9 rect fits inside it, then is moved in.
    rect = constrain_crop(CropRect(900, 100, 400, 400), 1000, 800, "16:9")
    assert (rect.width, rect.height) == (400, 225)
    assert rect.right == 1000
    assert rect.y == 188


def test_constrain_grows_a_tiny_rect_to_the_minimum() -> None:
    rect = constrain_crop(CropRect(10, 10, 2, 2), 500, 500, "9:16")
    assert rect.width == MIN_CROP_SIDE


@given(
    width=st.integers(32, 5000),
    height=st.integers(32, 5000),
    x=st.integers(-200, 5000),
    y=st.integers(-200, 5000),
    w=st.integers(1, 6000),
    h=st.integers(1, 6000),
    aspect=st.sampled_from(["16:9", "9:16"]),
)
def test_constrained_rect_is_inside_and_has_the_shape(
    width: int, height: int, x: int, y: int, w: int, h: int, aspect: str
) -> None:
    rect = constrain_crop(CropRect(x, y, w, h), width, height, aspect)
    assert rect.x >= 0 and rect.y >= 0
    assert rect.right <= width and rect.bottom <= height
    assert rect.width >= 1 and rect.height >= 1
    rw, rh = aspect_ratio(aspect)
    # Whole pixels: the shape is exact to within one pixel of rounding.
    assert abs(rect.width * rh - rect.height * rw) <= max(rw, rh)
    if min(rect.width, rect.height) > 100:
        assert matches_aspect(rect.width, rect.height, aspect)


@given(
    width=st.integers(32, 5000),
    height=st.integers(32, 5000),
    x=st.integers(0, 5000),
    y=st.integers(0, 5000),
    w=st.integers(1, 6000),
    h=st.integers(1, 6000),
    aspect=st.sampled_from(["16:9", "9:16"]),
)
def test_constraining_twice_changes_nothing(
    width: int, height: int, x: int, y: int, w: int, h: int, aspect: str
) -> None:
    once = constrain_crop(CropRect(x, y, w, h), width, height, aspect)
    assert constrain_crop(once, width, height, aspect) == once
