"""The gallery's item view: finished videos of the task list as a grid under section headers.

:class:`GalleryView` shows the rows of the task list's filtered model (the same model, and the
same selection model, as the table) that are finished videos, grouped into sections
(:mod:`~veo_desktop.ui.library.gallery_groups`) and placed by
:class:`~veo_desktop.ui.library.gallery_layout.GalleryLayout`. It paints only the tiles in
view, with :class:`~veo_desktop.ui.library.gallery_delegate.GalleryDelegate`; no widget exists
per tile. Because the selection model is the table's, selecting tiles selects those tasks'
rows, and every task action follows the gallery exactly as it follows the table.

A filter, sort or grouping change regroups every video; a task that finishes, arrives or
leaves (the model's one-row ``dataChanged``, ``rowsInserted``, ``rowsAboutToBeRemoved``)
moves only its own tile and its section's header (:meth:`GalleryItems.add
<veo_desktop.ui.library.gallery_items.GalleryItems.add>`), and the view repaints from that
section down. The selection and persistent indexes belong to the model, which keeps them.

As the pointer moves over a tile, the tile shows the clip's frame at that horizontal place
(hover scrub); the strips come from :class:`~veo_desktop.ui.library.scrub.ScrubStrips`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QDrag,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QWidget

from veo_desktop.ui.library.gallery_delegate import (
    MIN_TILE_WIDTH,
    TILE_WIDTH,
    GalleryDelegate,
    TilePaint,
    header_height,
    paint_empty,
    paint_header,
    text_height,
)
from veo_desktop.ui.library.gallery_groups import Grouping
from veo_desktop.ui.library.gallery_items import GalleryItems, is_video
from veo_desktop.ui.library.gallery_layout import GalleryLayout, Metrics
from veo_desktop.ui.library.scrub import HoverScrub, ScrubStrips
from veo_desktop.ui.tasks.shelved import is_stand_in
from veo_desktop.ui.thumbnails import ThumbnailCache

AnyIndex = QModelIndex | QPersistentModelIndex
#: How often the gallery regroups while the filter is still adding rows (milliseconds).
SCAN_REGROUP_MS = 150
#: Row changes up to this many at once move tiles one by one; more regroup everything.
INCREMENTAL_ROWS = 64
Action = QAbstractItemView.CursorAction
Flag = QItemSelectionModel.SelectionFlag


def drag_out(view: QAbstractItemView, indexes: list[QModelIndex], picture: QPixmap | None) -> None:
    """Drag the videos of ``indexes`` out of ``view`` (recipe-carrying copies, like the
    table's drag), showing ``picture``."""
    model = view.model()
    if not indexes or model is None:
        return
    from veo_desktop.ui.tasks.recipe_drag import drag_mime

    data = drag_mime(view, model, indexes)
    if not data.hasUrls():
        return
    drag = QDrag(view)
    drag.setMimeData(data)
    if picture is not None and not picture.isNull():
        drag.setPixmap(picture.scaled(160, 90, Qt.AspectRatioMode.KeepAspectRatio))
        drag.setHotSpot(QPoint(16, 16))
    drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)


