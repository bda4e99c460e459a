"""Text from outside (a server, a file, an exception), made safe to show or keep.

Two things can make such text harmful once it reaches a log, a terminal, a dialog, the
task store or a file name:

- **control characters**: a newline forges a log line, ESC drives the terminal, a bidi
  override reverses what a person reads. :func:`printable` escapes them visibly
  (``\\n``, ``\\x1b``, ``\\u202e``), so nothing is hidden and nothing is lost;
- **secrets**: a server error message may quote the API key. :func:`safe` also removes
  every secret :mod:`veo_desktop.logs` knows (the one redaction of the app).

Use :func:`safe` for any server-supplied or exception text before it leaves the process
or reaches disk; :func:`printable` where only the characters matter.
"""

from __future__ import annotations

import re
from typing import Final

from veo_desktop.logs import redact

ELLIPSIS: Final = "\u2026"
_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: C0 and C1 controls, DEL, and the Unicode characters that break or reorder lines
#: (line/paragraph separators, bidi embeddings, overrides and isolates, the BOM).
_UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, limit: int | None = None) -> str:
    """``text`` with every control character escaped, clipped to ``limit`` characters.

    The result holds no character that can start a new line, move a terminal's cursor
    or reorder text; a clipped result ends with an ellipsis.
    """
    if limit is not None and len(text) > 4 * limit:
        text = text[: 4 * limit]  # each character escapes to at most 6; keep the work bounded
    text = _UNSAFE.sub(_escape, text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + ELLIPSIS
    return text


def safe(text: str, limit: int | None = None) -> str:
    """``text`` without secrets and with control characters escaped (see module docs)."""
    return printable(redact(text), limit)


def is_printable(text: str) -> bool:
    """Whether ``text`` holds no character :func:`printable` would escape."""
    return _UNSAFE.search(text) is None
