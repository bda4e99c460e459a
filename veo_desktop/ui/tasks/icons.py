"""Small line icons drawn with QPainter in the palette's text colour.

Qt ships no icon theme on Windows, macOS or a bare Linux session, and the style's standard
pixmaps are fixed-colour bitmaps that vanish on a dark palette. These glyphs are vectors in
a 24x24 design grid, painted at whatever size and device pixel ratio is asked, in the
current palette's colour (disabled icons in the disabled colour), so they follow a switch
between light and dark palettes without being rebuilt.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)

Glyph = Callable[[QPainter, QColor], None]

_GRID = 24.0


def _pen(painter: QPainter, color: QColor, width: float = 1.8) -> None:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)


def _fill(painter: QPainter, color: QColor) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)


def _poly(*points: tuple[float, float]) -> QPainterPath:
    path = QPainterPath(QPointF(*points[0]))
    for point in points[1:]:
        path.lineTo(QPointF(*point))
    path.closeSubpath()
    return path


def _play(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawPath(_poly((7, 4.5), (19.5, 12), (7, 19.5)))


def _pause(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawRoundedRect(QRectF(6, 5, 4, 14), 1, 1)
    p.drawRoundedRect(QRectF(14, 5, 4, 14), 1, 1)


def _frame_back(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawPath(_poly((17, 5.5), (8.5, 12), (17, 18.5)))
    p.drawRoundedRect(QRectF(5, 5.5, 2.4, 13), 0.8, 0.8)


def _frame_forward(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawPath(_poly((7, 5.5), (15.5, 12), (7, 18.5)))
    p.drawRoundedRect(QRectF(16.6, 5.5, 2.4, 13), 0.8, 0.8)


def _loop(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    path = QPainterPath(QPointF(5, 13))
    path.lineTo(5, 11)
    path.quadTo(5, 7, 9, 7)
    path.lineTo(18, 7)
    p.drawPath(path)
    path = QPainterPath(QPointF(19, 11))
    path.lineTo(19, 13)
    path.quadTo(19, 17, 15, 17)
    path.lineTo(6, 17)
    p.drawPath(path)
    p.drawPolyline([QPointF(15.5, 4.5), QPointF(18, 7), QPointF(15.5, 9.5)])
    p.drawPolyline([QPointF(8.5, 14.5), QPointF(6, 17), QPointF(8.5, 19.5)])


def _speaker(p: QPainter, c: QColor) -> None:
    _fill(p, c)
    p.drawPath(_poly((4, 9.5), (7.5, 9.5), (12, 5.5), (12, 18.5), (7.5, 14.5), (4, 14.5)))


def _volume(p: QPainter, c: QColor) -> None:
    _speaker(p, c)
    _pen(p, c)
    p.drawArc(QRectF(10, 8, 7, 8), -50 * 16, 100 * 16)
    p.drawArc(QRectF(10, 5, 10, 14), -50 * 16, 100 * 16)


def _muted(p: QPainter, c: QColor) -> None:
    _speaker(p, c)
    _pen(p, c)
    p.drawLine(QPointF(15, 9.5), QPointF(20, 14.5))
    p.drawLine(QPointF(20, 9.5), QPointF(15, 14.5))


def _save(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawLine(QPointF(12, 4), QPointF(12, 15))
    p.drawPolyline([QPointF(7.5, 10.5), QPointF(12, 15), QPointF(16.5, 10.5)])
    p.drawPolyline([QPointF(5, 15), QPointF(5, 19.5), QPointF(19, 19.5), QPointF(19, 15)])


def _folder(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    path = QPainterPath(QPointF(4, 18.5))
    path.lineTo(4, 6)
    path.lineTo(9.5, 6)
    path.lineTo(11.5, 8.5)
    path.lineTo(20, 8.5)
    path.lineTo(20, 18.5)
    path.closeSubpath()
    p.drawPath(path)


def _copy(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawRoundedRect(QRectF(8.5, 8.5, 11, 11), 2, 2)
    p.drawPolyline(
        [
            QPointF(15.5, 5.5),
            QPointF(15.5, 4.5),
            QPointF(4.5, 4.5),
            QPointF(4.5, 15.5),
            QPointF(5.5, 15.5),
        ]
    )


def _reuse(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawRoundedRect(QRectF(4.5, 4.5, 15, 15), 2.5, 2.5)
    p.drawLine(QPointF(8, 9), QPointF(16, 9))
    p.drawLine(QPointF(8, 12.5), QPointF(16, 12.5))
    p.drawLine(QPointF(8, 16), QPointF(12.5, 16))


def _retry(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawArc(QRectF(5, 5, 14, 14), 60 * 16, 270 * 16)
    p.drawPolyline([QPointF(13.5, 3.2), QPointF(17, 6), QPointF(13.2, 8.6)])


def _resolve(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawEllipse(QRectF(4, 4, 16, 16))
    path = QPainterPath(QPointF(9.5, 9.8))
    path.quadTo(9.7, 7.5, 12, 7.5)
    path.quadTo(14.5, 7.5, 14.5, 9.8)
    path.quadTo(14.5, 11.5, 12, 12.5)
    path.lineTo(12, 13.8)
    p.drawPath(path)
    _fill(p, c)
    p.drawEllipse(QPointF(12, 16.6), 1.1, 1.1)


def _remove(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawLine(QPointF(4.5, 7), QPointF(19.5, 7))
    p.drawPolyline([QPointF(9.5, 7), QPointF(9.5, 4.5), QPointF(14.5, 4.5), QPointF(14.5, 7)])
    p.drawPolyline([QPointF(6.5, 7), QPointF(7.5, 19.5), QPointF(16.5, 19.5), QPointF(17.5, 7)])
    p.drawLine(QPointF(10.5, 10.5), QPointF(10.5, 16))
    p.drawLine(QPointF(13.5, 10.5), QPointF(13.5, 16))


def _preview(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawRoundedRect(QRectF(3.5, 5.5, 17, 13), 2.5, 2.5)
    _fill(p, c)
    p.drawPath(_poly((10, 9), (15, 12), (10, 15)))


def _film(p: QPainter, c: QColor) -> None:
    _pen(p, c, 1.5)
    p.drawRoundedRect(QRectF(3.5, 5.5, 17, 13), 2, 2)
    p.drawLine(QPointF(7, 5.5), QPointF(7, 18.5))
    p.drawLine(QPointF(17, 5.5), QPointF(17, 18.5))
    _fill(p, c)
    p.drawPath(_poly((10.5, 9.5), (14, 12), (10.5, 14.5)))


def _search(p: QPainter, c: QColor) -> None:
    _pen(p, c)
    p.drawEllipse(QRectF(4.5, 4.5, 11, 11))
    p.drawLine(QPointF(14, 14), QPointF(19.5, 19.5))


def _extend(p: QPainter, c: QColor) -> None:
    _pen(p, c, 1.6)
    p.drawRoundedRect(QRectF(3.5, 6.5, 10, 11), 2, 2)
    p.drawLine(QPointF(13.5, 12), QPointF(20, 12))
    p.drawPolyline([QPointF(17.2, 9), QPointF(20.2, 12), QPointF(17.2, 15)])
    _fill(p, c)
    p.drawPath(_poly((7.3, 9.6), (10.6, 12), (7.3, 14.4)))


def _compare(p: QPainter, c: QColor) -> None:
    _pen(p, c, 1.6)
    p.drawRoundedRect(QRectF(3, 6.5, 8, 11), 1.8, 1.8)
    p.drawRoundedRect(QRectF(13, 6.5, 8, 11), 1.8, 1.8)
    p.drawLine(QPointF(12, 4), QPointF(12, 20))


def _final(p: QPainter, c: QColor) -> None:
    _pen(p, c, 1.6)
    points = []
    for i in range(10):
        radius = 8.5 if i % 2 == 0 else 3.8
        angle = math.radians(-90 + i * 36)
        points.append((12 + radius * math.cos(angle), 12.6 + radius * math.sin(angle)))
    p.drawPath(_poly(*points))


def _frame(p: QPainter, c: QColor) -> None:
    _pen(p, c, 1.6)
    p.drawRoundedRect(QRectF(3.5, 5.5, 17, 13), 2, 2)
    p.drawPolyline([QPointF(5.5, 16.5), QPointF(10, 11.5), QPointF(13, 14.5), QPointF(15, 12.5)])
    p.drawPolyline([QPointF(15, 12.5), QPointF(18.5, 16.5)])
    _fill(p, c)
    p.drawEllipse(QPointF(16, 9), 1.5, 1.5)


GLYPHS: dict[str, Glyph] = {
    "play": _play,
    "pause": _pause,
    "frame-back": _frame_back,
    "frame-forward": _frame_forward,
    "loop": _loop,
    "volume": _volume,
    "muted": _muted,
    "save": _save,
    "folder": _folder,
    "copy": _copy,
    "reuse": _reuse,
    "retry": _retry,
    "resolve": _resolve,
    "remove": _remove,
    "preview": _preview,
    "film": _film,
    "search": _search,
    "extend": _extend,
    "compare": _compare,
    "final": _final,
    "frame": _frame,
}


def _glyph_color(mode: QIcon.Mode, state: QIcon.State) -> QColor:
    palette = QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorRole.HighlightedText)
    if state == QIcon.State.On:
        return palette.color(QPalette.ColorRole.Highlight)
    return palette.color(QPalette.ColorRole.WindowText)


class GlyphIconEngine(QIconEngine):
    """Paints one glyph at any size, in the palette colour that fits the icon's mode."""

    def __init__(self, name: str, glyph: Glyph) -> None:
        super().__init__()
        self._name = name
        self._glyph = glyph

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        side = min(rect.width(), rect.height())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(
            rect.x() + (rect.width() - side) / 2, rect.y() + (rect.height() - side) / 2
        )
        painter.scale(side / _GRID, side / _GRID)
        self._glyph(painter, _glyph_color(mode, state))
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        pixmap = QPixmap(size * scale)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(0, 0, size.width(), size.height()), mode, state)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        return GlyphIconEngine(self._name, self._glyph)

    def key(self) -> str:
        return "veo-glyph"

    def iconName(self) -> str:
        return self._name


def glyph_icon(name: str) -> QIcon:
    """The named glyph as a QIcon that repaints in the current palette's colours."""
    return QIcon(GlyphIconEngine(name, GLYPHS[name]))
