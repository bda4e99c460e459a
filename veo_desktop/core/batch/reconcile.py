"""Resuming a batch after a crash, a kill or a closed laptop: the journal matched with the
task store's rows, so that no item is lost or sent twice.

- An item that got a row in any state is never sent again by itself, with one exception
  that cannot cost money: a row APIXO refused without taking the task is sent again, as a
  linked resubmission, because that is exactly what the batch was asked to do.
- An item the journal says was being sent but that has no row never reached the engine's
  POST (the row is committed first), so it is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from veo_desktop.core.batch.items import payload_key
from veo_desktop.core.batch.journal import BatchJournal
from veo_desktop.core.batch.progress import ItemState, ItemStatus, item_state, not_taken
from veo_desktop.records.task import TaskRecord

log = logging.getLogger(__name__)


class TaskLookup(Protocol):
    """Where rows are looked up by local id (the engine, or the window's controller)."""

    def get(self, local_id: str) -> TaskRecord:
        """The row, or KeyError."""
        ...


def reconcile(
    journal: BatchJournal,
    statuses: Sequence[ItemStatus],
    keys: Sequence[str],
    records: Sequence[TaskRecord],
) -> tuple[dict[str, list[str]], list[int]]:
    """Match the journal with the task rows: what was sent, what is left.

    Every item's status (by index; ``keys[i]`` is item i's :attr:`BatchItem.key`) is set
    from its latest row, and the journal links each item to that row.

    Returns:
        The rows' local ids by request key, and the indexes of the items to send, in order.
    """

    def link(index: int, local_id: str) -> None:
        statuses[index].local_id = local_id
        journal.link(index, local_id)

    by_id = {r.local_id: r for r in records}
    by_key: dict[str, list[str]] = {}
    queue: list[int] = []
    for record in records:
        by_key.setdefault(payload_key(record.model, record.request), []).append(record.local_id)
    entries = journal.entries
    claimed = {e.local_id for e in entries.values() if e.local_id}
    for index in sorted(entries):
        entry = entries[index]
        if entry.local_id is not None:
            continue
        known = set(entry.known)
        candidates = [
            by_id[local_id]
            for local_id in by_key.get(keys[index], [])
            if local_id not in known
            and local_id not in claimed
            and by_id[local_id].resubmit_of is None
        ]
        if candidates:
            chosen = min(candidates, key=lambda r: r.created_at)
            claimed.add(chosen.local_id)
            link(index, chosen.local_id)
            log.info("batch item %d: found its task %s", index, chosen.short_id)
        else:
            # The row is committed before the POST: no row means nothing was sent.
            journal.forget(index)
    for status in statuses:
        linked = entries.get(status.index)
        if linked is None or linked.local_id is None:
            status.state = ItemState.WAITING
            status.local_id = None
            queue.append(status.index)
            continue
        local_id = linked.local_id
        seen = {local_id}
        while (
            local_id in by_id
            and by_id[local_id].resubmitted_as in by_id
            and by_id[local_id].resubmitted_as not in seen
        ):
            local_id = str(by_id[local_id].resubmitted_as)
            seen.add(local_id)
        if local_id != linked.local_id:
            link(status.index, local_id)
        status.local_id = local_id
        row = by_id.get(local_id)
        if row is None:
            status.state = ItemState.UNCERTAIN
            status.message = (
                "Its task is missing from the task store; it was not sent again. "
                "Check the APIXO dashboard."
            )
            continue
        status.state, status.message = item_state(row)
        if status.state is ItemState.WAITING:
            queue.append(status.index)
    return by_key, queue


def unsent_indexes(journal: BatchJournal, engine: TaskLookup) -> list[int]:
    """Indexes of the journal's items that resuming would send.

    That is: items never given a task, and items APIXO refused without taking them (429,
    402, ...), following the person's resubmissions. An item whose task is uncertain,
    submitting, accepted, or gone from the store is never among them.
    """
    unsent: list[int] = []
    for index in range(len(journal.items)):
        entry = journal.entries.get(index)
        if entry is None or entry.local_id is None:
            unsent.append(index)
            continue
        try:
            record = engine.get(entry.local_id)
        except KeyError:
            continue
        while record.resubmitted_as is not None:
            try:
                record = engine.get(record.resubmitted_as)
            except KeyError:
                break
        if not_taken(record):
            unsent.append(index)
    return unsent
