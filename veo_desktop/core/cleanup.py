"""What the library takes on disk, and what removing tasks frees (no Qt).

The window shows :class:`DiskUse` ("Library: 2.3 GB": the videos folder, the thumbnail
cache and the frames cache) and asks before freeing anything with a :class:`FreePlan`,
whose :meth:`~FreePlan.question` says what will go ("Remove 3 tasks and 41 MB of
videos?"). Removing itself is the engine's ``remove`` (hide the row, kept for spending
history; delete the task's videos, sidecars and partial downloads): :func:`carry_out`
calls it for each task of a plan and measures what really left the disk, for the
sentence said afterwards (:meth:`Freed.text`).

Clean up (:func:`cleanup_plan`) takes failed tasks older than :data:`CLEANUP_AGE_DAYS`
out of the list and deletes what they left, and the files of dismissed tasks; on request,
also the videos of tasks removed from the list earlier with their files kept. A file that
a task staying in the list names is never deleted.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from veo_desktop.core.sidecar import sidecar_path
from veo_desktop.core.video_names import part_path
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import file_key

__all__ = [
    "CLEANUP_AGE_DAYS",
    "FAILED_STATES",
    "DiskUse",
    "FreePlan",
    "Freed",
    "carry_out",
    "cleanup_plan",
    "disk_use",
    "folder_size",
    "removal_plan",
    "size_text",
    "task_files",
]

#: Clean up takes failed tasks out of the list once they are this many days old.
CLEANUP_AGE_DAYS = 7
#: The states Clean up counts as failed.
FAILED_STATES = frozenset({TaskState.FAILED, TaskState.REJECTED, TaskState.EXPIRED, TaskState.LOST})
_DAY = 86_400.0


def size_text(size: int) -> str:
    """A byte count for people (decimal units, as file managers show them): ``41 MB``."""
    if size < 1000:
        return f"{size} bytes" if size != 1 else "1 byte"
    for unit, scale in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12)):
        value = size / scale
        if value < 1000 or unit == "TB":
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def folder_size(folder: Path | None) -> int:
    """The bytes of every file under ``folder`` (0 when it does not exist; links not
    followed)."""
    if folder is None:
        return 0
    total = 0
    stack = [folder]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


@dataclass(frozen=True)
class DiskUse:
    """What the library takes on disk, in bytes.

    Attributes:
        videos: the library folder (videos, their sidecars, partial downloads).
        thumbnails: the thumbnail cache.
        frames: the frames cache (stills taken from videos for the composer).
    """

    videos: int = 0
    thumbnails: int = 0
    frames: int = 0

    @property
    def total(self) -> int:
        return self.videos + self.thumbnails + self.frames

    def text(self) -> str:
        """``Library: 2.3 GB``."""
        return f"Library: {size_text(self.total)}"

    def detail(self) -> str:
        """``Videos 2.2 GB, thumbnails 12 MB, frames cache 3.1 MB``."""
        return (
            f"Videos {size_text(self.videos)}, thumbnails {size_text(self.thumbnails)}, "
            f"frames cache {size_text(self.frames)}"
        )


def disk_use(library: Path | None, thumbnails: Path | None, frames: Path | None) -> DiskUse:
    """Measure the library's folders (reads the disk: run it off the GUI thread)."""
    return DiskUse(folder_size(library), folder_size(thumbnails), folder_size(frames))


def task_files(record: TaskRecord) -> list[Path]:
    """The task's files that exist: its videos, their sidecars and partial downloads."""
    found = []
    for name in dict.fromkeys(record.files):
        video = Path(name)
        for path in (video, sidecar_path(video), part_path(video)):
            if path.is_file():
                found.append(path)
    return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@dataclass(frozen=True)
class FreePlan:
    """Tasks to take out of the list and the files that go with them, measured before.

    Attributes:
        tasks: the local ids of the tasks to remove.
        files: each file to delete and its size.
        shown: how many of ``tasks`` are in the list now (the others are hidden already).
        owners: the local id of the task each of ``files`` goes with (in their order): a
            file of a task that could not be removed stays (see :func:`carry_out`).
    """

    tasks: tuple[str, ...] = ()
    files: tuple[tuple[Path, int], ...] = ()
    shown: int = 0
    owners: tuple[str, ...] = ()

    @property
    def bytes(self) -> int:
        return sum(size for _path, size in self.files)

    @property
    def empty(self) -> bool:
        return not self.tasks and not self.files

    def question(self) -> str:
        """``Remove 3 tasks and 41 MB of videos?`` (or what else it is)."""
        count = self.shown
        tasks = f"{count} task{'s' if count != 1 else ''}"
        if not self.files:
            return f"Remove {tasks} from the list? No files are deleted."
        size = f"{size_text(self.bytes)} of {_kind(self.files)}"
        return f"Remove {tasks} and {size}?" if count else f"Delete {size}?"


def _kind(files: Iterable[tuple[Path, int]]) -> str:
    return "videos" if any(p.suffix.lower() == ".mp4" for p, _ in files) else "files"


