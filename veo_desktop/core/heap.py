"""Give the C heap's free memory back to the system after a large read (glibc).

A thread that reads tens of thousands of rows (a large library's older tasks) allocates
from the C heap of its own, and what it frees there stays counted in the window's resident
memory: glibc returns it only when asked (``malloc_trim``). Elsewhere (another C library,
another system) this does nothing.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable


@functools.cache
def malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None without one: not Linux, or a C library without it)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # (here: the first large read asks, not the window's start)

    try:
        trim = ctypes.CDLL(None).malloc_trim  # (the process's own C library)
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_heap() -> None:
    """Return the free pages of every C heap of this process to the system (a few ms;
    call it once a large read is over, not in a loop)."""
    trim = malloc_trim()
    if trim is not None:
        trim(0)
