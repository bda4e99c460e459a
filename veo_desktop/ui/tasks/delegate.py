"""Paints the task list's rich cells: thumbnail, two-line prompt, state with progress."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QPainter,
    QPalette,
    QPixmap,
    QPolygonF,
    QTextLayout,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui import style
from veo_desktop.ui.tasks.columns import (
    DEPTH_ROLE,
    DETAIL_ROLE,
    FOLD_ROLE,
    LABELS_ROLE,
    META_ROLE,
    PROGRESS_ROLE,
    SHORT_STATE_ROLE,
    STATE_ROLE,
    TAKE_ROLE,
    Column,
)
from veo_desktop.ui.tasks.icons import glyph_icon

AnyIndex = QModelIndex | QPersistentModelIndex

#: Row height in text lines: two lines of text plus padding, and room for a 16:9 thumbnail.
ROW_LINES = 2
PADDING = 6
THUMB_ASPECT = 16 / 9
#: How far each level of a lineage (an extend of an extend...) is indented.
LINEAGE_INDENT = 14

_RUNNING = frozenset(
    {TaskState.SUBMITTING, TaskState.PENDING, TaskState.PROCESSING, TaskState.DOWNLOADING}
)
_BAD = frozenset({TaskState.FAILED, TaskState.REJECTED})
_WARN = frozenset({TaskState.UNCERTAIN, TaskState.EXPIRED, TaskState.LOST})


def row_height(metrics: QFontMetrics) -> int:
    return metrics.height() * ROW_LINES + metrics.leading() + PADDING * 2 + 4


def thumbnail_width(metrics: QFontMetrics) -> int:
    return int((row_height(metrics) - PADDING) * THUMB_ASPECT) + PADDING * 2


def state_color(state: TaskState, palette: QPalette) -> QColor:
    """The colour of the state's dot: running blue, done green, failed red, attention amber."""
    if state in _RUNNING:
        return style.accent_color()
    if state == TaskState.SUCCEEDED:
        return style.ok_color()
    if state in _BAD:
        return style.problem_color()
    if state in _WARN:
        return style.warning_color()
    return palette.color(QPalette.ColorRole.PlaceholderText)


