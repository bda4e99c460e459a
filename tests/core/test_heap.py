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
#: them stays resident ("inside" large_blocks_mapped, or not). Then 8 MB blocks, 1080p video
#: frames, taken and freed one after another: how much stays for the next frame.
_RETAINED = """
import contextlib, ctypes, json, sys
from veo_desktop.core import heap
from veo_desktop.core.heap import large_blocks_mapped
def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
def take(size):
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    return block
libc.free(take(4 << 20))
mode = sys.argv[1]
if mode == "starting":
    heap.map_large_blocks_while_starting()
def scope(wanted):
    return large_blocks_mapped() if mode == wanted else contextlib.nullcontext()
with scope("nested"):
    with scope("nested"):
        pass  # (nested: the outer one still maps large blocks after this one closed)
    with scope("inside"):
        before = rss()
        blocks = [take(300 << 10) for _ in range(11)]
        for block in blocks[:-1]:
            libc.free(block)
        kept = rss() - before
if mode == "starting":
    heap.started()
before = rss()
libc.free(take(8 << 20))  # (glibc's own threshold grows to a frame's size here)
libc.free(take(8 << 20))
frames = rss() - before
before = rss()
many = [take(1 << 20) for _ in range(40)]
for block in many:
    libc.free(block)
print(json.dumps([kept, frames, rss() - before]))
"""


def _retained(mode: str) -> list[int]:
    done = subprocess.run(
        [sys.executable, "-c", _RETAINED, mode], capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout))


@glibc
@pytest.mark.parametrize("mode", ["inside", "nested", "starting"])
def test_large_blocks_go_back_to_the_system_while_the_list_is_filled(mode: str) -> None:
    """Mapped on their own, freed large blocks leave the resident memory (in a scope, in a
    scope left open around a closed one, and while the window starts); left to glibc's
    rising threshold they stay (3 MB here; megabytes a page at 100,000 tasks listed)."""
    assert _retained(mode)[0] < 1 << 20  # (the last block, held)
    assert _retained("outside")[0] > 2 << 20


@glibc
@pytest.mark.parametrize("mode", ["inside", "starting", "outside"])
def test_afterwards_a_video_frame_is_kept_for_the_next_and_no_more(mode: str) -> None:
    """A playing video takes and frees a frame's 8 MB many times a second: after the list
    was filled (or the window started), as before, that memory stays for the next frame
    (not mapped anew); but 40 MB freed do not stay."""
    _kept, frames, freed = _retained(mode)
    assert frames > 7 << 20
    assert freed < 20 << 20


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
        with heap.large_blocks_mapped():
            pass
    finally:
        heap._libc.cache_clear()


def test_the_collectors_resumption_ends_the_start_ups_mapping() -> None:
    """The window's start maps large blocks until its session has started: the same moment
    the collector resumes (``app_loop.resume_gc``, also on a deadline and at closing)."""
    from veo_desktop.ui import app_loop

    heap.map_large_blocks_while_starting()
    assert heap._starting is not None
    app_loop.resume_gc()
    assert heap._starting is None
    app_loop.resume_gc()  # (again: nothing to end)
