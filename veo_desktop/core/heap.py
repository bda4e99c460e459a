"""Give the C heap's free memory back to the system after a large read (glibc).

A thread that reads tens of thousands of rows (a large library's older tasks) allocates
from the C heap of its own, and what it frees there stays counted in the window's resident
memory: glibc returns it only when asked (``malloc_trim``), or, for large blocks, when they
are mapped on their own (:func:`map_large_blocks`). Elsewhere (another C library, another
system) this does nothing.
"""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes


#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks of at least this many bytes are mapped on their own (glibc's first threshold).
LARGE_BLOCK = 128 * 1024


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The process's own C library, if it is glibc (None: not Linux, or another)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # (a millisecond and a half)

    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):
        return None
    return libc


def release_free_heap() -> None:
    """Return the free pages of every C heap of this process to the system (a few ms;
    call it once a large read is over, not in a loop)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def map_large_blocks() -> None:
    """Have the C library map every block of :data:`LARGE_BLOCK` bytes or more on its own,
    and so give it back to the system when it is freed (and trim the heap's top at as
    much).

    glibc starts so, but raises that threshold each time such a block is freed (up to 32
    MB): from then on the large tables a large library's list builds and drops (its row
    index, its rows, their sort keys: megabytes each at 100,000 tasks) come from the heap,
    and what they leave free there stays resident. Measured with
    tests/benchmarks/test_library_scale.py at 100,000 tasks listed: 11 MB less resident, and
    no slower. Call it once, early (``ui.main.run_gui``).
    """
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK)
        libc.mallopt(_M_TRIM_THRESHOLD, LARGE_BLOCK)
