"""The task list's running clocks: the elapsed time of running tasks is repainted once a
second, only while one of them is on show (the panel visible, the row not filtered out),
and only for the rows in view."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QWidget

from veo_desktop.ui.tasks.columns import LOCAL_ID_ROLE
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy
from veo_desktop.ui.tasks.view import TaskView

#: How often the elapsed time of running tasks is repainted (only while one is on show).
CLOCK_INTERVAL_MS = 1000


class RunningClocks(QObject):
    """Ticks the state cells of running tasks in view; :meth:`update` starts or stops it."""

    def __init__(
        self, panel: QWidget, model: TaskTableModel, proxy: TaskFilterProxy, view: TaskView
    ) -> None:
        super().__init__(panel)
        self._panel = panel
        self._model = model
        self._proxy = proxy
        self._view = view
        self.timer = QTimer(self)
        self.timer.setObjectName("taskClockTimer")
        self.timer.setInterval(CLOCK_INTERVAL_MS)
        self.timer.timeout.connect(self.on_timer_timeout)

    def update(self) -> None:
        """Run the one-second clock only while a running task is on show."""
        model = self._model
        visible = self._panel.isVisible() and any(
            self._proxy.mapFromSource(model.index_of(local_id)).isValid()
            for local_id in model.ticking_ids()
        )
        if visible and not self.timer.isActive():
            self.timer.start()
        elif not visible and self.timer.isActive():
            self.timer.stop()

    def stop(self) -> None:
        self.timer.stop()

    @Slot()
    def on_timer_timeout(self) -> None:
        first, last = self._view.visible_rows()
        if first < 0:
            return
        ticking = self._model.ticking_ids()
        shown: list[str] = []
        for row in range(first, last + 1):
            local_id = self._proxy.index(row, 0).data(LOCAL_ID_ROLE)
            if local_id in ticking:
                shown.append(local_id)
        self._model.refresh_clocks(shown)
