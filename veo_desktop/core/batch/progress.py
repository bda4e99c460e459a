"""Where the items of a batch are: each item's state, the progress snapshot the runner
reports, its result, and what a task row means for the item that made it.

A row APIXO refused without taking it (``RejectReason.not_taken``: 429, 402, 401, 403, 503,
or a connection that never reached it) leaves its item waiting, to be sent again as a linked
resubmission; any other row keeps its item from ever being sent again by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from veo_desktop.core.batch.items import BatchItem
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord

if TYPE_CHECKING:
    pass


class ItemState(StrEnum):
    """Where one item of a batch is."""

    WAITING = "waiting"  # not sent yet (or APIXO did not take it: it will be sent)
    SENDING = "sending"
    SUBMITTED = "submitted"  # APIXO accepted it: a task exists and is charged
    UNCERTAIN = "uncertain"  # may or may not have been taken: never re-sent by itself
    REJECTED = "rejected"  # APIXO refused the request itself (nothing charged)

    @property
    def is_done(self) -> bool:
        return self in (ItemState.SUBMITTED, ItemState.UNCERTAIN, ItemState.REJECTED)


@dataclass
class ItemStatus:
    index: int
    item: BatchItem
    state: ItemState = ItemState.WAITING
    local_id: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class BatchProgress:
    """A snapshot for a progress line (``on_progress`` receives one after each change)."""

    total: int
    waiting: int
    sending: int
    submitted: int
    uncertain: int
    rejected: int
    paused_until: float | None = None
    note: str | None = None
    stopped: str | None = None
    finished: bool = False

    @property
    def done(self) -> int:
        return self.submitted + self.uncertain + self.rejected

    def summary(self) -> str:
        """``"3 of 8 submitted, 1 rejected"`` and any note."""
        parts = [f"{self.submitted} of {self.total} submitted"]
        if self.uncertain:
            parts.append(f"{self.uncertain} uncertain")
        if self.rejected:
            parts.append(f"{self.rejected} rejected")
        text = ", ".join(parts)
        extra = self.stopped or self.note
        return f"{text}. {extra}" if extra else text


@dataclass(frozen=True)
class BatchResult:
    items: tuple[ItemStatus, ...]
    stopped: str | None

    @property
    def submitted(self) -> list[ItemStatus]:
        return [s for s in self.items if s.state is ItemState.SUBMITTED]

    @property
    def unsent(self) -> list[ItemStatus]:
        return [s for s in self.items if not s.state.is_done]

    @property
    def complete(self) -> bool:
        return not self.unsent


def not_taken(record: TaskRecord) -> bool:
    """Whether APIXO refused ``record`` without taking it, so sending it again may work."""
    reason = record.reject_reason
    return record.state is TaskState.REJECTED and reason is not None and reason.not_taken


def item_state(record: TaskRecord) -> tuple[ItemState, str | None]:
    """What an item whose (latest) row is ``record`` still needs."""
    if record.charged:
        return ItemState.SUBMITTED, None
    if record.state is TaskState.REJECTED:
        if not_taken(record):
            return ItemState.WAITING, record.fail_message
        return ItemState.REJECTED, record.fail_message
    if record.state in (TaskState.UNCERTAIN, TaskState.SUBMITTING):
        return ItemState.UNCERTAIN, record.note or "APIXO may or may not have taken it."
    return ItemState.UNCERTAIN, record.fail_message or record.note
