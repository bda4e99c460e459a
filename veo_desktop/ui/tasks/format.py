"""How a task reads in the list: short, human texts for each column (no Qt here)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from veo_desktop.api.models import AspectRatio, GenerationType, Mode, Model
from veo_desktop.core.download_manager import DOWNLOAD_FAILED_CODE
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable

#: At most this much of a note or failure message is shown.
DETAIL_LIMIT = 600

#: What APIXO says a Veo 3.1 video usually takes, in either mode.
TYPICAL = "~1\u20133 min"

STATE_LABELS: dict[TaskState, str] = {
    TaskState.SUBMITTING: "Submitting",
    TaskState.PENDING: "Pending",
    TaskState.PROCESSING: "Processing",
    TaskState.DOWNLOADING: "Downloading",
    TaskState.SUCCEEDED: "Succeeded",
    TaskState.FAILED: "Failed",
    TaskState.REJECTED: "Rejected",
    TaskState.UNCERTAIN: "Uncertain",
    TaskState.EXPIRED: "Expired",
    TaskState.LOST: "Lost",
}

TYPE_LABELS: dict[str, str] = {
    GenerationType.TEXT: "Text",
    GenerationType.FRAMES: "Frames",
    GenerationType.REFERENCE: "Reference",
}

TYPE_DESCRIPTIONS: dict[str, str] = {
    GenerationType.TEXT: "Text to video",
    GenerationType.FRAMES: "First and last frames to video",
    GenerationType.REFERENCE: "Reference images to video",
    Model.EXTEND: "Extension of an earlier video",
}

MODE_LABELS: dict[str, str] = {Mode.FAST: "Fast", Mode.QUALITY: "Quality"}

ASPECT_LABELS: dict[str, str] = {
    AspectRatio.LANDSCAPE: "16:9",
    AspectRatio.PORTRAIT: "9:16",
    AspectRatio.AUTO: "Auto",
}


def clock_text(seconds: float) -> str:
    """``1:05`` or ``1:02:05``; never negative."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def size_text(size: int) -> str:
    """A byte count for people: ``812 KB``, ``12.4 MB``."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.0f} KB"
    if size < 1_000_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1_000_000_000:.2f} GB"


def money_text(amount: Decimal) -> str:
    return f"${amount:.2f}"


def kind_label(task: TaskRecord) -> str:
    if task.is_extend:
        return "Extend"
    kind = task.generation_type or ""
    return TYPE_LABELS.get(kind, kind)


def kind_description(task: TaskRecord) -> str:
    key = Model.EXTEND.value if task.is_extend else task.generation_type or ""
    return TYPE_DESCRIPTIONS.get(key, key)


def mode_label(task: TaskRecord) -> str:
    return MODE_LABELS.get(task.mode, task.mode)


def aspect_label(task: TaskRecord) -> str:
    if task.is_extend:
        return "Same"
    aspect = task.aspect_ratio or ""
    return ASPECT_LABELS.get(aspect, aspect)


def took_seconds(task: TaskRecord) -> float | None:
    """How long APIXO took to make the video, when it says so."""
    if task.api_cost_time is not None:
        return task.api_cost_time / 1000
    if task.api_complete_time is not None and task.api_create_time is not None:
        return (task.api_complete_time - task.api_create_time) / 1000
    return None


def progress_fraction(done: int, total: int | None) -> float | None:
    if total is None or total <= 0:
        return None
    return min(1.0, max(0.0, done / total))


def state_line(task: TaskRecord, now: float, progress: tuple[int, int | None] | None) -> str:
    """The first line of the state cell: the state and, while it runs, its time so far."""
    label = STATE_LABELS.get(task.state, str(task.state))
    state = task.state
    if state in (TaskState.PENDING, TaskState.PROCESSING):
        elapsed = clock_text(now - task.created_at)
        if task.note:
            return f"{label} \u00b7 {elapsed}"
        return f"{label} \u00b7 {elapsed} of {TYPICAL}"
    if state == TaskState.SUBMITTING:
        return f"{label}\u2026"
    if state == TaskState.DOWNLOADING:
        if progress is not None:
            fraction = progress_fraction(*progress)
            if fraction is not None:
                return f"{label} \u00b7 {fraction:.0%}"
            return f"{label} \u00b7 {size_text(progress[0])}"
        return f"{label}\u2026"
    if state == TaskState.SUCCEEDED:
        took = took_seconds(task)
        return f"{label} \u00b7 took {clock_text(took)}" if took and took >= 1 else label
    if state == TaskState.UNCERTAIN:
        return f"{label} \u00b7 needs your check"
    return label


def short_state_line(task: TaskRecord, now: float, progress: tuple[int, int | None] | None) -> str:
    """The state line for a narrow column: the state and its one number, nothing else."""
    label = STATE_LABELS.get(task.state, str(task.state))
    if task.state in (TaskState.PENDING, TaskState.PROCESSING):
        return f"{label} {clock_text(now - task.created_at)}"
    if task.state == TaskState.DOWNLOADING and progress is not None:
        fraction = progress_fraction(*progress)
        if fraction is not None:
            return f"{label} {fraction:.0%}"
    return label


def detail_line(task: TaskRecord) -> str:
    """The second line of the state cell: the engine's note, or why it failed.

    Server-supplied text (fail codes and messages, notes quoting an answer) is escaped:
    no control character or bidirectional override reaches a label, tooltip or dialog.
    """
    return printable(_detail(task), DETAIL_LIMIT)


def _detail(task: TaskRecord) -> str:
    if task.note:
        return task.note
    if task.state == TaskState.FAILED:
        return failure_text(task)
    if task.state == TaskState.REJECTED:
        return task.fail_message or "APIXO did not accept the request; nothing was charged."
    if task.state == TaskState.UNCERTAIN:
        return "The answer to the submission was lost."
    if task.state == TaskState.EXPIRED:
        return "The result link expired before the video was saved."
    if task.state == TaskState.LOST:
        return task.fail_message or "APIXO no longer knows this task."
    return ""


def failure_text(task: TaskRecord) -> str:
    """Why a task failed, plainly: the message (with APIXO's code when it gave one)."""
    if task.fail_code == DOWNLOAD_FAILED_CODE and task.fail_message:
        return printable(task.fail_message, DETAIL_LIMIT)
    parts = [part for part in (task.fail_code, task.fail_message) if part]
    text = ": ".join(parts) if parts else "APIXO reported a failure without a reason."
    return printable(text, DETAIL_LIMIT)


def price_text(task: TaskRecord) -> str:
    if task.state == TaskState.REJECTED:
        return "\u2014"
    if task.state == TaskState.UNCERTAIN:
        return f"{money_text(task.price)}?"
    return money_text(task.price)


def price_tooltip(task: TaskRecord) -> str:
    if task.state == TaskState.REJECTED:
        return "Not charged: APIXO rejected the request."
    if task.state == TaskState.UNCERTAIN:
        return f"May have been charged {money_text(task.price)}: the submission's answer was lost."
    if task.charged:
        return f"Charged {money_text(task.price)}."
    return f"Costs {money_text(task.price)} when APIXO accepts it."


def created_text(created_at: float, now: float) -> str:
    """``14:32`` today, ``Mar 3, 14:32`` this year, ``2024-03-03`` before."""
    when = dt.datetime.fromtimestamp(created_at)
    today = dt.datetime.fromtimestamp(now)
    if when.date() == today.date():
        return when.strftime("%H:%M")
    if when.year == today.year:
        return f"{when:%b} {when.day}, {when:%H:%M}"
    return when.strftime("%Y-%m-%d")


def created_tooltip(created_at: float) -> str:
    return dt.datetime.fromtimestamp(created_at).strftime("%A %d %B %Y, %H:%M:%S")


def short_prompt(task: TaskRecord) -> str:
    """The prompt on one line (line breaks and runs of spaces folded)."""
    return " ".join(task.prompt.split())
