"""A desktop notification when a task finishes or fails while the window is not active.

Uses the system tray's balloon messages (``QSystemTrayIcon.showMessage``), which every
desktop Qt supports maps to its native notifications. Where there is no tray (some Linux
sessions, the offscreen platform) it stays quiet: the task list shows the same news.
Several tasks ending together make one message, not a burst.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.tasks import format as fmt

logger = logging.getLogger(__name__)

#: States worth telling the person about when they are not looking.
NEWS = frozenset({TaskState.SUCCEEDED, TaskState.FAILED, TaskState.EXPIRED, TaskState.LOST})
#: Tasks ending within this many milliseconds make one notification.
COALESCE_MS = 1500
_PROMPT_CHARS = 90


def _excerpt(task: TaskRecord) -> str:
    text = fmt.short_prompt(task)
    return text if len(text) <= _PROMPT_CHARS else text[: _PROMPT_CHARS - 1] + "\u2026"


def compose(tasks: list[TaskRecord]) -> tuple[str, str]:
    """The (title, message) of one notification about ``tasks`` (at least one)."""
    done = [t for t in tasks if t.state == TaskState.SUCCEEDED]
    bad = [t for t in tasks if t.state != TaskState.SUCCEEDED]
    if len(tasks) == 1:
        task = tasks[0]
        if done:
            return "Video ready", f"\u201c{_excerpt(task)}\u201d is saved and ready to preview."
        if task.state == TaskState.UNCERTAIN:
            return "Submission uncertain", f"\u201c{_excerpt(task)}\u201d needs your decision."
        reason = fmt.detail_line(task) or fmt.STATE_LABELS[task.state]
        label = fmt.STATE_LABELS[task.state].lower()
        return f"Video {label}", f"\u201c{_excerpt(task)}\u201d: {reason}"
    unsure = [t for t in bad if t.state == TaskState.UNCERTAIN]
    failed = [t for t in bad if t.state != TaskState.UNCERTAIN]
    parts = []
    if done:
        parts.append(f"{len(done)} video{'s' if len(done) != 1 else ''} ready")
    if failed:
        parts.append(f"{len(failed)} failed")
    if unsure:
        parts.append(f"{len(unsure)} uncertain")
    title = ", ".join(parts).capitalize()
    lines = [f"\u2022 {_excerpt(t)}" for t in tasks[:4]]
    if len(tasks) > 4:
        lines.append(f"\u2026 and {len(tasks) - 4} more")
    return title, "\n".join(lines)


class TaskNotifier(QObject):
    """Posts a tray message when a task ends while ``window`` is not the active window.

    Args:
        controller: the source of task changes.
        window: the main window; no message while it is active.
        icon: the tray icon (the app's icon).
        is_active: overrides how "the window is active" is judged (tests).
    """

    #: A notification was decided (title, message); emitted with or without a tray.
    notification_posted = Signal(str, str)
    #: The person clicked the message: the local id of the (last) task it was about.
    activated = Signal(str)

    def __init__(
        self,
        controller: EngineController,
        window: QWidget,
        icon: QIcon,
        parent: QObject | None = None,
        *,
        is_active: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self._window = window
        self._icon = icon
        self._is_active = is_active or (lambda: window.isActiveWindow())
        self._states: dict[str, TaskState] = {t.local_id: t.state for t in controller.tasks()}
        self._queued: dict[str, TaskRecord] = {}
        self._last_id: str | None = None
        self._tray: QSystemTrayIcon | None = None
        self.enabled = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self.on_timer_timeout)
        controller.task_changed.connect(self.on_controller_task_changed)

    @property
    def tray_available(self) -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    @Slot(object)
    def on_controller_task_changed(self, task: TaskRecord) -> None:
        before = self._states.get(task.local_id)
        self._states[task.local_id] = task.state
        if before == task.state or task.state not in NEWS or task.hidden:
            return
        if not self.enabled or self._is_active():
            return
        self._queued[task.local_id] = task
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def on_timer_timeout(self) -> None:
        tasks = list(self._queued.values())
        self._queued.clear()
        if not tasks or self._is_active():
            return
        title, message = compose(tasks)
        self._last_id = tasks[-1].local_id
        self.notification_posted.emit(title, message)
        QApplication.alert(self._window)
        tray = self._ensure_tray()
        if tray is None:
            logger.debug("No system tray; not showing: %s", title)
            return
        failed = any(t.state != TaskState.SUCCEEDED for t in tasks)
        icons = QSystemTrayIcon.MessageIcon
        tray.showMessage(title, message, icons.Warning if failed else icons.Information, 8000)

    def flush(self) -> None:
        """Post what is queued now (instead of after the coalescing pause)."""
        if self._timer.isActive():
            self._timer.stop()
            self.on_timer_timeout()

    def _ensure_tray(self) -> QSystemTrayIcon | None:
        if self._tray is not None:
            return self._tray
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(self._icon, self)
        tray.setToolTip("Veo Desktop")
        tray.messageClicked.connect(self.on_tray_message_clicked)
        tray.activated.connect(self.on_tray_activated)
        tray.show()
        self._tray = tray
        return tray

    @Slot()
    def on_tray_message_clicked(self) -> None:
        self._raise_window()
        if self._last_id is not None:
            self.activated.emit(self._last_id)

    @Slot(QSystemTrayIcon.ActivationReason)
    def on_tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self._raise_window()

    def _raise_window(self) -> None:
        if self._window.isMinimized():
            self._window.showNormal()
        else:
            self._window.show()
        self._window.raise_()
        self._window.activateWindow()

    def close(self) -> None:
        """Remove the tray icon (the app is quitting)."""
        self._timer.stop()
        if self._tray is not None:
            self._tray.hide()
            self._tray.deleteLater()
            self._tray = None
