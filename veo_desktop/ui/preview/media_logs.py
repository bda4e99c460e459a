"""Keeps Qt Multimedia's FFmpeg chatter out of the terminal: its info messages
(:func:`quiet_ffmpeg_logs`) and FFmpeg's own error lines (:func:`quiet_ffmpeg_errors`).

Qt's FFmpeg backend logs at *info* level through ``qt.multimedia.ffmpeg*`` categories:
a version banner, and (``qt.multimedia.ffmpeg.mediadataholder``) FFmpeg's whole
``Input #0, mov,mp4…`` description of every video it opens, printed to stderr on each
preview. Warnings stay on. ``QT_LOGGING_RULES`` is applied after these rules, so a person
debugging playback can still turn the messages back on
(``QT_LOGGING_RULES="qt.multimedia.ffmpeg*.info=true"``).
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QLoggingCategory

log = logging.getLogger(__name__)

#: The filter rule: FFmpeg's info-level messages (the "Input #0" block among them) are off.
QUIET_FFMPEG_RULES = "qt.multimedia.ffmpeg*.info=false"


def quiet_ffmpeg_logs() -> None:
    """Turn Qt Multimedia's FFmpeg info messages off for this process (call before playing).

    ``QLoggingCategory.setFilterRules`` replaces rules set by an earlier call of it; nothing
    else in the app sets any.
    """
    QLoggingCategory.setFilterRules(QUIET_FFMPEG_RULES)


#: FFmpeg's ``AV_LOG_QUIET``: its own log prints nothing.
_AV_LOG_QUIET = -8
_quieted = False


def quiet_ffmpeg_errors() -> None:
    """Keep FFmpeg's own error lines out of the terminal, once Qt has loaded its FFmpeg
    (call after making a ``QMediaPlayer``; later calls do nothing).

    Playing a damaged clip makes FFmpeg print "[h264 @ 0x…] Invalid NAL unit size" and
    "[mov,mp4…] Packet corrupt" to stderr through its default log, which Qt does not take
    over (unless ``QT_FFMPEG_DEBUG`` is set, or ``QT_LOGGING_RULES`` names FFmpeg: a person
    debugging playback then sees everything). What the person
    needs to know reaches them as the player's error. The FFmpeg that Qt loaded is the one
    told: it is looked up among the loaded libraries only (``RTLD_NOLOAD``, or
    ``GetModuleHandle`` on Windows), never loaded here.
    """
    global _quieted
    asked = os.environ.get("QT_FFMPEG_DEBUG") or "ffmpeg" in os.environ.get("QT_LOGGING_RULES", "")
    if _quieted or asked:
        return
    library = _loaded_qt_avutil()
    if library is None:
        return
    try:
        library.av_log_set_level(_AV_LOG_QUIET)
    except (AttributeError, OSError) as error:
        log.debug("FFmpeg's log level could not be set: %s", error)
        return
    _quieted = True


def _loaded_qt_avutil() -> ctypes.CDLL | None:
    """Qt Multimedia's ``avutil`` library if it is loaded in this process (else None)."""
    import PySide6

    root = Path(PySide6.__file__).resolve().parent
    if sys.platform == "win32":
        kernel = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined,unused-ignore]
        for path in sorted(root.glob("avutil-*.dll")):
            handle = kernel.GetModuleHandleW(str(path))
            if handle:
                return ctypes.CDLL(str(path), handle=handle)
        return None
    patterns = ("libavutil.*.dylib",) if sys.platform == "darwin" else ("libavutil.so.*",)
    for pattern in patterns:
        for path in sorted((root / "Qt" / "lib").glob(pattern)):
            try:
                return ctypes.CDLL(str(path), mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
            except OSError:
                continue
    return None
