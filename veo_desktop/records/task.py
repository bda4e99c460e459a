"""Immutable snapshots of a task, as the store holds it and the window shows it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from veo_desktop.api.models import AnyRequest, Model, request_from_payload
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.reject import RejectReason


@dataclass(frozen=True, slots=True)
class StateChange:
    """One entry of a task's history: it entered ``state`` at ``at`` (unix seconds)."""

    at: float
    state: TaskState
    note: str | None = None


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """Everything known about one task.

    The record is never mutated: every change produces a new record (``evolve``), which is
    written to the store and then handed to subscribers. Its fields are slots (no
    ``__dict__``): a library holds one record per task, and a dict each cost 64 bytes more.
    """

    local_id: str
    model: str
    request: Mapping[str, Any]
    state: TaskState
    created_at: float
    updated_at: float
    apixo_task_id: str | None = None
    parent_id: str | None = None
    api_create_time: int | None = None
    api_complete_time: int | None = None
    api_cost_time: int | None = None
    fail_code: str | None = None
    fail_message: str | None = None
    result_urls: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    price: Decimal = Decimal("0")
    note: str | None = None
    hidden: bool = False
    history: tuple[StateChange, ...] = ()
    #: The balance read just before the POST (for :meth:`TaskEngine.check_uncertain`).
    balance_before: Decimal | None = None
    #: When the result URLs were first seen (local clock); they expire a day later.
    results_at: float | None = None
    #: The local id of the task this one resubmitted (the person asked for it again).
    resubmit_of: str | None = None
    #: The local id of the task that resubmitted this one.
    resubmitted_as: str | None = None
    #: Why APIXO refused it (set on ``rejected`` rows; decisions read this, not fail_code).
    reject_reason: RejectReason | None = None

    # -- derived ---------------------------------------------------------------------

    @property
    def short_id(self) -> str:
        return self.local_id[:8]

    @property
    def input(self) -> Mapping[str, Any]:
        data = self.request.get("input")
        return data if isinstance(data, Mapping) else {}

    @property
    def prompt(self) -> str:
        return str(self.input.get("prompt", ""))

    @property
    def seed(self) -> object:
        """The seed the request asked for, as written (None: none)."""
        return self.input.get("seed")

    @property
    def mode(self) -> str:
        return str(self.input.get("mode", "fast"))

    @property
    def generation_type(self) -> str | None:
        """The generation type (None for extends, which have none)."""
        value = self.input.get("generationType")
        return None if value is None else str(value)

    @property
    def aspect_ratio(self) -> str | None:
        """The aspect ratio (None for extends, which follow their source)."""
        value = self.input.get("aspect_ratio")
        return None if value is None else str(value)

    @property
    def is_extend(self) -> bool:
        return self.model == Model.EXTEND

    @property
    def request_model(self) -> AnyRequest:
        """The request rebuilt as a :class:`GenerationRequest` or :class:`ExtendRequest`
        (each time: it is asked for on a person's action, for one task at a time)."""
        return request_from_payload(self.model, self.request)

    @property
    def charged(self) -> bool:
        """APIXO accepted the task (answered with a task id), so it costs ``price``."""
        return self.apixo_task_id is not None

    @property
    def is_final(self) -> bool:
        return self.state.is_final

    @property
    def is_active(self) -> bool:
        return self.state.is_active

    def evolve(self, **changes: Any) -> TaskRecord:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)


#: How the first history note of a task that joined the library by an import starts
#: ("Imported from /media/old-laptop").
IMPORTED_NOTE = "Imported from"


def is_imported(record: TaskRecord) -> bool:
    """Whether ``record`` joined the library by an import (it was made elsewhere, so what it
    cost was not spent from this app: spending totals and the daily cap leave it out)."""
    first = record.history[0].note if record.history else None
    return first is not None and first.startswith(IMPORTED_NOTE + " ")
