"""What a storyboard still needs: which shots would be sent, in which order, at what price.

:func:`plan` reads a storyboard and the task records (and whether the takes' files are still
on disk) and returns a :class:`Plan`. A shot is *ready* when its chosen take (or, before one
is chosen, its first finished take) is a downloaded video still on disk. A shot whose stored
fields cannot be used (a :class:`~veo_desktop.records.storyboard.StoredProblem`) is
*blocked*, with the reason, until it is edited. A shot with a take
being made, or a take whose submission is uncertain, is never sent again. A ``continue`` or
``extend`` shot waits for the previous shot's chosen take; the price counts it all the same
(it will be sent once that take is there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from veo_desktop.api.models import Model, price_of
from veo_desktop.core import lineage
from veo_desktop.core.engine import redownload_problem
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import Shot, ShotStart, Storyboard
from veo_desktop.records.task import TaskRecord

#: Finds a task by its local id (None: the store does not know it).
RecordOf = Callable[[str], TaskRecord | None]


class ShotStatus(StrEnum):
    """Where a shot stands, for the plan and the window's cards."""

    READY = "ready"  # its chosen take is a video on disk
    SEND = "send"  # would be sent now
    SEND_AFTER = "send_after"  # would be sent once the shot it waits on is ready
    RUNNING = "running"  # a take is being made or downloaded
    UNCERTAIN = "uncertain"  # a take's submission is uncertain: resolve it in Tasks
    BLOCKED = "blocked"  # cannot be made as it is (the message says why)

    @property
    def to_send(self) -> bool:
        return self in (ShotStatus.SEND, ShotStatus.SEND_AFTER)


@dataclass(frozen=True)
class PlannedShot:
    """One shot in the plan.

    Attributes:
        index: its position (0-based; people read ``index + 1``).
        shot_id: its id.
        status: where it stands.
        price: what sending it costs (0 unless it is to be sent).
        waits_on: the index of the shot it needs first (continue/extend), else None.
        message: what the status means for this shot, in words.
        take: the take the film would use now (a local id), else None.
    """

    index: int
    shot_id: str
    status: ShotStatus
    price: Decimal = Decimal("0")
    waits_on: int | None = None
    message: str = ""
    take: str | None = None


@dataclass(frozen=True)
class Plan:
    """What generating a storyboard's missing shots would do.

    Attributes:
        board_id: the storyboard.
        shots: every shot, in order.
    """

    board_id: str
    shots: tuple[PlannedShot, ...]

    @property
    def to_send(self) -> tuple[int, ...]:
        """The indexes of the shots that would be sent (now or after their predecessor)."""
        return tuple(s.index for s in self.shots if s.status.to_send)

    @property
    def count(self) -> int:
        return len(self.to_send)

    @property
    def total(self) -> Decimal:
        """What sending them costs if APIXO accepts them all."""
        return sum((s.price for s in self.shots), Decimal("0"))

    @property
    def problems(self) -> tuple[str, ...]:
        """Why some shots cannot be made: ``shot 3: ...``."""
        return tuple(
            f"shot {s.index + 1}: {s.message}" for s in self.shots if s.status is ShotStatus.BLOCKED
        )

    @property
    def waiting(self) -> tuple[str, ...]:
        """Shots that hold the film up without being sent: running or uncertain takes."""
        return tuple(
            f"shot {s.index + 1}: {s.message}"
            for s in self.shots
            if s.status in (ShotStatus.RUNNING, ShotStatus.UNCERTAIN)
        )

    @property
    def ready(self) -> bool:
        """Whether every shot's take is on disk (the film can be rendered)."""
        return bool(self.shots) and all(s.status is ShotStatus.READY for s in self.shots)

    def summary(self) -> str:
        """``2 shots to generate: $0.40`` or ``Nothing to generate``."""
        if not self.count:
            return "Nothing to generate"
        noun = "shot" if self.count == 1 else "shots"
        return f"{self.count} {noun} to generate: ${self.total:.2f}"


def usable_take(shot: Shot, record_of: RecordOf) -> TaskRecord | None:
    """The take the film uses: the chosen one if it is a downloaded video, else (none
    chosen) the first take that is; None when there is none."""
    candidates = [shot.chosen] if shot.chosen is not None else list(shot.takes)
    for local_id in candidates:
        record = latest_take(local_id, record_of) if local_id is not None else None
        if record is not None and _on_disk(record):
            return record
    return None


def latest_take(local_id: str, record_of: RecordOf) -> TaskRecord | None:
    """A take's task, following the person's resubmissions of it to the latest one."""
    record = record_of(local_id)
    seen = {local_id}
    while record is not None and record.resubmitted_as and record.resubmitted_as not in seen:
        following = record_of(record.resubmitted_as)
        if following is None:
            break
        seen.add(record.resubmitted_as)
        record = following
    return record


def _on_disk(record: TaskRecord) -> bool:
    return record.state is TaskState.SUCCEEDED and bool(record.files) and _exists(record)


def _exists(record: TaskRecord) -> bool:
    return Path(record.files[0]).is_file()


def plan(
    board: Storyboard,
    record_of: RecordOf,
    *,
    now: float,
    records: Iterable[TaskRecord] = (),
) -> Plan:
    """What :meth:`StoryboardService.generate_missing` would do for ``board`` now.

    Args:
        board: the storyboard.
        record_of: finds a take's task.
        now: unix seconds (an extend's source must still be extendable).
        records: every task (extend windows consider refusals among them).
    """
    planned: list[PlannedShot] = []
    known = list(records)
    for index, shot in enumerate(board.shots):
        previous = planned[index - 1] if index else None
        planned.append(_plan_shot(index, shot, board, previous, record_of, now=now, records=known))
    return Plan(board.id, tuple(planned))


