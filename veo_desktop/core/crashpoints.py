"""Named points where the crash-safety tests kill the process (SIGKILL).

``VEO_DESKTOP_TEST_KILL_POINT=<name>:<n>`` kills the process the ``n``-th time it passes
the point ``name`` (``n`` defaults to 1). Without the variable, :func:`crash_point` is a
dictionary lookup that does nothing. Only tests set it.
"""

from __future__ import annotations

import os
import signal

KILL_POINT_ENV = "VEO_DESKTOP_TEST_KILL_POINT"


def _parse(spec: str | None) -> tuple[str, int] | None:
    if not spec:
        return None
    name, _, count = spec.partition(":")
    try:
        return name.strip(), max(1, int(count or "1"))
    except ValueError:
        return name.strip(), 1


_TARGET = _parse(os.environ.get(KILL_POINT_ENV))
_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here, without any cleanup, when a test asked for it."""
    if _TARGET is None or _TARGET[0] != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= _TARGET[1]:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
