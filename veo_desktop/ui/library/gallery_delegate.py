"""How one gallery tile is painted: the video's picture (its first frame, or the frame under
the pointer while it scrubs), the prompt on one line, and a line of details.

The tile's picture comes from the task list's :class:`~veo_desktop.ui.thumbnails.ThumbnailCache`
and, while scrubbing, from :class:`~veo_desktop.ui.library.scrub.ScrubStrips`; neither
decodes on the GUI thread: a missing picture is asked for and a placeholder painted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from veo_desktop.records.task import TaskRecord
from veo_desktop.ui import style
from veo_desktop.ui.library.scrub import ScrubStrips, strip_frame
from veo_desktop.ui.tasks.columns import TAKE_ROLE, TASK_ROLE
from veo_desktop.ui.tasks.icons import glyph_icon
from veo_desktop.ui.thumbnails import ThumbnailCache

AnyIndex = QModelIndex | QPersistentModelIndex

#: A tile's width; its picture is 16:9 inside it.
TILE_WIDTH = 200
PICTURE_HEIGHT = TILE_WIDTH * 9 // 16
#: Room around the texts under the picture.
TEXT_GAP = 4


def tile_height(metrics: QFontMetrics) -> int:
    """Picture, then two lines of text."""
    return PICTURE_HEIGHT + TEXT_GAP + 2 * metrics.height() + TEXT_GAP


def header_height(metrics: QFontMetrics) -> int:
    return metrics.height() + 16


def details_text(task: TaskRecord, take: str) -> str:
    """ "Take 2/4 · seed 17", or the mode, aspect and time the video was made."""
    if take:
        return take
    made = dt.datetime.fromtimestamp(task.created_at)
    aspect = str(task.input.get("aspect_ratio", ""))
    parts = [task.mode, aspect, f"{made:%H:%M}"]
    return " \u00b7 ".join(part for part in parts if part)


@dataclass
class Scrub:
    """The tile being scrubbed: its row in the view's model and where the pointer is (0..1)."""

    row: int
    fraction: float


class GalleryDelegate(QStyledItemDelegate):
    """Paints gallery tiles (see the module docstring).

    Args:
        thumbnails: first frames (shared with the task table).
        strips: scrub filmstrips.
    """

    def __init__(self, thumbnails: ThumbnailCache, strips: ScrubStrips, parent: object) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.thumbnails = thumbnails
        self.strips = strips
        #: The tile under the pointer and where on it (set by the view).
        self.scrub: Scrub | None = None

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(TILE_WIDTH, tile_height(option.fontMetrics))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        task = index.data(TASK_ROLE)
        if not isinstance(task, TaskRecord):
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            if selected or hovered:
                painter.setPen(Qt.PenStyle.NoPen)
                colour = palette.color(QPalette.ColorRole.Highlight)
                if not selected:
                    colour.setAlpha(60)
                painter.setBrush(colour)
                painter.drawRoundedRect(QRectF(rect).adjusted(-4, -4, 4, 4), 6, 6)
            picture = QRect(rect.left(), rect.top(), rect.width(), PICTURE_HEIGHT)
            self._paint_picture(painter, picture, task, index.row(), palette)
            self._paint_texts(painter, option, rect, task, index, selected)
            if option.state & QStyle.StateFlag.State_HasFocus:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(palette.color(QPalette.ColorRole.Highlight))
                painter.drawRoundedRect(QRectF(rect).adjusted(-3.5, -3.5, 3.5, 3.5), 6, 6)
        finally:
            painter.restore()

    def _paint_picture(
        self, painter: QPainter, box: QRect, task: TaskRecord, row: int, palette: QPalette
    ) -> None:
        video = task.files[0] if task.files else ""
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0))
        painter.drawRoundedRect(QRectF(box), 4, 4)
        scrub = self.scrub if self.scrub is not None and self.scrub.row == row else None
        strip = self.strips.get(video) if scrub is not None and video else None
        if scrub is not None and strip is not None:
            source = strip_frame(strip, scrub.fraction)
            self._draw_fitted(painter, box, strip, source)
            bar = QRectF(box.left(), box.bottom() - 2, box.width() * scrub.fraction, 3)
            painter.fillRect(bar, style.accent_color())
            return
        pixmap = self.thumbnails.get(video) if video else None
        if pixmap is not None and not pixmap.isNull():
            self._draw_fitted(painter, box, pixmap, pixmap.rect())
            return
        side = 28
        icon_box = QRect(0, 0, side, side)
        icon_box.moveCenter(box.center())
        glyph_icon("film").paint(
            painter, icon_box, Qt.AlignmentFlag.AlignCenter, QIcon.Mode.Disabled
        )

    @staticmethod
    def _draw_fitted(painter: QPainter, box: QRect, pixmap: QPixmap, source: QRect) -> None:
        size = source.size()
        size.scale(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
        if source.width() <= box.width() and source.height() <= box.height():
            size = source.size()  # never enlarged: a small picture stays sharp
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(box.center())
        painter.drawPixmap(target, pixmap, source)

    def _paint_texts(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        rect: QRect,
        task: TaskRecord,
        index: AnyIndex,
        selected: bool,
    ) -> None:
        palette: QPalette = option.palette
        metrics: QFontMetrics = option.fontMetrics
        line = metrics.height()
        top = rect.top() + PICTURE_HEIGHT + TEXT_GAP
        text_rect = QRect(rect.left() + 2, top, rect.width() - 4, line)
        prompt = " ".join(task.prompt.split()) or "(no prompt)"
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setFont(option.font)
        painter.setPen(palette.color(role))
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        elide = Qt.TextElideMode.ElideRight
        painter.drawText(text_rect, align, metrics.elidedText(prompt, elide, text_rect.width()))
        take = index.data(TAKE_ROLE)
        details = details_text(task, take if isinstance(take, str) else "")
        painter.setPen(palette.color(role) if selected else style.hint_color(option.widget))
        text_rect.translate(0, line)
        painter.drawText(text_rect, align, metrics.elidedText(details, elide, text_rect.width()))
