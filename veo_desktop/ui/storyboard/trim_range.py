"""The trim editor's range bar: the whole clip as a bar, the kept frames (in to out) lit, the
parts cut away dimmed, a handle at each end and a line where playback is.

Drag a handle to move the in or out point a frame at a time; click elsewhere to move the
playhead there. The bar only says what the person asked for (:attr:`TrimRangeBar.in_moved`,
:attr:`TrimRangeBar.out_moved`, :attr:`TrimRangeBar.seek_requested`, all in frames) and shows
what its owner tells it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from veo_desktop.ui import style

#: How close (pixels) a press must be to a handle to grab it.
_GRAB = 8
_HANDLE_W = 6.0


def track_color(widget: QWidget) -> QColor:
    """The colour of a bar's unlit part: the text colour, faint, over the window colour
    (visible on light and dark palettes alike, unlike ``QPalette.Mid`` on dark ones)."""
    palette = widget.palette()
    text = palette.color(QPalette.ColorRole.WindowText)
    window = palette.color(QPalette.ColorRole.Window)
    return QColor(
        (text.red() + window.red() * 3) // 4,
        (text.green() + window.green() * 3) // 4,
        (text.blue() + window.blue() * 3) // 4,
    )


class TrimRangeBar(QWidget):
    """The clip's frames as a bar with the trim lit (see the module docstring)."""

    #: The in handle was dragged to this frame.
    in_moved = Signal(int)
    #: The out handle was dragged to this frame (the last frame kept).
    out_moved = Signal(int)
    #: A click on the bar away from the handles: show this frame.
    seek_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trimRangeBar")
        self.setAccessibleName("Trim range")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(120)
        self.setMouseTracking(True)
        self._frames = 0
        self._in = 0
        self._out = 0
        self._playhead = -1
        self._dragging: str | None = None

    # -- what it shows -----------------------------------------------------------------------

    def set_frames(self, frames: int) -> None:
        """The clip's frame count (0: nothing loaded)."""
        self._frames = max(0, frames)
        self.update()

    def set_trim(self, in_frame: int, out_frame: int) -> None:
        """The kept frames, ``in_frame`` to ``out_frame`` inclusive."""
        self._in, self._out = in_frame, out_frame
        self.setAccessibleDescription(
            f"Frames {in_frame} to {out_frame} of {self._frames} are kept; "
            "drag the handles to move the in and out points"
        )
        self.update()

    def set_playhead(self, frame: int) -> None:
        """The frame on show (-1: none)."""
        if frame != self._playhead:
            self._playhead = frame
            self.update()

    @property
    def trim(self) -> tuple[int, int]:
        return self._in, self._out

    def sizeHint(self) -> QSize:
        return QSize(360, 26)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, 26)

    # -- geometry ------------------------------------------------------------------------------

    def _track(self) -> QRectF:
        return QRectF(self.rect()).adjusted(_HANDLE_W, 5, -_HANDLE_W, -5)

    def x_of(self, boundary: float) -> float:
        """The x of a frame boundary (0 to frames)."""
        track = self._track()
        if self._frames <= 0:
            return track.left()
        return track.left() + track.width() * boundary / self._frames

    def frame_at_x(self, x: float) -> int:
        """The frame under ``x``, kept inside the clip."""
        track = self._track()
        if self._frames <= 0 or track.width() <= 0:
            return 0
        frame = int((x - track.left()) / track.width() * self._frames)
        return min(max(0, frame), self._frames - 1)

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        track = self._track()
        enabled = self.isEnabled() and self._frames > 0
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track_color(self))
        painter.drawRoundedRect(track, 3, 3)
        if enabled:
            accent = style.accent_color(self)
            kept = QRectF(
                QPointF(self.x_of(self._in), track.top()),
                QPointF(self.x_of(self._out + 1), track.bottom()),
            )
            fill = QColor(accent)
            fill.setAlpha(150)
            painter.setBrush(fill)
            painter.drawRect(kept)
            painter.setBrush(accent)
            for x in (kept.left(), kept.right()):
                painter.drawRoundedRect(
                    QRectF(x - _HANDLE_W / 2, 0, _HANDLE_W, self.height()), 2, 2
                )
            if 0 <= self._playhead < self._frames:
                x = (self.x_of(self._playhead) + self.x_of(self._playhead + 1)) / 2
                painter.setBrush(palette.color(QPalette.ColorRole.WindowText))
                painter.drawRect(QRectF(x - 1, 1, 2, self.height() - 2))
        painter.end()

    # -- mouse ---------------------------------------------------------------------------------

    def _handle_near(self, x: float) -> str | None:
        to_in = abs(x - self.x_of(self._in))
        to_out = abs(x - self.x_of(self._out + 1))
        if min(to_in, to_out) > _GRAB:
            return None
        return "in" if to_in < to_out or (to_in == to_out and x < self.x_of(self._in)) else "out"

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._frames <= 0:
            super().mousePressEvent(event)
            return
        x = event.position().x()
        self._dragging = self._handle_near(x)
        if self._dragging is None:
            self.seek_requested.emit(self.frame_at_x(x))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        x = event.position().x()
        if self._dragging == "in":
            self.in_moved.emit(min(self._boundary_frame(x), max(0, self._frames - 1)))
        elif self._dragging == "out":
            self.out_moved.emit(max(0, self._boundary_frame(x) - 1))
        else:
            near = self._handle_near(x) if self._frames > 0 else None
            self.setCursor(
                Qt.CursorShape.SizeHorCursor if near else Qt.CursorShape.PointingHandCursor
            )
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._dragging = None
        super().mouseReleaseEvent(event)

    def _boundary_frame(self, x: float) -> int:
        """The frame boundary nearest ``x`` (0 to frames)."""
        track = self._track()
        if self._frames <= 0 or track.width() <= 0:
            return 0
        return min(max(0, round((x - track.left()) / track.width() * self._frames)), self._frames)
