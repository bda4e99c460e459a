"""The batch journal: a small JSON file per batch, the runner's durable memory.

Before an item is handed to the engine, the journal records that it is being sent (and
which identical requests already existed); the engine's row, written before its POST, is
linked to the item as soon as it appears. Every change is written atomically. Running the
same requests again finds the same journal (its name comes from the content), so a repeated
command resumes the batch instead of paying for it twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veo_desktop.api.models import request_from_payload
from veo_desktop.core.batch.items import BatchItem
from veo_desktop.core.fsutil import atomic_write_text

log = logging.getLogger(__name__)

JOURNAL_VERSION = 1
JOURNAL_KIND = "veo-desktop-batch"
JOURNAL_DIR_NAME = "batches"


class BatchJournalError(RuntimeError):
    """The journal file is damaged or belongs to another batch."""


@dataclass
class JournalEntry:
    """An item the runner started sending.

    Attributes:
        local_id: the engine row the item got (its latest, after resubmissions).
        known: rows with the same request that existed before it was sent (not its own).
    """

    local_id: str | None = None
    known: list[str] = field(default_factory=list)


def journal_dir(data_dir: Path) -> Path:
    """Where batch journals live (next to the task store)."""
    return Path(data_dir) / JOURNAL_DIR_NAME


def batch_key(items: Sequence[BatchItem]) -> str:
    """A name for the batch from its content (the same requests give the same key)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(item.key.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:24]


def journal_path(directory: Path, items: Sequence[BatchItem]) -> Path:
    """The journal of the batch made of ``items`` in ``directory``.

    Running the same file again finds its journal, so a repeated command resumes (or
    reports) the batch instead of paying for it twice.
    """
    return Path(directory) / f"batch-{batch_key(items)}.json"


class BatchJournal:
    """The runner's durable memory: which items were (being) sent, and their rows.

    Every change is written atomically (a reader sees the old file or the new one).
    """

    def __init__(
        self,
        path: Path | None,
        items: Sequence[BatchItem],
        *,
        source: str = "",
        created_at: float | None = None,
        entries: dict[int, JournalEntry] | None = None,
        finished: bool = False,
    ) -> None:
        #: None keeps the journal in memory only (nothing survives the process).
        self.path = None if path is None else Path(path)
        self.items = list(items)
        self.source = source
        self.created_at = time.time() if created_at is None else created_at
        self.entries: dict[int, JournalEntry] = entries or {}
        self.finished = finished
        self.key = batch_key(self.items)

    @classmethod
    def open(cls, path: Path, items: Sequence[BatchItem], *, source: str = "") -> BatchJournal:
        """Load the journal at ``path``, or start a new one (not written until a change).

        Raises:
            BatchJournalError: the file exists but is damaged or belongs to another batch.
        """
        path = Path(path)
        if not path.exists():
            return cls(path, items, source=source)
        journal = cls.load(path)
        if journal.key != batch_key(items):
            raise BatchJournalError(f"The batch journal {path} belongs to a different batch.")
        return journal

    @classmethod
    def load(cls, path: Path) -> BatchJournal:
        """Read a journal, items included (for resuming a batch without its file).

        Raises:
            BatchJournalError: missing, damaged, or not a batch journal.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise BatchJournalError(f"Cannot read the batch journal {path}: {error}") from error
        if (
            not isinstance(data, dict)
            or data.get("kind") != JOURNAL_KIND
            or data.get("version") != JOURNAL_VERSION
        ):
            raise BatchJournalError(f"{path} is not a Veo Desktop batch journal.")
        try:
            items = [
                BatchItem(int(raw["line"]), request_from_payload(raw["model"], raw["request"]))
                for raw in data["items"]
            ]
            entries = {
                int(index): JournalEntry(
                    local_id=raw.get("local_id"), known=[str(k) for k in raw.get("known", [])]
                )
                for index, raw in data.get("entries", {}).items()
            }
            journal = cls(
                path,
                items,
                source=str(data.get("source", "")),
                created_at=float(data.get("created_at", 0.0)),
                entries=entries,
                finished=bool(data.get("finished", False)),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise BatchJournalError(f"The batch journal {path} is damaged: {error}") from error
        if data.get("key") not in (None, journal.key):
            raise BatchJournalError(f"The batch journal {path} does not match its items.")
        return journal

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": JOURNAL_KIND,
            "version": JOURNAL_VERSION,
            "key": self.key,
            "source": self.source,
            "created_at": self.created_at,
            "finished": self.finished,
            "items": [
                {"line": item.line, "model": item.request.model.value, "request": item.payload}
                for item in self.items
            ],
            "entries": {
                str(index): {"local_id": entry.local_id, "known": entry.known}
                for index, entry in sorted(self.entries.items())
            },
        }

    def save(self) -> None:
        """Write the journal atomically (creating its folder); nothing without a path."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(self.to_json(), ensure_ascii=False) + "\n")

    def mark_sending(self, index: int, known: Iterable[str]) -> None:
        self.entries[index] = JournalEntry(local_id=None, known=sorted(known))
        self.save()

    def link(self, index: int, local_id: str) -> None:
        entry = self.entries.setdefault(index, JournalEntry())
        if entry.local_id != local_id:
            entry.local_id = local_id
            self.save()

    def forget(self, index: int) -> None:
        if self.entries.pop(index, None) is not None:
            self.save()

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.save()

    def discard(self) -> None:
        """Delete the journal (running the same requests again then sends them again)."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def unfinished_journals(directory: Path) -> list[BatchJournal]:
    """Journals of batches that stopped before every item was sent (newest first)."""
    found: list[BatchJournal] = []
    for path in sorted(Path(directory).glob("batch-*.json")):
        try:
            journal = BatchJournal.load(path)
        except BatchJournalError as error:
            log.warning("skipping batch journal: %s", error)
            continue
        if not journal.finished:
            found.append(journal)
    return sorted(found, key=lambda j: j.created_at, reverse=True)
