"""Paints a shot's card in the storyboard list: its number and thumbnail, prompt, settings,
how it starts, its state and its chosen take.

Colours come from the palette (and :mod:`veo_desktop.ui.style`'s semantic colours), so the
cards read the same in the light and the dark theme.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from veo_desktop.ui import style
from veo_desktop.ui.storyboard.shot_model import CARD_ROLE, CardTone, ShotCard
from veo_desktop.ui.thumbnails import ThumbnailCache

AnyIndex = QModelIndex | QPersistentModelIndex

PADDING = 8
#: Text lines on a card: the prompt (two lines), the settings and how it starts, the state.
CARD_LINES = 4
THUMB_ASPECT = 16 / 9


def card_height(metrics: QFontMetrics) -> int:
    return metrics.lineSpacing() * CARD_LINES + PADDING * 2 + 2


def tone_color(tone: CardTone, widget: QWidget | None) -> QColor:
    """The state line's colour: running blue, ready green, a problem red, waiting muted."""
    if tone is CardTone.RUNNING:
        return style.accent_color(widget)
    if tone is CardTone.READY:
        return style.ok_color(widget)
    if tone is CardTone.PROBLEM:
        return style.problem_color(widget)
    return style.hint_color(widget)


class ShotCardDelegate(QStyledItemDelegate):
    """Draws :class:`ShotCard` rows; thumbnails come from the workspace's cache."""

    def __init__(self, thumbnails: ThumbnailCache | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(1, card_height(option.fontMetrics))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        card = index.data(CARD_ROLE)
        if not isinstance(card, ShotCard):
            super().paint(painter, option, index)
            return
        widget = option.widget
        palette: QPalette = option.palette
        rect: QRect = option.rect
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.save()
        try:
            self._paint_card(painter, rect, palette, widget, card, selected, option)
        finally:
            painter.restore()

    def _paint_card(
        self,
        painter: QPainter,
        rect: QRect,
        palette: QPalette,
        widget: QWidget | None,
        card: ShotCard,
        selected: bool,
        option: QStyleOptionViewItem,
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = rect.adjusted(2, 2, -2, -2)
        if selected:
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            text = palette.color(QPalette.ColorRole.HighlightedText)
            muted = text
        else:
            painter.setBrush(palette.color(QPalette.ColorRole.Base))
            text = palette.color(QPalette.ColorRole.Text)
            muted = style.hint_color(widget)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawRoundedRect(box, 6, 6)
        inner = box.adjusted(PADDING, PADDING, -PADDING, -PADDING)
        metrics: QFontMetrics = option.fontMetrics
        line = metrics.lineSpacing()
        thumb_h = inner.height()
        thumb_w = int(thumb_h * THUMB_ASPECT)
        if inner.width() - thumb_w < 160:
            thumb_w = max(0, min(thumb_w, inner.width() // 3))
        thumb = QRect(inner.left(), inner.top(), thumb_w, thumb_h)
        self._paint_thumbnail(painter, thumb, palette, card, palette.color(QPalette.ColorRole.Text))
        left = thumb.right() + PADDING + 1 if thumb_w else inner.left()
        width = max(10, inner.right() - left)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text)
        number = f"{card.number}."
        number_w = QFontMetrics(bold).horizontalAdvance(number + " ")
        painter.drawText(QRect(left, inner.top(), number_w, line), int(_LEFT), number)
        painter.setFont(option.font)
        prompt = " ".join(card.prompt.split()) or "(no prompt)"
        first, rest = _two_lines(metrics, prompt, width - number_w, width)
        painter.drawText(QRect(left + number_w, inner.top(), width - number_w, line), _LEFT, first)
        painter.drawText(QRect(left, inner.top() + line, width, line), _LEFT, rest)
        painter.setPen(muted)
        details = " \u00b7 ".join(part for part in (card.start, card.settings) if part)
        painter.drawText(
            QRect(left, inner.top() + 2 * line, width, line),
            _LEFT,
            metrics.elidedText(details, Qt.TextElideMode.ElideRight, width),
        )
        state = card.state if not card.take else f"{card.state} \u00b7 {card.take}"
        painter.setPen(text if selected else tone_color(card.tone, widget))
        painter.drawText(
            QRect(left, inner.top() + 3 * line, width, line),
            _LEFT,
            metrics.elidedText(state, Qt.TextElideMode.ElideRight, width),
        )

    def _paint_thumbnail(
        self, painter: QPainter, thumb: QRect, palette: QPalette, card: ShotCard, text: QColor
    ) -> None:
        if thumb.width() <= 0:
            return
        pixmap = None
        if card.video is not None and self._thumbnails is not None:
            pixmap = self._thumbnails.get(str(card.video))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
        painter.drawRoundedRect(thumb, 4, 4)
        if pixmap is not None and not pixmap.isNull():
            scaled = pixmap.scaled(
                thumb.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            x = thumb.left() + (thumb.width() - scaled.width()) // 2
            y = thumb.top() + (thumb.height() - scaled.height()) // 2
            painter.drawPixmap(x, y, scaled)
            return
        painter.setPen(text)
        painter.drawText(thumb, int(Qt.AlignmentFlag.AlignCenter), f"Shot {card.number}")


_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def _two_lines(metrics: QFontMetrics, text: str, first_width: int, width: int) -> tuple[str, str]:
    """``text`` broken into a first line of ``first_width`` and an elided second line."""
    words = text.split(" ")
    first = ""
    for count in range(len(words), 0, -1):
        candidate = " ".join(words[:count])
        if metrics.horizontalAdvance(candidate) <= first_width:
            first = candidate
            rest = " ".join(words[count:])
            return first, metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, first_width), ""
