"""The prompt editor of the composer: plain text, undo and redo, characters past the limit
marked."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QSizePolicy, QTextEdit, QWidget

from veo_desktop.api.models import MAX_PROMPT_LENGTH
from veo_desktop.ui import style

#: The prompt box grows with the window up to this many lines (a long prompt scrolls inside).
PROMPT_MAX_LINES = 14
#: ... and never gets shorter than this many.
PROMPT_MIN_LINES = 4


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
        self._fit_height_limits()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._marked_from: int | None = None

    def sizeHint(self) -> QSize:
        # Small, so a short window fits the whole form; a taller one stretches it (up to the cap).
        return QSize(280, self.minimumHeight() + 2 * self.fontMetrics().lineSpacing())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_height_limits()

    def _fit_height_limits(self) -> None:
        """Between PROMPT_MIN_LINES and PROMPT_MAX_LINES lines of the editor's font."""
        line = self.fontMetrics().lineSpacing()
        frame = 2 * self.frameWidth() + 2 * int(self.document().documentMargin()) + 2
        self.setMinimumHeight(line * PROMPT_MIN_LINES + frame)
        self.setMaximumHeight(line * PROMPT_MAX_LINES + frame)

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
