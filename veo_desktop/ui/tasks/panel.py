"""The task list panel: search, state filter, toolbar, notices, the table and its context menu."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence, Set

import shiboken6
from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.core.heap import large_blocks_mapped
from veo_desktop.core.spending import SpendingCap
from veo_desktop.records.library import LibraryQuery
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable, safe_block
from veo_desktop.ui import style
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.library.gallery import Gallery, LibraryViews
from veo_desktop.ui.library.search_bar import SearchBar
from veo_desktop.ui.library.selection import refilter_keeping, row_ranges
from veo_desktop.ui.library.tag_editor import open_label_editor
from veo_desktop.ui.tasks.actions import TaskActions
from veo_desktop.ui.tasks.clocks import RunningClocks
from veo_desktop.ui.tasks.columns import (
    FILTER_LABELS,
    FILTER_STATES,
    LOCAL_ID_ROLE,
    Column,
    StateFilter,
    count_text,
    empty_text,
)
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy
from veo_desktop.ui.tasks.recipe_drag import follow_current
from veo_desktop.ui.tasks.shelved import ShelvedRow, shelve
from veo_desktop.ui.tasks.view import TaskView
from veo_desktop.ui.thumbnails import ThumbnailCache

#: How many older tasks a large library's list reads at a time (see TaskPanel.list_older).
OLDER_PAGE = 5000
#: As many as there are: every older task, in one read (a sort by another column).
EVERY_OLDER = 2**62
#: Tasks the list takes out one by one in a turn of the event loop; more removed in the same
#: turn (a Clean up's or a Remove's thousands) are taken out together at its end.
REMOVED_ONE_BY_ONE = 8


class TaskPanel(QWidget):
    """Search box, state filter (active/finished/failed), toolbar, ``taskView``, context menu.

    Args:
        controller: where tasks come from and actions go.
        thumbnails: the thumbnail cache (one made in memory only when not given).
        clock: unix time, for the elapsed-time column and the extend window (tests pass a
            fake).
        spending_cap: returns the daily spending cap in effect (paid actions ask first
            when they would pass it); ``None``: no cap.
        first_page: list only this many newest tasks at first, and the older ones when
            :meth:`fill_rest` is called (the window's workspace does, right after its first
            paint: at 10,000 tasks filling every row costs ~40 ms). ``None``: all at once.
    """

    #: The selected task changed (a :class:`TaskRecord`, or ``None``); re-emitted when the
    #: selected task itself changes (e.g. its video finished downloading).
    current_task_changed = Signal(object)
    #: The person asked to fill the composer from this task (a :class:`TaskRecord`).
    reuse_requested = Signal(object)
    #: A task was submitted from the list (an extend, a final version): its TaskRecord.
    task_submitted = Signal(object)

    def __init__(
        self,
        controller: EngineController,
        parent: QWidget | None = None,
        *,
        thumbnails: ThumbnailCache | None = None,
        clock: Callable[[], float] = time.time,
        spending_cap: Callable[[], SpendingCap | None] | None = None,
        first_page: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("taskPanel")
        self.setAccessibleName("Task list")
        self._controller = controller
        self._library = controller.library
        self._owns_thumbnails = thumbnails is None
        self.thumbnails = (
            thumbnails if thumbnails is not None else ThumbnailCache(None, parent=self)
        )
        self._current_id: str | None = None

        self.model = TaskTableModel(self, thumbnails=self.thumbnails, clock=clock)
        self.model.set_reader(
            peek=controller.peek,
            peek_many=controller.peek_many,
            get=controller.lookup,
            find_id=controller.find_id,
        )
        self.proxy = TaskFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = TaskView(self)
        self.view.setModel(self.proxy)
        self.view.sortByColumn(Column.CREATED, Qt.SortOrder.DescendingOrder)
        self.task_actions = TaskActions(
            controller,
            self,
            self.current_task,
            selected=self.selected_tasks,
            selected_count=self.selected_count,
            spending_cap=spending_cap,
            clock=clock,
        )
        #: The gallery beside the table: same model, same selection (so the same actions).
        self.gallery = Gallery(
            self.proxy,
            self.view.selectionModel(),
            self.thumbnails,
            self.context_menu,
            self,
            labels=controller.library,
        )
        self.views = LibraryViews(self.view, self.gallery, self)

        #: Prompt search and filters (chips under the search row), saved searches.
        self.search_bar = SearchBar(controller.library, self)
        #: The search field (``taskSearch``).
        self.search = self.search_bar.edit

        self.state_filter = QComboBox(self)
        self.state_filter.setObjectName("taskStateFilter")
        for choice, label in FILTER_LABELS.items():
            self.state_filter.addItem(label, choice.value)
        self.state_filter.setAccessibleName("State filter")
        self.state_filter.setAccessibleDescription(
            "Show all tasks, only running ones, only finished ones, or only failed ones"
        )
        self.state_filter.setToolTip("Show all, active, finished or failed tasks")

        self.toolbar = QToolBar("Task actions", self)
        self.toolbar.setObjectName("taskToolbar")
        self.toolbar.setIconSize(QSize(18, 18))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.toolbar.setAccessibleName("Task actions")
        for action in self.task_actions.toolbar_actions:
            if action is None:
                self.toolbar.addSeparator()
            else:
                self.toolbar.addAction(action)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("taskCountLabel")
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        style.follow_hint_color(self.count_label)
        self.count_label.setAccessibleName("Task count")

        self.title_label = style.section_title("Tasks", self)
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.title_label)
        top.addSpacing(4)
        top.addWidget(self.search_bar, 1)
        top.addWidget(self.state_filter)
        second = QHBoxLayout()
        second.setSpacing(6)
        second.addWidget(self.toolbar)
        second.addStretch(1)
        second.addWidget(self.views.switch)
        second.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.search_bar.chips)
        layout.addLayout(second)
        #: Notices above the list (a batch to resume), newest first.
        self.notices = QVBoxLayout()
        self.notices.setSpacing(4)
        layout.addLayout(self.notices)
        layout.addWidget(self.views, 1)

        #: Repaints the elapsed time of running tasks on show.
        self.clocks = RunningClocks(self, self.model, self.proxy, self.view)
        self.clock_timer = self.clocks.timer

        self.search_bar.query_changed.connect(self.on_search_bar_query_changed)
        controller.library.labels_changed.connect(self.proxy.recheck)
        # Stars, favourite and tags on each row, repainted when they change.
        self.model.set_labels(controller.library.labels_of)
        controller.library.labels_changed.connect(self.model.on_labels_changed)
        self.task_actions.edit_labels.triggered.connect(self.on_actions_edit_labels_triggered)
        self.proxy.filter_finished.connect(self._on_rows_changed)
        self.state_filter.currentIndexChanged.connect(self.on_state_filter_current_index_changed)
        self.view.customContextMenuRequested.connect(self.on_view_custom_context_menu_requested)
        self.view.activated.connect(self.on_view_activated)
        self.gallery.activated.connect(self.on_view_activated)
        selection = self.view.selectionModel()
        selection.currentRowChanged.connect(self.on_selection_current_row_changed)
        follow_current(self.view)  # recipe-carrying copies made ahead of a drag out
        selection.selectionChanged.connect(self.on_selection_selection_changed)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved):
            signal.connect(self._on_rows_changed)
        self.proxy.modelReset.connect(self._on_rows_changed)
        self.proxy.layoutChanged.connect(self._on_rows_changed)
        self.task_actions.reuse_requested.connect(self.reuse_requested)
        self.task_actions.preview_requested.connect(self.on_actions_preview_requested)
        self.task_actions.task_submitted.connect(self.on_actions_task_submitted)
        controller.task_changed.connect(self.on_controller_task_changed)
        controller.task_progress.connect(self.on_controller_task_progress)
        controller.action_failed.connect(self.on_controller_action_failed)

        tasks = controller.tasks()  # oldest first
        #: Whether only the newest ``first_page`` tasks loaded are listed (:meth:`fill_rest`).
        self._page_cut = first_page is not None and len(tasks) > first_page
        #: How many loaded tasks wait below the first page (counted meanwhile).
        self._cut_rest = len(tasks) - first_page if first_page and self._page_cut else 0
        #: Whether every task of the library is listed: a large library's older tasks are
        #: read when the person scrolls to the end, searches or filters (:meth:`list_older`).
        self._listed_all = controller.tasks_complete
        self._listing_older = False
        #: Every older task is to be listed (a sort asked while a page was being read).
        self._wants_every = False
        #: Tasks removed in this turn of the event loop: how many were taken out one by one,
        #: and those left to take out together at its end (see REMOVED_ONE_BY_ONE).
        self._removed_this_turn = 0
        self._leaving: dict[str, TaskRecord] = {}
        #: Every task created at or after this is listed (the older pages read go on below).
        self._listed_from = controller.held_from
        #: The search and filter whose older matches are to be read (see _search_older).
        self._older_query: LibraryQuery | None = None
        self._searching_older = False
        #: How many tasks the list would show besides its rows (not loaded; None: not
        #: counted yet), for the count line.
        self._unlisted: int | None = None
        self.model.set_tasks(tasks[-first_page:] if first_page and self._page_cut else tasks)
        self.model.set_more(None if self._listed_all else self.list_older)
        controller.all_tasks_loaded.connect(self.fill_rest)
        header = self.view.horizontalHeader()
        header.sortIndicatorChanged.connect(self.on_header_sort_indicator_changed)
        self.task_actions.update(None)
        self._on_rows_changed()
        self._count_unlisted()

    # -- public ----------------------------------------------------------------------------

    def current_task(self) -> TaskRecord | None:
        """The selected task, as last reported by the engine."""
        return None if self._current_id is None else self.model.get(self._current_id)

    def selected_tasks(self) -> list[TaskRecord]:
        """Every selected task, in the list's order (the current one among them)."""
        return self.model.tasks_at(self._selected_source_rows())

    def selected_count(self) -> int:
        """How many tasks are selected (none is read)."""
        return len(self.view.selectionModel().selectedRows())

    def _selected_ids(self) -> list[str]:
        """The selected tasks' local ids, in the list's order (none is read)."""
        return [self.model.local_id_at(row) for row in self._selected_source_rows()]

    def _selected_source_rows(self) -> list[int]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        to_source = self.proxy.mapToSource
        return [to_source(self.proxy.index(row, 0)).row() for row in rows]

    @property
    def listed_whole(self) -> bool:
        """Whether every task of the library is listed (a large library's older ones once
        the list was scrolled to its end: as shelved rows, not loaded)."""
        return self._listed_all

    def fill_rest(self) -> None:
        """List every task loaded, keeping the selection: the ones older than the first
        page (see ``first_page``), and a large library's older tasks once they are loaded
        (see :meth:`list_older`). Nothing to do when they are listed already (or when the
        panel was closed while they were read)."""
        if not shiboken6.isValid(self):
            return
        complete = self._controller.tasks_complete
        shelved = complete and self.model.shelved_count  # (now all read: listed whole)
        if not self._page_cut and not shelved and (self._listed_all or not complete):
            return
        self._page_cut = False
        self._listed_all = self._listed_all or complete
        self._listing_older = False
        self._relist()

    def _relist(self, shelved: Sequence[ShelvedRow] = ()) -> None:
        """List every task loaded, keeping the selection and where the views are scrolled
        to (older tasks come below: what was in view stays)."""
        before = self.model.rowCount() + (self._cut_rest if self._page_cut else 0)
        self._page_cut = False

        def relist() -> None:
            self.model.set_tasks(self._controller.tasks(include_hidden=True), shelved)
            if self._unlisted is not None:  # (the newly listed were unlisted: recounted)
                self._unlisted = max(0, self._unlisted - (self.model.rowCount() - before))
            self._offer_more()

        self._reset_keeping_view(relist)
        self._update_count()
        self._count_unlisted()

    def _reset_keeping_view(self, reset: Callable[[], None], gone: Set[str] = frozenset()) -> None:
        """``reset()`` the list (its model reset: every row anew), keeping the selection
        (but the tasks ``gone``) and where the views are scrolled to."""
        selected = [local_id for local_id in self._selected_ids() if local_id not in gone]
        current = self._current_id
        if current in selected:
            selected.remove(current)
            selected.insert(0, current)
        # A current task that goes passes on to the nearest row that stays (as Qt does).
        after = self._next_staying(gone) if current in gone else None
        scrolled = [view.verticalScrollBar().value() for view in (self.view, self.gallery.view)]
        reset()

        def put_back() -> None:
            self.select_tasks(selected)
            if after is not None and not selected:
                index = self.proxy.mapFromSource(self.model.index_of(after))
                flag = QItemSelectionModel.SelectionFlag.NoUpdate
                self.view.selectionModel().setCurrentIndex(index, flag)
            for view, value in zip((self.view, self.gallery.view), scrolled, strict=True):
                if view.isVisible():
                    view.doItemsLayout()  # (the scroll bar's range follows the rows now)
                view.verticalScrollBar().setValue(value)

        put_back()
        if not self.proxy.complete:  # (a filter, folded runs: the rows come in slices)
            self.proxy.filter_finished.connect(put_back, Qt.ConnectionType.SingleShotConnection)

    def _next_staying(self, gone: Set[str]) -> str | None:
        """The task of the nearest row above the current one whose task is not ``gone``
        (else below it): where Qt puts the current row when it is removed."""
        current = self.view.currentIndex()
        if not current.isValid():
            return None
        rows = self.proxy.rowCount()
        for row in [*range(current.row() - 1, -1, -1), *range(current.row() + 1, rows)]:
            local_id = self.proxy.index(row, 0).data(LOCAL_ID_ROLE)
            if local_id not in gone:
                return str(local_id)
        return None

    def _count_unlisted(self) -> None:
        """Count (in a thread) the tasks a large library's list does not hold yet."""
        if self._listed_all:
            self._unlisted = 0
            return

        async def count() -> None:
            total = await self._controller.count_listed()
            if shiboken6.isValid(self):
                listed = len(self._controller.tasks()) + self.model.shelved_count
                self._unlisted = max(0, total - listed)
                self._update_count()

        self._controller.run(count(), name="Counting tasks")

    def _offer_more(self) -> None:
        """Let the views ask for the older tasks (scrolled to the end, or not filled) when
        there are some and no search or filter is set (its matches are read instead)."""
        more = self._listed_all or self._older_query is not None
        self.model.set_more(None if more else self.list_older)

    def list_older(self) -> None:
        """Read a page more of a large library's older tasks (in a thread) and list them
        below, as shelved rows (their records are not kept; see ``ui.tasks.shelved``):
        asked when the list or the gallery is scrolled to its end, or its rows do not fill
        it. One page at a time; the count line says so meanwhile."""
        self._read_older(OLDER_PAGE, "Listing older tasks")

    def _list_every_task(self) -> None:
        """List every task of the library: the older ones read (in a thread, the count line
        saying so) in one go as shelved rows, as the pages are (after the page being read,
        if one is)."""
        self._wants_every = not self._listed_all
        self._read_older(EVERY_OLDER, "Listing every task")

    def _read_older(self, count: int, name: str) -> None:
        """Read the ``count`` tasks older than the list and list them below (see
        :meth:`list_older`); nothing while a read is under way (then every older one, if
        :meth:`_list_every_task` asked meanwhile)."""
        if self._listed_all or self._listing_older:
            return
        self._listing_older = True
        self._update_count()
        before = self._listed_from

        async def more() -> None:
            try:
                shelved, whole = await self._controller.read_older(before, count, shelve)
            except BaseException:
                if self._ended_reading_older() and self._wants_every and count != EVERY_OLDER:
                    # (a sort waits for every task: asked for even so; it says why it fails)
                    QTimer.singleShot(0, self, self._list_every_task)
                raise
            if not self._ended_reading_older():
                return
            if self._listed_all or before != self._listed_from:
                return  # (listed whole, or a page listed meanwhile)
            times = [row.created_at for row in shelved] + [task.created_at for task in whole]
            self._listed_from = min(times, default=-math.inf)
            self._listed_all = len(times) < count
            for task in whole:  # (not finished, an extend, hidden: as the first load's)
                self._controller.keep(task)
            with large_blocks_mapped():  # (the old rows' index, the sort keys: freed)
                self._relist(shelved)
            if self._wants_every:
                self._list_every_task()

        self._controller.run(more(), name=name)

    def _ended_reading_older(self) -> bool:
        """A read of older tasks ended: the count line says so; whether the panel is still
        there."""
        self._listing_older = False
        if not shiboken6.isValid(self):
            return False
        self._update_count()
        return True

    def select_tasks(self, local_ids: list[str]) -> None:
        """Select these tasks (the first becomes current); for Compare, and to keep a
        selection across a reset. In one change of the selection, whatever their number
        (one by one, each would have every selected row counted again)."""
        self.fill_rest()
        rows = []
        for local_id in local_ids:
            index = self.proxy.mapFromSource(self.model.index_of(local_id))
            if index.isValid():
                rows.append(index.row())
        if not rows:
            return
        selection = self.view.selectionModel()
        flag = QItemSelectionModel.SelectionFlag
        selection.setCurrentIndex(self.proxy.index(rows[0], 0), flag.NoUpdate)
        selection.select(row_ranges(self.proxy, rows), flag.ClearAndSelect | flag.Rows)

    def add_notice(self, widget: QWidget) -> None:
        """Show ``widget`` above the list (it removes itself by being deleted or hidden)."""
        self.notices.insertWidget(0, widget)
        widget.show()

    def select_task(self, local_id: str) -> bool:
        """Select (and scroll to) a task; clears the filters if they hide it. A large
        library's older task not listed yet is read (it is then listed with the others)."""
        self.fill_rest()
        source = self.model.index_of(local_id)
        if not source.isValid() and not self._listed_all:
            try:
                older = self._controller.get(local_id)  # (read from the store, and kept)
            except KeyError:
                return False
            if older.hidden:
                return False
            self._relist()
            source = self.model.index_of(local_id)
        if not source.isValid():
            return False
        index = self.proxy.mapFromSource(source)
        if not index.isValid():
            self.search_bar.clear()
            self.state_filter.setCurrentIndex(0)
            index = self.proxy.mapFromSource(source)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def fill_menu(self, menu: QMenu) -> None:
        """Add the task actions (for the current task) to ``menu`` (the window's Task menu)."""
        self.task_actions.fill_menu(menu)

    def set_search_text(self, text: str) -> None:
        self.search.setText(text)

    def set_state_filter(self, choice: StateFilter) -> None:
        self.state_filter.setCurrentIndex(self.state_filter.findData(choice.value))

    def shutdown(self) -> None:
        """Stop the clock, close open questions and the thumbnail worker (if ours)."""
        self.clocks.stop()
        self.task_actions.close()
        self.gallery.close_strips()
        if self._owns_thumbnails:
            self.thumbnails.close()

    # -- engine ----------------------------------------------------------------------------

    @Slot(object)
    def on_controller_task_changed(self, task: TaskRecord) -> None:
        if task.hidden and self.model.row_of(task.local_id) is not None:
            if self._removed_this_turn >= REMOVED_ONE_BY_ONE:
                self._leaving[task.local_id] = task  # (taken out at the turn's end)
                return
            if not self._removed_this_turn:
                QTimer.singleShot(0, self, self._turn_ended)
            self._removed_this_turn += 1
        elif self._leaving.pop(task.local_id, None) is not None:
            pass  # (changed again after it was removed: its row, still there, is updated)
        self.model.upsert(task)
        if len(self.view.selectionModel().selectedRows()) > 1:
            self.task_actions.update_selection()
        if task.is_extend and task.local_id != self._current_id:
            # An extend of the selected video (APIXO may have refused it) moves its window.
            current = self.current_task()
            if current is not None and not current.is_extend:
                self.task_actions.update(current)
        if task.local_id == self._current_id:
            current = self.current_task()
            if current is None:
                # The selected task was hidden; the selection moved (or emptied).
                self._set_current(self._index_task(self.view.currentIndex()))
            else:
                self.task_actions.update(current)
                self.current_task_changed.emit(current)
        self.clocks.update()
        self._update_count()

    def _turn_ended(self) -> None:
        self._removed_this_turn = 0
        if self._leaving:
            self._take_out_leaving()

    def _take_out_leaving(self) -> None:
        """Take out, in one go, the tasks removed after the first few of a turn."""
        leaving, self._leaving = self._leaving, {}
        self._reset_keeping_view(
            lambda: self.model.remove_hidden(list(leaving.values())), gone=leaving.keys()
        )
        current = self.current_task()
        if current is None:  # (the selected task was removed)
            self._set_current(self._index_task(self.view.currentIndex()))
        else:  # (an extend of it may have gone: its window moves)
            self.task_actions.update(current)
        if len(self.view.selectionModel().selectedRows()) > 1:
            self.task_actions.update_selection()
        self.clocks.update()
        self._update_count()

    @Slot(str, int, int)
    def on_controller_task_progress(self, local_id: str, done: int, total: int) -> None:
        self.model.set_progress(local_id, done, None if total < 0 else total)

    @Slot(str, str)
    def on_controller_action_failed(self, title: str, message: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning, printable(title, 200), safe_block(message, 4000), parent=self
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setObjectName("actionFailedMessage")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- widgets ---------------------------------------------------------------------------

    @Slot(object)
    def on_search_bar_query_changed(self, query: LibraryQuery) -> None:
        self._search_older(query, self.proxy.state_filter)
        self._keeping_selection(lambda: self.proxy.set_query(query, self._library.labels()))
        self._start_older_search()

    @Slot(int)
    def on_state_filter_current_index_changed(self, _index: int) -> None:
        choice = StateFilter(self.state_filter.currentData())
        self._search_older(self.proxy.query, choice)
        self._keeping_selection(lambda: self.proxy.set_state_filter(choice))
        self._start_older_search()

    @Slot(int, Qt.SortOrder)
    def on_header_sort_indicator_changed(self, column: int, order: Qt.SortOrder) -> None:
        """Sorted by anything but the newest first, a large library's list must hold every
        task (its top would be the top of the tasks read so far): the older ones are read,
        as shelved rows, then listed."""
        newest_first = column == Column.CREATED and order == Qt.SortOrder.DescendingOrder
        if newest_first:
            self._wants_every = False  # (sorted back before every task was read: pages do)
        elif not self._listed_all:
            self._list_every_task()

    def _search_older(self, query: LibraryQuery, choice: StateFilter) -> None:
        """Before a search or filter over a large library not loaded whole is applied: its
        matches among the older tasks are what is to be read (not every older task, which
        a view left with few rows would ask for)."""
        if self._listed_all:
            return
        if choice is not StateFilter.ALL:
            chosen = FILTER_STATES[choice]
            states = query.states & chosen if query.states else chosen
            query = dataclasses.replace(query, states=states)
        self._older_query = None if query.is_empty else query
        self._offer_more()

    def _start_older_search(self) -> None:
        """Find the matches of the search or filter among the older tasks by the store's
        search, read them (in a thread), then list them; the other older tasks stay unread.
        The latest query wins: one search runs at a time."""
        if self._listed_all or self._older_query is None or self._searching_older:
            return
        self._searching_older = True
        self._update_count()

        async def search() -> None:
            added = 0
            try:
                while (asked := self._older_query) is not None:
                    # (what is listed, shelved or not, the list's own filter finds)
                    added += await self._controller.load_matching(asked, self._listed_from)
                    if self._older_query is asked:
                        break
            finally:
                self._searching_older = False
                if shiboken6.isValid(self):
                    if added:
                        self._relist()
                    self._update_count()

        self._controller.run(search(), name="Searching older tasks")

    def _keeping_selection(self, refilter: Callable[[], None]) -> None:
        """Filter again; the selected tasks still shown stay selected (the list is reset)."""
        current = self._current_id
        shown = refilter_keeping(self.view, self.proxy, current, refilter)
        if shown:
            self.select_tasks(shown)
        elif current is not None:
            self._set_current(None)
        self._on_rows_changed()

    @Slot()
    def on_actions_edit_labels_triggered(self) -> None:
        done = self._controller.action_done.emit
        chosen = self._selected_ids()  # (none read: a selection may be of thousands)
        one = self.model.get(chosen[0]) if len(chosen) == 1 else None
        prompt = None if one is None else one.prompt
        open_label_editor(chosen, self._library, self, done, prompt=prompt)

    @Slot(QModelIndex, QModelIndex)
    def on_selection_current_row_changed(
        self, current: QModelIndex, _previous: QModelIndex
    ) -> None:
        self._set_current(self._index_task(current))

    @Slot(QItemSelection, QItemSelection)
    def on_selection_selection_changed(
        self, _selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        self.task_actions.update_selection()

    @Slot(object)
    def on_actions_task_submitted(self, task: TaskRecord) -> None:
        self.model.upsert(task)
        self.select_task(task.local_id)
        self.task_submitted.emit(task)

    @Slot(QModelIndex)
    def on_view_activated(self, index: QModelIndex) -> None:
        task = self._index_task(index)
        if task is None:
            return
        if task.state == TaskState.UNCERTAIN:
            self.task_actions.resolve.trigger()
        elif task.state == TaskState.SUCCEEDED:
            self.task_actions.preview.trigger()

    @Slot(QPoint)
    def on_view_custom_context_menu_requested(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            selection = self.view.selectionModel()
            if selection.isRowSelected(index.row(), QModelIndex()):
                # Keep a multiple selection (to compare it); the clicked row becomes current.
                selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
            else:
                self.view.setCurrentIndex(index)
        menu = self.context_menu()
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """The context menu for the current task (deleted when it closes)."""
        menu = QMenu(self)
        menu.setObjectName("taskContextMenu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.task_actions.fill_menu(menu)
        return menu

    @Slot(object)
    def on_actions_preview_requested(self, task: TaskRecord) -> None:
        self.current_task_changed.emit(task)

    # -- internals -------------------------------------------------------------------------

    def _index_task(self, index: QModelIndex) -> TaskRecord | None:
        if not index.isValid():
            return None
        return self.model.task_at(self.proxy.mapToSource(index).row())

    def _set_current(self, task: TaskRecord | None) -> None:
        self._current_id = None if task is None else task.local_id
        self.task_actions.update(task)
        self.current_task_changed.emit(task)

    def _on_rows_changed(self, *_args: object) -> None:
        self.clocks.update()
        self._update_count()
        self._update_empty_text()

    def _update_count(self) -> None:
        listed, shown = self.model.rowCount(), self.proxy.rowCount()
        below = self._cut_rest if self._page_cut else 0  # (listed after the first paint)
        if shown == listed:
            shown += below
        total = listed + below
        if not self._listed_all and self._unlisted:
            total += self._unlisted  # (a large library's older tasks, not loaded)
        text = count_text(total, shown, self.model.active_count())
        tip = ""
        if not self._listed_all:  # a large library: the newest tasks, and what was asked
            tip = (
                f"{listed + below:,} of your {total:,} tasks are read so far, the newest; "
                "older ones are read as you scroll to the end of the list, search or filter."
            )
        if self._listing_older:
            text += " \u00b7 loading\u2026"
        elif self._searching_older or not self.proxy.complete:
            text += " \u00b7 searching\u2026"
        # (the words are short: the line shares its row with the view buttons)
        self.count_label.setText(text)
        self.count_label.setToolTip(tip)

    def _update_empty_text(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        words, choice = self.proxy.search_text, self.proxy.state_filter
        self.view.set_empty_text(empty_text(total, shown, words, choice))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.clocks.update()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.clocks.update()
