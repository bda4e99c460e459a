"""Import: Veo videos made elsewhere (another machine, an old library) join this library.

A person points at a folder. Every video in it (and its sub-folders) whose settings can be
found, in the sidecar next to it (:mod:`veo_desktop.core.sidecar`) or in the recipe inside
the file (``embedded``: ``veo_desktop.film.recipe.read_recipe``, which this layer cannot
import), becomes a finished task: the video is copied byte for byte into the library under
the library's own name, a sidecar is written beside it, and a record (state ``succeeded``,
the request, ids, times and price as recorded) is handed back to be added to the store.

Nothing is imported twice: a video whose APIXO task id or our task id is already known, or
whose content is the same as a known video's (the same digest), is skipped and reported, as
are files that are not complete videos and videos without settings. The known tasks are
indexed once per import (:class:`_Known`), never searched per video: by their ids (sets), and
by the size of their files, each stat-ed at most once and only when a video needs it (one
without an APIXO id: against every known file; one with a new APIXO id: against the files
of known tasks that have none, the only ones its id cannot tell apart), its digest then
compared with those of the known files of the same size (each read at most once).

:func:`prepare_import` does the blocking work (reading, hashing, copying) and returns the
records; the caller adds them where records are added (``TaskEngine.add_finished`` in the
window, the store in the command line) and calls :func:`discard` for one it could not add.
:func:`import_folder` does both for a caller on one thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from veo_desktop.core.mp4check import video_problem
from veo_desktop.core.sidecar import (
    VIDEO_SUFFIXES,
    EmbeddedReader,
    SidecarError,
    read_sidecar,
    request_from_sidecar,
    sidecar_for,
    sidecar_path,
    write_sidecar,
)
from veo_desktop.core.video_names import unique_path
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import IMPORTED_NOTE, StateChange, TaskRecord
from veo_desktop.safe_text import printable
from veo_desktop.storage.store import StoreError

log = logging.getLogger(__name__)

#: How an imported task's one history entry begins ("Imported from <folder>").
#: At most this many files of a folder are looked at (a mistaken pick of a home folder ends).
MAX_FILES = 20_000
_LOCAL_ID = re.compile(r"[0-9a-f]{32}")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    """A video that was not imported, and why (one sentence)."""

    path: Path
    reason: str
    #: It is already in the library (the same task or the same file).
    duplicate: bool = False


@dataclass
class ImportResult:
    """What an import did: the records of the videos imported, and those skipped."""

    folder: Path
    added: list[TaskRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def duplicates(self) -> list[Skipped]:
        return [s for s in self.skipped if s.duplicate]

    def summary(self) -> str:
        """One line: how many were imported and skipped (and why)."""
        count = len(self.added)
        text = f"Imported {count} video{'' if count == 1 else 's'} from {self.folder.name}"
        if not self.skipped:
            return text + "." if count else f"No Veo videos found in {self.folder.name}."
        duplicates = len(self.duplicates)
        others = len(self.skipped) - duplicates
        parts = []
        if duplicates:
            parts.append(f"{duplicates} already in the library")
        if others:
            parts.append(f"{others} that could not be imported")
        return f"{text}; skipped {' and '.join(parts)}."

    def details(self, limit: int = 50) -> list[str]:
        """One line per skipped video (file name and reason), at most ``limit``."""
        lines = [f"{printable(s.path.name, 120)}: {s.reason}" for s in self.skipped[:limit]]
        if len(self.skipped) > limit:
            lines.append(f"… and {len(self.skipped) - limit} more.")
        return lines


Stat = Callable[[Path], os.stat_result]


class _Facts:
    """The sizes and digests of known files, each stat-ed and read at most once."""

    def __init__(self, stat: Stat) -> None:
        self._stat = stat
        self._sizes: dict[Path, int | None] = {}
        self._digests: dict[Path, str | None] = {}

    def size(self, path: Path) -> int | None:
        if path not in self._sizes:
            try:
                self._sizes[path] = self._stat(path).st_size
            except OSError:
                self._sizes[path] = None
        return self._sizes[path]

    def digest(self, path: Path) -> str | None:
        if path not in self._digests:
            try:
                self._digests[path] = _digest(path)
            except OSError:
                self._digests[path] = None
        return self._digests[path]


class _Contents:
    """Some known files by size, to find a byte-identical copy (indexed when first asked)."""

    def __init__(self, files: list[Path], facts: _Facts) -> None:
        self._files = files
        self._facts = facts
        self._by_size: dict[int, list[Path]] | None = None

    def holds(self, size: int, digest: str) -> bool:
        """Whether one of the files has ``size`` bytes and the content of ``digest``."""
        if self._by_size is None:
            self._by_size = {}
            for path in self._files:
                known = self._facts.size(path)
                if known is not None:
                    self._by_size.setdefault(known, []).append(path)
        return any(self._facts.digest(path) == digest for path in self._by_size.get(size, ()))


@dataclass
class _Known:
    """What the library holds already, to find duplicates (grows as videos are imported)."""

    tasks: list[TaskRecord]
    apixo_ids: set[str]
    local_ids: set[str]
    #: The files of every known task.
    every_file: _Contents
    #: The files of known tasks without an APIXO id (a video's ids cannot tell those apart).
    anonymous_files: _Contents
    #: The digests of the videos this import took.
    digests: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, tasks: Iterable[TaskRecord], stat: Stat = os.stat) -> _Known:
        records = list(tasks)
        files = [(r, Path(name)) for r in records for name in r.files]
        facts = _Facts(stat)
        return cls(
            tasks=records,
            apixo_ids={r.apixo_task_id for r in records if r.apixo_task_id},
            local_ids={r.local_id for r in records},
            every_file=_Contents([path for _, path in files], facts),
            anonymous_files=_Contents([path for r, path in files if not r.apixo_task_id], facts),
        )


def import_folder(
    folder: Path,
    *,
    library_dir: Path,
    known: Iterable[TaskRecord],
    add: Callable[[TaskRecord], object],
    embedded: EmbeddedReader | None = None,
    stat: Stat = os.stat,
) -> ImportResult:
    """Import the videos of ``folder``, adding each record with ``add`` (blocking).

    A record ``add`` refuses (StoreError, ValueError) has its copied files removed and is
    reported skipped. ``stat`` is how the known tasks' files are stat-ed (tests count it).

    Raises:
        OSError: the folder cannot be read, or the library cannot be written.
    """
    result = prepare_import(
        folder, library_dir=library_dir, known=known, embedded=embedded, stat=stat
    )
    return _admit(result, add)


async def import_folder_async(
    folder: Path,
    *,
    library_dir: Path,
    known: Iterable[TaskRecord],
    add: Callable[[TaskRecord], object],
    embedded: EmbeddedReader | None = None,
) -> ImportResult:
    """:func:`import_folder` for the event loop: the files are read and copied in a worker
    thread, and ``add`` is called on the loop's thread (where the engine lives).

    Raises:
        OSError: the folder cannot be read, or the library cannot be written.
    """
    known = list(known)
    result = await asyncio.to_thread(
        prepare_import, folder, library_dir=library_dir, known=known, embedded=embedded
    )
    return _admit(result, add)


def _admit(result: ImportResult, add: Callable[[TaskRecord], object]) -> ImportResult:
    kept: list[TaskRecord] = []
    for number, record in enumerate(result.added):
        try:
            add(record)
        except (StoreError, ValueError) as error:
            discard(record)
            reason = f"it could not be added to the task list: {error}"
            result.skipped.append(Skipped(Path(record.files[0]), reason))
        except BaseException:
            for left in result.added[number:]:  # not added: no file of theirs stays behind
                discard(left)
            raise
        else:
            kept.append(record)
    result.added = kept
    return result


def prepare_import(
    folder: Path,
    *,
    library_dir: Path,
    known: Iterable[TaskRecord],
    embedded: EmbeddedReader | None = None,
    now: float | None = None,
    stat: Stat = os.stat,
) -> ImportResult:
    """Copy the new videos of ``folder`` into ``library_dir`` and return their records (not
    added anywhere yet) with the videos skipped (blocking).

    Raises:
        OSError: the folder cannot be read, or the library cannot be written (the library
            then holds none of this run's copies: each is removed before this is raised).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise OSError(f"{folder} is not a folder.")
    library_dir = Path(library_dir)
    library_dir.mkdir(parents=True, exist_ok=True)
    result = ImportResult(folder=folder)
    try:
        _prepare(result, library_dir, _Known.of(known, stat), embedded, now)
    except BaseException:
        for record in result.added:
            discard(record)
        raise
    return result


def _prepare(
    result: ImportResult,
    library_dir: Path,
    state: _Known,
    embedded: EmbeddedReader | None,
    now: float | None,
) -> None:
    """:func:`prepare_import`'s loop: each new video is copied and its record added to
    ``result`` at once (so a failure part-way knows what to remove)."""
    folder = result.folder
    stamp = time.time() if now is None else now
    taken: set[str] = set()
    for video in _videos(folder, library_dir):
        outcome = _one(video, state, embedded)
        if isinstance(outcome, Skipped):
            result.skipped.append(outcome)
            continue
        data, digest = outcome
        record = _record(data, video, state, stamp, folder)
        target = unique_path(library_dir, record, 0, taken)
        taken.add(str(target))
        _copy(video, target)
        record = record.evolve(files=(str(target),))
        try:
            write_sidecar(record, 0, target)
        except OSError:
            discard(record)
            raise
        result.added.append(record)
        state.tasks.append(record)
        state.local_ids.add(record.local_id)
        if record.apixo_task_id:
            state.apixo_ids.add(record.apixo_task_id)
        state.digests.add(digest)


def discard(record: TaskRecord) -> None:
    """Remove the files :func:`prepare_import` copied for ``record`` (it was not added)."""
    for name in record.files:
        for path in (Path(name), sidecar_path(Path(name))):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def _videos(folder: Path, library_dir: Path) -> Iterator[Path]:
    """The video files under ``folder`` (not hidden, not partial, not in the library)."""
    library = library_dir.resolve()
    seen = 0
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and here / d != library)
        if here.resolve() == library:
            continue
        for name in sorted(files):
            seen += 1
            if seen > MAX_FILES:
                log.warning("import: stopped after %d files in %s", MAX_FILES, folder)
                return
            path = here / name
            if not name.startswith(".") and path.suffix.lower() in VIDEO_SUFFIXES:
                yield path


