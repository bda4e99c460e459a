"""Give the C heap's free memory back to the system after a large read (glibc).

A thread that reads tens of thousands of rows (a large library's older tasks) allocates
from the C heap of its own, and what it frees there stays counted in the window's resident
memory: glibc returns it only when asked (``malloc_trim``), or, for large blocks, when they
are mapped on their own (:func:`large_blocks_mapped`). Elsewhere (another C library, another
system) this does nothing.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from collections.abc import Iterator
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


#: The thresholds after :func:`large_blocks_mapped` (glibc's own stop moving once one is
#: set): a video's frames (8 MB each at 1080p) come from the heap and are reused, not
#: mapped, zeroed and unmapped at every frame; more than this much free at the heap's top
#: goes back to the system.
_MMAP_AFTER = 16 * 1024 * 1024
_TRIM_AFTER = 16 * 1024 * 1024


#: How many :func:`large_blocks_mapped` are open (in any thread), under its lock.
_mapped = 0
_mapped_lock = threading.Lock()


@contextlib.contextmanager
def large_blocks_mapped() -> Iterator[None]:
    """Inside, have the C library map every block of :data:`LARGE_BLOCK` bytes or more on
    its own (so it goes back to the system when freed); once the last one open in any
    thread closes, trim the heap and set the thresholds for a video's frames (see
    :data:`_MMAP_AFTER`).

    glibc raises its threshold each time a large block is freed: the large tables a large
    library's list reads and builds at each page (the page's rows, its row index, their
    sort keys: megabytes each at 100,000 tasks) then come from the heap, and what they leave
    free there stays resident. Measured with tests/benchmarks/test_library_scale.py at
    100,000 tasks listed: about 9 MB less resident. Only while the list is filled: mapped
    always, a playing video's every frame would be mapped and zeroed anew (8 MB a frame at
    1080p: 2.6 ms instead of 0.3).
    """
    global _mapped
    libc = _libc()
    if libc is None:
        yield
        return
    with _mapped_lock:
        _mapped += 1
        if _mapped == 1:
            libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK)
            libc.mallopt(_M_TRIM_THRESHOLD, LARGE_BLOCK)
    try:
        yield
    finally:
        with _mapped_lock:
            _mapped -= 1
            if _mapped == 0:
                libc.malloc_trim(0)
                libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_AFTER)
                libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_AFTER)


#: The start-up's :func:`large_blocks_mapped` (see :func:`map_large_blocks_while_starting`).
_starting: contextlib.ExitStack | None = None


def map_large_blocks_while_starting() -> None:
    """Map large blocks on their own (:func:`large_blocks_mapped`) from now until
    :func:`started` (the window's start-up reads its library and fills its list: measured,
    3 MB less resident once the session has started with 100,000 tasks)."""
    global _starting
    if _starting is None:
        _starting = contextlib.ExitStack()
        _starting.enter_context(large_blocks_mapped())


def started() -> None:
    """The start-up is over (or gave up): end :func:`map_large_blocks_while_starting`."""
    global _starting
    if _starting is not None:
        stack, _starting = _starting, None
        stack.close()
