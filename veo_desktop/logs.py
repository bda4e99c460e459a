"""Logging for the app and the command line: a rotating file, redaction, Qt's messages.

- :func:`setup_logging` writes to ``veo-desktop.log`` in the log directory (rotated at 2 MB,
  five old files kept) and, on request, to stderr.
- Every handler it installs, and every handler already on the root logger, carries a
  :class:`RedactionFilter`: API keys the app was told about (:func:`register_secret`),
  ``Authorization``/``Bearer`` values, presigned-URL signatures and credentials, and strings
  that look like AWS secret keys never reach a log line, a traceback included; control
  characters are escaped, so a server's text cannot forge a line or drive a terminal. The
  redaction itself lives in :mod:`veo_desktop.safe_text` (re-exported here).
- :func:`install_qt_message_handler` sends Qt's own messages (``qWarning`` and friends) into
  Python logging under ``qt.*`` loggers; the GUI calls it once its QApplication exists.
- :func:`quiet_ffmpeg` keeps the FFmpeg inside PyAV from printing (every use of PyAV calls it
  first).

Nothing here imports Qt unless the Qt handler is installed, so the command line stays light.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

from veo_desktop.safe_text import REDACTED as REDACTED
from veo_desktop.safe_text import forget_secrets as forget_secrets
from veo_desktop.safe_text import redact as redact
from veo_desktop.safe_text import register_secret as register_secret
from veo_desktop.safe_text import safe, safe_block, safe_line

LOG_FILE_NAME: Final = "veo-desktop.log"
MAX_BYTES: Final = 2 * 1024 * 1024
BACKUP_COUNT: Final = 5
#: The longest message a log record keeps (a 200,000-character task id is clipped).
MESSAGE_LIMIT: Final = 20_000
#: The longest traceback or stack a log record keeps.
TRACEBACK_LIMIT: Final = 200_000
#: What starts every line of a traceback or stack in a log, so that none reads as a record.
CONTINUATION: Final = "| "
FILE_FORMAT: Final = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"
CONSOLE_FORMAT: Final = "%(levelname)s %(name)s: %(message)s"

#: Marks the handlers :func:`setup_logging` installed (so it can replace them).
_OURS: Final = "_veo_desktop_handler"


class RedactionFilter(logging.Filter):
    """Makes each record safe to write: no secret, no control character, no forged line.

    The message (with its arguments filled in) goes through :func:`safe_text.safe
    <veo_desktop.safe_text.safe>`: secrets removed, control characters escaped, so one
    record is one line. A traceback or stack keeps its line breaks (it would be unreadable
    without them), has every other control character escaped, and every one of its lines
    starts with :data:`CONTINUATION`: an exception message quoting ``"\\n2026-01-01
    CRITICAL ..."`` cannot pass for a record of its own, and a reader (or a grep for
    ``^20``) still finds every record's first line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _CLEAN, False):
            return True  # another handler's filter already did it
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = safe(message, MESSAGE_LIMIT)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            # Formatters use a record's exc_text as it is once it is set.
            record.exc_text = _block("".join(traceback.format_exception(*record.exc_info)))
        elif record.exc_text:
            record.exc_text = _block(record.exc_text)
        if record.stack_info:
            record.stack_info = _block(record.stack_info)
        setattr(record, _CLEAN, True)
        return True


_CLEAN: Final = "_veo_desktop_clean"


def _block(text: str) -> str:
    """A traceback or stack, safe and with every line marked as a continuation."""
    lines = safe_block(text.rstrip("\n"), TRACEBACK_LIMIT).split("\n")
    return "\n".join(CONTINUATION + line for line in lines)


def add_redaction(handler: logging.Handler) -> logging.Handler:
    """Give ``handler`` a :class:`RedactionFilter` (once)."""
    if not any(isinstance(f, RedactionFilter) for f in handler.filters):
        handler.addFilter(RedactionFilter())
    return handler


# Before (or without) setup_logging, Python writes WARNING and above to stderr through its
# last-resort handler: that text is made safe too.
if logging.lastResort is not None:
    add_redaction(logging.lastResort)

#: Handlers we did not install but gave a filter; :func:`teardown_logging` takes it back.
_filtered_elsewhere: list[logging.Handler] = []


# -- setup -----------------------------------------------------------------------------------


def log_file_path(log_dir: Path) -> Path:
    return Path(log_dir) / LOG_FILE_NAME