def _one(
    video: Path, known: _Known, embedded: EmbeddedReader | None
) -> tuple[Mapping[str, Any], str] | Skipped:
    """The settings and digest of ``video``, or why it is skipped."""
    problem = video_problem(video)
    if problem is not None:
        return Skipped(video, f"not a complete video ({problem}).")
    try:
        size = video.stat().st_size
        digest = _digest(video)
    except OSError as error:
        return Skipped(video, f"it cannot be read ({error.strerror or error}).")
    same_file = Skipped(video, "already in the library (the same file).", duplicate=True)
    if digest in known.digests:
        return same_file
    unreadable: Skipped | None = None
    try:
        data = _settings(video, embedded)
    except (SidecarError, ValueError) as error:
        data, unreadable = None, Skipped(video, str(error))
    except OSError as error:
        data, unreadable = None, Skipped(video, f"it cannot be read ({error.strerror or error}).")
    apixo_id = None if data is None else _text(data.get("apixo_task_id"))
    local_id = None if data is None else _text(data.get("local_task_id"))
    if apixo_id is not None and apixo_id in known.apixo_ids:
        return Skipped(video, "already in the library (the same APIXO task).", duplicate=True)
    if local_id is not None and local_id in known.local_ids:
        return Skipped(video, "already in the library (the same task).", duplicate=True)
    # Its ids are new (or it has none): the same bytes may still be a known task's file.
    # An APIXO id names one task everywhere, so a video with a new one can only be the
    # file of a known task that has none; our ids are per machine and vouch for nothing.
    files = known.every_file if apixo_id is None else known.anonymous_files
    if files.holds(size, digest):
        return same_file
    if unreadable is not None:
        return unreadable
    if data is None:
        return Skipped(video, "no settings: no .json next to it and no recipe inside it.")
    try:
        request_from_sidecar(data)
    except SidecarError as error:
        return Skipped(video, str(error))
    return data, digest


