"""Which take came from which: extends and their sources, and how long a video can be extended.

APIXO extends only a finished ``veo-3-1`` task it still holds: about 24 hours after the
video was made (its ``completeTime``). An extend names its source by APIXO's task id
(``input.taskId``); the engine also records the source's local id (``parent_id``) when it
knows the source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from veo_desktop.api.errors import ExtendSourceError
from veo_desktop.api.models import GenerationRequest, GenerationType, Mode, Model
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.reject import RejectReason
from veo_desktop.records.task import TaskRecord

#: How long APIXO keeps a finished task (its result and its extendability).
EXTEND_WINDOW = 24 * 3600.0
#: The code APIXO answers an extend of an unknown, expired or wrong-model task with.
TASKID_ERROR = "TASKID_ERROR"
_EXTEND_SOURCE_SUMMARY = ExtendSourceError(400).summary
#: A TASKID_ERROR for a video younger than this cannot be its age: APIXO lost the id.
RECENT_SECONDS = 20 * 3600.0

TASKID_ERROR_MESSAGE = (
    "APIXO cannot extend this video. It extends only a finished Veo 3.1 video (not an "
    "extension) that it still holds, which is about 24 hours after the video was made. "
    "Nothing was charged. To continue the scene, use the video's last frame as the first "
    "frame of a new video."
)


# -- relations ---------------------------------------------------------------------------


def source_task_id(record: TaskRecord) -> str | None:
    """The APIXO task id an extend continues (None for a generation)."""
    if not record.is_extend:
        return None
    value = record.input.get("taskId")
    return str(value) if value else None


@dataclass
class LineageNode:
    """A task and the extends made from it (oldest first)."""

    record: TaskRecord
    depth: int = 0
    children: list[LineageNode] = field(default_factory=list)

    def walk(self) -> Iterator[LineageNode]:
        """This node, then its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


class Lineage:
    """Parents and children among a set of tasks.

    An extend's parent is the task named by its ``parent_id``, else the ``veo-3-1`` task
    whose APIXO id its request names. A task whose parent is not among the records is a
    root (its source was removed from the store, or made elsewhere).
    """

    def __init__(self, records: Iterable[TaskRecord]) -> None:
        self._records = {r.local_id: r for r in records}
        by_apixo = {
            r.apixo_task_id: r.local_id
            for r in sorted(self._records.values(), key=lambda r: r.created_at, reverse=True)
            if r.apixo_task_id and r.model == Model.VEO
        }
        self._parent: dict[str, str] = {}
        for record in self._records.values():
            parent = record.parent_id if record.parent_id in self._records else None
            if parent is None and (source := source_task_id(record)) is not None:
                parent = by_apixo.get(source)
            if parent is not None and parent != record.local_id:
                self._parent[record.local_id] = parent
        self._children: dict[str, list[str]] = {}
        for child, parent in self._parent.items():
            self._children.setdefault(parent, []).append(child)
        for ids in self._children.values():
            ids.sort(key=lambda i: (self._records[i].created_at, i))
        self._break_cycles()

    def _break_cycles(self) -> None:
        """A damaged store could hold a loop of parents; cut it so walks end."""
        for start in list(self._parent):
            seen = {start}
            node = self._parent.get(start)
            while node is not None:
                if node in seen:
                    parent = self._parent.pop(node)
                    self._children[parent].remove(node)
                    break
                seen.add(node)
                node = self._parent.get(node)

    def __contains__(self, local_id: object) -> bool:
        return local_id in self._records

    def get(self, local_id: str) -> TaskRecord | None:
        return self._records.get(local_id)

    def parent_of(self, local_id: str) -> TaskRecord | None:
        parent = self._parent.get(local_id)
        return None if parent is None else self._records[parent]

    def children_of(self, local_id: str) -> list[TaskRecord]:
        return [self._records[i] for i in self._children.get(local_id, [])]

    def ancestors(self, local_id: str) -> list[TaskRecord]:
        """The chain from the root down to ``local_id``'s parent (empty for a root)."""
        chain: list[TaskRecord] = []
        node = self._parent.get(local_id)
        while node is not None:
            chain.append(self._records[node])
            node = self._parent.get(node)
        return list(reversed(chain))

    def depth(self, local_id: str) -> int:
        return len(self.ancestors(local_id))

    def root_of(self, local_id: str) -> TaskRecord:
        chain = self.ancestors(local_id)
        return chain[0] if chain else self._records[local_id]

    def roots(self) -> list[TaskRecord]:
        """Tasks without a parent here, oldest first."""
        return sorted(
            (r for r in self._records.values() if r.local_id not in self._parent),
            key=lambda r: (r.created_at, r.local_id),
        )

    def tree(self) -> list[LineageNode]:
        """The forest of tasks: each root with its extends nested (oldest first)."""
        return [self._node(root.local_id, 0) for root in self.roots()]

    def _node(self, local_id: str, depth: int) -> LineageNode:
        return LineageNode(
            self._records[local_id],
            depth,
            [self._node(child, depth + 1) for child in self._children.get(local_id, [])],
        )

    def flatten(self) -> list[tuple[TaskRecord, int]]:
        """Every task with its depth, each source directly followed by its extends."""
        return [(node.record, node.depth) for root in self.tree() for node in root.walk()]


# -- extendability ---------------------------------------------------------------------------


def completed_at(task: TaskRecord) -> float | None:
    """When the video was made (unix seconds): APIXO's completeTime, else what we saw."""
    if task.api_complete_time:
        seen = task.results_at
        made = task.api_complete_time / 1000
        # APIXO's clock may run ahead of ours; never trust a completion we had not seen yet.
        return min(made, seen) if seen is not None else made
    if task.results_at is not None:
        return task.results_at
    for change in task.history:
        if change.state in (TaskState.DOWNLOADING, TaskState.SUCCEEDED):
            return change.at
    return None