class GalleryView(QAbstractItemView):
    """Finished videos as tiles under section headers (see the module docstring).

    Args:
        thumbnails: the task list's thumbnail cache (first frames).
        strips: the scrub filmstrips.
        storyboard_of: the title of the storyboard a task (by local id) is a shot of, if
            any (grouping by storyboard); ``None`` where no storyboard service is there.
    """

    #: The shown videos were worked out again (after a change in the list): how many.
    rebuilt = Signal(int)

    def __init__(
        self,
        thumbnails: ThumbnailCache,
        strips: ScrubStrips,
        parent: QWidget | None = None,
        *,
        storyboard_of: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        # State first: the setters below call back into the overrides.
        self._items = GalleryItems(storyboard_of)
        self._dirty = True
        self._layout = GalleryLayout(self._metrics(), [], 0)
        #: While the filter adds rows slice by slice, the gallery regroups at this pace.
        self._scan_timer = QTimer(self)
        self._scan_timer.setSingleShot(True)
        self._scan_timer.setInterval(SCAN_REGROUP_MS)
        self._scan_timer.timeout.connect(self._invalidate)
        self.setObjectName("galleryView")
        self.setAccessibleName("Gallery")
        self.setAccessibleDescription("Finished videos; point at one to scrub through it")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setMouseTracking(True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        #: The tile under the pointer and where on it.
        self.hover = HoverScrub(self)
        self.tile_delegate = GalleryDelegate(thumbnails, strips, self.hover, self)
        self.setItemDelegate(self.tile_delegate)
        #: Shown when there is no video to show (the panel sets it with the filters).
        self.empty_text = "No finished videos yet"
        strips.thumbnail_ready.connect(self.on_strips_thumbnail_ready)

    # -- public ----------------------------------------------------------------------------

    @property
    def grouping(self) -> Grouping:
        return self._items.grouping

    def set_grouping(self, grouping: Grouping) -> None:
        if grouping != self._items.grouping:
            self._items.grouping = grouping
            self._invalidate()

    def set_storyboard_of(self, title_of: Callable[[str], str | None] | None) -> None:
        self._items.storyboard_of = title_of
        if self._items.grouping == Grouping.STORYBOARD:
            self._invalidate()

    def labels_changed(self, local_ids: object) -> None:
        """These tasks' labels changed (ratings on their tiles): their texts are made again."""
        if isinstance(local_ids, tuple | list | set | frozenset):
            for local_id in local_ids:
                if isinstance(local_id, str):
                    self.tile_delegate.forget_lines(local_id)
        self.viewport().update()

    def storyboards_changed(self) -> None:
        """A storyboard changed: its sections are worked out again (when grouped by them)."""
        if self._items.grouping == Grouping.STORYBOARD:
            self._invalidate()

    def section_titles(self) -> list[str]:
        self._ensure()
        return [section.text for section in self._items.sections]

    def shown_rows(self) -> list[int]:
        """The model rows shown, in the gallery's order."""
        self._ensure()
        return self._items.rows_at(range(self._items.count))

    def header_rects(self) -> list[tuple[str, QRect]]:
        """The section headers in view, with their rectangles in viewport coordinates."""
        self._ensure()
        offset = self.verticalOffset()
        found = []
        for section, _positions in self._layout.visible(offset, offset + self.viewport().height()):
            rect = self._layout.header_rect(section).translated(0, -offset)
            found.append((self._items.section(section).text, rect))
        return found

    # -- building --------------------------------------------------------------------------

    def _metrics(self) -> Metrics:
        metrics = self.fontMetrics()
        return Metrics(TILE_WIDTH, MIN_TILE_WIDTH, text_height(metrics), header_height(metrics))

    def _invalidate(self) -> None:
        self._dirty = True
        self.scheduleDelayedItemsLayout()

    def _ensure(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self._items.rebuild(self.model())
        self._items.changed_from = None
        self._relayout()
        self.rebuilt.emit(self._items.count)

    def _moved_tiles(self) -> None:
        """Tiles were added or dropped in place: the layout follows the sections' sizes, and
        the view repaints from the first section changed down (nothing when it is below)."""
        self._relayout()
        first, self._items.changed_from = self._items.changed_from, None
        viewport = self.viewport()
        if first is None or not self._layout.sections:
            viewport.update()
        else:
            section = self._layout.section_of(min(first, max(0, self._layout.count - 1)))
            top = self._layout.header_rect(section).top() - self.verticalOffset()
            if top < viewport.height():
                viewport.update(QRect(0, max(0, top), viewport.width(), viewport.height()))
        self.rebuilt.emit(self._items.count)

    def _can_move_tiles(self, start: int, end: int) -> bool:
        return not self._dirty and self._items.incremental and end - start < INCREMENTAL_ROWS

    def _relayout(self) -> None:
        self._layout = GalleryLayout(self._metrics(), self._items.counts(), self.viewport().width())
        self.updateGeometries()

    def doItemsLayout(self) -> None:
        # Called for a delayed layout, and for the model's layoutChanged / rowsMoved (a sort,
        # a task moving): rows may have new numbers, so the tiles are worked out again.
        self._dirty = True
        if self.isVisible():
            self._ensure()
        super().doItemsLayout()

    def reset(self) -> None:
        self._dirty = True
        self.hover.forget()  # rows change: the whole view repaints
        super().reset()

    def rowsInserted(self, parent: AnyIndex, start: int, end: int) -> None:
        model = self.model()
        scanning = model is not None and getattr(model, "complete", True) is False
        if scanning and end == model.rowCount() - 1 and not self._dirty:
            # The filter is still adding rows at the end (rows shown keep their numbers):
            # regroup now and then, and once it has looked through every task.
            if not self._scan_timer.isActive():
                self._scan_timer.start()
        elif self._can_move_tiles(start, end):
            # A task arrived (or a filter let one in): a video goes straight to its tile.
            self.hover.forget()  # rows after it changed numbers
            items = self._items
            added = [row for row in map(items.row_at_model_row, range(start, end + 1)) if row]
            videos = [row for row in added if is_video(row)]
            for row in videos:
                items.add(row)
            if videos:
                self._moved_tiles()
        else:
            self._invalidate()
        super().rowsInserted(parent, start, end)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        old = self.model()
        finished = getattr(old, "filter_finished", None)
        if finished is not None:
            finished.disconnect(self._invalidate)
        super().setModel(model)
        finished = getattr(model, "filter_finished", None)
        if finished is not None:
            finished.connect(self._invalidate)
        self._invalidate()

    def rowsAboutToBeRemoved(self, parent: AnyIndex, start: int, end: int) -> None:
        self.hover.forget()  # rows change: the whole view repaints
        if self._can_move_tiles(start, end):
            items = self._items
            leaving = [row for row in map(items.row_at_model_row, range(start, end + 1)) if row]
            shown = [row for row in leaving if items.is_shown(row)]
            for row in shown:
                items.drop(row)
            if shown:
                self._moved_tiles()
        else:
            self._invalidate()
        super().rowsAboutToBeRemoved(parent, start, end)

    def dataChanged(
        self, top_left: AnyIndex, bottom_right: AnyIndex, roles: Sequence[int] = ()
    ) -> None:
        first, last = top_left.row(), bottom_right.row()
        many = last - first >= INCREMENTAL_ROWS
        if self._dirty or many:
            # The tiles are worked out again from the same rows (a take renumbered keeps
            # its row): the texts made for these go.
            if many:
                self.tile_delegate.forget_every_line()
                self._invalidate()
            else:
                for number in range(first, last + 1):
                    row = self._items.row_at_model_row(number)
                    if row is not None:
                        self.tile_delegate.forget_lines(row.local_id)
            return
        items, moved = self._items, False
        for number in range(first, last + 1):
            row = items.row_at_model_row(number)
            if row is None:
                continue
            shown, wanted = items.is_shown(row), is_video(row)
            if not shown and not wanted:
                continue
            if not items.incremental and (shown != wanted or not items.keeps_place(row)):
                self._invalidate()
                return
            self.tile_delegate.forget_lines(row.local_id)
            if not wanted:
                items.drop(row)  # no longer a finished video (removed, redone)
                moved = True
            elif not shown:
                items.add(row)  # a task finished: its video goes straight to its tile
                moved = True
            elif not items.replace(row):
                moved = True  # its section changed: it went to its new place
            elif not moved:
                position = items.position_of(number)
                if position is not None:
                    self.viewport().update(self._tile_rect(position))
        if moved:
            self._moved_tiles()

    def currentChanged(self, current: AnyIndex, previous: AnyIndex) -> None:
        # The table's current cell may be in any column: the tile is the row's.
        super().currentChanged(current, previous)
        for index in (current, previous):
            if not index.isValid() or self._dirty:
                continue
            position = self._items.position_of(index.row())
            if position is not None:
                self.viewport().update(self._tile_rect(position))

    def updateGeometries(self) -> None:
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        bar.setRange(0, max(0, self._layout.height - page))
        bar.setPageStep(page)
        bar.setSingleStep(max(1, self._layout.row_height // 3))
        super().updateGeometries()
        if bar.maximum() == 0 and self.isVisible():
            # Too few videos to scroll to an end: ask for more now (a large library's
            # older tasks), as a list not filled does; once, after this layout.
            QTimer.singleShot(0, self, self._fetch_more)

    def _fetch_more(self) -> None:
        model, root = self.model(), self.rootIndex()
        if (
            model is not None
            and self.verticalScrollBar().maximum() == 0
            and model.canFetchMore(root)
        ):
            model.fetchMore(root)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._relayout()

    # -- geometry (QAbstractItemView) ------------------------------------------------------

    def _tile_rect(self, position: int) -> QRect:
        return self._layout.tile_rect(position).translated(0, -self.verticalOffset())

    def visualRect(self, index: AnyIndex) -> QRect:
        self._ensure()
        # One tile per row: it is column 0's item (the other columns are not shown).
        shown = index.isValid() and index.column() == 0
        position = self._items.position_of(index.row()) if shown else None
        return QRect() if position is None else self._tile_rect(position)

    def indexAt(self, point: QPoint) -> QModelIndex:
        self._ensure()
        position = self._layout.position_at(point.x(), point.y() + self.verticalOffset())
        model = self.model()
        if position is None or model is None:
            return QModelIndex()
        return model.index(self._items.row_at(position), 0)

    def scrollTo(
        self,
        index: AnyIndex,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        self._ensure()
        position = self._items.position_of(index.row()) if index.isValid() else None
        if position is None:
            return
        rect = self._layout.tile_rect(position)
        bar, page = self.verticalScrollBar(), self.viewport().height()
        margin = self._layout.metrics.header_height
        top = rect.top() - margin
        if hint == QAbstractItemView.ScrollHint.PositionAtTop:
            bar.setValue(top)
        elif hint == QAbstractItemView.ScrollHint.PositionAtCenter:
            bar.setValue(rect.center().y() - page // 2)
        elif (
            hint == QAbstractItemView.ScrollHint.PositionAtBottom
            or rect.bottom() > bar.value() + page
        ):
            bar.setValue(rect.bottom() + self._layout.metrics.spacing - page)
        elif top < bar.value():
            bar.setValue(top)

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index: AnyIndex) -> bool:
        self._ensure()
        row = self._items.row_at_model_row(index.row())
        return row is None or not self._items.is_shown(row)

    def moveCursor(self, action: Action, modifiers: Qt.KeyboardModifier) -> QModelIndex:
        self._ensure()
        items = self._items
        count = items.count
        model = self.model()
        if not count or model is None:
            return QModelIndex()
        position = items.position_of(self.currentIndex().row())
        current = -1 if position is None else position
        if current < 0:
            return model.index(items.row_at(0), 0)
        page_rows = max(1, self.viewport().height() // self._layout.row_height)
        moves: dict[Action, Callable[[], int]] = {
            Action.MoveLeft: lambda: current - 1,
            Action.MovePrevious: lambda: current - 1,
            Action.MoveRight: lambda: current + 1,
            Action.MoveNext: lambda: current + 1,
            Action.MoveUp: lambda: self._layout.step(current, -1),
            Action.MoveDown: lambda: self._layout.step(current, 1),
            Action.MovePageUp: lambda: self._layout.step(current, -page_rows),
            Action.MovePageDown: lambda: self._layout.step(current, page_rows),
            Action.MoveHome: lambda: 0,
            Action.MoveEnd: lambda: count - 1,
        }
        target = moves.get(action, lambda: current)()
        return model.index(items.row_at(min(max(0, target), count - 1)), 0)

    def setSelection(self, rect: QRect, command: QItemSelectionModel.SelectionFlag) -> None:
        """Select the tiles from the first to the last one ``rect`` meets (in order)."""
        self._ensure()
        area = rect.normalized().translated(0, self.verticalOffset())
        positions = self._layout.positions_in(area)
        selection = self._items.selection(
            self.model(), range(min(positions), max(positions) + 1) if positions else range(0)
        )
        self.selectionModel().select(selection, command)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        return QRegion(self.viewport().rect())

    def selectAll(self) -> None:
        """Select every tile (not the tasks the gallery does not show)."""
        self._ensure()
        flags = Flag.ClearAndSelect | Flag.Rows
        self.selectionModel().select(
            self._items.selection(self.model(), range(self._items.count)), flags
        )

    # -- painting --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        self._ensure()
        painter = QPainter(self.viewport())
        area = event.rect()
        offset = self.verticalOffset()
        if not self._items.count:
            paint_empty(painter, self.viewport().rect(), self.empty_text, self)
            painter.end()
            return
        selection = self.selectionModel()
        current = self.currentIndex()
        current_row = current.row() if current.isValid() and self.hasFocus() else -1
        scrub = self.hover.current
        hovered = -1 if scrub is None else scrub.row
        shared = TilePaint.of(self, self.font())
        paint_tile = self.tile_delegate.paint_tile
        tile_lines = self.tile_delegate.tile_lines
        model, take_of = self.model(), self._items.take_of
        metrics, width = shared.metrics, self._layout.tile_width
        any_selected = selection.hasSelection()
        root = QModelIndex()
        items, layout = self._items, self._layout
        shown = [
            (section, [p for p in positions if self._tile_rect(p).intersects(area)])
            for section, positions in layout.visible(offset + area.top(), offset + area.bottom())
        ]
        # The records of the tiles in view, a large library's shelved rows' read in one go.
        tasks = iter(items.tasks_at([p for _section, positions in shown for p in positions]))
        for section, positions in shown:
            header = layout.header_rect(section).translated(0, -offset)
            paint_header(painter, header, items.section(section), self)
            for position in positions:
                task = next(tasks)
                if task is None:  # (its row has gone: the model's removal moves the tiles)
                    continue
                row, item = items.row_at(position), items.rows[position]
                take = partial(take_of, model, row, item)
                # (a stand-in's texts are kept for it: its task's, once read, replace them)
                owner = task if is_stand_in(task) else item
                lines = tile_lines(task, take, metrics, width, owner=owner)
                paint_tile(
                    painter,
                    self._tile_rect(position),
                    task,
                    lines,
                    row,
                    shared,
                    selected=any_selected and selection.isRowSelected(row, root),
                    hovered=row == hovered,
                    focused=row == current_row,
                )
        painter.end()

    # -- drag out --------------------------------------------------------------------------

    def startDrag(self, supported: Qt.DropAction) -> None:
        """Drag the selected videos out as files (copies carrying their recipe), as the
        table does."""
        self._ensure()
        indexes = [i for i in self.selectedIndexes() if i.column() == 0]
        first = self._items.position_of(indexes[0].row()) if indexes else None
        task = self._items.task_at(first) if first is not None else None
        files = task.files if task is not None else ()
        drag_out(self, indexes, self.tile_delegate.thumbnails.get(files[0]) if files else None)

    # -- hover scrub -----------------------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        self.hover.move(event.position().toPoint())

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self.hover.set(None)
        return super().viewportEvent(event)

    @Slot(str)
    def on_strips_thumbnail_ready(self, video: str) -> None:
        scrub = self.hover.current
        position = None if scrub is None else self._items.position_of(scrub.row)
        task = None if position is None else self._items.task_at(position)
        if position is not None and task is not None and video in task.files[:1]:
            self.viewport().update(self._tile_rect(position))
