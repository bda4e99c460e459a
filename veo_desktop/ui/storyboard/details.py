"""The selected shot, below the storyboard's list: how it starts, its takes (pick one, compare
two) and its trim.

A view only: it shows what :meth:`ShotDetails.show_shot` hands it and says what the person
asked for through signals; the panel passes each request to the storyboard controller.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import Shot, ShotStart
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui import style
from veo_desktop.ui.storyboard.cards import START_CHOICES
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.files import video_file
from veo_desktop.ui.tasks.takes import seed_of


def take_line(number: int, task: TaskRecord, chosen: bool) -> str:
    """ "Take 2 · seed 17 · Succeeded (chosen)"."""
    seed = seed_of(task)
    parts = [f"Take {number}"]
    if seed is not None:
        parts.append(f"seed {seed}")
    parts.append(fmt.STATE_LABELS.get(task.state, str(task.state)))
    text = " \u00b7 ".join(parts)
    return f"{text} (chosen)" if chosen else text


def trim_text(trim: tuple[float, float] | None) -> str:
    if trim is None:
        return "The whole take"
    start, end = trim
    return f"{start:.2f} s to {end:.2f} s ({max(0.0, end - start):.2f} s)"


class ShotDetails(QWidget):
    """How the selected shot starts, its takes and its trim.

    Signals:
        start_changed: the person chose how the shot starts (a :class:`ShotStart`).
        take_chosen: the person picked a take (its local id).
        compare_requested: compare these two takes (a list of two TaskRecord).
        trim_requested: open the trim editor on the chosen take.
        more_takes_requested: make more takes of the shot (variations of its settings).
    """

    start_changed = Signal(object)
    take_chosen = Signal(str)
    compare_requested = Signal(list)
    trim_requested = Signal()
    more_takes_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shotDetails")
        self._shot: Shot | None = None
        self._takes: list[TaskRecord] = []
        self.heading = QLabel("No shot selected")
        self.heading.setObjectName("shotHeading")
        self.heading.setFont(style.scaled_font(self.heading, 1.0, bold=True))
        #: Why the shot is blocked (stored fields this version cannot use); hidden otherwise.
        self.problem_label = QLabel()
        self.problem_label.setObjectName("shotProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextFormat(Qt.TextFormat.PlainText)
        self.problem_label.hide()
        self.start_selector = QComboBox()
        self.start_selector.setObjectName("shotStartSelector")
        self.start_selector.setAccessibleName("How the shot starts")
        for start, text in START_CHOICES:
            self.start_selector.addItem(text, start.value)
        self.take_list = QListWidget()
        self.take_list.setObjectName("takeList")
        self.take_list.setAccessibleName("Takes")
        self.take_list.setAccessibleDescription(
            "The shot's takes; the chosen one is in the film. Select two to compare them."
        )
        self.take_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        line = self.fontMetrics().lineSpacing()
        self.take_list.setMinimumHeight(line * 2 + 8)
        self.take_list.setMaximumHeight(line * 6 + 8)
        self.choose_button = QPushButton("&Use this take")
        self.choose_button.setObjectName("chooseTakeButton")
        self.choose_button.setToolTip("The film uses this take of the shot")
        self.compare_button = QPushButton("Co&mpare")
        self.compare_button.setObjectName("compareTakesButton")
        self.compare_button.setToolTip("Select two finished takes to play them side by side")
        self.more_button = QPushButton("More ta&kes\u2026")
        self.more_button.setObjectName("moreTakesButton")
        self.more_button.setToolTip(
            "Make variations of this shot's settings, each with its own seed (shows the price "
            "first); they become takes to pick from"
        )
        self.trim_label = QLabel(trim_text(None))
        self.trim_label.setObjectName("shotTrimLabel")
        self.trim_button = QPushButton("T&rim\u2026")
        self.trim_button.setObjectName("trimShotButton")
        self.trim_button.setToolTip("Set the in and out points on the chosen take")
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Starts", self.start_selector)
        trim_row = QHBoxLayout()
        trim_row.addWidget(self.trim_label, 1)
        trim_row.addWidget(self.trim_button)
        form.addRow("Trim", trim_row)
        take_buttons = QHBoxLayout()
        take_buttons.addWidget(self.choose_button)
        take_buttons.addWidget(self.compare_button)
        take_buttons.addStretch(1)
        take_buttons.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.heading)
        layout.addWidget(self.problem_label)
        layout.addLayout(form)
        layout.addWidget(self.take_list)
        layout.addLayout(take_buttons)
        layout.addStretch(1)
        self.start_selector.activated.connect(self.on_start_selector_activated)
        self.choose_button.clicked.connect(self.on_choose_button_clicked)
        self.take_list.itemActivated.connect(self.on_take_list_item_activated)
        self.take_list.itemSelectionChanged.connect(self._update_buttons)
        self.compare_button.clicked.connect(self.on_compare_button_clicked)
        self.trim_button.clicked.connect(self.trim_requested)
        self.more_button.clicked.connect(self.more_takes_requested)
        self.show_shot(None, 0, [])

    @property
    def shot(self) -> Shot | None:
        return self._shot

    def show_shot(self, shot: Shot | None, number: int, takes: list[TaskRecord]) -> None:
        """Show ``shot`` (the ``number``-th of the film) and its ``takes``; None: nothing."""
        self._shot = shot
        self._takes = list(takes)
        selected = {item.data(Qt.ItemDataRole.UserRole) for item in self.take_list.selectedItems()}
        self.take_list.clear()
        enabled = shot is not None
        for widget in (self.start_selector, self.take_list, self.trim_button):
            widget.setEnabled(enabled)
        problem = shot.problem if shot is not None else None
        self.problem_label.setText(f"Blocked: {problem.text}" if problem is not None else "")
        self.problem_label.setVisible(problem is not None)
        if problem is not None:
            style.set_text_color(self.problem_label, style.problem_color(self))
        if shot is None:
            self.heading.setText("No shot selected")
            self.trim_label.setText("")
            self._update_buttons()
            return
        self.heading.setText(f"Shot {number}")
        row = self.start_selector.findData(shot.start.value)
        self.start_selector.setCurrentIndex(max(0, row))
        for place, task in enumerate(takes, start=1):
            chosen = task.local_id == shot.chosen
            item = QListWidgetItem(take_line(place, task, chosen))
            item.setData(Qt.ItemDataRole.UserRole, task.local_id)
            if chosen:
                font = QFont(self.take_list.font())
                font.setBold(True)
                item.setFont(font)
            self.take_list.addItem(item)
            if task.local_id in selected:
                item.setSelected(True)
        if not takes:
            self.take_list.addItem(QListWidgetItem("No takes yet: Generate missing shots"))
        self.trim_label.setText(trim_text(shot.trim))
        self._update_buttons()

    def selected_takes(self) -> list[TaskRecord]:
        ids = [item.data(Qt.ItemDataRole.UserRole) for item in self.take_list.selectedItems()]
        return [task for task in self._takes if task.local_id in ids]

    def select_take(self, local_id: str) -> None:
        for row in range(self.take_list.count()):
            item = self.take_list.item(row)
            item.setSelected(item.data(Qt.ItemDataRole.UserRole) == local_id)
            if item.isSelected():
                self.take_list.setCurrentItem(item)

    def _update_buttons(self) -> None:
        chosen = self.selected_takes()
        shot = self._shot
        one = len(chosen) == 1 and chosen[0].state == TaskState.SUCCEEDED
        self.choose_button.setEnabled(
            shot is not None and one and chosen[0].local_id != shot.chosen
        )
        finished = [t for t in chosen if t.state == TaskState.SUCCEEDED and video_file(t)]
        self.compare_button.setEnabled(len(chosen) == 2 and len(finished) == 2)
        has_take = shot is not None and shot.chosen is not None
        self.trim_button.setEnabled(has_take)
        # A continued or extended shot's takes start from the shot before's take (the film
        # bar says so, before any price, when that shot has no video yet).
        self.more_button.setEnabled(
            shot is not None and shot.request is not None and shot.problem is None
        )

    def on_start_selector_activated(self, _index: int) -> None:
        start = ShotStart(str(self.start_selector.currentData()))
        if self._shot is not None and start != self._shot.start:
            self.start_changed.emit(start)

    def on_choose_button_clicked(self) -> None:
        chosen = self.selected_takes()
        if len(chosen) == 1:
            self.take_chosen.emit(chosen[0].local_id)

    def on_take_list_item_activated(self, item: QListWidgetItem) -> None:
        local_id = item.data(Qt.ItemDataRole.UserRole)
        task = next((t for t in self._takes if t.local_id == local_id), None)
        if task is not None and task.state == TaskState.SUCCEEDED:
            self.take_chosen.emit(local_id)

    def on_compare_button_clicked(self) -> None:
        chosen = self.selected_takes()
        if len(chosen) == 2:
            self.compare_requested.emit(chosen)
