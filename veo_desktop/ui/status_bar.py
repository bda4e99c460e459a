"""The status bar: whether the API answers, active tasks, spend today and this session, balance.

Everything updates from the controller's signals; nothing polls. The spend figures come from
our own store (:mod:`veo_desktop.core.spending`): summed again (coalesced) when a task
changes, and once at midnight. Tasks whose submission may have been taken (uncertain) are
shown apart: "Today $3.40 (+$1.50 uncertain)".
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStatusBar, QWidget

from veo_desktop.ui import style
from veo_desktop.ui.compose.widgets import format_money

if TYPE_CHECKING:
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.ui.controller import EngineController


#: How long what an action did stays in the status bar.
ACTION_MESSAGE_MS = 10_000


class _Dot(QWidget):
    """A small filled circle: green when the API answers, red when not, grey unknown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.color: QColor | None = None
        self.setFixedSize(QSize(10, 10))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.color if self.color is not None else style.hint_color(self))
        painter.drawEllipse(self.rect().adjusted(1, 1, -1, -1))
        painter.end()


class _Item(QWidget):
    """One permanent status bar field: optional dot, then text."""

    def __init__(self, object_name: str, accessible: str, *, dot: bool = False) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(5)
        self.dot = _Dot(self) if dot else None
        if self.dot is not None:
            layout.addWidget(self.dot)
        self.label = QLabel(self)
        self.label.setObjectName(object_name)
        self.label.setAccessibleName(accessible)
        layout.addWidget(self.label)

    def set(self, text: str, tip: str) -> None:
        self.label.setText(text)
        self.label.setToolTip(tip)
        self.label.setAccessibleDescription(tip)
        self.setToolTip(tip)


