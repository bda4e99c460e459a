"""Giving the C heap's free memory back (glibc's ``malloc_trim`` and ``mallopt``)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

from veo_desktop.core import heap

glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="malloc_trim and mallopt are glibc's",
)

#: In a fresh interpreter: a 4 MB block freed (glibc's threshold for mapping a block on
#: its own rises to 4 MB), then 3 MB in blocks of 300 KB taken (below the new threshold:
#: from the heap) and freed but for the last (which holds the heap's top): how much of
#: them stays resident.
_RETAINED = """
import ctypes, json, sys
def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096
if sys.argv[1] == "mapped":
    from veo_desktop.core.heap import map_large_blocks
    map_large_blocks()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
big = libc.malloc(4 << 20); ctypes.memset(big, 1, 4 << 20); libc.free(big)
before = rss()
blocks = [libc.malloc(300 << 10) for _ in range(11)]
for block in blocks:
    ctypes.memset(block, 1, 300 << 10)
for block in blocks[:-1]:
    libc.free(block)
print(json.dumps(rss() - before))
"""


def _retained(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _RETAINED, mode], capture_output=True, text=True, check=True
    )
    return int(json.loads(done.stdout))


@glibc
def test_large_blocks_go_back_to_the_system_once_freed() -> None:
    """Mapped on their own, freed large blocks leave the resident memory; left to glibc's
    rising threshold they stay (3 MB here; megabytes a page at 100,000 tasks listed)."""
    assert _retained("mapped") < 1 << 20  # (the last block, held)
    assert _retained("default") > 2 << 20


@glibc
def test_the_c_librarys_trim_answers() -> None:
    libc = heap._libc()
    assert libc is not None
    assert libc.malloc_trim(0) in (0, 1)  # (1: memory was released)
    heap.release_free_heap()


def test_without_glibc_releasing_and_mapping_do_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap.sys, "platform", "darwin")
    heap._libc.cache_clear()
    try:
        assert heap._libc() is None
        heap.release_free_heap()  # (no error)
        heap.map_large_blocks()
    finally:
        heap._libc.cache_clear()
