"""The task table: fixed-height rows, columns that give way on a narrow window, drag-out."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QAbstractProxyModel, QEvent, QPoint, QRect, Qt
from PySide6.QtGui import (
    QDrag,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from veo_desktop.ui import style
from veo_desktop.ui.shortcuts import shortcut
from veo_desktop.ui.tasks.columns import HEADERS, LOCAL_ID_ROLE, Column
from veo_desktop.ui.tasks.delegate import (
    PADDING,
    TaskDelegate,
    fold_mark_rect,
    row_height,
    thumbnail_width,
)
from veo_desktop.ui.tasks.model import TaskTableModel

#: Columns given up first when the list is narrow (the prompt and state always stay).
_COMPACT_ORDER = (Column.ASPECT, Column.MODE, Column.TYPE, Column.PRICE, Column.CREATED)
_PROMPT_MIN = 150
#: The prompt's share of the list's width: other columns narrow or give way before it shrinks.
_PROMPT_SHARE = 0.42
#: The state column never gets narrower than this (a state word and a short clock).
_STATE_MIN = 120
#: Columns a person can show or hide from the header's menu (the prompt and state stay).
CHOOSABLE = (
    Column.THUMBNAIL,
    Column.TYPE,
    Column.MODE,
    Column.ASPECT,
    Column.PRICE,
    Column.CREATED,
)


class TaskView(QTableView):
    """``taskView``: the table of tasks, with an empty-state message when it has no rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("taskView")
        self.setAccessibleName("Tasks")
        self.setAccessibleDescription(
            "Your video tasks, newest first; extensions under the video they continue. "
            "Select one to preview it, two finished ones to compare them; the context menu "
            "offers save, extend, retry, resolve and remove."
        )
        self._empty_text = ""
        self._user_hidden: set[int] = set()
        #: The width each column (but the prompt) wants; sectionSize() is 0 while hidden.
        self._widths: dict[int, int] = {}
        self._compact = False
        self._fitting = False
        self._state_min = _STATE_MIN
        self.setItemDelegate(TaskDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several rows can be selected (two to compare); the current one is previewed.
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSortingEnabled(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setCornerButtonEnabled(False)
        self.setMinimumWidth(280)
        vertical = self.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSortIndicatorShown(True)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setMinimumSectionSize(24)
        # Columns can be dragged into another order (the person's order is remembered).
        header.setSectionsMovable(True)
        header.sectionResized.connect(self.on_header_section_resized)
        # Right-click on the header: which columns to show (remembered with the order).
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self.on_header_context_menu_requested)
        self._apply_metrics()

    def _apply_metrics(self) -> None:
        metrics = QFontMetrics(self.font())
        self.verticalHeader().setDefaultSectionSize(row_height(metrics))

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        self._setup_columns()

    def _setup_columns(self) -> None:
        header = self.horizontalHeader()
        if header.count() < len(Column):
            return
        metrics = QFontMetrics(self.font())
        pad = 22

        def text(sample: str) -> int:
            return metrics.horizontalAdvance(sample) + pad

        widths = {
            Column.THUMBNAIL: thumbnail_width(metrics),
            Column.TYPE: text("Reference"),
            Column.MODE: text("Quality"),
            Column.ASPECT: text("Aspect"),
            Column.STATE: text("Processing \u00b7 10:42 of ~1\u20133 min") + 16,
            Column.PRICE: text("$1.50?"),
            Column.CREATED: text("Sep 30, 14:32"),
        }
        self._widths = {int(column): width for column, width in widths.items()}
        # The narrowest state column still shows "Downloading 100%" after its dot.
        self._state_min = metrics.horizontalAdvance("Downloading 100%") + 15 + 2 * PADDING
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setSectionResizeMode(Column.THUMBNAIL, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(Column.PROMPT, QHeaderView.ResizeMode.Stretch)
        self._fit_columns()

    def set_empty_text(self, text: str) -> None:
        """The message painted when the list shows no rows."""
        if text != self._empty_text:
            self._empty_text = text
            self.viewport().update()

    @property
    def empty_text(self) -> str:
        return self._empty_text

    def set_column_hidden_by_user(self, column: int, hidden: bool) -> None:
        if hidden:
            self._user_hidden.add(column)
        else:
            self._user_hidden.discard(column)
        self._fit_columns()

    def column_menu(self) -> QMenu:
        """``taskColumnsMenu``: a check for each column that can be shown or hidden."""
        menu = QMenu(self)
        menu.setObjectName("taskColumnsMenu")
        menu.setToolTipsVisible(True)
        for column in CHOOSABLE:
            action = menu.addAction(HEADERS[column] or "Thumbnail")
            action.setObjectName(f"column{column.name.title()}Action")
            action.setCheckable(True)
            action.setChecked(column not in self._user_hidden)
            action.toggled.connect(
                lambda shown, chosen=column: self.set_column_hidden_by_user(chosen, not shown)
            )
        return menu

    def on_header_context_menu_requested(self, pos: QPoint) -> None:
        menu = self.column_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.horizontalHeader().mapToGlobal(pos))

    @property
    def compact(self) -> bool:
        """Whether columns were given up for width (the prompt cell then summarises them)."""
        return self._compact

    def _fit_columns(self) -> None:
        """Give up the least needed columns, then narrow the state, so the prompt stays useful."""
        header = self.horizontalHeader()
        if header.count() < len(Column):
            return
        available = self.viewport().width() or self.width()
        prompt_min = max(_PROMPT_MIN, int(available * _PROMPT_SHARE))
        shown = [c for c in Column if c not in self._user_hidden and c != Column.PROMPT]
        state_min = min(self._state_min, self._widths.get(Column.STATE, 0))

        def used() -> int:
            return sum(self._widths.get(c, 0) for c in shown if c != Column.STATE)

        # The state narrows first (to its short form), then the least needed columns go.
        for column in _COMPACT_ORDER:
            if available - used() - state_min >= prompt_min:
                break
            if column in shown:
                shown.remove(column)
        for column in Column:
            if column != Column.PROMPT:
                self.setColumnHidden(column, column not in shown)
        state = self._widths.get(Column.STATE, 0)
        if state:
            room = available - used() - prompt_min
            self._fitting = True
            try:
                header.resizeSection(Column.STATE, max(self._state_min, min(state, room)))
            finally:
                self._fitting = False
        compact = any(c not in shown for c in _COMPACT_ORDER if c not in self._user_hidden)
        if compact != self._compact:
            self._compact = compact
            self.viewport().update()

    def column_state(self) -> dict[str, list[int]]:
        """The column order, widths and hidden columns the person chose (for the window
        state to keep)."""
        header = self.horizontalHeader()
        order = [header.logicalIndex(visual) for visual in range(header.count())]
        return {
            "order": order,
            "widths": [self._widths.get(c, 0) for c in Column],
            "hidden": sorted(self._user_hidden),
        }

    def restore_column_state(self, state: object) -> None:
        """Put back what :meth:`column_state` returned; anything malformed is ignored."""
        header = self.horizontalHeader()
        if not isinstance(state, dict) or header.count() != len(Column):
            return
        order, widths = state.get("order"), state.get("widths")
        if isinstance(order, list) and sorted(order) == list(range(len(Column))):
            for visual, logical in enumerate(order):
                header.moveSection(header.visualIndex(logical), visual)
        if isinstance(widths, list) and len(widths) == len(Column):
            for column, width in zip(Column, widths, strict=True):
                usable = isinstance(width, int) and 24 <= width <= 2000
                if usable and column in self._widths and column != Column.THUMBNAIL:
                    self._widths[column] = width
                    header.resizeSection(column, width)
        hidden = state.get("hidden")
        if isinstance(hidden, list):
            self._user_hidden = {c for c in CHOOSABLE if c in hidden}
        self._fit_columns()

    def on_header_section_resized(self, column: int, _old: int, new: int) -> None:
        """Remember a width the person chose (hidden sections report 0: ignored)."""
        if self._fitting or new <= 0 or column not in self._widths or column == Column.PROMPT:
            return
        self._widths[column] = new

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is None or model.rowCount() > 0 or not self._empty_text:
            return
        painter = QPainter(self.viewport())
        painter.setPen(style.hint_color(self))
        area = self.viewport().rect().adjusted(24, 24, -24, -24)
        painter.drawText(
            area,
            int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
            self._empty_text,
        )
        painter.end()

    def startDrag(self, supported: Qt.DropAction) -> None:
        """Drag the selected task's video out as a file (into a file manager, an editor)."""
        indexes = [i for i in self.selectedIndexes() if i.column() == Column.THUMBNAIL]
        model = self.model()
        if not indexes or model is None:
            return
        from veo_desktop.ui.tasks.recipe_drag import drag_mime

        data = drag_mime(self, model, indexes)  # copies that carry their recipe
        if not data.hasUrls():
            return
        drag = QDrag(self)
        drag.setMimeData(data)
        thumbnail = indexes[0].data(Qt.ItemDataRole.DecorationRole)
        if isinstance(thumbnail, QPixmap) and not thumbnail.isNull():
            drag.setPixmap(
                thumbnail.scaled(
                    160,
                    90,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            drag.setHotSpot(QPoint(16, 16))
        drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)

    def visible_rows(self) -> tuple[int, int]:
        """The first and last row (of the view's model) inside the viewport; (-1, -1) if none."""
        viewport: QRect = self.viewport().rect()
        first = self.rowAt(viewport.top())
        if first < 0:
            return -1, -1
        last = self.rowAt(viewport.bottom())
        if last < 0:
            model = self.model()
            last = (model.rowCount() - 1) if model is not None else first
        return first, last

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._apply_metrics()
            self._setup_columns()

    # -- folding the takes of a variations run ---------------------------------------------

    def _source(self) -> TaskTableModel | None:
        model = self.model()
        source = getattr(model, "task_model", None)
        if callable(source):
            found = source()
            return found if isinstance(found, TaskTableModel) else None
        return model if isinstance(model, TaskTableModel) else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on a run's take line ("▸ Take 1/4 …") folds or opens the run."""
        if event.button() == Qt.MouseButton.LeftButton:
            point = event.position().toPoint()
            index = self.indexAt(point)
            if index.isValid() and index.column() == Column.PROMPT:
                mark = fold_mark_rect(self.visualRect(index), index, self.font())
                local_id = index.data(LOCAL_ID_ROLE)
                source = self._source()
                if mark.contains(point) and source is not None and isinstance(local_id, str):
                    source.fold_run(local_id, not source.is_folded(local_id))
                    event.accept()
                    return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Left (or the table's "fold_run" key) folds the current task's variations run, Right
        (or "open_run") opens it."""
        key = event.key()
        # The key alone: "+" is typed with Shift on many keyboards.
        pressed = QKeySequence(key)
        fold = key == Qt.Key.Key_Left or pressed in shortcut("fold_run").sequences()
        opening = key == Qt.Key.Key_Right or pressed in shortcut("open_run").sequences()
        if (fold or opening) and self._fold_current(fold):
            event.accept()
            return
        super().keyPressEvent(event)

    def _fold_current(self, fold: bool) -> bool:
        local_id = self.currentIndex().data(LOCAL_ID_ROLE)
        source = self._source()
        if source is None or not isinstance(local_id, str):
            return False
        head = source.run_head_of(local_id)
        if head is None or source.is_folded(head) == fold:
            return False
        source.fold_run(head, fold)
        if fold and head != local_id:
            self.select_task(head)
        return True

    def select_task(self, local_id: str) -> None:
        """Make ``local_id``'s row the current, selected one (if it is shown)."""
        source = self._source()
        if source is None:
            return
        index = source.index_of(local_id, Column.PROMPT)
        model = self.model()
        if isinstance(model, QAbstractProxyModel):
            index = model.mapFromSource(index)
        if index.isValid():
            self.setCurrentIndex(index)
            self.selectRow(index.row())