def current_log_file() -> Path | None:
    """The file the app is logging to, if :func:`setup_logging` was given a directory."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, _OURS, False) and isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def setup_logging(
    log_dir: Path | None,
    *,
    level: int = logging.INFO,
    console: bool = False,
    console_level: int = logging.WARNING,
    secrets: Iterable[str | None] = (),
    max_bytes: int = MAX_BYTES,
    backup_count: int = BACKUP_COUNT,
) -> Path | None:
    """Configure the root logger; safe to call again (replaces what it installed before).

    Args:
        log_dir: where ``veo-desktop.log`` goes (created, private to the user); None: no file.
        level: the file's level.
        console: also log to stderr (the command line's ``--verbose``).
        console_level: the stderr handler's level.
        secrets: API keys to remove from every line (see :func:`register_secret`).
        max_bytes: the size at which the file is rotated.
        backup_count: how many rotated files are kept.

    Returns:
        The log file, or None without ``log_dir``.

    Raises:
        OSError: the log directory cannot be created or written.
    """
    for secret in secrets:
        register_secret(secret)
    root = logging.getLogger()
    teardown_logging()
    path: Path | None = None
    if log_dir is not None:
        path = log_file_path(log_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = _PrivateRotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
        )
        handler.setLevel(level)
        handler.setFormatter(logging.Formatter(FILE_FORMAT))
        _install(root, handler)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(console_level)
        stream.setFormatter(logging.Formatter(CONSOLE_FORMAT))
        _install(root, stream)
    if path is None and not console:
        # Nowhere to write: drop records rather than let Python's last resort print them
        # (tracebacks included) to the person's terminal.
        _install(root, logging.NullHandler())
    wanted = ([level] if path else []) + ([console_level] if console else [])
    if wanted:
        root.setLevel(min(wanted))
    for existing in root.handlers:
        if not getattr(existing, _OURS, False) and not _has_redaction(existing):
            _filtered_elsewhere.append(existing)
        add_redaction(existing)
    # Chatty libraries stay quiet unless something is wrong.
    if level > logging.DEBUG:
        for name in ("httpx", "httpcore", "aiohttp.access"):
            logging.getLogger(name).setLevel(logging.WARNING)
    return path


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files (prompts, task ids) are readable by their owner only.

    A record the file cannot take (a full disk, a removed drive) is dropped: Python's
    default prints a traceback to stderr for every one, which reaches the person. One
    plain line says so instead, once until a record is written again.
    """

    #: The last record could not be written (set by handleError during emit).
    _failed = False
    #: The person was told the file cannot be written (until a record is written again).
    _told = False

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        self._failed = False
        super().emit(record)
        if not self._failed:
            self._told = False

    def close(self) -> None:
        # What the file could not take on closing (a full disk) is lost; closing goes on.
        with contextlib.suppress(OSError):
            super().close()

    def handleError(self, record: logging.LogRecord) -> None:
        self._failed = True
        if self._told:
            return
        self._told = True
        error = sys.exc_info()[1]
        reason = getattr(error, "strerror", None) or type(error).__name__
        with contextlib.suppress(Exception):
            sys.stderr.write(
                f"veo-desktop: the log file {safe_line(self.baseFilename)} cannot be written "
                f"({safe_line(str(reason))}); log lines are dropped until it can.\n"
            )


def teardown_logging() -> None:
    """Remove and close the handlers :func:`setup_logging` installed (and its filters)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OURS, False):
            root.removeHandler(handler)
            handler.close()
    while _filtered_elsewhere:
        handler = _filtered_elsewhere.pop()
        for item in [f for f in handler.filters if isinstance(f, RedactionFilter)]:
            handler.removeFilter(item)


def _has_redaction(handler: logging.Handler) -> bool:
    return any(isinstance(f, RedactionFilter) for f in handler.filters)


def _install(root: logging.Logger, handler: logging.Handler) -> None:
    setattr(handler, _OURS, True)
    add_redaction(handler)
    root.addHandler(handler)


# -- Qt's messages ---------------------------------------------------------------------------

#: Harmless messages QtMultimedia prints on machines without audio or GPU video decoding.
QT_NOISE: Final = (
    "pipewire",
    "va-api",
    "vaapi",
    "libva",
    "pulseaudio",
    "no audio device detected",
    "qt.multimedia.ffmpeg.libsymbolsresolver",
    "propagatesizehints",
)

_qt_previous: list[Any] = []


def qt_logger_name(category: str | None) -> str:
    """``qt.multimedia.ffmpeg`` stays as it is; Qt's ``default`` category becomes ``qt``."""
    if not category or category == "default":
        return "qt"
    return category if category == "qt" or category.startswith("qt.") else f"qt.{category}"


def install_qt_message_handler() -> None:
    """Route Qt's messages into Python logging (``qt.*`` loggers). Idempotent.

    Known harmless QtMultimedia chatter (audio and hardware decoding probes) is logged at
    DEBUG so the log stays readable.
    """
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handle(kind: QtMsgType, context: Any, message: str) -> None:
        category = getattr(context, "category", None)
        level = levels.get(kind, logging.WARNING)
        text = str(message)
        folded = f"{category} {text}".lower()
        if level <= logging.WARNING and any(noise in folded for noise in QT_NOISE):
            level = logging.DEBUG
        logger = logging.getLogger(qt_logger_name(category))
        if logger.isEnabledFor(level):
            where = ""
            if getattr(context, "file", None):
                where = f" ({context.file}:{context.line}, {context.function})"
            logger.log(level, "%s%s", text, where)

    if _qt_previous:
        return
    _qt_previous.append(qInstallMessageHandler(handle))


def uninstall_qt_message_handler() -> None:
    """Give Qt its previous message handler back."""
    if not _qt_previous:
        return
    from PySide6.QtCore import qInstallMessageHandler

    previous: Callable[..., None] | None = _qt_previous.pop()
    qInstallMessageHandler(previous)


#: FFmpeg's ``AV_LOG_QUIET``: it prints nothing.
_AV_LOG_QUIET: Final = -8
_ffmpeg_quiet = False


def quiet_ffmpeg() -> None:
    """Keep the FFmpeg inside PyAV from printing anything; only the first call acts.

    PyAV could hand FFmpeg's messages to Python logging (``av.logging.set_level``), but its
    callback takes the GIL from FFmpeg's own threads: a codec thread that logs while the
    thread driving the codec holds the GIL (closing it, joining its threads) waits for it
    forever, and so does every Python thread (PyAV issue 751; a cancelled film render hung
    that way on a busy machine). So PyAV's callback stays off, as PyAV starts, and FFmpeg's
    own level is quiet: nothing reaches the terminal, and what fails still raises PyAV's
    error, with FFmpeg's reason in it.
    """
    global _ffmpeg_quiet
    if _ffmpeg_quiet:
        return
    import av.logging  # (PyAV, ~50 ms: imported by whoever decodes first)

    av.logging.set_level(None)
    av.logging.set_libav_level(_AV_LOG_QUIET)
    _ffmpeg_quiet = True