def _plan_shot(
    index: int,
    shot: Shot,
    board: Storyboard,
    previous: PlannedShot | None,
    record_of: RecordOf,
    *,
    now: float,
    records: list[TaskRecord],
) -> PlannedShot:
    def status(
        kind: ShotStatus,
        message: str,
        *,
        price: Decimal = Decimal("0"),
        waits_on: int | None = None,
        take: str | None = None,
    ) -> PlannedShot:
        return PlannedShot(index, shot.id, kind, price, waits_on, message, take)

    if shot.problem is not None:
        # Stored fields this version cannot use: nothing is sent for it, nor is it in a film,
        # until the person edits or removes it.
        return status(ShotStatus.BLOCKED, shot.problem.text)
    take = usable_take(shot, record_of)
    if take is not None:
        return status(ShotStatus.READY, "Ready.", take=take.local_id)
    # A dismissed uncertain take was resolved by the person as not sent.
    takes = [
        r
        for r in (latest_take(i, record_of) for i in shot.takes)
        if r is not None and not (r.state is TaskState.UNCERTAIN and r.hidden)
    ]
    if shot.sending is not None:
        if not shot.sending.key:
            return status(
                ShotStatus.UNCERTAIN,
                "A take was being sent when Veo Desktop stopped; check Tasks before sending "
                "it again.",
            )
        return status(ShotStatus.RUNNING, "A take is being sent.")
    if any(r.is_active for r in takes):
        return status(ShotStatus.RUNNING, "A take is being made.")
    gone = [r for r in takes if r.state is TaskState.SUCCEEDED and r.files and not _exists(r)]
    if gone:
        return status(
            ShotStatus.BLOCKED,
            f"The video of task {gone[0].short_id} is missing ({Path(gone[0].files[0]).name}): "
            "put it back, or remove that take from the shot.",
        )
    downloadable = [r for r in takes if redownload_problem(r) is None]
    if downloadable:
        return status(
            ShotStatus.BLOCKED,
            f"Task {downloadable[0].short_id}'s video could not be downloaded; download it "
            "again in Tasks (free).",
        )
    if any(r.state is TaskState.UNCERTAIN for r in takes):
        return status(
            ShotStatus.UNCERTAIN,
            "A take's submission is uncertain: check it in Tasks; it is not sent again.",
        )
    if shot.request is None:
        return status(
            ShotStatus.BLOCKED,
            "Its task has no video; choose another task or give the shot a prompt.",
        )
    price = price_of(shot.request.mode)
    if shot.start is ShotStart.OWN:
        return status(ShotStatus.SEND, "To generate.", price=price)
    verb = shot.start.value
    if previous is None:
        return status(ShotStatus.BLOCKED, f"The first shot has no previous shot to {verb}.")
    waits = previous.index
    if shot.start is ShotStart.EXTEND:
        problem = _extend_problem(board, previous, record_of, now=now, records=records)
        if problem is not None:
            return status(ShotStatus.BLOCKED, problem, waits_on=waits)
    if previous.status is ShotStatus.READY:
        return status(
            ShotStatus.SEND, f"To generate ({verb}s shot {waits + 1}).", price=price, waits_on=waits
        )
    if previous.status in (ShotStatus.SEND, ShotStatus.SEND_AFTER, ShotStatus.RUNNING):
        return status(
            ShotStatus.SEND_AFTER,
            f"To generate once shot {waits + 1} is ready ({verb}s it).",
            price=price,
            waits_on=waits,
        )
    if previous.status is ShotStatus.UNCERTAIN:
        why = "whose take's submission is uncertain: resolve it in Tasks first"
    else:
        why = "which cannot be made as it is"
    return status(ShotStatus.BLOCKED, f"It {verb}s shot {waits + 1}, {why}.", waits_on=waits)


def start_problem(
    board: Storyboard,
    planned: Plan,
    index: int,
    record_of: RecordOf,
    *,
    now: float,
    records: Iterable[TaskRecord] = (),
) -> str | None:
    """Why a take of shot ``index`` cannot be sent now for how it starts (a continued or
    extended shot needs the video the film uses for the shot before, and an extend needs it
    extendable); None when it can, or when the shot starts from its own settings.

    Unlike the plan's status, this holds for a shot that already has a take (more takes).
    """
    shot = board.shots[index]
    if shot.start is ShotStart.OWN:
        return None
    verb = shot.start.value
    if index == 0:
        return f"The first shot has no previous shot to {verb}."
    previous = planned.shots[index - 1]
    if previous.status is not ShotStatus.READY or previous.take is None:
        return f"It {verb}s shot {index}, which has no video yet: generate that shot first."
    if shot.start is ShotStart.EXTEND:
        return _extend_problem(board, previous, record_of, now=now, records=list(records))
    return None


def _extend_problem(
    board: Storyboard,
    previous: PlannedShot,
    record_of: RecordOf,
    *,
    now: float,
    records: list[TaskRecord],
) -> str | None:
    """Why the shot after ``previous`` cannot extend it, else None."""
    before = board.shots[previous.index]
    if before.start is ShotStart.EXTEND:
        return (
            "An extension cannot be extended again (APIXO refuses it); continue from its last "
            "frame instead."
        )
    if previous.take is None:
        return None
    source = record_of(previous.take)
    if source is None:
        return None
    if source.model == Model.EXTEND:
        return (
            "An extension cannot be extended again (APIXO refuses it); continue from its last "
            "frame instead."
        )
    if not lineage.can_extend(source, now, records=records):
        return lineage.extend_window_text(source, now, records=records)
    return None


def records_by_id(records: Iterable[TaskRecord]) -> Mapping[str, TaskRecord]:
    """A local-id index of ``records`` (a :data:`RecordOf` is its ``get``)."""
    return {record.local_id: record for record in records}
