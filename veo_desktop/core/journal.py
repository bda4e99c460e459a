"""The accepted-ids journal: APIXO task ids kept on disk when the task store cannot take them.

APIXO charges for a task the moment it answers with its task id. The engine commits that
id to the store at once; should the store fail right then (a full disk, an I/O error), the
id must still survive the process. So the engine first appends it, fsynced, to this small
file beside the store (``tasks.sqlite3.accepted``): one JSON line per id,
``{"local_id", "apixo_task_id", "model", "at"}``. The next start replays it before it
recovers interrupted submissions, and clears it once the store holds every id durably.

A full disk is the likely reason the store fails, so the file keeps a reserve: at start it
is given :data:`RESERVE_BYTES` of zeros, and lines are written over those zeros, which
needs no new space. A reader stops at the first zero byte and skips a torn last line.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from veo_desktop.core.fsutil import fsync_dir
from veo_desktop.safe_text import printable

log = logging.getLogger(__name__)

JOURNAL_SUFFIX = ".accepted"
#: Room for a few hundred ids written without new disk space.
RESERVE_BYTES = 64 * 1024
#: A line longer than this is not one the engine wrote.
_MAX_LINE = 4096


class IdSafety(Enum):
    """Where an accepted task's APIXO id is kept (what a crash now would lose)."""

    #: In the task store, durably (or the task has no APIXO id, so nothing to lose).
    STORED = "stored"
    #: Only in the accepted-ids journal beside the store; the next start reconciles it.
    JOURNALED = "journaled"
    #: In memory only: nothing could be written. The person must be told the id loudly.
    UNSAVED = "unsaved"
    #: Only in the journal, and no task row takes it (the store was replaced): the person
    #: must look it up at APIXO. Never returned by ``TaskEngine.id_safety`` (no task has it).
    ORPHANED = "orphaned"


@dataclass(frozen=True)
class AcceptedId:
    """One journal line: APIXO accepted local task ``local_id`` as ``apixo_task_id``."""

    local_id: str
    apixo_task_id: str
    model: str
    at: float

    def to_line(self) -> bytes:
        data = {
            "local_id": self.local_id,
            "apixo_task_id": self.apixo_task_id,
            "model": self.model,
            "at": self.at,
        }
        return (json.dumps(data, ensure_ascii=True, separators=(",", ":")) + "\n").encode()

    @classmethod
    def from_line(cls, line: bytes) -> AcceptedId | None:
        """The entry on ``line``, or None for a torn or foreign line."""
        if len(line) > _MAX_LINE:
            return None
        try:
            data = json.loads(line)
            entry = cls(
                local_id=data["local_id"],
                apixo_task_id=data["apixo_task_id"],
                model=data["model"],
                at=float(data["at"]),
            )
        except (ValueError, TypeError, KeyError):
            return None
        if not all(isinstance(v, str) and v for v in (entry.local_id, entry.apixo_task_id)):
            return None
        return entry if isinstance(entry.model, str) else None


class AcceptedJournal:
    """The append-only journal at ``path`` (see the module docs).

    Not thread-safe: the engine uses it from the event loop's thread.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def beside(cls, store_path: Path) -> AcceptedJournal:
        """The journal of the store at ``store_path``."""
        store_path = Path(store_path)
        return cls(store_path.with_name(store_path.name + JOURNAL_SUFFIX))

    def __repr__(self) -> str:
        return f"AcceptedJournal({str(self.path)!r})"

    def reserve(self) -> None:
        """Make sure the file holds :data:`RESERVE_BYTES` of writable room (best effort)."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        except OSError as error:
            log.warning("cannot create the accepted-ids journal %s: %s", self.path, error)
            return
        try:
            with os.fdopen(fd, "r+b") as handle:
                size = os.fstat(fd).st_size
                if size < RESERVE_BYTES:
                    if hasattr(os, "posix_fallocate"):
                        os.posix_fallocate(fd, 0, RESERVE_BYTES)
                    else:  # pragma: no cover - Windows and macOS
                        handle.seek(size)
                        handle.write(b"\0" * (RESERVE_BYTES - size))
                        handle.flush()
                    os.fsync(fd)
                    if size == 0:
                        fsync_dir(self.path.parent)
        except OSError as error:
            log.warning("cannot reserve room in the accepted-ids journal: %s", error)

    def append(self, entry: AcceptedId) -> int:
        """Write ``entry`` and fsync it before returning; the bytes the entries now take.

        Raises:
            OSError: nothing could be written (the entry is not in the journal).
        """
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "r+b") as handle:
            data = handle.read()
            end = _content_end(data)
            line = entry.to_line()
            if end and data[end - 1 : end] != b"\n":
                line = b"\n" + line  # after a torn line
            handle.seek(end)
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        if created:
            fsync_dir(self.path.parent)
        return end + len(line)

    def entries(self) -> list[AcceptedId]:
        """Every readable entry, oldest first (an unreadable line is logged and skipped)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as error:
            log.error(  # noqa: TRY400 - the message says it all
                "cannot read the accepted-ids journal %s: %s", self.path, error
            )
            return []
        found: list[AcceptedId] = []
        for line in data[: _content_end(data)].splitlines():
            if not line.strip():
                continue
            entry = AcceptedId.from_line(line)
            if entry is None:
                log.warning(
                    "skipped an unreadable line of %s: %s",
                    self.path.name,
                    printable(line.decode("utf-8", "replace"), 200),
                )
            else:
                found.append(entry)
        return found

    def retain(self, keep: Callable[[AcceptedId], bool]) -> bool:
        """Keep only the entries ``keep`` accepts (the rest are in the store), in place.

        The kept lines are rewritten from the start of the file and the rest of the old
        content is zeroed, so the reserved room is kept and no new space is needed.

        Returns:
            False when the file could not be rewritten (it is then left as it was).
        """
        entries = self.entries()
        kept = [entry for entry in entries if keep(entry)]
        if len(kept) == len(entries) and self.size() == len(b"".join(e.to_line() for e in kept)):
            return True
        try:
            with self.path.open("r+b") as handle:
                end = _content_end(handle.read())
                lines = b"".join(entry.to_line() for entry in kept)
                handle.seek(0)
                handle.write(lines + b"\0" * max(0, end - len(lines)))
                handle.flush()
                os.fsync(handle.fileno())
        except FileNotFoundError:
            return True
        except OSError as error:
            log.warning("cannot rewrite the accepted-ids journal: %s", error)
            return False
        return True

    def clear(self) -> bool:
        """Forget every entry, keeping the reserved room (False when that failed)."""
        return self.retain(lambda _: False)

    def size(self) -> int:
        """How many bytes the entries take (0 when there is no journal)."""
        try:
            return _content_end(self.path.read_bytes())
        except OSError:
            return 0


def _content_end(data: bytes) -> int:
    end = data.find(b"\0")
    return len(data) if end < 0 else end
