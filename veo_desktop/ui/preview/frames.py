"""Writing the stills of "Use this frame as first (or last) frame" as PNG files.

The still itself is the frame on show or the video's last frame, decoded by the app's one
frame decoder, :func:`veo_desktop.imaging.frames.last_frame`. Saving blocks (file writes):
call it off the GUI thread, e.g. with ``asyncio.to_thread``. A ``QImage`` may be saved in
any thread as long as it is not shared while it is written.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from PySide6.QtGui import QImage, QImageWriter

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def save_png(image: QImage, directory: Path, stem: str) -> Path:
    """Write ``image`` as ``<directory>/<stem>.png`` (complete or not at all).

    Raises:
        OSError: the folder cannot be made or the file cannot be written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    name = _UNSAFE.sub("-", stem).strip("-.") or "frame"
    target = directory / f"{name}.png"
    partial = directory / f".{name}.png.part"
    try:
        writer = QImageWriter(str(partial), b"png")
        if not writer.write(image):
            raise OSError(f"The frame could not be written to {directory}: {writer.errorString()}")
        os.replace(partial, target)
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return target
