"""Real small and read-only disks for the store's failure tests (tmpfs mounts, as root)."""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


class Disk:
    """A tmpfs of a few hundred KB mounted on :attr:`path`; fill it or make it read-only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fill(self) -> None:
        """Write zeros until the disk is full (ENOSPC)."""
        fd = os.open(self.path / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
        finally:
            os.close(fd)

    def free(self) -> None:
        (self.path / "filler").unlink(missing_ok=True)

    def read_only(self) -> None:
        """Remount read-only (every file on it closed first: a busy remount fails)."""
        gc.collect()
        _run("mount", "-o", "remount,ro", str(self.path))


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Disk]:
    """A real 400 KB disk; skipped where mounting is refused (not root, no tmpfs)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        _run("mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount))
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"cannot mount a small tmpfs here ({error}); needs root")
    try:
        yield Disk(mount)
    finally:
        gc.collect()
        try:
            _run("umount", str(mount))
        except subprocess.CalledProcessError:
            _run("umount", "-l", str(mount))


@pytest.fixture
def immutable() -> Iterator[list[Path]]:
    """Paths made immutable with ``chattr +i`` (even root cannot write them); undone after."""
    paths: list[Path] = []
    yield paths
    for path in paths:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            _run("chattr", "-i", str(path))


def make_immutable(paths: list[Path], path: Path) -> None:
    try:
        _run("chattr", "+i", str(path))
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"chattr +i is refused here ({error}); needs root on ext4/tmpfs")
    paths.append(path)
