"""A one-line label that shortens its text with "…" to fit its own width.

Titles (the preview's, the compare window's) are prompts of any length. Eliding them to a
parent's width cut the text where the label's margins begin, without an ellipsis; this label
elides to its own contents width, again on every resize and font change, and keeps the
whole text for :meth:`full_text` and (unless told otherwise) its tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """A plain-text, one-line label whose shown text always fits its width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(False)
        # The width comes from the layout, never from the text.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        """Show ``text``, shortened with "…" when it is wider than the label."""
        self.set_full_text(text)

    def set_full_text(self, text: str, tooltip: str | None = None) -> None:
        """Show ``text`` (elided to fit); the tooltip is ``tooltip``, else ``text``."""
        self._full = text
        self.setToolTip(text if tooltip is None else tooltip)
        self._elide()

    def full_text(self) -> str:
        """The whole text, as set."""
        return self._full

    def is_elided(self) -> bool:
        """Whether the shown text is shorter than the whole text."""
        return self.text() != self._full

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width)
        if shown != super().text():
            super().setText(shown)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._elide()
