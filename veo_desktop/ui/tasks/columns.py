"""The task list's columns, item roles and state filters: the names the model, the proxy,
the delegate and the view share (and tests use to read the list)."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from PySide6.QtCore import Qt

from veo_desktop.records.lifecycle import TaskState

#: Public contract: the lifecycle state name (``succeeded``) in column 0.
STATE_ROLE = Qt.ItemDataRole.UserRole + 1
#: A value that sorts the column the way a person expects (times, prices as numbers).
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
#: The whole :class:`TaskRecord`.
TASK_ROLE = Qt.ItemDataRole.UserRole + 3
#: The task's ``local_id``.
LOCAL_ID_ROLE = Qt.ItemDataRole.UserRole + 4
#: Download progress as a fraction 0..1 (``None`` when unknown or not downloading).
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 5
#: The second line of the state cell (note, failure reason), may be empty.
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 6
#: Type, mode, aspect, price and time on one line (shown when those columns are hidden).
META_ROLE = Qt.ItemDataRole.UserRole + 7
#: The state line for a narrow column ("Processing 1:42").
SHORT_STATE_ROLE = Qt.ItemDataRole.UserRole + 8
#: How deep in a lineage the task is: 0 for a generation, 1 for its extend, and so on.
DEPTH_ROLE = Qt.ItemDataRole.UserRole + 9
#: "Take 2/4 · seed 17" on the takes of a variations run; empty on other tasks.
TAKE_ROLE = Qt.ItemDataRole.UserRole + 10
#: A variations run's first take: 1 when its run is open, 2 when folded under it; else 0.
FOLD_ROLE = Qt.ItemDataRole.UserRole + 11
#: What the person said about the task, short: "★★★★ ♥ #night #harbour" (empty: nothing).
LABELS_ROLE = Qt.ItemDataRole.UserRole + 12

#: What starts the prompt of an extend in the list.
EXTEND_MARK = "\u21b3 "


class Column(IntEnum):
    THUMBNAIL = 0
    PROMPT = 1
    TYPE = 2
    MODE = 3
    ASPECT = 4
    STATE = 5
    PRICE = 6
    CREATED = 7


HEADERS: dict[Column, str] = {
    Column.THUMBNAIL: "",
    Column.PROMPT: "Prompt",
    Column.TYPE: "Type",
    Column.MODE: "Mode",
    Column.ASPECT: "Aspect",
    Column.STATE: "State",
    Column.PRICE: "Price",
    Column.CREATED: "Created",
}

HEADER_TOOLTIPS: dict[Column, str] = {
    Column.THUMBNAIL: "First frame of the video",
    Column.PROMPT: "What the video was asked to show",
    Column.TYPE: "Text, first/last frames, reference images, or an extension",
    Column.MODE: "Fast ($0.20) or quality ($1.50)",
    Column.ASPECT: "Aspect ratio",
    Column.STATE: "Where the task is; Veo 3.1 usually takes 1\u20133 minutes",
    Column.PRICE: "What the video costs",
    Column.CREATED: "When it was submitted",
}


class StateFilter(StrEnum):
    """The state filter's choices. Uncertain tasks wait for a decision: shown as active
    (still open) and among the failed (something went wrong)."""

    ALL = "all"
    ACTIVE = "active"
    FINISHED = "finished"
    FAILED = "failed"


#: The state filter's words, as its drop-down shows them.
FILTER_LABELS: dict[StateFilter, str] = {
    StateFilter.ALL: "All tasks",
    StateFilter.ACTIVE: "Active",
    StateFilter.FINISHED: "Finished",
    StateFilter.FAILED: "Failed",
}

FILTER_STATES: dict[StateFilter, frozenset[TaskState]] = {
    StateFilter.ALL: frozenset(TaskState),
    StateFilter.ACTIVE: frozenset(
        {
            TaskState.SUBMITTING,
            TaskState.PENDING,
            TaskState.PROCESSING,
            TaskState.DOWNLOADING,
            TaskState.UNCERTAIN,
        }
    ),
    StateFilter.FINISHED: frozenset({TaskState.SUCCEEDED}),
    StateFilter.FAILED: frozenset(
        {
            TaskState.FAILED,
            TaskState.REJECTED,
            TaskState.UNCERTAIN,
            TaskState.EXPIRED,
            TaskState.LOST,
        }
    ),
}

#: Sort order of the state column: what needs attention, then what runs, then the rest.
STATE_ORDER: dict[TaskState, int] = {
    TaskState.UNCERTAIN: 0,
    TaskState.SUBMITTING: 1,
    TaskState.PENDING: 2,
    TaskState.PROCESSING: 3,
    TaskState.DOWNLOADING: 4,
    TaskState.FAILED: 5,
    TaskState.REJECTED: 6,
    TaskState.EXPIRED: 7,
    TaskState.LOST: 8,
    TaskState.SUCCEEDED: 9,
}

#: States whose state cell shows a running clock.
TICKING = frozenset({TaskState.SUBMITTING, TaskState.PENDING, TaskState.PROCESSING})


def count_text(total: int, shown: int, running: int) -> str:
    """The list's count line: "12 tasks", "3 of 12", with " · 2 running" when some run."""
    parts = [f"{shown:,} of {total:,}" if shown != total else f"{total:,} tasks"]
    if total == 1 and shown == total:
        parts = ["1 task"]
    if running:
        parts.append(f"{running} running")
    return " \u00b7 ".join(parts)


def empty_text(total: int, shown: int, words: str, choice: StateFilter) -> str:
    """What an empty list says: nothing yet, or nothing matches the search and filter."""
    if total == 0:
        return "No videos yet.\nWrite a prompt and press Generate; your tasks appear here."
    if shown == 0:
        label = FILTER_LABELS[choice].lower()
        if choice == StateFilter.ALL and words:
            return f"No tasks match \u201c{words}\u201d."
        return f"No {label} tasks match \u201c{words}\u201d." if words else f"No {label} tasks."
    return ""
