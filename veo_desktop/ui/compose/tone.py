"""How an inline message of the composer reads (Qt-free, so the form model can say it)."""

from __future__ import annotations

from enum import Enum


class Tone(Enum):
    """How an inline message reads: a problem to fix, a neutral hint, a warning, a success."""

    PROBLEM = "problem"
    HINT = "hint"
    WARNING = "warning"
    OK = "ok"
