"""How one gallery tile is painted: the video's picture (its first frame, or the frame under
the pointer while it scrubs), the prompt on one line, and a line of details.

The tile's picture comes from the task list's :class:`~veo_desktop.ui.thumbnails.ThumbnailCache`
and, while scrubbing, from :class:`~veo_desktop.ui.library.scrub.ScrubStrips`; neither
decodes on the GUI thread: a missing picture is asked for and a placeholder painted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from veo_desktop.records.library import Labels
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui import style
from veo_desktop.ui.library.gallery_groups import Section
from veo_desktop.ui.library.gallery_layout import picture_height
from veo_desktop.ui.library.scrub import HoverScrub, ScrubStrips, strip_frame
from veo_desktop.ui.tasks.columns import TAKE_ROLE, TASK_ROLE
from veo_desktop.ui.tasks.icons import glyph_icon
from veo_desktop.ui.thumbnails import ThumbnailCache

AnyIndex = QModelIndex | QPersistentModelIndex

#: A tile's width where there is room (its picture is 16:9, as wide as the tile) ...
TILE_WIDTH = 200
#: ... and the narrowest a tile gets before a row holds one fewer.
MIN_TILE_WIDTH = 136
#: Room around the texts under the picture.
TEXT_GAP = 4
#: How many tiles' texts are kept laid out (a few screens' worth).
TILE_LINES_KEPT = 2000


def text_height(metrics: QFontMetrics) -> int:
    """Under the picture: two lines of text."""
    return TEXT_GAP + 2 * metrics.height() + TEXT_GAP


def header_height(metrics: QFontMetrics) -> int:
    return metrics.height() + 16


def details_text(task: TaskRecord, take: str, labels: Labels | None = None) -> str:
    """ "★4 ♥ · Take 2/4 · seed 17", or the mode, aspect and time the video was made (the
    person's rating and favourite first, when given)."""
    if take:
        text = take
    else:
        made = time.localtime(task.created_at)
        aspect = task.input.get("aspect_ratio")
        when = f"{made.tm_hour:02d}:{made.tm_min:02d}"
        text = (
            f"{task.mode} \u00b7 {aspect} \u00b7 {when}" if aspect else f"{task.mode} \u00b7 {when}"
        )
    if labels is None or not (labels.rating or labels.favourite):
        return text
    marks = [
        f"\u2605{labels.rating}" if labels.rating else "",
        "\u2665" if labels.favourite else "",
    ]
    return f"{' '.join(m for m in marks if m)} \u00b7 {text}"


@dataclass
class TilePaint:
    """What every tile of one paint shares (looked up once per paint, not once per tile)."""

    palette: QPalette
    font: QFont
    metrics: QFontMetrics
    text: QColor
    selected_text: QColor
    hint: QColor
    highlight: QColor
    hover: QColor

    @classmethod
    def of(cls, widget: QWidget, font: QFont) -> TilePaint:
        palette = widget.palette()
        highlight = palette.color(QPalette.ColorRole.Highlight)
        hover = QColor(highlight)
        hover.setAlpha(60)
        return cls(
            palette,
            font,
            QFontMetrics(font),
            palette.color(QPalette.ColorRole.Text),
            palette.color(QPalette.ColorRole.HighlightedText),
            style.hint_color(widget),
            highlight,
            hover,
        )


_SELECTED = QStyle.StateFlag.State_Selected
_HOVERED = QStyle.StateFlag.State_MouseOver
_FOCUSED = QStyle.StateFlag.State_HasFocus
_ELIDE = Qt.TextElideMode.ElideRight
_BLACK = QColor(0, 0, 0)


def paint_header(painter: QPainter, rect: QRect, section: Section, widget: QWidget) -> None:
    """A section's title (bold, elided to the room left) and its detail (muted, at the
    right), over a thin rule."""
    text_box = rect.adjusted(0, 0, 0, -6)
    palette = widget.palette()
    metrics = widget.fontMetrics()
    bold = style.scaled_font(widget, 1.0, bold=True)
    room = max(0, rect.width() - metrics.horizontalAdvance(section.detail) - 16)
    title = QFontMetrics(bold).elidedText(section.title, _ELIDE, room)
    painter.setFont(bold)
    painter.setPen(palette.color(QPalette.ColorRole.Text))
    painter.drawText(text_box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
    painter.setFont(widget.font())
    painter.setPen(style.hint_color(widget))
    right = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
    painter.drawText(text_box, right, section.detail)
    rule = QRect(rect.left(), rect.bottom() - 4, rect.width(), 1)
    painter.fillRect(rule, palette.color(QPalette.ColorRole.Mid))


def paint_empty(painter: QPainter, rect: QRect, text: str, widget: QWidget) -> None:
    """Why there is no tile, in the middle of ``rect``."""
    painter.setPen(style.hint_color(widget))
    flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
    painter.drawText(rect.adjusted(24, 24, -24, -24), flags, text)


class GalleryDelegate(QStyledItemDelegate):
    """Paints gallery tiles (see the module docstring).

    The view calls :meth:`paint_tile` with what it already knows (the task, its state);
    :meth:`paint` is the same for any other caller of a delegate.

    Args:
        thumbnails: first frames (shared with the task table).
        strips: scrub filmstrips.
        hover: where the pointer scrubs.
    """

    def __init__(
        self, thumbnails: ThumbnailCache, strips: ScrubStrips, hover: HoverScrub, parent: QObject
    ) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.strips = strips
        #: The tile under the pointer and where on it (the view moves it).
        self.hover = hover
        #: Each tile's lines by local id, with what they were made for (the task's list row,
        #: or its record) and the width.
        self._lines: dict[str, tuple[object, int, tuple[str, str]]] = {}
        #: The person's labels of a task (rating, favourite), when the library is open.
        self.labels_of: Callable[[str], Labels] | None = None

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(TILE_WIDTH, picture_height(TILE_WIDTH) + text_height(option.fontMetrics))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        task = index.data(TASK_ROLE)
        if not isinstance(task, TaskRecord):
            return
        widget = cast(QWidget | None, option.widget)  # None when painted outside a view
        if widget is None:
            return
        shared = TilePaint.of(widget, option.font)
        state = option.state
        rect: QRect = option.rect
        lines = self.tile_lines(task, lambda: index.data(TAKE_ROLE), shared.metrics, rect.width())
        self.paint_tile(
            painter,
            rect,
            task,
            lines,
            index.row(),
            shared,
            selected=bool(state & _SELECTED),
            hovered=bool(state & _HOVERED),
            focused=bool(state & _FOCUSED),
        )

    def paint_tile(
        self,
        painter: QPainter,
        rect: QRect,
        task: TaskRecord,
        lines: tuple[str, str],
        row: int,
        shared: TilePaint,
        *,
        selected: bool,
        hovered: bool,
        focused: bool,
    ) -> None:
        """Paint ``task``'s tile in ``rect`` (``row``: its row, for the scrub)."""
        if selected or hovered or focused:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(Qt.PenStyle.NoPen)
            if selected or hovered:
                painter.setBrush(shared.highlight if selected else shared.hover)
                painter.drawRoundedRect(QRectF(rect).adjusted(-4, -4, 4, 4), 6, 6)
            if focused:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(shared.highlight)
                painter.drawRoundedRect(QRectF(rect).adjusted(-3.5, -3.5, 3.5, 3.5), 6, 6)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        tall = picture_height(rect.width())
        picture = QRect(rect.left(), rect.top(), rect.width(), tall)
        self._paint_picture(painter, picture, task, row)
        metrics = shared.metrics
        x = rect.left() + 2
        # Text drawn at its baseline (no layout pass): about half the cost of a boxed text.
        baseline = rect.top() + tall + TEXT_GAP + metrics.ascent()
        painter.setFont(shared.font)
        painter.setPen(shared.selected_text if selected else shared.text)
        painter.drawText(x, baseline, lines[0])
        painter.setPen(shared.selected_text if selected else shared.hint)
        painter.drawText(x, baseline + metrics.height(), lines[1])

    def tile_lines(
        self,
        task: TaskRecord,
        take: Callable[[], object],
        metrics: QFontMetrics,
        width: int,
        *,
        owner: object = None,
    ) -> tuple[str, str]:
        """The tile's two lines (prompt, details) elided to ``width``; kept for the tiles
        seen lately, so scrolling back and forth lays no text out again.

        Args:
            take: the task's take text (asked only when the lines are made).
            owner: what the lines are kept for (the task's list row: a large library's
                shelved row's record is read anew once it is no longer kept); ``task``
                when not given.
        """
        owner = task if owner is None else owner
        known = self._lines.get(task.local_id)
        if known is not None and known[0] is owner and known[1] == width:
            return known[2]
        room = width - 4
        # No more than fits in a tile even in narrow letters (eliding costs per letter).
        prompt = " ".join(task.prompt[: room // 2].split()) or "(no prompt)"
        taken = take()
        labels = self.labels_of(task.local_id) if self.labels_of is not None else None
        details = details_text(task, taken if isinstance(taken, str) else "", labels)
        if len(details) * metrics.averageCharWidth() > room * 0.8:
            details = metrics.elidedText(details, _ELIDE, room)
        lines = (metrics.elidedText(prompt, _ELIDE, room), details)
        if len(self._lines) >= TILE_LINES_KEPT:
            self._lines.clear()
        self._lines[task.local_id] = (owner, width, lines)
        return lines

    def forget_lines(self, local_id: str) -> None:
        """The task's lines must be made again (its take changed, say)."""
        self._lines.pop(local_id, None)

    def forget_every_line(self) -> None:
        """Every tile's lines must be made again (many tasks changed)."""
        self._lines.clear()

    def _paint_picture(self, painter: QPainter, box: QRect, task: TaskRecord, row: int) -> None:
        video = task.files[0] if task.files else ""
        painter.fillRect(box, _BLACK)
        scrub = self.hover.current
        scrub = scrub if scrub is not None and scrub.row == row else None
        strip = self.strips.get(video) if scrub is not None and video else None
        if scrub is not None and strip is not None:
            source = strip_frame(strip, scrub.fraction)
            self._draw_fitted(painter, box, strip, source)
            bar = QRect(box.left(), box.bottom() - 2, round(box.width() * scrub.fraction), 3)
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
        width, height = source.width(), source.height()
        if width > box.width() or height > box.height():
            size = source.size()
            size.scale(box.size(), Qt.AspectRatioMode.KeepAspectRatio)  # never enlarged
            width, height = size.width(), size.height()
        x = box.left() + (box.width() - width) // 2
        y = box.top() + (box.height() - height) // 2
        painter.drawPixmap(QRect(x, y, width, height), pixmap, source)