class TaskDelegate(QStyledItemDelegate):
    """Draws the thumbnail, prompt and state columns; the rest is Qt's default."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        column = index.column()
        if column not in (Column.THUMBNAIL, Column.PROMPT, Column.STATE):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style_ = widget.style() if widget is not None else QApplication.style()
        # The panel (selection, hover, alternating colour) without Qt's text or icon.
        opt.text = ""
        opt.features &= ~QStyleOptionViewItem.ViewItemFeature.HasDecoration
        style_.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect: QRect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = option.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        try:
            if column == Column.THUMBNAIL:
                self._paint_thumbnail(painter, rect, index, palette)
            elif column == Column.PROMPT:
                compact = bool(getattr(widget, "compact", False))
                self._paint_prompt(painter, rect, index, palette, selected, option.font, compact)
            else:
                self._paint_state(painter, rect, index, palette, selected, option.font)
        finally:
            painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        metrics: QFontMetrics = option.fontMetrics
        if index.column() == Column.THUMBNAIL:
            return QSize(thumbnail_width(metrics), row_height(metrics))
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + PADDING * 2, row_height(metrics))

    # -- cells -----------------------------------------------------------------------------

    def _paint_thumbnail(
        self, painter: QPainter, rect: QRect, index: AnyIndex, palette: QPalette
    ) -> None:
        box = QRectF(rect).adjusted(PADDING, PADDING / 2 + 1, -PADDING, -PADDING / 2 - 1)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0) if isinstance(pixmap, QPixmap) else _well(palette))
        painter.drawRoundedRect(box, 4, 4)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            size = pixmap.size().toSizeF()
            size.scale(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(0, 0, size.width(), size.height())
            target.moveCenter(box.center())
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
            return
        side = min(box.height() * 0.55, 22.0)
        icon_box = QRectF(0, 0, side, side)
        icon_box.moveCenter(box.center())
        glyph_icon("film").paint(
            painter, icon_box.toRect(), Qt.AlignmentFlag.AlignCenter, QIcon.Mode.Disabled
        )

    def _paint_prompt(
        self,
        painter: QPainter,
        rect: QRect,
        index: AnyIndex,
        palette: QPalette,
        selected: bool,
        font: QFont,
        compact: bool,
    ) -> None:
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(palette.color(role))
        painter.setFont(font)
        area = _prompt_area(rect, index)
        take = str(index.data(TAKE_ROLE) or "")
        labels = str(index.data(LABELS_ROLE) or "")
        second = " \u00b7 ".join(part for part in (take, labels) if part)
        if not compact and not second:
            _draw_wrapped(painter, area, text, font, ROW_LINES)
            return
        # The prompt on one line; below it the take of a variations run and, in a narrow
        # list, the hidden columns summarised (the meta line starts with the take).
        metrics = QFontMetrics(font)
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        line = _second_line(area, metrics).translated(0, -(metrics.height() + metrics.leading()))
        painter.drawText(
            line, flags, metrics.elidedText(text, Qt.TextElideMode.ElideRight, area.width())
        )
        small = _small(font)
        painter.setFont(small)
        painter.setPen(
            palette.color(QPalette.ColorRole.HighlightedText) if selected else style.hint_color()
        )
        meta = str(index.data(META_ROLE) or "") if compact else second
        if compact and labels:
            meta = f"{labels} \u00b7 {meta}" if meta else labels
        line.translate(0, metrics.height() + metrics.leading())
        fold = index.data(FOLD_ROLE)
        if fold in (1, 2):
            # A run's first take: a triangle folds or opens the run (pointing down: open).
            _paint_fold_mark(painter, line, QFontMetrics(small), folded=fold == 2)
            line.setLeft(line.left() + _fold_mark_width(QFontMetrics(small)))
        painter.drawText(
            line,
            flags,
            QFontMetrics(small).elidedText(meta, Qt.TextElideMode.ElideRight, area.width()),
        )

    def _paint_state(
        self,
        painter: QPainter,
        rect: QRect,
        index: AnyIndex,
        palette: QPalette,
        selected: bool,
        font: QFont,
    ) -> None:
        try:
            state = TaskState(str(index.data(STATE_ROLE)))
        except ValueError:
            state = TaskState.LOST
        metrics = QFontMetrics(font)
        line_height = metrics.height()
        area = rect.adjusted(PADDING, PADDING, -PADDING, -PADDING)
        top = area.top() + max(0, (area.height() - 2 * line_height - metrics.leading()) // 2)
        # The dot.
        dot = 8
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(state_color(state, palette))
        painter.drawEllipse(QRectF(area.left(), top + (line_height - dot) / 2, dot, dot))
        text_left = area.left() + dot + 7
        width = area.right() - text_left
        first = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(palette.color(text_role))
        painter.setFont(font)
        line_rect = QRect(text_left, top, width, line_height)
        if metrics.horizontalAdvance(first) > width:
            first = str(index.data(SHORT_STATE_ROLE) or first)
        painter.drawText(
            line_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(first, Qt.TextElideMode.ElideRight, width),
        )
        second_top = top + line_height + metrics.leading()
        fraction = index.data(PROGRESS_ROLE)
        if state == TaskState.DOWNLOADING and isinstance(fraction, float):
            bar = QRectF(text_left, second_top + line_height / 2 - 2.5, min(width, 160), 5)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_well(palette))
            painter.drawRoundedRect(bar, 2.5, 2.5)
            done = QRectF(bar)
            done.setWidth(max(bar.height(), bar.width() * fraction))
            painter.setBrush(style.accent_color())
            painter.drawRoundedRect(done, 2.5, 2.5)
            return
        detail = str(index.data(DETAIL_ROLE) or "")
        if not detail:
            return
        small = _small(font)
        small_metrics = QFontMetrics(small)
        painter.setFont(small)
        if selected:
            color = palette.color(QPalette.ColorRole.HighlightedText)
        elif state in _BAD:
            color = style.problem_color()
        elif state in _WARN or state in _RUNNING:
            color = style.warning_color()
        else:
            color = style.hint_color()
        painter.setPen(color)
        painter.drawText(
            QRect(text_left, second_top, width, line_height),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            small_metrics.elidedText(detail, Qt.TextElideMode.ElideRight, width),
        )


def _prompt_area(rect: QRect, index: AnyIndex) -> QRect:
    """Where the prompt cell's text goes (an extend's is indented by its depth)."""
    area = rect.adjusted(PADDING, PADDING, -PADDING, -PADDING)
    depth = index.data(DEPTH_ROLE)
    if isinstance(depth, int) and depth > 1:
        # The arrow starts an extend's prompt; deeper ones step further in.
        area.setLeft(area.left() + min(depth - 1, 4) * LINEAGE_INDENT)
    return area


def _second_line(area: QRect, metrics: QFontMetrics) -> QRect:
    """The prompt cell's second line (the take, or the meta line), in the cell's ``area``."""
    top = area.top() + max(0, (area.height() - 2 * metrics.height() - metrics.leading()) // 2)
    return QRect(
        area.left(), top + metrics.height() + metrics.leading(), area.width(), metrics.height()
    )


def fold_mark_rect(rect: QRect, index: AnyIndex, font: QFont) -> QRect:
    """Where a run's first take shows its fold triangle and take text (a click there folds
    or opens the run); an empty rect for any other row."""
    if index.data(FOLD_ROLE) not in (1, 2):
        return QRect()
    line = _second_line(_prompt_area(rect, index), QFontMetrics(font))
    small = QFontMetrics(_small(font))
    take = str(index.data(TAKE_ROLE) or "")
    width = _fold_mark_width(small) + small.horizontalAdvance(take) + PADDING
    line.setWidth(min(line.width(), width))
    return line.adjusted(-2, -2, 2, 2)


def _fold_mark_width(metrics: QFontMetrics) -> int:
    return metrics.height()


def _paint_fold_mark(painter: QPainter, line: QRect, metrics: QFontMetrics, folded: bool) -> None:
    """A small solid triangle at the start of ``line``: pointing right (folded) or down."""
    side = max(7.0, metrics.height() * 0.6)
    centre = QRectF(line.left(), line.top(), metrics.height(), line.height()).center()
    half = side / 2
    if folded:
        points = [
            centre + QPointF(-half * 0.6, -half),
            centre + QPointF(half * 0.8, 0),
            centre + QPointF(-half * 0.6, half),
        ]
    else:
        points = [
            centre + QPointF(-half, -half * 0.6),
            centre + QPointF(half, -half * 0.6),
            centre + QPointF(0, half * 0.8),
        ]
    painter.save()
    colour = painter.pen().color()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawPolygon(QPolygonF(points))
    painter.restore()


def _small(font: QFont) -> QFont:
    """The font of second lines: a little smaller than the row's."""
    small = QFont(font)
    if small.pointSizeF() > 0:
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.92))
    return small


