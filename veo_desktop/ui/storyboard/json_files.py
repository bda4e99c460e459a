"""Export a storyboard as JSON, and import one: the file ``veo-desktop storyboard render``
reads, and that a person may write by hand.

Both ask with Qt's file dialog (``open()``, never ``exec()``). An import that cannot be read
says what is wrong with which shot and saves nothing; an export that cannot be written says
why in words.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from veo_desktop.core.fsutil import atomic_write_text
from veo_desktop.records.storyboard import Storyboard
from veo_desktop.safe_text import printable
from veo_desktop.storyboard import StoryboardError, StoryboardFileError
from veo_desktop.ui.preview.save_dialog import DIALOG_SIZE, save_folder
from veo_desktop.ui.screen_fit import fitted_size

logger = logging.getLogger(__name__)

_FILTERS = "Storyboard JSON (*.json);;All files (*)"
_UNSAFE = re.compile(r"[^\w\- ]+", re.UNICODE)
#: A storyboard file is a few kilobytes; a bigger one is not read.
MAX_FILE_BYTES = 4 * 1024 * 1024


def json_name(board_name: str) -> str:
    """``my-film.storyboard.json`` from the storyboard's name."""
    stem = "-".join(_UNSAFE.sub(" ", board_name).split()).lower()[:60].strip("-")
    return f"{stem or 'storyboard'}.storyboard.json"


class JsonFiles(QObject):
    """Export and import for one storyboard panel.

    Args:
        export_text: returns a storyboard's JSON (by id).
        import_text: adds the storyboard a JSON text describes (the text, the file's name for
            messages) and returns it.
        owner: the widget the dialogs belong to.

    Signals:
        imported: a storyboard was imported (it).
        said: a line for the person (what was written, or why not).
        problem: a title and a message to show in a box.
    """

    imported = Signal(object)
    said = Signal(str)
    problem = Signal(str, str)

    def __init__(
        self,
        export_text: Callable[[str], str],
        import_text: Callable[[str, str], Storyboard],
        owner: QWidget,
    ) -> None:
        super().__init__(owner)
        self._export_text = export_text
        self._import_text = import_text
        self._owner = owner
        #: The file dialog open now (tests answer it); None when none is.
        self.dialog: QFileDialog | None = None

    def _dialog(self, title: str, name: str) -> QFileDialog:
        folder = save_folder()
        dialog = QFileDialog(self._owner.window(), title, str(folder), _FILTERS)
        dialog.setObjectName(name)
        dialog.setDirectory(str(folder))
        dialog.resize(fitted_size(self._owner, DIALOG_SIZE))
        dialog.finished.connect(lambda _r: self._closed(dialog))
        self.dialog = dialog
        return dialog

    def _closed(self, dialog: QFileDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def ask_export(self, board_id: str, board_name: str) -> QFileDialog:
        dialog = self._dialog("Export storyboard", "exportStoryboardDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.selectFile(json_name(board_name))
        dialog.fileSelected.connect(lambda name: self.export_to(board_id, Path(name)))
        dialog.open()
        return dialog

    def export_to(self, board_id: str, path: Path) -> bool:
        """Write the storyboard's JSON to ``path`` (through a temporary file)."""
        try:
            text = self._export_text(board_id)
            atomic_write_text(path, text + "\n")
        except (StoryboardError, KeyError) as error:
            self.problem.emit("The storyboard was not exported", str(error))
            return False
        except OSError as error:
            reason = error.strerror or type(error).__name__
            self.problem.emit(
                "The storyboard was not exported",
                f"{printable(str(path), 500)} could not be written: {reason}.",
            )
            return False
        self.said.emit(f"Exported as {printable(path.name, 200)}.")
        return True

    def ask_import(self) -> QFileDialog:
        dialog = self._dialog("Import storyboard", "importStoryboardDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.import_from(Path(name)))
        dialog.open()
        return dialog

    def import_from(self, path: Path) -> Storyboard | None:
        """Add the storyboard ``path`` describes; nothing is saved when it has problems."""
        title = "The storyboard was not imported"
        where = printable(path.name, 200)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                self.problem.emit(title, f"{where} is too big for a storyboard file.")
                return None
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "it is not a text file"
            self.problem.emit(title, f"{where} could not be read: {reason}.")
            return None
        try:
            board = self._import_text(text, path.name)
        except (StoryboardFileError, StoryboardError, json.JSONDecodeError) as error:
            self.problem.emit(title, f"{where}: {error}")
            return None
        self.said.emit(f"Imported \u201c{printable(board.name, 80)}\u201d from {where}.")
        self.imported.emit(board)
        return board
