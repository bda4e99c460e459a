"""The trim editor of one shot, in a window of its own: the chosen take on its own player
(helper C2's :class:`~veo_desktop.ui.storyboard.trim.TrimEditor`), with OK and Cancel.

OK keeps the in and out points the person set (frame-accurate, in seconds of the take);
Cancel keeps the shot's trim as it was. Opened with ``open()``, never ``exec()``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from veo_desktop.ui import style
from veo_desktop.ui.screen_fit import fitted_size
from veo_desktop.ui.storyboard.trim import TrimEditor

#: The window's size on a large screen (it shrinks to fit a small one).
DIALOG_SIZE = QSize(760, 560)


class TrimDialog(QDialog):
    """Set a shot's in and out points.

    Args:
        video: the chosen take's file.
        trim: the shot's trim now (None: the whole take).

    Signals:
        trim_chosen: OK was pressed with this trim ((start_s, end_s), or None for the
            whole take).
    """

    trim_chosen = Signal(object)

    def __init__(
        self, video: Path, trim: tuple[float, float] | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trimDialog")
        self.setWindowTitle("Trim shot")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.editor = TrimEditor(self)
        self.problem = QLabel()
        self.problem.setObjectName("trimProblem")
        self.problem.setWordWrap(True)
        style.set_text_color(self.problem, style.problem_color(self))
        self.problem.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("trimOkButton")
        self.ok_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.editor.ready.connect(self.on_editor_ready)
        self.editor.failed.connect(self.on_editor_failed)
        self.finished.connect(self.on_finished)
        self.resize(fitted_size(parent, DIALOG_SIZE))
        self.editor.set_clip(video, trim)

    def on_editor_ready(self) -> None:
        self.ok_button.setEnabled(True)

    def on_editor_failed(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.show()
        self.ok_button.setEnabled(False)

    def on_finished(self, result: int) -> None:
        if result == QDialog.DialogCode.Accepted:
            self.trim_chosen.emit(self.editor.trim)
        self.editor.shutdown()
