"""The sequence player's film strip: one block per shot, as wide as the shot is long, the
current shot lit, a line where playback is. A click anywhere seeks the film there.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from veo_desktop.ui import style
from veo_desktop.ui.storyboard.trim_range import track_color


class ShotStrip(QWidget):
    """Shots as blocks along the film (see the module docstring)."""

    #: The person clicked this film position (ms).
    seek_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sequenceStrip")
        self.setAccessibleName("Shots")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._lengths: list[float] = []
        self._current = -1
        self._position_ms = 0

    def set_shots(self, lengths_s: list[float]) -> None:
        """The shots' lengths in film order (seconds)."""
        self._lengths = list(lengths_s)
        self.setAccessibleDescription(
            f"{len(lengths_s)} shots, {sum(lengths_s):.1f} seconds; click to go there"
        )
        self.update()

    def set_current(self, index: int) -> None:
        self._current = index
        self.update()

    def set_position(self, film_ms: int) -> None:
        if film_ms != self._position_ms:
            self._position_ms = film_ms
            self.update()

    @property
    def current(self) -> int:
        return self._current

    def sizeHint(self) -> QSize:
        return QSize(360, 22)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, 22)

    def _total(self) -> float:
        return sum(self._lengths)

    def x_of(self, film_s: float) -> float:
        total = self._total()
        return 1 + (self.width() - 2) * (film_s / total if total > 0 else 0.0)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        accent = style.accent_color(self)
        other = track_color(self)
        start = 0.0
        for index, length in enumerate(self._lengths):
            left, right = self.x_of(start), self.x_of(start + length)
            block = QRectF(left + 1, 3, max(1.0, right - left - 2), self.height() - 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent if index == self._current else other)
            painter.drawRoundedRect(block, 3, 3)
            start += length
        if self._lengths:
            x = self.x_of(self._position_ms / 1000)
            painter.setBrush(palette.color(QPalette.ColorRole.WindowText))
            painter.drawRect(QRectF(x - 1, 0, 2, self.height()))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        total = self._total()
        if event.button() == Qt.MouseButton.LeftButton and total > 0:
            fraction = (event.position().x() - 1) / max(1, self.width() - 2)
            self.seek_requested.emit(round(min(max(0.0, fraction), 1.0) * total * 1000))
            event.accept()
            return
        super().mousePressEvent(event)
