"""What each shot's card says, in words: built from the stored storyboard and its takes.

Qt-free on purpose (only :class:`~veo_desktop.ui.storyboard.shot_model.ShotCard`'s values):
the card texts are tested without a window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import Shot, ShotStart, Storyboard
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable
from veo_desktop.ui.storyboard.shot_model import CardTone, ShotCard
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.files import video_file

#: A task by local id (None when this computer has none).
TaskLookup = Callable[[str], TaskRecord | None]

#: How each way of starting reads on a card (``{previous}``: the previous shot's number).
START_TEXTS: dict[ShotStart, str] = {
    ShotStart.OWN: "",
    ShotStart.CONTINUE: "Continues shot {previous}",
    ShotStart.EXTEND: "Extends shot {previous}",
}
#: The choices of the shot's "Starts" selector, in order.
START_CHOICES: tuple[tuple[ShotStart, str], ...] = (
    (ShotStart.OWN, "From its own settings"),
    (ShotStart.CONTINUE, "Continue from the previous shot's last frame"),
    (ShotStart.EXTEND, "Extend the previous shot"),
)

_RUNNING = frozenset(
    {TaskState.SUBMITTING, TaskState.PENDING, TaskState.PROCESSING, TaskState.DOWNLOADING}
)


def start_text(shot: Shot, number: int) -> str:
    if shot.start is not ShotStart.OWN and number == 1:
        return "No previous shot to start from"
    return START_TEXTS[shot.start].format(previous=number - 1)


def request_settings(request: GenerationRequest, start: ShotStart) -> str:
    """ "Fast · 16:9 · Text to video" (an extend shot: its mode only)."""
    mode = fmt.MODE_LABELS.get(request.mode, request.mode)
    if start is ShotStart.EXTEND:
        return mode
    kind = fmt.TYPE_DESCRIPTIONS.get(request.generation_type, request.generation_type)
    aspect = fmt.ASPECT_LABELS.get(request.aspect_ratio, request.aspect_ratio)
    return " \u00b7 ".join((mode, aspect, kind))


def task_settings(task: TaskRecord) -> str:
    return " \u00b7 ".join(
        (fmt.mode_label(task), fmt.aspect_label(task), fmt.kind_description(task))
    )


def take_text(shot: Shot, local_id: str | None) -> str:
    """ "Take 2 of 3" (empty while the shot has at most one take, or none is chosen)."""
    if local_id is None or len(shot.takes) < 2 or local_id not in shot.takes:
        return ""
    return f"Take {shot.takes.index(local_id) + 1} of {len(shot.takes)}"


def _state(
    shot: Shot,
    chosen: TaskRecord | None,
    latest: TaskRecord | None,
    progress: tuple[int, int | None] | None,
) -> tuple[str, CardTone]:
    if shot.problem is not None:
        return f"Blocked: {shot.problem.text}", CardTone.PROBLEM
    if latest is not None and latest.state in _RUNNING and latest is not chosen:
        line = fmt.short_state_line(latest, time.time(), progress)
        return f"Generating \u00b7 {line}", CardTone.RUNNING
    if shot.sending is not None:
        return "Sending\u2026", CardTone.RUNNING
    if chosen is not None:
        if chosen.state == TaskState.SUCCEEDED:
            if video_file(chosen) is None:
                return "The chosen take's video is not on this computer", CardTone.PROBLEM
            return "Ready", CardTone.READY
        if chosen.state in _RUNNING:
            line = fmt.short_state_line(chosen, time.time(), progress)
            return f"Generating \u00b7 {line}", CardTone.RUNNING
    if latest is not None:
        if latest.state == TaskState.UNCERTAIN:
            return "Sent, answer lost: resolve it in Tasks", CardTone.PROBLEM
        if latest.state in (TaskState.FAILED, TaskState.REJECTED, TaskState.EXPIRED):
            reason = fmt.failure_text(latest) or fmt.STATE_LABELS[latest.state]
            return f"Failed: {reason}", CardTone.PROBLEM
        if latest.state == TaskState.SUCCEEDED and chosen is None:
            return "Done: pick a take", CardTone.WAITING
    if shot.takes and chosen is None and latest is None:
        return "Its take is not on this computer", CardTone.PROBLEM
    return "Not generated", CardTone.WAITING


def card_for(
    board: Storyboard,
    index: int,
    task: TaskLookup,
    progress: Mapping[str, tuple[int, int | None]] | None = None,
) -> ShotCard:
    """The card of the ``index``-th shot of ``board``."""
    shot = board.shots[index]
    number = index + 1
    chosen = task(shot.chosen) if shot.chosen else None
    latest = task(shot.takes[-1]) if shot.takes else None
    shown = chosen or latest
    if shot.request is not None:
        prompt = shot.request.prompt
        settings = request_settings(shot.request, shot.start)
    elif shown is not None:
        prompt = shown.prompt
        settings = task_settings(shown)
    else:
        prompt, settings = "", ""
    watched = chosen if chosen is not None and chosen.state in _RUNNING else latest
    took = progress.get(watched.local_id) if progress and watched is not None else None
    state, tone = _state(shot, chosen, latest, took)
    video: Path | None = video_file(chosen)
    return ShotCard(
        shot_id=shot.id,
        number=number,
        prompt=printable(prompt, 2000),
        settings=settings,
        start=start_text(shot, number),
        state=state,
        tone=tone,
        take=take_text(shot, shot.chosen),
        video=video,
    )


def cards_for(
    board: Storyboard,
    task: TaskLookup,
    progress: Mapping[str, tuple[int, int | None]] | None = None,
) -> list[ShotCard]:
    return [card_for(board, index, task, progress) for index in range(len(board.shots))]
