"""The workspace of one session: Compose | Tasks and Prompts (tabs) | Preview, in a splitter,
under the notice of paid task ids not safely saved (shown only while there are any).

The main window shows it once a session is open; its panels' modules (the engine's
controller, QtMultimedia, video decoding) load with it, after the window's first paint.
The preview (QtMultimedia, a media player) and the prompt history (a hidden tab that reads
every task's prompt) are built just after the workspace's own first paint, so that the
prompt and the task list are there to use sooner; placeholders hold their places until
then (the preview's looks and measures as the empty preview: nothing moves when the panel
takes its place), and asking for either panel builds it at once. Likewise the task list shows the
newest tasks first (:data:`FIRST_PAGE`) and the older ones right after that paint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.ui.history_panel import HistoryPanel
    from veo_desktop.ui.preview.panel import PreviewPanel
    from veo_desktop.ui.session import Session
    from veo_desktop.ui.spending.view import SpendingView


#: The task list shows this many newest tasks with the workspace's first paint (more than a
#: screen holds), and the older ones right after it.
FIRST_PAGE = 300
#: The preview's margins (left, top, right, bottom), its placeholder's alike.
PREVIEW_MARGINS = (8, 8, 10, 6)


class Workspace(QWidget):
    """Compose | Tasks and Prompts (tabs) | Preview for one session.

    Args:
        session: the open session.
        spending_cap: returns the daily spending cap in effect (paid actions ask first).

    Signals:
        first_painted: the workspace painted for the first time (the person can work).
        preview_built: the preview panel was built (``PreviewPanel``).
        history_built: the prompt history panel was built (``HistoryPanel``).
    """

    first_painted = Signal()
    preview_built = Signal(object)
    history_built = Signal(object)

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        *,
        spending_cap: Callable[[], SpendingCap | None] | None = None,
    ) -> None:
        from veo_desktop.core.batch import journal_dir
        from veo_desktop.core.templates import TemplateStore
        from veo_desktop.ui.compose.panel import ComposePanel
        from veo_desktop.ui.preview.controls import PreviewPlaceholder
        from veo_desktop.ui.storyboard.tab import StoryboardTab
        from veo_desktop.ui.tasks.id_notice import UnsavedIdNotice
        from veo_desktop.ui.tasks.panel import TaskPanel
        from veo_desktop.ui.thumbnails import ThumbnailCache

        super().__init__(parent)
        self.setObjectName("workspace")
        self.thumbnails = ThumbnailCache(session.paths.cache_dir / "thumbnails", parent=self)
        self.compose_panel = ComposePanel(
            session.controller,
            session.uploader,
            spending_cap=spending_cap,
            journal_dir=journal_dir(session.paths.data_dir),
        )
        self.task_panel = TaskPanel(
            session.controller,
            thumbnails=self.thumbnails,
            spending_cap=spending_cap,
            first_page=FIRST_PAGE,
        )
        self.templates = TemplateStore.in_config_dir(session.paths.config_dir)
        self._controller = session.controller
        self._runtime = session.runtime
        self._following_storyboards = False
        self._history: HistoryPanel | None = None
        self._history_place = QWidget(self)
        self._history_place.setObjectName("historyPlaceholder")
        self._frames_dir = session.paths.cache_dir / "frames"
        self._preview: PreviewPanel | None = None
        self._shown_task: TaskRecord | None = None
        # Looks and measures as the preview panel with nothing loaded (without loading
        # QtMultimedia): the columns stay put when the panel takes its place.
        self._preview_place = PreviewPlaceholder(self)
        self._preview_place.setContentsMargins(*PREVIEW_MARGINS)
        # The task list and the prompt history share the middle column, as tabs.
        self.task_panel.title_label.hide()
        self.middle = QTabWidget(self)
        self.middle.setObjectName("middleTabs")
        self.middle.setDocumentMode(True)
        self.middle.setAccessibleName("Tasks and prompts")
        self.middle.addTab(self.task_panel, "&Tasks")
        self.middle.addTab(self._history_place, "&Prompts")
        self.middle.setTabToolTip(0, "Your videos, newest first; extensions under their source")
        self.middle.setTabToolTip(1, "Recent prompts and saved prompts with blanks to fill in")
        #: The Storyboard tab, built when first shown or when a shot is added to it.
        self.storyboard = StoryboardTab(
            session,
            self.middle,
            2,
            thumbnails=self.thumbnails,
            spending_cap=spending_cap,
            request_source=self.compose_panel.current_request,
        )
        # The Spending tab (QtCharts) is built the first time it is shown.
        self.spending_view: SpendingView | None = None
        self._spending_place = QWidget(self)
        self._spending_place.setObjectName("spendingPlaceholder")
        self._spending_cap = spending_cap
        self._library_dir = lambda: session.library_dir
        self.middle.addTab(self._spending_place, "&Spending")
        self.middle.setTabToolTip(
            self.middle.indexOf(self._spending_place),
            "What your videos cost per day and week, and the library's size on disk",
        )
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        for panel, stretch in (
            (self.compose_panel, 0),
            (self.middle, 3),
            (self._preview_place, 2),
        ):
            self.splitter.addWidget(panel)
            self.splitter.setStretchFactor(self.splitter.indexOf(panel), stretch)
        self.middle.setContentsMargins(10, 8, 8, 6)
        #: Stays above everything while an accepted (paid) task's APIXO id is not safely
        #: saved, whichever tab is shown.
        self.id_notice = UnsavedIdNotice(session.controller, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        notice_row = QVBoxLayout()
        notice_row.setContentsMargins(10, 8, 10, 0)
        notice_row.addWidget(self.id_notice)
        layout.addLayout(notice_row)
        layout.addWidget(self.splitter, 1)
        self.user_sized = False
        self._painted = False
        self._shut_down = False
        self.splitter.splitterMoved.connect(self.on_splitter_splitter_moved)
        self.task_panel.current_task_changed.connect(self.on_task_panel_current_task_changed)
        self.middle.currentChanged.connect(self.on_middle_current_changed)
        self.task_panel.reuse_requested.connect(self.compose_panel.load_task)
        self.storyboard.current_task_changed.connect(self.on_task_panel_current_task_changed)
        self.compose_panel.storyboard_requested.connect(self.storyboard.add_request)
        self.task_panel.task_actions.add_to_storyboard.triggered.connect(
            lambda: self.storyboard.add_task(self.task_panel.current_task())
        )

    @property
    def preview_panel(self) -> PreviewPanel:
        """The preview of the current task (built now if it was not yet)."""
        if self._preview is None:
            self.build_preview()
        assert self._preview is not None
        return self._preview

    @property
    def preview_is_built(self) -> bool:
        return self._preview is not None

    @property
    def history_panel(self) -> HistoryPanel:
        """Recent and saved prompts (built now if it was not yet)."""
        if self._history is None:
            self.build_history()
        assert self._history is not None
        return self._history

    def build_history(self) -> None:
        """Build the prompt history panel now (once; not after :meth:`shutdown`)."""
        if self._history is not None or self._shut_down:
            return
        from veo_desktop.ui.history_panel import HistoryPanel

        history = HistoryPanel(self._controller, self.templates)
        history.setContentsMargins(0, 6, 0, 0)
        index = self.middle.indexOf(self._history_place)
        current = self.middle.currentIndex()
        tip = self.middle.tabToolTip(index)
        self._history = history
        self.middle.removeTab(index)
        self.middle.insertTab(index, history, "&Prompts")
        self.middle.setTabToolTip(index, tip)
        self.middle.setCurrentIndex(current)
        self._history_place.deleteLater()
        history.storyboard_requested.connect(self.storyboard.add_request)
        self.history_built.emit(history)

    def build_deferred(self) -> None:
        """List the older tasks and build the panels that wait for the first paint (the
        preview, the history), and let the gallery group by storyboard.

        Called once the session has started: by then every task is loaded (a large
        library's older ones after the window showed), so the panels opened before read
        them again."""
        if self._history is not None:
            self._history.refresh_recent()
        if self.spending_view is not None:
            self.spending_view.on_controller_task_changed(None)
        self.fill_tasks()
        self.build_preview()
        self.build_history()
        self.follow_storyboards()

    def follow_storyboards(self) -> None:
        """Offer the gallery's "By storyboard" grouping, following the storyboards (once,
        after the first paint: it opens the storyboard service; not after :meth:`shutdown`)."""
        if self._following_storyboards or self._shut_down:
            return
        self._following_storyboards = True
        service = self._runtime.storyboards

        def board_name(local_id: str) -> str | None:
            board = service.board_of(local_id)
            return None if board is None else board.name

        self.task_panel.gallery.follow_storyboards(board_name, service.subscribe)

    def fill_tasks(self) -> None:
        """List the tasks older than the first page (once; not after :meth:`shutdown`)."""
        if not self._shut_down:
            self.task_panel.fill_rest()

    def on_middle_current_changed(self, index: int) -> None:
        if self._history is None and self.middle.widget(index) is self._history_place:
            self.build_history()
        if self.spending_view is None and self.middle.widget(index) is self._spending_place:
            self.build_spending()

    def build_spending(self) -> SpendingView:
        """Build the Spending tab now (once); returns it."""
        if self.spending_view is not None:
            return self.spending_view
        from veo_desktop.ui.spending.view import SpendingView

        view = SpendingView(
            self._controller,
            spending_cap=self._spending_cap,
            library=self._library_dir,
            thumbnails=self.thumbnails,
            frames_dir=self._frames_dir,
        )
        index = self.middle.indexOf(self._spending_place)
        current = self.middle.currentIndex()
        tip = self.middle.tabToolTip(index)
        self.spending_view = view
        self.middle.removeTab(index)
        self.middle.insertTab(index, view, "&Spending")
        self.middle.setTabToolTip(index, tip)
        self.middle.setCurrentIndex(current)
        self._spending_place.deleteLater()
        return view

    def show_spending(self) -> None:
        self.middle.setCurrentWidget(self.build_spending())

    def build_preview(self) -> None:
        """Build the preview panel now (once; not after :meth:`shutdown`)."""
        if self._preview is not None or self._shut_down:
            return
        from veo_desktop.ui.preview.panel import PreviewPanel

        preview = PreviewPanel(frames_dir=self._frames_dir)
        preview.setContentsMargins(*PREVIEW_MARGINS)
        index = self.splitter.indexOf(self._preview_place)
        sizes = self.splitter.sizes()
        self.splitter.replaceWidget(index, preview)
        self.splitter.setStretchFactor(index, 2)
        self.splitter.setSizes(sizes)
        self._preview_place.deleteLater()
        self._preview = preview
        if self._shown_task is not None:
            preview.show_task(self._shown_task)
        self.preview_built.emit(preview)

    def on_task_panel_current_task_changed(self, task: TaskRecord | None) -> None:
        self._shown_task = task
        if self._preview is not None:
            self._preview.show_task(task)
        else:
            self._preview_place.show_task(task)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()
            QTimer.singleShot(0, self, self.fill_tasks)
            QTimer.singleShot(0, self, self.build_preview)
            QTimer.singleShot(0, self, self.build_history)
            QTimer.singleShot(0, self, self.follow_storyboards)

    def show_tasks(self) -> None:
        self.middle.setCurrentWidget(self.task_panel)

    def show_history(self) -> None:
        self.middle.setCurrentWidget(self.history_panel)

    def restore_sizes(self, state: QByteArray) -> None:
        """Use the splitter sizes the person left last time."""
        self.user_sized = self.splitter.restoreState(state)

    def on_splitter_splitter_moved(self, _pos: int, _index: int) -> None:
        self.user_sized = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self.user_sized:
            self.fit(event.size().width())

    def shutdown(self) -> None:
        """Stop uploads, playback, the clock and the thumbnail worker (the session closes)."""
        self._shut_down = True
        self.compose_panel.cancel()
        self.id_notice.close_notice()
        self.task_panel.shutdown()
        self.storyboard.shutdown()
        if self._history is not None:
            self._history.shutdown()
        if self.spending_view is not None:
            self.spending_view.shutdown()
        if self._preview is not None:
            self._preview.shutdown()
        self.thumbnails.close()

    def fit(self, width: int) -> None:
        """Share ``width`` sensibly: the composer fixed-ish, the rest split 3:2."""
        compose = max(self.compose_panel.minimumSizeHint().width(), min(420, int(width * 0.3)))
        rest = max(0, width - compose)
        tasks = rest * 3 // 5
        self.splitter.setSizes([compose, tasks, rest - tasks])