class StatusBar(QStatusBar):
    """Balance, API health, active task count, and what today and this session cost, kept
    current by signals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.setSizeGripEnabled(True)
        self._controller: EngineController | None = None
        self._active: set[str] = set()
        self._started_at = time.time()
        self.api_item = _Item("apiStatusLabel", "API status", dot=True)
        self.active_item = _Item("activeTasksLabel", "Active tasks")
        self.spend_item = _Item("spendTodayLabel", "Spend today")
        self.session_item = _Item("spendSessionLabel", "Spend this session")
        self.balance_item = _Item("balanceLabel", "Balance")
        for item in (
            self.api_item,
            self.active_item,
            self.spend_item,
            self.session_item,
            self.balance_item,
        ):
            self.addPermanentWidget(item)
        self._spend_timer = QTimer(self)
        self._spend_timer.setSingleShot(True)
        self._spend_timer.setInterval(250)
        self._spend_timer.timeout.connect(self.on_spend_timer_timeout)
        self._midnight = QTimer(self)
        self._midnight.setSingleShot(True)
        self._midnight.timeout.connect(self.on_midnight_timeout)
        self.detach()

    @property
    def balance_label(self) -> QLabel:
        return self.balance_item.label

    def attach(self, controller: EngineController, *, started_at: float | None = None) -> None:
        """Follow a controller (the session's); replaces the one followed before.

        ``started_at`` (unix seconds) is when the session began: "this session" counts the
        tasks submitted since then.
        """
        self.detach()
        self._controller = controller
        self._started_at = time.time() if started_at is None else started_at
        controller.task_changed.connect(self.on_controller_task_changed)
        controller.balance_changed.connect(self.on_controller_balance_changed)
        controller.api_health_changed.connect(self.on_controller_api_health_changed)
        controller.action_done.connect(self.on_controller_action_done)
        # One read of every task (hidden ones count for the spend) serves both figures: at
        # 10,000 tasks each read sorts them all, before the workspace can be used.
        records = controller.tasks(include_hidden=True)
        self._active = {task.local_id for task in records if task.is_active and not task.hidden}
        for item in (self.active_item, self.spend_item, self.session_item, self.balance_item):
            item.setVisible(True)
        self._show_active()
        self._show_spend(records)
        self.balance_item.set("Balance …", "Asking APIXO for the balance")
        self.api_item.set("Connecting…", "Waiting for the first answer from the API")
        self._arm_midnight()

    def detach(self) -> None:
        """Stop following the controller (the session is closing)."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.task_changed.disconnect(self.on_controller_task_changed)
            controller.balance_changed.disconnect(self.on_controller_balance_changed)
            controller.api_health_changed.disconnect(self.on_controller_api_health_changed)
            controller.action_done.disconnect(self.on_controller_action_done)
        self._spend_timer.stop()
        self._midnight.stop()
        self._active.clear()
        self.api_item.set("Not connected", "No API key yet")
        if self.api_item.dot is not None:
            self.api_item.dot.color = None
            self.api_item.dot.update()
        self.active_item.set("No active tasks", "Tasks being submitted, generated or downloaded")
        self.spend_item.set("Today $0.00", "Spent on videos accepted today")
        self.session_item.set("Session $0.00", "Spent on videos accepted since the window opened")
        self.balance_item.set("Balance —", "The APIXO balance of this key")
        for item in (self.active_item, self.spend_item, self.session_item, self.balance_item):
            item.setVisible(False)

    # -- slots ----------------------------------------------------------------------------

    def on_controller_task_changed(self, task: TaskRecord) -> None:
        was = task.local_id in self._active
        if task.is_active and not task.hidden:
            self._active.add(task.local_id)
        else:
            self._active.discard(task.local_id)
        if was != (task.local_id in self._active):
            self._show_active()
        if not self._spend_timer.isActive():
            self._spend_timer.start()

    def on_controller_balance_changed(self, balance: Decimal | None) -> None:
        if balance is None:
            self.balance_item.set("Balance unknown", "The balance could not be read")
        else:
            self.balance_item.set(
                f"Balance {format_money(balance)}", "The APIXO balance of this key"
            )

    def on_controller_api_health_changed(self, reachable: bool, message: str) -> None:
        text = "API OK" if reachable else "API unreachable"
        self.api_item.set(text, message or text)
        if self.api_item.dot is not None:
            self.api_item.dot.color = (
                style.ok_color(self) if reachable else style.problem_color(self)
            )
            self.api_item.dot.update()

    def on_controller_action_done(self, text: str) -> None:
        self.showMessage(text, ACTION_MESSAGE_MS)

    def on_spend_timer_timeout(self) -> None:
        self._show_spend()

    def on_midnight_timeout(self) -> None:
        self._show_spend()
        self._arm_midnight()

    # -- internals --------------------------------------------------------------------------

    def _show_active(self) -> None:
        count = len(self._active)
        text = "No active tasks" if count == 0 else f"{count} active"
        self.active_item.set(text, "Tasks being submitted, generated or downloaded")

    def _show_spend(self, records: list[TaskRecord] | None = None) -> None:
        """Show today's and this session's spend, from ``records`` (every task, hidden ones
        too) or the controller's."""
        if self._controller is None:
            return
        from veo_desktop.core.spending import spend_this_session, spend_today

        if records is None:
            records = self._controller.tasks(include_hidden=True)
        today = spend_today(records)
        session = spend_this_session(records, self._started_at)
        maybe = (
            " Tasks whose submission was lost may have been charged too: they are shown as "
            "uncertain until you resolve them."
        )
        self.spend_item.set(
            f"Today {today.text()}",
            f"Spent today on {today.count} video{'s' if today.count != 1 else ''} APIXO "
            f"accepted (local time), from this app's records.{maybe if today.maybe else ''}",
        )
        self.session_item.set(
            f"Session {session.text()}",
            f"Spent since the window opened on {session.count} "
            f"video{'s' if session.count != 1 else ''}.{maybe if session.maybe else ''}",
        )

    def _arm_midnight(self) -> None:
        now = dt.datetime.now()
        tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time())
        self._midnight.start(int((tomorrow - now).total_seconds() * 1000) + 1000)
