"""The lifecycle of a task, from the row written before the POST to its final state."""

from __future__ import annotations

from enum import StrEnum


class TaskState(StrEnum):
    """Where a task is; the values are the public names the window and the CLI show.

    ``uncertain`` is neither active nor final: it waits for the person to check it again,
    resubmit it (paying again) or dismiss it.
    """

    SUBMITTING = "submitting"
    PENDING = "pending"
    PROCESSING = "processing"
    DOWNLOADING = "downloading"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    UNCERTAIN = "uncertain"
    EXPIRED = "expired"
    LOST = "lost"

    @property
    def is_final(self) -> bool:
        """Nothing more happens to the task by itself."""
        return self in _FINAL

    @property
    def is_active(self) -> bool:
        """The engine is working on it (submitting, polling or downloading)."""
        return self in _ACTIVE

    @property
    def label(self) -> str:
        """A short human label ("Downloading")."""
        return self.value.capitalize()


_FINAL = frozenset(
    {TaskState.SUCCEEDED, TaskState.FAILED, TaskState.REJECTED, TaskState.EXPIRED, TaskState.LOST}
)
_ACTIVE = frozenset(
    {TaskState.SUBMITTING, TaskState.PENDING, TaskState.PROCESSING, TaskState.DOWNLOADING}
)

#: States from which the person may resubmit the same request as a new (paid) task.
RESUBMITTABLE = frozenset(
    {TaskState.UNCERTAIN, TaskState.FAILED, TaskState.REJECTED, TaskState.EXPIRED, TaskState.LOST}
)
