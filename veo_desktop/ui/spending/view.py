"""The Spending tab: what the videos cost per day or per week, by mode, with the uncertain
amounts apart and the daily cap drawn; totals; CSV export; the library's size on disk.

The figures come from this app's records (:mod:`veo_desktop.core.spending_history`), read
again (coalesced) when a task changes while the tab is shown, and when it is shown.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.core.spending_history import (
    Period,
    PeriodSpend,
    SpendFigures,
    range_start,
    spend_figures,
    totals,
    write_csv,
)
from veo_desktop.safe_text import printable
from veo_desktop.ui import style
from veo_desktop.ui.library.older_count import OlderCount
from veo_desktop.ui.preview.save_dialog import save_folder
from veo_desktop.ui.spending.chart import SpendingChart
from veo_desktop.ui.spending.disk import DiskRow

if TYPE_CHECKING:
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.ui.controller import EngineController
    from veo_desktop.ui.thumbnails import ThumbnailCache

#: The range picker: (label, days shown, per day or per week).
RANGES: tuple[tuple[str, int, Period], ...] = (
    ("Last 14 days", 14, Period.DAY),
    ("Last 30 days", 30, Period.DAY),
    ("Last 90 days", 90, Period.DAY),
    ("Last 12 weeks", 84, Period.WEEK),
    ("Last 52 weeks", 364, Period.WEEK),
)
#: How long changes are gathered before the chart is drawn again.
REFRESH_MS = 400
#: A window holding more tasks than this counts, at each change, only those of the last
#: :data:`RECENT_DAYS` days (what changes); the older ones once per range, in a thread.
COUNTED_HERE_MOST = 5000
RECENT_DAYS = 2


@dataclass
class _Older:
    """The tasks of a range counted once, apart from those counted at each refresh.

    Attributes:
        key: the range (first day, last day, period).
        since: the tasks counted were created at or after this (unix seconds: the range's
            first moment) ...
        floor: ... and before this; those created since are counted at each refresh.
        figures: what they cost (None while they are counted, or when they could not be).
    """

    key: tuple[dt.date, dt.date, Period]
    since: float
    floor: float
    figures: SpendFigures | None = None
    #: Why they could not be counted (None: they were, or are being counted).
    failed: str | None = None
    #: The figures of the count this one replaces (one of these tasks changed), shown
    #: meanwhile: the totals stay up instead of dropping to "so far".
    before: SpendFigures | None = None
    #: Whether their count has begun (one runs at a time: it may wait for another's end).
    started: bool = False


class SpendingView(QWidget):
    """Spending per day or week, totals, CSV export, and the library on disk.

    Args:
        controller: the session's controller.
        spending_cap: returns the daily cap in effect (None: no cap).
        library: returns the videos folder (None: the disk row is not shown).
        thumbnails: the thumbnail cache (measured and trimmed by Clean up).
        frames_dir: the frames cache.
        today: the local date now (tests pass a fixed one).
    """

    #: The CSV was written (its path).
    exported = Signal(object)

    def __init__(
        self,
        controller: EngineController,
        *,
        spending_cap: Callable[[], SpendingCap | None] | None = None,
        library: Callable[[], Path | None] | None = None,
        thumbnails: ThumbnailCache | None = None,
        frames_dir: Path | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("spendingView")
        self._controller = controller
        self._cap = spending_cap or (lambda: None)
        self._today = today
        self.rows: list[PeriodSpend] = []
        #: The figures shown: :attr:`rows` and the days they hold (the CSV's rows).
        self.figures = SpendFigures([], [])
        #: Whether :attr:`figures` count every task (else those loaded, "so far").
        self.complete = True
        #: A large library's older tasks, counted for the range shown (see :meth:`refresh`).
        self._older: _Older | None = None
        self._counts: OlderCount[SpendFigures] = OlderCount(
            self, controller, name="Counting spending"
        )
        self._export_when_counted = False
        #: The export dialog while it is open (tests answer it).
        self.dialog: QFileDialog | None = None
        self.range_combo = QComboBox(self)
        self.range_combo.setObjectName("spendingRange")
        self.range_combo.setAccessibleName("Period shown")
        for label, days, period in RANGES:
            self.range_combo.addItem(label, (days, period))
        self.export_button = QPushButton("Export CSV\u2026", self)
        self.export_button.setObjectName("spendingExportButton")
        self.export_button.setToolTip("Save one row per day: date, fast, quality, uncertain, total")
        self.totals_label = QLabel(self)
        self.totals_label.setObjectName("spendingTotals")
        self.totals_label.setWordWrap(True)
        self.chart = SpendingChart(self)
        self.note_label = QLabel(
            "Uncertain (hatched): tasks whose answer was lost or that were being sent; they "
            "may have been charged (resolve them in the task list). From this app's records.",
            self,
        )
        self.note_label.setObjectName("spendingNote")
        self.note_label.setWordWrap(True)
        style.follow_hint_color(self.note_label)
        self.disk = (
            DiskRow(
                controller,
                library=library,
                thumbnails=thumbnails,
                frames_dir=frames_dir,
                parent=self,
            )
            if library is not None
            else None
        )
        top = QHBoxLayout()
        top.addWidget(self.range_combo)
        top.addStretch(1)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.totals_label)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.note_label)
        if self.disk is not None:
            layout.addWidget(self.disk)
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self.refresh)
        self._stale = True
        self.range_combo.currentIndexChanged.connect(self.on_range_combo_current_index_changed)
        self.export_button.clicked.connect(self.on_export_button_clicked)
        controller.task_changed.connect(self.on_controller_task_changed)

    def sizeHint(self) -> QSize:
        return QSize(480, 420)

    # -- data ------------------------------------------------------------------------------

    @property
    def period(self) -> Period:
        return Period(self.range_combo.currentData()[1])

    def span(self) -> tuple[dt.date, dt.date]:
        """The first and last day shown."""
        days, _period = self.range_combo.currentData()
        last = self._today()
        return last - dt.timedelta(days=days - 1), last

    def refresh(self) -> None:
        """Count the range shown again and redraw (every task, hidden ones too).

        The tasks created since a floor are counted here and now: those the window holds
        past its older ones, and, in a window holding many, only the last
        :data:`RECENT_DAYS` days' (what changes). The older ones are counted once per
        range, in a thread (a large library's from the store's columns, not loaded), and
        again only when one of them changes; until then the figures are the newer ones,
        shown as "so far" (or the last count's, while one of its tasks is counted again).
        One count runs at a time: asked again meanwhile, the next one starts when it ends.
        A count that fails says why in the totals (counted again when the tab is shown
        again or the range changes).
        """
        self._refresh.stop()
        self._stale = False
        first, last = self.span()
        period = self.period
        key = (first, last, period)
        since = range_start(first, period)
        count = functools.partial(spend_figures, first=first, last=last, period=period)
        older = self._older
        if older is not None and older.key != key:
            older = self._older = None
        floor = self._floor() if older is None else older.floor
        newer = count(self._controller.loaded_since(max(since, floor)))
        if since >= floor:
            self._older = None
            self._show(newer, complete=True)
            return
        if older is None:
            older = self._older = _Older(key, since, floor)
        if older.figures is not None:
            self._show(older.figures.add(newer), complete=True)
            return
        if older.before is not None and older.failed is None:
            self._show(older.before.add(newer), complete=False, counting=False)
        else:
            self._show(newer, complete=False, failed=older.failed)
        if older.started or older.failed is not None:
            return
        if not self.isVisible():
            self._stale = True  # (counted when shown)
            return
        counting = older
        counting.started = self._counts.start(
            lambda: self._controller.fold_tasks(count, since, floor),
            lambda figures, failed, again: self._counted(counting, figures, failed, again),
        )

    def _floor(self) -> float:
        """Where a new count splits the tasks: those created since are counted at each
        refresh, the older ones once (see :meth:`refresh`)."""
        floor = self._controller.held_from
        if self._controller.loaded_count > COUNTED_HERE_MOST:
            recent = self._today() - dt.timedelta(days=RECENT_DAYS - 1)
            floor = max(floor, dt.datetime.combine(recent, dt.time()).timestamp())
        return floor

    def _counted(
        self, older: _Older, figures: SpendFigures | None, failed: str | None, again: bool
    ) -> None:
        """The count of ``older`` ended: redraw (or count again, if asked meanwhile)."""
        older.figures, older.failed = figures, failed
        if failed is not None and self._export_when_counted:
            self._export_when_counted = False
            self._controller.action_failed.emit(
                "Not exported",
                f"Your older tasks could not be counted, so the spending was not exported. "
                f"{failed}",
            )
        if self._older is older or again:
            self.refresh()

    def _show(
        self,
        figures: SpendFigures,
        *,
        complete: bool,
        failed: str | None = None,
        counting: bool = True,
    ) -> None:
        """Draw ``figures``; not ``complete``, the totals say they are "so far" (unless
        they are the last count's, not ``counting`` any more) or why the older tasks could
        not be counted (``failed``)."""
        self.figures = figures
        self.rows = figures.rows
        self.complete = complete
        cap_source = self._cap()
        cap = cap_source.daily if cap_source is not None else None
        self.chart.show_rows(self.rows, cap)
        text = self._totals_text(cap)
        if failed is not None:
            text = f"Your older tasks could not be counted: {failed} Loaded tasks only: {text}"
        elif not complete and counting:
            text = "Counting your older tasks\u2026 So far: " + text
        self.totals_label.setText(text)
        if complete and self._export_when_counted:
            self._export_when_counted = False
            QTimer.singleShot(0, self, self._export_when_counted_now)

    def _export_when_counted_now(self) -> None:
        if self.complete and self.isVisible():
            self.on_export_button_clicked()

    def _totals_text(self, cap: Decimal | None) -> str:
        whole = totals(self.rows)
        label = self.range_combo.currentText()
        videos = f"{whole.count:,} video{'s' if whole.count != 1 else ''}"
        text = (
            f"{label}: ${whole.charged:,.2f} on {videos} "
            f"(fast ${whole.fast:,.2f}, quality ${whole.quality:,.2f})"
        )
        if whole.uncertain:
            text += f", and ${whole.uncertain:,.2f} uncertain"
        days = max(1, (self.span()[1] - self.span()[0]).days + 1)
        text += f". Average ${whole.charged / days:,.2f} a day"
        if cap is not None:
            over = sum(1 for row in self.figures.days if row.total > cap)
            text += f"; daily cap ${cap:,.2f}, passed on {over} day{'s' if over != 1 else ''}"
        return text + "."

    def on_range_combo_current_index_changed(self, _index: int) -> None:
        self.refresh()

    def on_controller_task_changed(self, task: TaskRecord | None) -> None:
        """``task`` changed (None: any may have): count again, soon if the tab is shown."""
        older = self._older
        if older is not None and (task is None or older.since <= task.created_at < older.floor):
            # One of the tasks counted once changed: they are counted again, their last
            # figures shown meanwhile.
            before = older.figures or older.before
            self._older = (
                None
                if before is None
                else _Older(older.key, older.since, older.floor, before=before)
            )
        self._stale = True
        if self.isVisible() and not self._refresh.isActive():
            self._refresh.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._older is not None and self._older.failed is not None:
            self._older = None  # (counted again)
            self._stale = True
        if self._stale:
            self.refresh()
        if self.disk is not None:
            self.disk.measure()

    # -- export ----------------------------------------------------------------------------

    def on_export_button_clicked(self) -> None:
        if self._stale:
            self.refresh()
        if not self.complete:  # the file must count every task: once they are counted
            if self._older is not None and self._older.failed is not None:
                self._older = None  # (a count that failed is tried again)
                self.refresh()
            self._export_when_counted = True
            return
        first, last = self.span()
        folder = save_folder()
        dialog = QFileDialog(self, "Export spending", str(folder), "CSV file (*.csv)")
        dialog.setObjectName("spendingExportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(f"veo-spending-{first.isoformat()}-to-{last.isoformat()}.csv")
        dialog.resize(QSize(820, 520))

        def chosen(name: str) -> None:
            if name:
                path = Path(name)
                self.export_to(path if path.is_absolute() else folder / path)

        def finished(_result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
            dialog.deleteLater()

        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(finished)
        self.dialog = dialog
        dialog.open()

    def export_to(self, path: Path) -> Path | None:
        """Write the days shown as CSV to ``path`` (the dialog's answer; tests call it)."""
        if self._stale:
            self.refresh()
        if not self.complete:
            self._controller.action_failed.emit(
                "Not exported",
                "Your older tasks' spending is still being counted; export it again once "
                "the figures no longer say \u201cso far\u201d.",
            )
            return None
        try:
            written = write_csv(self.figures.days, path)
        except OSError as error:
            reason = printable(error.strerror or type(error).__name__, 200)
            self._controller.action_failed.emit(
                "Not exported",
                f"The spending was not saved as \u201c{printable(path.name, 200)}\u201d in "
                f"{printable(str(path.parent), 500)}: {reason}.",
            )
            return None
        self.exported.emit(written)
        return written

    def shutdown(self) -> None:
        """Stop listening (the session closes)."""
        self._refresh.stop()
        self._controller.task_changed.disconnect(self.on_controller_task_changed)