def _well(palette: QPalette) -> QColor:
    """A recessed fill that reads on both light and dark palettes."""
    base = palette.color(QPalette.ColorRole.Base)
    window = palette.color(QPalette.ColorRole.Window)
    if window.lightness() < 128:
        return window.lighter(135)
    return base.darker(108) if base.lightness() > 200 else window.darker(110)


def _draw_wrapped(painter: QPainter, area: QRect, text: str, font: QFont, lines: int) -> None:
    """Draw ``text`` on up to ``lines`` lines, the last one elided, vertically centred."""
    metrics = QFontMetrics(font)
    layout = QTextLayout(text, font)
    layout.beginLayout()
    drawn: list[tuple[int, int]] = []
    while len(drawn) < lines:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(area.width())
        drawn.append((line.textStart(), line.textLength()))
    layout.endLayout()
    height = len(drawn) * metrics.height() + max(0, len(drawn) - 1) * metrics.leading()
    y = area.top() + max(0, (area.height() - height) // 2)
    for number, (start, length) in enumerate(drawn):
        last = number == len(drawn) - 1
        piece = text[start:] if last else text[start : start + length]
        if last:
            piece = metrics.elidedText(piece.strip(), Qt.TextElideMode.ElideRight, area.width())
        painter.drawText(
            QRect(area.left(), y, area.width(), metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            piece.rstrip(),
        )
        y += metrics.height() + metrics.leading()
