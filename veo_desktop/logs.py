"""Logging for the app and the command line: a rotating file, redaction, Qt's messages.

- :func:`setup_logging` writes to ``veo-desktop.log`` in the log directory (rotated at 2 MB,
  five old files kept) and, on request, to stderr.
- Every handler it installs, and every handler already on the root logger, carries a
  :class:`RedactionFilter`: API keys the app was told about (:func:`register_secret`),
  ``Authorization``/``Bearer`` values, presigned-URL signatures and credentials, and strings
  that look like AWS secret keys never reach a log line, a traceback included.
- :func:`install_qt_message_handler` sends Qt's own messages (``qWarning`` and friends) into
  Python logging under ``qt.*`` loggers; the GUI calls it once its QApplication exists.

Nothing here imports Qt unless the Qt handler is installed, so the command line stays light.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

LOG_FILE_NAME: Final = "veo-desktop.log"
MAX_BYTES: Final = 2 * 1024 * 1024
BACKUP_COUNT: Final = 5
REDACTED: Final = "[REDACTED]"
FILE_FORMAT: Final = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"
CONSOLE_FORMAT: Final = "%(levelname)s %(name)s: %(message)s"

#: Marks the handlers :func:`setup_logging` installed (so it can replace them).
_OURS: Final = "_veo_desktop_handler"

_secrets_lock = threading.Lock()
_secrets: tuple[str, ...] = ()

# -- what is removed -------------------------------------------------------------------------

_VALUE = r"""[^\s'"&,;}\]]+"""
_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    # "Authorization: Bearer x", "'authorization': 'Basic x'", "Authorization=x": the whole value.
    (
        re.compile(r"""(?i)(\b(?:proxy-)?authorization['"]?\s*[:=]\s*['"]?)[^'"\r\n,}]+"""),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(?i)(\bbearer\s+)" + _VALUE), rf"\1{REDACTED}"),
    # Presigned URLs (S3 SigV4, GCS, CloudFront, Azure SAS), as query values or headers.
    (
        re.compile(
            r"""(?i)(\b(?:x-amz-signature|x-amz-credential|x-amz-security-token|"""
            r"""x-goog-signature|x-goog-credential|signature|sig)['"]?\s*[=:]\s*['"]?)""" + _VALUE
        ),
        rf"\1{REDACTED}",
    ),
    # key=value and JSON forms of credentials.
    (
        re.compile(
            r"""(?i)(\b(?:apixo_api_key|x-api-key|api[_-]?key|aws_secret_access_key|"""
            r"""secret[_-]?access[_-]?key|aws_session_token|session[_-]?token|"""
            r"""access[_-]?token|password)['"]?\s*[=:]\s*['"]?)""" + _VALUE
        ),
        rf"\1{REDACTED}",
    ),
    # AWS access key ids.
    (re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b"), REDACTED),
)
#: 40 characters of base64 standing alone: the shape of an AWS secret access key.
_AWS_SECRET: Final = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def _looks_secret(match: re.Match[str]) -> str:
    """Mixed case is what tells a random key from a hex digest or a word."""
    text = match.group(0)
    if any(c.isupper() for c in text) and any(c.islower() for c in text):
        return REDACTED
    return text


def register_secret(secret: str | None) -> None:
    """Remove ``secret`` (an API key, a storage secret) from every log line from now on."""
    if secret is None or not secret.strip():
        return
    global _secrets
    variants = {secret, secret.strip(), quote(secret.strip(), safe="")}
    with _secrets_lock:
        # Longest first, so a key containing another key is removed whole.
        _secrets = tuple(sorted(set(_secrets) | variants, key=len, reverse=True))


def forget_secrets() -> None:
    """Drop every registered secret (tests; the patterns stay)."""
    global _secrets
    with _secrets_lock:
        _secrets = ()


def redact(text: str) -> str:
    """``text`` without registered secrets, credentials or signatures."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _AWS_SECRET.sub(_looks_secret, text)


class RedactionFilter(logging.Filter):
    """Rewrites each record so that no secret survives: message, arguments and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            # Formatters use a record's exc_text as it is once it is set.
            record.exc_text = redact(
                "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            )
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def add_redaction(handler: logging.Handler) -> logging.Handler:
    """Give ``handler`` a :class:`RedactionFilter` (once)."""
    if not any(isinstance(f, RedactionFilter) for f in handler.filters):
        handler.addFilter(RedactionFilter())
    return handler


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
    """Log files (prompts, task ids) are readable by their owner only."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


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
