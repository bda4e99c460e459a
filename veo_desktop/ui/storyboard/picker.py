"""The storyboard picker: which storyboard the tab shows, and its menu (new, rename,
duplicate, delete, export and import as JSON).

Questions open with ``open()`` (window-modal, never ``exec()``: a nested event loop inside
the asyncio loop breaks qasync) and answer through signals; :attr:`BoardPicker.dialog` is
the one open now (tests answer it).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from veo_desktop.records.storyboard import MAX_CROSSFADE_FRAMES, Storyboard
from veo_desktop.safe_text import printable
from veo_desktop.storyboard import StoryboardError
from veo_desktop.ui.storyboard.controller import StoryboardController
from veo_desktop.ui.storyboard.dialog_owner import DialogOwner

#: The longest storyboard name kept.
NAME_LIMIT = 120


class BoardPicker(DialogOwner, QWidget):
    """A combo box of the storyboards and a menu of what can be done with them.

    Signals:
        board_chosen: the storyboard to show (its id; ``""`` when there is none).
        export_requested: Export JSON… was chosen.
        import_requested: Import JSON… was chosen.
        problem: something could not be done (a title and a message).
    """

    board_chosen = Signal(str)
    export_requested = Signal()
    import_requested = Signal()
    problem = Signal(str, str)

    def __init__(self, controller: StoryboardController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        #: The question or name dialog open now (None when none is).
        self.dialog: QWidget | None = None
        self.combo = QComboBox()
        self.combo.setObjectName("storyboardPicker")
        self.combo.setAccessibleName("Storyboard")
        self.combo.setAccessibleDescription("Which storyboard the list shows")
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(10)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.menu = QMenu(self)
        self.menu.setObjectName("storyboardPickerMenu")
        self.new_action = self._action("newStoryboardAction", "&New storyboard\u2026")
        self.rename_action = self._action("renameStoryboardAction", "&Rename\u2026")
        self.duplicate_action = self._action("duplicateStoryboardAction", "&Duplicate")
        self.delete_action = self._action("deleteStoryboardAction", "De&lete\u2026")
        self.menu.addSeparator()
        self.crossfade_action = self._action(
            "crossfadeStoryboardAction", "&Crossfade between shots\u2026"
        )
        self.letterbox_action = self._action(
            "letterboxStoryboardAction", "Letter&box shots of other shapes"
        )
        self.letterbox_action.setCheckable(True)
        self.menu.addSeparator()
        self.export_action = self._action("exportStoryboardAction", "&Export as JSON\u2026")
        self.import_action = self._action("importStoryboardAction", "&Import JSON\u2026")
        self.menu_button = QToolButton()
        self.menu_button.setObjectName("storyboardMenuButton")
        self.menu_button.setText("Storyboards \u25be")
        self.menu_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        self.menu_button.setMenu(self.menu)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setAccessibleName("Storyboards menu")
        self.menu_button.setToolTip("New, rename, duplicate, delete; export or import as JSON")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.combo, 1)
        row.addWidget(self.menu_button)
        self.new_action.triggered.connect(self.ask_new)
        self.rename_action.triggered.connect(self.ask_rename)
        self.duplicate_action.triggered.connect(self.duplicate)
        self.delete_action.triggered.connect(self.ask_delete)
        self.crossfade_action.triggered.connect(self.ask_crossfade)
        self.letterbox_action.toggled.connect(self.on_letterbox_action_toggled)
        self.menu.aboutToShow.connect(self.on_menu_about_to_show)
        self.export_action.triggered.connect(self.export_requested)
        self.import_action.triggered.connect(self.import_requested)
        self.combo.currentIndexChanged.connect(self.on_combo_current_index_changed)
        self.refresh()

    def _action(self, name: str, text: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        self.menu.addAction(action)
        return action

    # -- contents -------------------------------------------------------------------------

    @property
    def current_id(self) -> str:
        value = self.combo.currentData()
        return value if isinstance(value, str) else ""

    def refresh(self, select: str | None = None) -> None:
        """List the storyboards again, keeping (or moving to ``select``) the current one."""
        keep = select if select is not None else self.current_id
        boards = self._controller.boards()
        self.combo.blockSignals(True)
        try:
            self.combo.clear()
            for board in boards:
                self.combo.addItem(printable(board.name, NAME_LIMIT), board.id)
            row = self.combo.findData(keep) if keep else -1
            self.combo.setCurrentIndex(row if row >= 0 else (0 if boards else -1))
        finally:
            self.combo.blockSignals(False)
        has = bool(boards)
        for action in (
            self.rename_action,
            self.duplicate_action,
            self.delete_action,
            self.crossfade_action,
            self.letterbox_action,
        ):
            action.setEnabled(has)
        self.export_action.setEnabled(has)
        self.board_chosen.emit(self.current_id)

    def select(self, board_id: str) -> None:
        row = self.combo.findData(board_id)
        if row >= 0:
            self.combo.setCurrentIndex(row)

    def on_combo_current_index_changed(self, _index: int) -> None:
        self.board_chosen.emit(self.current_id)

    # -- how the film is cut --------------------------------------------------------------

    def _board(self) -> Storyboard | None:
        try:
            return self._controller.board(self.current_id) if self.current_id else None
        except KeyError:
            return None

    def on_menu_about_to_show(self) -> None:
        board = self._board()
        self.letterbox_action.blockSignals(True)
        self.letterbox_action.setChecked(board is not None and board.letterbox)
        self.letterbox_action.blockSignals(False)
        frames = board.crossfade_frames if board is not None else 0
        tail = f" ({frames} frames)" if frames else ""
        self.crossfade_action.setText(f"&Crossfade between shots{tail}\u2026")

    def on_letterbox_action_toggled(self, on: bool) -> None:
        if self.current_id:
            try:
                self._controller.set_letterbox(self.current_id, on)
            except (StoryboardError, KeyError) as error:
                self.problem.emit("The storyboard was not changed", str(error))

    def ask_crossfade(self) -> QInputDialog | None:
        """Ask how many frames each cut crossfades (0: hard cuts)."""
        board = self._board()
        if board is None:
            return None
        board_id = board.id
        dialog = QInputDialog(self.window())
        dialog.setObjectName("crossfadeDialog")
        dialog.setWindowTitle("Crossfade between shots")
        dialog.setLabelText("Frames of crossfade at each cut (0: hard cuts):")
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(0, MAX_CROSSFADE_FRAMES)
        dialog.setIntValue(board.crossfade_frames)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)

        def chosen(frames: int) -> None:
            try:
                self._controller.set_crossfade(board_id, frames)
            except (StoryboardError, KeyError) as error:
                self.problem.emit("The crossfade was not changed", str(error))

        dialog.intValueSelected.connect(chosen)
        return self._show(dialog)

    # -- new, rename, duplicate, delete ---------------------------------------------------

    def _ask_name(
        self, title: str, label: str, text: str, on_name: Callable[[str], object]
    ) -> QInputDialog:
        dialog = QInputDialog(self.window())
        dialog.setObjectName("storyboardNameDialog")
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.textValueSelected.connect(on_name)
        return self._show(dialog)

    def ask_new(self) -> QInputDialog:
        """Ask for a name, then make a new, empty storyboard and show it."""
        name = f"Storyboard {len(self._controller.boards()) + 1}"
        return self._ask_name(
            "New storyboard", "Name of the new storyboard:", name, self.create_board
        )

    def create_board(self, name: str) -> Storyboard | None:
        name = name.strip()[:NAME_LIMIT]
        try:
            board = self._controller.create(name or "Storyboard")
        except StoryboardError as error:
            self.problem.emit("The storyboard was not made", str(error))
            return None
        self.refresh(select=board.id)
        return board

    def ask_rename(self) -> QInputDialog | None:
        board_id = self.current_id
        if not board_id:
            return None

        def rename(name: str) -> None:
            if name.strip():
                try:
                    self._controller.rename(board_id, name.strip()[:NAME_LIMIT])
                except (StoryboardError, KeyError) as error:
                    self.problem.emit("The storyboard was not renamed", str(error))
                self.refresh()

        current = self.combo.currentText()
        return self._ask_name("Rename storyboard", "New name:", current, rename)

    def duplicate(self) -> Storyboard | None:
        if not self.current_id:
            return None
        try:
            board = self._controller.duplicate(self.current_id)
        except (StoryboardError, KeyError) as error:
            self.problem.emit("The storyboard was not duplicated", str(error))
            return None
        self.refresh(select=board.id)
        return board

    def ask_delete(self) -> QMessageBox | None:
        board_id = self.current_id
        if not board_id:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete storyboard",
            f"Delete the storyboard \u201c{self.combo.currentText()}\u201d?",
            QMessageBox.StandardButton.Cancel,
            self.window(),
        )
        box.setObjectName("deleteStoryboardQuestion")
        box.setInformativeText("Its videos stay in your task list and on disk.")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setObjectName("confirmDeleteStoryboardButton")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            if box.clickedButton() is delete:
                try:
                    self._controller.delete(board_id)
                except (StoryboardError, KeyError) as error:
                    self.problem.emit("The storyboard was not deleted", str(error))
                self.refresh()
            self._closed(box)

        box.finished.connect(answered)
        self.dialog = box
        box.open()
        return box
