"""Recognising the image formats APIXO takes as inputs, by their magic bytes."""

from __future__ import annotations

from typing import NamedTuple


class ImageKind(NamedTuple):
    content_type: str
    extension: str


JPEG = ImageKind("image/jpeg", "jpg")
PNG = ImageKind("image/png", "png")
WEBP = ImageKind("image/webp", "webp")

#: Bytes needed to recognise every supported format.
SNIFF_BYTES = 12


def sniff_image(head: bytes) -> ImageKind | None:
    """The format of an image from its first bytes: JPEG, PNG or WebP, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= SNIFF_BYTES and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None
