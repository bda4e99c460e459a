"""The spending chart: stacked bars per day or week (fast, quality, and uncertain amounts
hatched apart), the daily cap as a line, in the theme's colours (QtCharts).

QtCharts draws its own text, so the axis and legend colours are set from the palette here
(and again when the theme changes); the bars' colours are the theme's accents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QEvent, QMargins, QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QCursor, QPainter, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import QToolTip, QWidget

from veo_desktop.core.spending_history import Period, PeriodSpend
from veo_desktop.ui import style

#: The legend's names of the three series.
FAST_NAME = "Fast"
QUALITY_NAME = "Quality"
UNCERTAIN_NAME = "Uncertain"
#: Room one axis label needs, in pixels (labels in between are left blank).
LABEL_PX = 52
#: Quality's bars (fast ones take the theme's accent colour).
_QUALITY = ("#8e24aa", "#d7aefb")


def cap_name(cap: Decimal, period: Period) -> str:
    """The cap line's name in the legend."""
    if period is Period.WEEK:
        return f"Cap ${cap * 7:.2f}/week"  # seven days at the daily cap
    return f"Daily cap ${cap:.2f}"


def category_label(row: PeriodSpend, previous: PeriodSpend | None) -> str:
    """``Mar 14`` (``14`` within the same month as the label before, weeks by their Monday)."""
    day = row.start
    if previous is not None and previous.start.month == day.month and row.period is Period.DAY:
        return str(day.day)
    return f"{day:%b} {day.day}"