def _plan(tasks: Sequence[TaskRecord], keep: Iterable[TaskRecord], *, files: bool) -> FreePlan:
    protected = {str(Path(name)) for record in keep for name in record.files}
    chosen: dict[Path, int] = {}
    owners: dict[Path, str] = {}
    if files:
        for record in tasks:
            for path in task_files(record):
                if str(path) not in protected and str(path.with_suffix("")) not in protected:
                    chosen[path] = _size(path)
                    owners.setdefault(path, record.local_id)
    return FreePlan(
        tuple(record.local_id for record in tasks),
        tuple(chosen.items()),
        sum(1 for record in tasks if not record.hidden),
        tuple(owners[path] for path in chosen),
    )


def keys_kept_by(names: Iterable[object]) -> set[str]:
    """What another task must list to keep a file of ``names`` (videos of the tasks to
    remove): the :func:`~veo_desktop.storage.store.file_key` of each file :func:`_plan`
    counts (a video, its sidecar, its partial download) and of that file with its last
    suffix dropped, which :func:`_plan` also keeps. A library not loaded whole reads the
    tasks listing one of these (``EngineController.tasks_naming``), not every task."""
    keys: set[str] = set()
    for name in names:
        if not isinstance(name, str):  # (another program's list may hold anything)
            continue
        video = Path(name)
        for path in (video, sidecar_path(video), part_path(video)):
            keys.add(file_key(str(path)))
            with contextlib.suppress(ValueError):  # (a name with no last part)
                keys.add(file_key(str(path.with_suffix(""))))
    return keys


def removal_plan(
    tasks: Sequence[TaskRecord], others: Iterable[TaskRecord], *, delete_files: bool
) -> FreePlan:
    """What removing ``tasks`` frees (their files when ``delete_files``), never a file that
    one of ``others`` (the tasks that stay) names."""
    chosen = {record.local_id for record in tasks}
    keep = [record for record in others if record.local_id not in chosen]
    return _plan(tasks, keep, files=delete_files)


def cleanup_plan(
    records: Iterable[TaskRecord],
    *,
    now: float,
    age_days: float = CLEANUP_AGE_DAYS,
    removed_videos: bool = False,
    keep: Iterable[str] = (),
) -> FreePlan:
    """What Clean up would do with ``records`` (every task, hidden ones too).

    Failed tasks created more than ``age_days`` before ``now`` leave the list with their
    files; dismissed tasks (hidden, uncertain) lose theirs. With ``removed_videos``, the
    videos of tasks removed earlier (hidden) with their files kept go too. A task still in
    the list otherwise, and every file it names, stays; so do the tasks of ``keep`` (local
    ids, such as the storyboards' takes, hidden or not) and every file they name.
    """
    everything = list(records)
    kept = set(keep)
    old = now - age_days * _DAY
    chosen = [
        record
        for record in everything
        if record.local_id not in kept
        and (
            (record.state in FAILED_STATES and record.created_at < old)
            or (record.hidden and record.state is TaskState.UNCERTAIN)
            or (removed_videos and record.hidden and record.is_final)
        )
    ]
    picked = {record.local_id for record in chosen}
    staying = [record for record in everything if record.local_id not in picked]
    plan = _plan(chosen, staying, files=True)
    # Hidden tasks are out of the list already: only their files go.
    leaving = tuple(record.local_id for record in chosen if not record.hidden)
    return FreePlan(leaving, plan.files, len(leaving), plan.owners)


@dataclass(frozen=True)
class Freed:
    """What a plan really freed.

    Attributes:
        tasks: how many tasks were removed from the list.
        bytes: the bytes of the plan's files that are gone now.
        failures: what could not be done (one line each).
    """

    tasks: int = 0
    bytes: int = 0
    failures: tuple[str, ...] = field(default_factory=tuple)

    def text(self) -> str:
        """``Removed 3 tasks and freed 41 MB.``"""
        tasks = f"{self.tasks} task{'s' if self.tasks != 1 else ''}"
        if self.bytes:
            done = f"Removed {tasks} and freed {size_text(self.bytes)}."
        else:
            done = f"Removed {tasks}; no files were deleted."
        if self.failures:
            done += " Not done: " + "; ".join(self.failures)
        return done


def carry_out(plan: FreePlan, remove: Callable[[str], None]) -> Freed:
    """Take each task of ``plan`` out of the list with ``remove(local_id)`` (the engine's
    remove, keeping the files), then delete exactly the plan's files, but those of a task
    that could not be removed (it stays in the list, with its video: one that became
    active again meanwhile, say).

    Args:
        plan: what was asked and agreed to.
        remove: hides one task; raises ``OSError``, ``ValueError`` or ``KeyError`` when it
            cannot.
    """
    failures: list[str] = []
    removed = 0
    staying: set[str] = set()
    for local_id in plan.tasks:
        try:
            remove(local_id)
        except (OSError, ValueError, KeyError) as error:
            failures.append(str(error))
            staying.add(local_id)
        else:
            removed += 1
    owners = plan.owners or ("",) * len(plan.files)
    for (path, _size_before), owner in zip(plan.files, owners, strict=True):
        if owner in staying:
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            failures.append(f"{path.name}: {error.strerror or error}")
    gone = sum(size for path, size in plan.files if not path.exists())
    return Freed(removed, gone, tuple(dict.fromkeys(failures)))
