"""The prompt editor of the composer: plain text, undo and redo, characters past the limit
marked."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QSizePolicy, QTextEdit, QWidget

from veo_desktop.api.models import MAX_PROMPT_LENGTH
from veo_desktop.ui import style


class PromptEdit(QPlainTextEdit):
    """The prompt editor: plain text, undo/redo, characters past the limit marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptEdit")
        self.setAccessibleName("Prompt")
        self.setAccessibleDescription(
            f"Describe the video you want, up to {MAX_PROMPT_LENGTH:,} characters. "
            "Ctrl+Enter generates."
        )
        self.setPlaceholderText(
            "Describe the video: subject, action, setting, camera, light, sound…"
        )
        self.setTabChangesFocus(True)
        self.setUndoRedoEnabled(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setMinimumHeight(84)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._marked_from: int | None = None

    def sizeHint(self) -> QSize:
        return QSize(280, 130)

    def mark_over_limit(self, limit: int) -> None:
        """Highlight every character past ``limit`` (nothing when within it)."""
        length = self.document().characterCount() - 1
        start = limit if length > limit else None
        if start is None and self._marked_from is None:
            return
        self._marked_from = start
        if start is None:
            self.setExtraSelections([])
            return
        selection = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        color = QColor(style.problem_color(self))
        color.setAlpha(70)
        fmt.setBackground(color)
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(style.problem_color(self))
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        selection.format = fmt
        self.setExtraSelections([selection])
