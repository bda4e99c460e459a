"""The Storyboard tab: the storyboards' picker, the shot cards in film order, the selected
shot's details, and the film's actions (Generate missing shots, Play film, Render film).

A view over :class:`~veo_desktop.ui.storyboard.controller.StoryboardController`: every
change goes to the controller (which saves it at once) and comes back as a change of the
storyboard, which the cards and the details then show. Shots come in from the composer
("Add prompt", nothing sent), from a finished task (its context menu's "Add to storyboard")
and from the prompt history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.storyboard import Shot, ShotStart, Storyboard
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable
from veo_desktop.storyboard import StoryboardError
from veo_desktop.ui import style
from veo_desktop.ui.storyboard.card_delegate import ShotCardDelegate
from veo_desktop.ui.storyboard.controller import FIRST_NAME, StoryboardController
from veo_desktop.ui.storyboard.details import ShotDetails
from veo_desktop.ui.storyboard.film_bar import FilmBar
from veo_desktop.ui.storyboard.json_files import JsonFiles
from veo_desktop.ui.storyboard.picker import BoardPicker
from veo_desktop.ui.storyboard.shot_actions import ShotActions
from veo_desktop.ui.storyboard.shot_model import CardTone, ShotListModel

if TYPE_CHECKING:
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.ui.thumbnails import ThumbnailCache

logger = logging.getLogger(__name__)

#: How often the cards of running takes update their clocks (ms).
CLOCK_MS = 1000

EMPTY_TEXT = (
    "No shots yet. Add the composer's prompt with \u201cAdd prompt\u201d, a finished video "
    "from Tasks (right-click \u25b8 Add to storyboard), or a prompt from Prompts."
)


class StoryboardPanel(QWidget):
    """The Storyboard tab (see the module docstring).

    Args:
        controller: the storyboards of the session.
        thumbnails: the workspace's thumbnail cache (the cards' pictures).
        spending_cap: returns the daily cap in effect (Generate asks past it).
        request_source: returns the composer's request ("Add prompt"); None: no composer.

    Signals:
        current_task_changed: the selected shot's chosen take (a TaskRecord, or None), for
            the preview.
    """

    current_task_changed = Signal(object)

    def __init__(
        self,
        controller: StoryboardController,
        *,
        thumbnails: ThumbnailCache | None = None,
        spending_cap: Callable[[], SpendingCap | None] | None = None,
        request_source: Callable[[], GenerationRequest] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("storyboardPanel")
        self.setAccessibleName("Storyboard")
        self.controller = controller
        self.request_source = request_source
        self._board: Storyboard | None = None
        self._shown_task: TaskRecord | None = None
        self.picker = BoardPicker(controller, self)
        self.model = ShotListModel(self)
        self.shot_list = QListView()
        self.shot_list.setObjectName("shotList")
        self.shot_list.setAccessibleName("Shots")
        self.shot_list.setAccessibleDescription(
            "The film's shots in order. Alt+Shift+Up and Down move the selected shot."
        )
        self.shot_list.setModel(self.model)
        self.actions_ = ShotActions(self, self.shot_list)
        self.shot_list.setItemDelegate(ShotCardDelegate(thumbnails, self.shot_list))
        self.shot_list.setUniformItemSizes(True)
        self.shot_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.shot_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.shot_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.shot_list.setDragEnabled(True)
        self.shot_list.setDropIndicatorShown(True)
        self.shot_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.shot_list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.shot_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.shot_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("storyboardEmpty")
        self.empty_label.setWordWrap(True)
        style.follow_hint_color(self.empty_label)
        self.details = ShotDetails()
        self.film_bar = FilmBar(controller, self, spending_cap=spending_cap)
        self.files = JsonFiles(controller.export_json, controller.import_json, self)
        #: Moves the "Generating · Processing 0:12" clocks of running takes on.
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_MS)
        self._clock.timeout.connect(self.refresh)
        self._lay_out()
        self._connect()
        if thumbnails is not None:
            thumbnails.thumbnail_ready.connect(self.on_thumbnails_thumbnail_ready)
        self.picker.refresh()

    def _lay_out(self) -> None:
        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.setSpacing(2)
        for button in self.actions_.buttons():
            tools.addWidget(button)
        tools.addStretch(1)
        top = QWidget()
        top_column = QVBoxLayout(top)
        top_column.setContentsMargins(0, 0, 0, 0)
        top_column.setSpacing(4)
        top_column.addLayout(tools)
        top_column.addWidget(self.shot_list, 1)
        top_column.addWidget(self.empty_label)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("storyboardSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.picker)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.film_bar)

    def _connect(self) -> None:
        controller = self.controller
        controller.board_changed.connect(self.on_controller_board_changed)
        controller.boards_changed.connect(self.on_controller_boards_changed)
        controller.progress_changed.connect(self.on_controller_progress_changed)
        controller.engine.task_changed.connect(self.on_engine_task_changed)
        self.picker.board_chosen.connect(self.on_picker_board_chosen)
        self.picker.problem.connect(self.tell)
        self.picker.export_requested.connect(self.export_json)
        self.picker.import_requested.connect(self.files.ask_import)
        self.files.imported.connect(lambda board: self.picker.refresh(select=board.id))
        self.files.said.connect(self.film_bar.show_message)
        self.files.problem.connect(self.tell)
        self.model.move_requested.connect(self.on_model_move_requested)
        self.shot_list.selectionModel().currentChanged.connect(self._on_current_changed)
        self.shot_list.customContextMenuRequested.connect(self.on_shot_list_context_menu)
        self.actions_.add_prompt.triggered.connect(self.add_prompt)
        self.actions_.use_composer.triggered.connect(self.use_composer_settings)
        self.actions_.duplicate.triggered.connect(self.duplicate_shot)
        self.actions_.remove.triggered.connect(self.remove_shot)
        self.actions_.move_up.triggered.connect(lambda: self.move_shot(-1))
        self.actions_.move_down.triggered.connect(lambda: self.move_shot(1))
        self.details.start_changed.connect(self.on_details_start_changed)
        self.details.take_chosen.connect(self.on_details_take_chosen)
        self.details.compare_requested.connect(self.film_bar.compare)
        self.details.trim_requested.connect(self.trim_shot)
        self.details.more_takes_requested.connect(self.more_takes)
        self.film_bar.said.connect(self.film_bar.show_message)
        self.film_bar.current_shot_changed.connect(self.select_row)

    # -- what is shown --------------------------------------------------------------------

    @property
    def board(self) -> Storyboard | None:
        """The storyboard on show (None when there is none)."""
        return self._board

    @property
    def current_shot(self) -> Shot | None:
        row = self.shot_list.currentIndex().row()
        board = self._board
        return board.shots[row] if board is not None and 0 <= row < len(board.shots) else None

    def current_take(self) -> TaskRecord | None:
        """The selected shot's chosen take (None: no shot, or no take chosen)."""
        return self._shown_task

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.shot_list.setCurrentIndex(self.model.index(row))

    def select_shot(self, shot_id: str) -> None:
        self.select_row(self.model.row_of(shot_id))

    def on_picker_board_chosen(self, board_id: str) -> None:
        self._show_board(board_id)

    def _show_board(self, board_id: str) -> None:
        board: Storyboard | None = None
        if board_id:
            try:
                board = self.controller.board(board_id)
            except KeyError:
                board = None
        self._board = board
        self.model.set_cards(self.controller.cards(board) if board is not None else [])
        self.film_bar.show_board(board)
        self.empty_label.setVisible(not self.model.rowCount())
        running = any(card.tone is CardTone.RUNNING for card in self.model.cards)
        if running and not self._clock.isActive():
            self._clock.start()
        elif not running:
            self._clock.stop()
        if board is not None and board.shots and not self.shot_list.currentIndex().isValid():
            self.select_row(0)
        self._on_current_changed()

    def refresh(self) -> None:
        """Show the current storyboard again as stored."""
        self._show_board(self._board.id if self._board is not None else self.picker.current_id)

    def on_controller_board_changed(self, board_id: str) -> None:
        if self._board is not None and board_id == self._board.id:
            self.refresh()

    def on_controller_boards_changed(self) -> None:
        self.picker.refresh()

    def on_controller_progress_changed(self, local_id: str) -> None:
        board = self._board
        if board is not None and local_id in self.controller.takes_in(board):
            self.refresh()

    def on_engine_task_changed(self, task: TaskRecord) -> None:
        board = self._board
        if board is not None and task.local_id in self.controller.takes_in(board):
            self.refresh()

    def on_thumbnails_thumbnail_ready(self, _video: str) -> None:
        self.shot_list.viewport().update()

    def _on_current_changed(self, *_args: object) -> None:
        shot = self.current_shot
        row = self.shot_list.currentIndex().row()
        self.actions_.update(row, self.model.rowCount(), self.request_source is not None)
        takes = self.controller.takes(shot) if shot is not None else []
        self.details.show_shot(shot, row + 1, takes)
        chosen = next((t for t in takes if shot is not None and t.local_id == shot.chosen), None)
        if chosen is not self._shown_task:
            self._shown_task = chosen
            self.current_task_changed.emit(chosen)

    # -- adding shots ---------------------------------------------------------------------

    def _target_board(self) -> Storyboard | None:
        """The storyboard new shots go to: the one shown, else a new one."""
        if self._board is not None:
            return self._board
        try:
            board = self.controller.create(FIRST_NAME)
        except StoryboardError as error:
            self.tell("The storyboard was not made", str(error))
            return None
        self.picker.refresh(select=board.id)
        return board

    def _after_current(self) -> int | None:
        row = self.shot_list.currentIndex().row()
        return row + 1 if row >= 0 else None

    def add_request(self, request: GenerationRequest) -> Shot | None:
        """Add an unsent shot made from ``request`` after the selected shot."""
        if not request.prompt.strip():
            self.tell("The shot was not added", "Write a prompt in the composer first.")
            return None
        board = self._target_board()
        if board is None:
            return None
        try:
            shot = self.controller.add_request(board.id, request, index=self._after_current())
        except (StoryboardError, KeyError) as error:
            self.tell("The shot was not added", str(error))
            return None
        self._added(shot)
        return shot

    def add_task(self, task: TaskRecord) -> Shot | None:
        """Add a shot made from the finished task ``task`` after the selected shot."""
        board = self._target_board()
        if board is None:
            return None
        try:
            shot = self.controller.add_task(board.id, task.local_id, index=self._after_current())
        except (StoryboardError, KeyError) as error:
            self.tell("The video was not added", str(error))
            return None
        self._added(shot)
        return shot

    def _added(self, shot: Shot) -> None:
        self.refresh()
        self.select_shot(shot.id)
        number = self.model.row_of(shot.id) + 1
        name = self._board.name if self._board is not None else ""
        self.film_bar.show_message(f"Added as shot {number} of \u201c{printable(name, 80)}\u201d.")

    def add_prompt(self) -> Shot | None:
        """Add the composer's prompt and settings as a shot (nothing is sent)."""
        if self.request_source is None:
            return None
        return self.add_request(self.request_source())

    # -- changing shots -------------------------------------------------------------------

    def _change(self, title: str, change: Callable[[str, str], object]) -> None:
        board, shot = self._board, self.current_shot
        if board is None or shot is None:
            return
        try:
            change(board.id, shot.id)
        except (StoryboardError, KeyError) as error:
            self.tell(title, str(error))
            self.refresh()

    def move_shot(self, offset: int) -> None:
        """Move the selected shot ``offset`` places (-1 earlier, 1 later), keeping it selected."""
        row = self.shot_list.currentIndex().row()
        shot = self.current_shot
        if shot is not None and self.model.move_shot(row, offset):
            self.select_shot(shot.id)

    def on_model_move_requested(self, shot_id: str, index: int) -> None:
        board = self._board
        if board is None:
            return
        try:
            self.controller.move(board.id, shot_id, index)
        except (StoryboardError, KeyError) as error:
            self.tell("The shot was not moved", str(error))
        self.refresh()
        self.select_shot(shot_id)

    def duplicate_shot(self) -> None:
        board, shot = self._board, self.current_shot
        if board is None or shot is None:
            return
        try:
            copy = self.controller.duplicate_shot(board.id, shot.id)
        except (StoryboardError, KeyError) as error:
            self.tell("The shot was not duplicated", str(error))
            return
        self.refresh()
        self.select_shot(copy.id)

    def remove_shot(self) -> None:
        row = self.shot_list.currentIndex().row()
        self._change("The shot was not removed", self.controller.remove_shot)
        self.refresh()
        self.select_row(min(row, self.model.rowCount() - 1))

    def use_composer_settings(self) -> None:
        """Give the selected shot the composer's prompt and settings (nothing is sent); how
        a shot whose stored settings can no longer be used is fixed."""
        if self.request_source is None or self.current_shot is None:
            return
        request = self.request_source()
        if not request.prompt.strip():
            self.tell("The shot was not changed", "Write a prompt in the composer first.")
            return
        self._change(
            "The shot was not changed",
            lambda board, shot: self.controller.set_request(board, shot, request),
        )
        self.refresh()

    def on_details_start_changed(self, start: ShotStart) -> None:
        self._change(
            "The shot's start was not changed",
            lambda board, shot: self.controller.set_start(board, shot, start),
        )

    def on_details_take_chosen(self, local_id: str) -> None:
        self._change(
            "The take was not chosen",
            lambda board, shot: self.controller.choose_take(board, shot, local_id),
        )

    def trim_shot(self) -> None:
        board, shot = self._board, self.current_shot
        if board is None or shot is None or shot.chosen is None:
            return
        task = self.controller.task(shot.chosen)
        if task is not None:
            self.film_bar.trim(board.id, shot, task)

    def export_json(self) -> None:
        """Ask where to write the storyboard shown as JSON, then write it."""
        if self._board is not None:
            self.files.ask_export(self._board.id, self._board.name)

    def more_takes(self) -> None:
        board, shot = self._board, self.current_shot
        if board is not None and shot is not None:
            self.film_bar.more_takes(board.id, shot)

    def on_shot_list_context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.setObjectName("shotMenu")
        self.actions_.fill_menu(menu)
        menu.popup(self.shot_list.viewport().mapToGlobal(position))

    # -- messages and closing -------------------------------------------------------------

    def tell(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, printable(text, 1000), QMessageBox.StandardButton.Ok
        )
        box.setParent(self.window(), box.windowFlags())
        box.setObjectName("storyboardProblem")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(box.deleteLater)
        box.open()
        return box

    def shutdown(self) -> None:
        """Stop renders and players, and stop listening (the session closes)."""
        self._clock.stop()
        self.film_bar.shutdown()
        self.controller.close()
