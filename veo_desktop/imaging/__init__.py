"""Image files made ready for APIXO: read, converted, turned upright, shrunk, cropped.

QtGui only (QImage, QImageReader), no widgets, no QGuiApplication needed. Every function is
blocking: run it off the event loop's thread, preferably in the imaging thread
(``await run_imaging(prepare_image, path)``; ``asyncio.to_thread`` works too).

Public API::

    from veo_desktop.imaging import (
        PreparedImage, ImageError,             # (defined Qt-free in veo_desktop.hosting)
        prepare_image, prepare_image_data, prepare_qimage, crop_image, load_image, LoadedImage,
        CropRect, aspect_ratio, default_crop, constrain_crop, matches_aspect,
        run_imaging, shutdown_imaging,         # the one thread image work runs in
    )
    from veo_desktop.imaging.frames import first_frame, last_frame  # stills out of a video

Every name loads with its module when first asked for: the composer needs ``ImageError``
and the crop shapes before the window lists its tasks, the preparation (QImageReader and
writers) and the imaging thread only with the first image. ``frames`` is not exported here:
it imports PyAV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from veo_desktop.lazy import lazy_exports

if TYPE_CHECKING:
    from veo_desktop.hosting.model import MAX_IMAGE_BYTES, ImageError, PreparedImage
    from veo_desktop.imaging.crop import (
        CropRect,
        aspect_ratio,
        constrain_crop,
        default_crop,
        matches_aspect,
    )
    from veo_desktop.imaging.prepare import (
        LoadedImage,
        crop_image,
        load_image,
        prepare_image,
        prepare_image_data,
        prepare_qimage,
    )
    from veo_desktop.imaging.worker import imaging_executor, run_imaging, shutdown_imaging

_HOMES = {
    **dict.fromkeys(
        ("MAX_IMAGE_BYTES", "ImageError", "PreparedImage"), "veo_desktop.hosting.model"
    ),
    **dict.fromkeys(
        ("CropRect", "aspect_ratio", "constrain_crop", "default_crop", "matches_aspect"),
        f"{__name__}.crop",
    ),
    **dict.fromkeys(
        (
            "LoadedImage",
            "crop_image",
            "load_image",
            "prepare_image",
            "prepare_image_data",
            "prepare_qimage",
        ),
        f"{__name__}.prepare",
    ),
    **dict.fromkeys(("imaging_executor", "run_imaging", "shutdown_imaging"), f"{__name__}.worker"),
}

if not TYPE_CHECKING:  # (mypy reads the imports above: a name not there is an error)
    __getattr__ = lazy_exports(__name__, _HOMES)

__all__ = [
    "MAX_IMAGE_BYTES",
    "CropRect",
    "ImageError",
    "LoadedImage",
    "PreparedImage",
    "aspect_ratio",
    "constrain_crop",
    "crop_image",
    "default_crop",
    "imaging_executor",
    "load_image",
    "matches_aspect",
    "prepare_image",
    "prepare_image_data",
    "prepare_qimage",
    "run_imaging",
    "shutdown_imaging",
]
