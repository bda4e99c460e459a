"""Giving the C heap's free memory back after a large read (glibc's ``malloc_trim``)."""

from __future__ import annotations

import platform
import sys

import pytest

from veo_desktop.core import heap


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="malloc_trim is glibc's",
)
def test_the_c_librarys_trim_is_found_and_answers() -> None:
    trim = heap.malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)  # (1: memory was released)
    heap.release_free_heap()


def test_without_a_trim_releasing_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap.sys, "platform", "darwin")
    heap.malloc_trim.cache_clear()
    try:
        assert heap.malloc_trim() is None
        heap.release_free_heap()  # (no error)
    finally:
        heap.malloc_trim.cache_clear()