def _settings(video: Path, embedded: EmbeddedReader | None) -> Mapping[str, Any] | None:
    side = sidecar_for(video)
    if side is not None:
        return read_sidecar(side)
    return embedded(video) if embedded is not None else None


def _record(
    data: Mapping[str, Any], video: Path, known: _Known, now: float, folder: Path
) -> TaskRecord:
    request = request_from_sidecar(data)
    local_id = _text(data.get("local_task_id"))
    if local_id is None or not _LOCAL_ID.fullmatch(local_id) or local_id in known.local_ids:
        local_id = uuid.uuid4().hex
    parent = _text(data.get("parent_local_task_id"))
    created = _when(data.get("created_at"))
    if created is None:
        created = video.stat().st_mtime
    url = _text(data.get("result_url"))
    note = f"{IMPORTED_NOTE} {printable(str(folder), 300)}"
    return TaskRecord(
        local_id=local_id,
        model=str(request.model),
        request=request.to_payload(),
        state=TaskState.SUCCEEDED,
        created_at=created,
        updated_at=now,
        apixo_task_id=_text(data.get("apixo_task_id")),
        parent_id=parent if parent in known.local_ids else None,
        api_create_time=_int(data.get("api_create_time")),
        api_complete_time=_int(data.get("api_complete_time")),
        api_cost_time=_int(data.get("api_cost_time_ms")),
        result_urls=(url,) if url is not None and url.startswith("https://") else (),
        price=_price(data.get("price_usd")),
        history=(StateChange(now, TaskState.SUCCEEDED, note),),
        results_at=None,
    )


def _copy(source: Path, target: Path) -> None:
    partial = target.with_name(f".{target.name}.part")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= 200 else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _price(value: object) -> Decimal:
    try:
        price = Decimal(str(value)) if isinstance(value, str | int) else Decimal("0")
    except InvalidOperation:
        return Decimal("0")
    return price if price.is_finite() and Decimal("0") <= price < Decimal("1000") else Decimal("0")


def _when(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return None