def is_taskid_error(value: BaseException | str | TaskRecord | None) -> bool:
    """Whether an error, a message, or a rejected extend row is APIXO's TASKID_ERROR (a row
    by its stored :class:`RejectReason`, never by its text)."""
    if value is None:
        return False
    if isinstance(value, ExtendSourceError):
        return True
    if isinstance(value, TaskRecord):
        return (
            value.is_extend
            and value.state is TaskState.REJECTED
            and value.reject_reason is RejectReason.EXTEND_SOURCE
        )
    text = str(value)
    return TASKID_ERROR in text or _EXTEND_SOURCE_SUMMARY in text


def _refused_at(task: TaskRecord, records: Iterable[TaskRecord]) -> float | None:
    """When APIXO first refused to extend ``task`` (TASKID_ERROR), after it was made."""
    made = completed_at(task)
    times = [
        r.created_at
        for r in records
        if is_taskid_error(r)
        and (r.parent_id == task.local_id or source_task_id(r) == task.apixo_task_id)
        and (made is None or r.created_at >= made)
    ]
    return min(times) if times else None


def extendable_until(
    task: TaskRecord, *, records: Iterable[TaskRecord] = (), window: float = EXTEND_WINDOW
) -> float | None:
    """Until when (unix seconds) APIXO can extend ``task``; None when it never can.

    24 hours from APIXO's completeTime, unless APIXO's answer says otherwise: an extend of
    it that APIXO refused with TASKID_ERROR (among ``records``) ends the window then.
    """
    if task.model != Model.VEO or task.state is not TaskState.SUCCEEDED or not task.charged:
        return None
    made = completed_at(task)
    if made is None:
        return None
    until = made + window
    refused = _refused_at(task, records)
    return until if refused is None else min(until, refused)


def can_extend(
    task: TaskRecord,
    now: float,
    *,
    records: Iterable[TaskRecord] = (),
    window: float = EXTEND_WINDOW,
) -> bool:
    """A succeeded ``veo-3-1`` task that APIXO still holds (inside the window)."""
    until = extendable_until(task, records=records, window=window)
    return until is not None and now < until


def extend_window_text(
    task: TaskRecord,
    now: float,
    *,
    records: Iterable[TaskRecord] = (),
    window: float = EXTEND_WINDOW,
) -> str:
    """How long ``task`` stays extendable, or why it is not, for a person."""
    if task.is_extend:
        return "An extension cannot be extended again; extend the original video instead."
    if task.state is not TaskState.SUCCEEDED:
        return "Only a finished video can be extended."
    until = extendable_until(task, records=records, window=window)
    if until is None:
        return "APIXO never confirmed this video, so it cannot be extended."
    if now >= until:
        made = completed_at(task)
        if _refused_at(task, records) is not None and (made is None or until < made + window):
            return "No longer extendable: APIXO said it no longer holds this video."
        when = dt.datetime.fromtimestamp(made if made is not None else until - window)
        return (
            f"No longer extendable: APIXO keeps a video for 24 hours, and this one was made "
            f"{when:%b} {when.day}, {when:%H:%M}."
        )
    return f"Extendable for {duration_text(until - now)} more."


def duration_text(seconds: float) -> str:
    """``23 h 05 min``, ``12 min``, ``less than a minute``."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def taskid_error_message(source: TaskRecord | None = None, *, now: float | None = None) -> str:
    """The clear message for APIXO's TASKID_ERROR (extend of an unknown or expired task)."""
    if source is None or now is None:
        return TASKID_ERROR_MESSAGE
    made = completed_at(source)
    detail = ""
    if source.is_extend:
        detail = " This video is itself an extension; extend the original instead."
    elif made is not None and now - made >= RECENT_SECONDS:
        detail = f" This video was made {(now - made) / 3600:.0f} hours ago."
    elif source.apixo_task_id:
        detail = (
            f" APIXO does not recognise task id {source.apixo_task_id}; if it finished "
            "recently, ask APIXO support about it."
        )
    return TASKID_ERROR_MESSAGE + detail


# -- draft to final --------------------------------------------------------------------------


def draft_to_final(task: TaskRecord) -> GenerationRequest:
    """The request of a fast ``veo-3-1`` task again, in quality mode (same prompt and seed).

    Raises:
        ValueError: the task is not a fast ``veo-3-1`` generation.
    """
    if task.model != Model.VEO:
        raise ValueError("Only a Veo 3.1 generation (not an extension) can be made final.")
    request = task.request_model
    assert isinstance(request, GenerationRequest)
    if request.mode != Mode.FAST:
        raise ValueError("This video was already made in quality mode.")
    if request.generation_type == GenerationType.REFERENCE:
        raise ValueError("Reference-image videos can only be made in fast mode.")
    return request.replace(mode=Mode.QUALITY.value)


def draft_to_final_note(task: TaskRecord) -> str | None:
    """A warning when the final video cannot match the draft (the draft had no seed)."""
    request = task.request_model
    if request.seed is None:
        return (
            "The draft used a random seed, which APIXO does not report, so the quality "
            "version will be a different take of the same prompt."
        )
    return None


def descendants(lineage: Lineage, local_id: str) -> Sequence[TaskRecord]:
    """Every extend made (directly or not) from ``local_id``, depth first."""
    out: list[TaskRecord] = []
    for child in lineage.children_of(local_id):
        out.append(child)
        out.extend(descendants(lineage, child.local_id))
    return out
