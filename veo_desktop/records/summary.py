"""What counting a task's cost and prompt needs of it, without the rest of its record.

A large library's older tasks are counted for the Spending chart from these, read straight
from the store's columns a slice at a time: a fraction of a record's decoding and memory,
and nothing of them is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord, is_imported


@dataclass(frozen=True, slots=True)
class TaskSummary:
    """A task, as counting it needs it.

    Attributes:
        local_id: this app's id of the task.
        created_at: when it was submitted (unix seconds).
        state: its state now.
        price: what it costs if APIXO accepted it.
        charged: APIXO accepted it (answered with a task id).
        mode: ``fast`` or ``quality``.
        prompt: its prompt (empty for none).
        imported: it joined the library by an import (made elsewhere: not spent here).
    """

    local_id: str
    created_at: float
    state: TaskState
    price: Decimal
    charged: bool
    mode: str
    prompt: str
    imported: bool

    @classmethod
    def of(cls, record: TaskRecord) -> TaskSummary:
        """The summary of a whole record."""
        return cls(
            record.local_id,
            record.created_at,
            record.state,
            record.price,
            record.charged,
            record.mode,
            record.prompt,
            is_imported(record),
        )
