"""Text from outside (a server, a file, an exception), made safe to show or keep.

Two things can make such text harmful once it reaches a log, a terminal, a dialog, the
task store or a file name:

- **control characters**: a newline forges a log line, ESC drives the terminal, a bidi
  override reverses what a person reads. :func:`printable` escapes them visibly
  (``\\n``, ``\\x1b``, ``\\u202e``), so nothing is hidden and nothing is lost;
- **secrets**: a server error message may quote the API key. :func:`redact` removes every
  secret registered with :func:`register_secret` (the API key, storage secrets) and anything
  shaped like a credential (``Authorization`` values, presigned-URL signatures, AWS keys).
  This is the app's one redaction: the log filter (:mod:`veo_desktop.logs`), the task store,
  dialogs and the command line all use it.

Use :func:`safe` (both) for any server-supplied or exception text before it leaves the
process or reaches disk; :func:`printable` where only the characters matter;
:func:`safe_block` for a multi-line text such as a traceback, whose line breaks are kept.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

ELLIPSIS: Final = "\u2026"
REDACTED: Final = "[REDACTED]"
_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: C0 and C1 controls, DEL, the Unicode characters that break or reorder lines (line and
#: paragraph separators, bidi marks, embeddings, overrides and isolates, the BOM), and lone
#: surrogates (no UTF-8 file or terminal can take them: a log line holding one is lost).
UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)

# -- escaping --------------------------------------------------------------------------------


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _clip(text: str, limit: int | None) -> str:
    if limit is not None and len(text) > limit:
        return text[: max(0, limit - 1)] + ELLIPSIS if limit > 0 else ""
    return text


def printable(text: str, limit: int | None = None) -> str:
    """``text`` with every control character escaped, clipped to ``limit`` characters.

    The result holds no character that can start a new line, move a terminal's cursor
    or reorder text; a clipped result ends with an ellipsis.
    """
    if limit is not None and len(text) > 4 * limit:
        text = text[: 4 * limit]  # keep the work bounded; the rest would be clipped anyway
    return _clip(UNSAFE.sub(_escape, text), limit)


def printable_block(text: str, limit: int | None = None) -> str:
    """Like :func:`printable`, but each ``\\n`` stays a line break (a traceback, details).

    ``\\r``, ESC, bidi controls and the other line separators are escaped, so every line
    break in the result is one the text really had.
    """
    if limit is not None and len(text) > 4 * limit:
        text = text[: 4 * limit]
    return _clip("\n".join(UNSAFE.sub(_escape, line) for line in text.split("\n")), limit)


def is_printable(text: str) -> bool:
    """Whether ``text`` holds no character :func:`printable` would escape."""
    return UNSAFE.search(text) is None


# -- redaction -------------------------------------------------------------------------------

_secrets_lock = threading.Lock()
_secrets: tuple[str, ...] = ()

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
    """Remove ``secret`` (an API key, a storage secret) from every redacted text from now on."""
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


# -- both ------------------------------------------------------------------------------------


def redact_all(value: Any) -> Any:
    """``value`` (JSON-like: strings, mappings, lists) with every string and key redacted,
    so no secret reaches a file written from it (sidecars, recipes)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(key)): redact_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_all(item) for item in value]
    return value


def safe(text: str, limit: int | None = None) -> str:
    """``text`` without secrets and with control characters escaped (see module docs)."""
    return printable(redact(text), limit)


def safe_line(text: str, limit: int | None = None) -> str:
    """:func:`safe` on ``text`` folded to one line (line breaks and runs of spaces become
    one space): how an error message or a terminal line quotes outside text."""
    # Secrets go first: a cut before redaction could leave part of a key behind.
    return printable(" ".join(redact(text).split()), limit)


def safe_block(text: str, limit: int | None = None) -> str:
    """``text`` without secrets, control characters escaped but its line breaks kept."""
    return printable_block(redact(text), limit)