class SpendingChart(QChartView):
    """Stacked bars of spending per period, with the daily cap as a line.

    ``fast``, ``quality`` and ``uncertain`` are the bar sets (one value per period, oldest
    first); ``cap_line`` is the cap (hidden without one).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        super().__init__(chart, parent)
        self.setObjectName("spendingChart")
        self.setAccessibleName("Spending chart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(200)
        self.chart_ = chart
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.legend().setShowToolTips(True)
        self.fast = QBarSet(FAST_NAME)
        self.quality = QBarSet(QUALITY_NAME)
        self.uncertain = QBarSet(UNCERTAIN_NAME)
        self.bars = QStackedBarSeries()
        for bar_set in (self.fast, self.quality, self.uncertain):
            self.bars.append(bar_set)
        self.bars.setBarWidth(0.7)
        self.cap_line = QLineSeries()
        self.cap_line.setName("Daily cap")
        self.x_axis = QBarCategoryAxis()
        self.x_axis.setTruncateLabels(False)  # a label may spread over its blank neighbours
        self.y_axis = QValueAxis()
        self.y_axis.setLabelFormat("$%.2f")
        self.y_axis.setMin(0)
        chart.addSeries(self.bars)
        chart.addSeries(self.cap_line)
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (self.bars, self.cap_line):
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
        self.rows: list[PeriodSpend] = []
        self.cap: Decimal | None = None
        self.bars.hovered.connect(self.on_bars_hovered)
        self.apply_theme()

    # -- data ----------------------------------------------------------------------------

    def show_rows(self, rows: Sequence[PeriodSpend], cap: Decimal | None) -> None:
        """Chart ``rows`` (oldest first) with ``cap`` per day (None: no cap line)."""
        self.rows = list(rows)
        self.cap = cap
        for bar_set, values in (
            (self.fast, [row.fast for row in rows]),
            (self.quality, [row.quality for row in rows]),
            (self.uncertain, [row.uncertain for row in rows]),
        ):
            if bar_set.count():
                bar_set.remove(0, bar_set.count())
            bar_set.append([float(value) for value in values])
        self._label_axis()
        period = rows[0].period if rows else Period.DAY
        line_at = None if cap is None else cap * (7 if period is Period.WEEK else 1)
        self.cap_line.clear()
        if line_at is not None and rows:
            self.cap_line.setName(cap_name(cap or Decimal(0), period))
            self.cap_line.append(
                [QPointF(-0.5, float(line_at)), QPointF(len(rows) - 0.5, float(line_at))]
            )
        self.cap_line.setVisible(line_at is not None and bool(rows))
        for marker in self.chart_.legend().markers(self.cap_line):
            marker.setVisible(self.cap_line.isVisible())
        top = max([float(row.total) for row in rows] + [float(line_at or 0), 0.2])
        self.y_axis.setRange(0, top * 1.12)
        self.y_axis.applyNiceNumbers()
        self.y_axis.setMin(0)

    def cap_value(self) -> float | None:
        """Where the cap line is drawn (None: not drawn)."""
        points = self.cap_line.points()
        return points[0].y() if self.cap_line.isVisible() and points else None

    def _label_axis(self) -> None:
        """Every period a category; labels only as often as they fit (the rest blank)."""
        rows = self.rows
        # The plot area of the last layout may be stale (a resize): the view's width, less
        # the value axis' labels, is what the bars will share.
        width = max(1.0, self.viewport().width() - 80.0)
        step = max(1, math.ceil(len(rows) * LABEL_PX / width))
        # Labels spread over their blank neighbours: with gaps, none sits on an edge (QtCharts
        # leaves out a label that does not fit inside the axis).
        edge = step // 2
        labels = []
        shown: PeriodSpend | None = None
        for index, row in enumerate(rows):
            if step == 1 or (edge <= index < len(rows) - edge and (index - edge) % step == 0):
                labels.append(category_label(row, shown))
                shown = row
            else:
                labels.append(" " * (index + 1))  # blank, and unique as categories must be
        self.x_axis.clear()
        self.x_axis.append(labels)

    def on_bars_hovered(self, status: bool, index: int, _bar_set: QBarSet) -> None:
        """The figures of the period under the pointer, as a tool tip."""
        if not status or not 0 <= index < len(self.rows):
            QToolTip.hideText()
            return
        row = self.rows[index]
        day = f"{row.start:%b} {row.start.day}"
        when = f"Week of {day}" if row.period is Period.WEEK else f"{row.start:%a} {day}"
        text = (
            f"{when}: ${row.charged:.2f} on {row.count} video{'s' if row.count != 1 else ''} "
            f"(fast ${row.fast:.2f}, quality ${row.quality:.2f})"
        )
        if row.uncertain:
            text += f"; ${row.uncertain:.2f} uncertain"
        QToolTip.showText(QCursor.pos(), text, self)

    # -- look ------------------------------------------------------------------------------

    def apply_theme(self) -> None:
        """Colours from the palette: background, text, grid, and the bars' accents."""
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        background = palette.color(QPalette.ColorRole.Base)
        grid = QColor(style.hint_color(self))
        grid.setAlpha(90)
        chart = self.chart_
        chart.setBackgroundBrush(QBrush(background))
        chart.setBackgroundPen(QPen(Qt.PenStyle.NoPen))
        chart.setPlotAreaBackgroundVisible(False)
        chart.legend().setLabelColor(text)
        font = self.font()
        chart.legend().setFont(font)
        for axis in (self.x_axis, self.y_axis):
            axis.setLabelsColor(text)
            axis.setLabelsFont(font)
            axis.setLinePenColor(style.hint_color(self))
            axis.setGridLineColor(grid)
        self.x_axis.setGridLineVisible(False)
        fast = style.accent_color(self)
        quality = QColor(_QUALITY[1] if style.is_dark(self) else _QUALITY[0])
        uncertain = style.warning_color(self)
        self.fast.setColor(fast)
        self.fast.setBorderColor(fast)
        self.quality.setColor(quality)
        self.quality.setBorderColor(quality)
        self.uncertain.setBrush(QBrush(uncertain, Qt.BrushStyle.BDiagPattern))
        self.uncertain.setBorderColor(uncertain)
        pen = QPen(style.problem_color(self), 2, Qt.PenStyle.DashLine)
        self.cap_line.setPen(pen)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.apply_theme()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.rows:
            self._label_axis()
