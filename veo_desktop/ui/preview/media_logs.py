"""Keeps Qt Multimedia's FFmpeg chatter out of the terminal.

Qt's FFmpeg backend logs at *info* level through ``qt.multimedia.ffmpeg*`` categories:
a version banner, and (``qt.multimedia.ffmpeg.mediadataholder``) FFmpeg's whole
``Input #0, mov,mp4…`` description of every video it opens, printed to stderr on each
preview. Warnings stay on. ``QT_LOGGING_RULES`` is applied after these rules, so a person
debugging playback can still turn the messages back on
(``QT_LOGGING_RULES="qt.multimedia.ffmpeg*.info=true"``).
"""

from __future__ import annotations

from PySide6.QtCore import QLoggingCategory

#: The filter rule: FFmpeg's info-level messages (the "Input #0" block among them) are off.
QUIET_FFMPEG_RULES = "qt.multimedia.ffmpeg*.info=false"


def quiet_ffmpeg_logs() -> None:
    """Turn Qt Multimedia's FFmpeg info messages off for this process (call before playing).

    ``QLoggingCategory.setFilterRules`` replaces rules set by an earlier call of it; nothing
    else in the app sets any.
    """
    QLoggingCategory.setFilterRules(QUIET_FFMPEG_RULES)
