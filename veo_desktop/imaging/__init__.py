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

``frames`` is not loaded here: it imports PyAV, which the start-up path does not need.
"""

from __future__ import annotations

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
