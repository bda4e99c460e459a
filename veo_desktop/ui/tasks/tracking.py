"""What the task model keeps beside its rows (no Qt): which tasks show a running clock,
how many the engine is working on, download progress, and which task owns which video
(for thumbnails that arrive later)."""

from __future__ import annotations

from collections.abc import Iterable

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.columns import TICKING

#: A task's download progress: bytes done and the total (None when unknown).
Progress = tuple[int, int | None]


class TaskTracker:
    """Sets and maps kept up to date task by task, so no question scans the rows."""

    def __init__(self) -> None:
        #: Download progress by local id (changed in place: others hold this dict).
        self.progress: dict[str, Progress] = {}
        #: Tasks whose elapsed time is on show and moving.
        self.ticking: set[str] = set()
        #: Tasks the engine is working on (submitting to downloading).
        self.active: set[str] = set()
        #: The task whose first video each file is.
        self.video_owner: dict[str, str] = {}

    def reset(self, tasks: Iterable[TaskRecord]) -> None:
        """Start again from ``tasks`` (every row of a freshly filled list)."""
        tasks = list(tasks)
        self.progress.clear()
        self.ticking = {t.local_id for t in tasks if t.state in TICKING}
        self.active = {t.local_id for t in tasks if t.is_active}
        self.video_owner = {t.files[0]: t.local_id for t in tasks if t.files}

    def track(self, task: TaskRecord, old: TaskRecord | None) -> str | None:
        """Take in a new or changed task; returns the video it no longer shows, if any."""
        if task.state in TICKING:
            self.ticking.add(task.local_id)
        else:
            self.ticking.discard(task.local_id)
        if task.is_active:
            self.active.add(task.local_id)
        else:
            self.active.discard(task.local_id)
        if task.state != TaskState.DOWNLOADING:
            self.progress.pop(task.local_id, None)
        dropped = None
        if old is not None and old.files and old.files != task.files:
            dropped = old.files[0]
            self.video_owner.pop(dropped, None)
        if task.files:
            self.video_owner[task.files[0]] = task.local_id
        return dropped

    def forget(self, local_id: str, video: str | None) -> None:
        """A task left the list (``video``: its first video, if any)."""
        self.progress.pop(local_id, None)
        self.ticking.discard(local_id)
        self.active.discard(local_id)
        if video is not None and self.video_owner.get(video) == local_id:
            del self.video_owner[video]

    def own(self, task: TaskRecord) -> None:
        """A shelved row's task was read to be shown: its thumbnail, once made, repaints it."""
        if task.files:
            self.video_owner.setdefault(task.files[0], task.local_id)

    def set_progress(self, local_id: str, done: int, total: int | None) -> None:
        self.progress[local_id] = (done, total if total is not None and total >= 0 else None)
