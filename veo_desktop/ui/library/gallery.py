"""The gallery beside the task table: the page that holds it, and the Table | Gallery switch.

:class:`Gallery` is the gallery page (a group-by choice, a count, the
:class:`~veo_desktop.ui.library.gallery_view.GalleryView`). It is given the task list's
filtered model and the table's selection model, so it shows the same filtered tasks and
whatever is selected in one view is selected in the other: the task actions, which work on
the table's selection, work on the gallery's.

:class:`LibraryViews` stacks the table and the gallery and offers the switch between them
(two buttons; the window's View menu has a toggle too); :meth:`LibraryViews.state` and
:meth:`LibraryViews.restore_state` are what the window remembers between starts.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QRectF,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.ui import style
from veo_desktop.ui.library.gallery_groups import GROUPING_LABELS, Grouping, count_text
from veo_desktop.ui.library.gallery_view import GalleryView
from veo_desktop.ui.library.labels import LibraryLabels
from veo_desktop.ui.library.scrub import ScrubStrips
from veo_desktop.ui.thumbnails import ThumbnailCache


class ViewMode(enum.Enum):
    """Which of the two views the task panel shows (stored by value)."""

    TABLE = "table"
    GALLERY = "gallery"


class Gallery(QWidget):
    """The gallery page (see the module docstring).

    Args:
        model: the task list's filtered model (the table's model).
        selection: the table's selection model (shared).
        thumbnails: the task list's thumbnail cache.
        context_menu: makes the task context menu (the table's) for the current task.
        storyboard_of: the storyboard a task (by local id) is a shot of (``None``: no
            grouping by storyboard is offered).
        labels: the library's labels (a tile shows the rating and favourite).
    """

    #: A tile was activated (double-click, Enter): its index in ``model``.
    activated = Signal(QModelIndex)

    def __init__(
        self,
        model: QAbstractItemModel,
        selection: QItemSelectionModel,
        thumbnails: ThumbnailCache,
        context_menu: Callable[[], QMenu],
        parent: QWidget | None = None,
        *,
        storyboard_of: Callable[[str], str | None] | None = None,
        labels: LibraryLabels | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("galleryPage")
        cache = thumbnails.cache_dir
        self.strips = ScrubStrips(None if cache is None else Path(cache) / "scrub", parent=self)
        self.view = GalleryView(thumbnails, self.strips, self, storyboard_of=storyboard_of)
        self.view.setModel(model)
        own = self.view.selectionModel()
        self.view.setSelectionModel(selection)
        own.deleteLater()
        self._model = model
        self._context_menu = context_menu
        #: A grouping asked for before it could be offered (by storyboard, restored early).
        self._wanted: Grouping | None = None
        self._unsubscribe: Callable[[], None] | None = None

        self.grouping = QComboBox(self)
        self.grouping.setObjectName("galleryGrouping")
        self.grouping.setAccessibleName("Group videos")
        self.grouping.setToolTip("Group the videos by day, by variations run or by storyboard")
        for choice, label in GROUPING_LABELS.items():
            if choice != Grouping.STORYBOARD or storyboard_of is not None:
                self.grouping.addItem(label, choice.value)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("galleryCountLabel")
        style.follow_hint_color(self.count_label)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.grouping)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

        self.grouping.currentIndexChanged.connect(self.on_grouping_current_index_changed)
        self.view.activated.connect(self.activated)
        self.view.customContextMenuRequested.connect(self.on_view_custom_context_menu_requested)
        self.view.rebuilt.connect(self.on_view_rebuilt)
        if labels is not None and labels.available:
            self.view.tile_delegate.labels_of = labels.labels_of
            labels.labels_changed.connect(self.view.labels_changed)

    def set_grouping(self, grouping: Grouping) -> None:
        """Group by ``grouping`` (by storyboard: once the storyboards are known)."""
        found = self.grouping.findData(grouping.value)
        self._wanted = None if found >= 0 else grouping
        if found >= 0:
            self.grouping.setCurrentIndex(found)

    @property
    def grouping_choice(self) -> Grouping:
        """The grouping chosen (one waiting for the storyboards to be known, too)."""
        return self._wanted or self.view.grouping

    def follow_storyboards(
        self,
        title_of: Callable[[str], str | None],
        subscribe: Callable[[Callable[[str], None]], Callable[[], None]] | None = None,
    ) -> None:
        """Offer grouping by storyboard: each video under the storyboard it is a take of.

        Args:
            title_of: the name of the storyboard a task (by local id) is a take of
                (``None``: none); a cheap look-up (the storyboard service's ``board_of``).
            subscribe: the storyboard service's ``subscribe`` (called back with a board id
                on every change): the sections follow the storyboards.
        """
        self.view.set_storyboard_of(title_of)
        if self.grouping.findData(Grouping.STORYBOARD.value) < 0:
            self.grouping.addItem(GROUPING_LABELS[Grouping.STORYBOARD], Grouping.STORYBOARD.value)
        if self._wanted is not None:
            self.set_grouping(self._wanted)
        self._unfollow()
        if subscribe is not None:
            self._unsubscribe = subscribe(self.on_storyboards_changed)

    def on_storyboards_changed(self, _board_id: str) -> None:
        self.view.storyboards_changed()

    def _unfollow(self) -> None:
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def close_strips(self) -> None:
        """Stop the scrub worker thread and stop following the storyboards (the panel's
        shutdown)."""
        self._unfollow()
        self.strips.close()

    @Slot(int)
    def on_grouping_current_index_changed(self, _index: int) -> None:
        self._wanted = None  # chosen now: a grouping waiting for the storyboards is dropped
        self.view.set_grouping(Grouping(self.grouping.currentData()))

    @Slot(int)
    def on_view_rebuilt(self, shown: int) -> None:
        self.count_label.setText(count_text(shown))
        model = self._model
        source = model.sourceModel() if isinstance(model, QAbstractProxyModel) else model
        filtered = model.rowCount() < source.rowCount()
        self.view.empty_text = (
            "No finished video matches the search and filter"
            if filtered
            else "No finished videos yet: each one appears here when it is downloaded"
        )

    @Slot(QPoint)
    def on_view_custom_context_menu_requested(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            selection = self.view.selectionModel()
            if selection.isRowSelected(index.row(), QModelIndex()):
                # Keep a multiple selection; the clicked tile becomes current.
                selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
            else:
                self.view.setCurrentIndex(index)
        self._context_menu().popup(self.view.viewport().mapToGlobal(pos))


def view_icon(mode: ViewMode, colour: QColor) -> QIcon:
    """The switch's pictures: rows of a table, or a grid of tiles (drawn, in ``colour``)."""
    pixmap = QPixmap(36, 36)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    if mode == ViewMode.TABLE:
        for top in (3.0, 8.0, 13.0):
            painter.drawRoundedRect(QRectF(2, top, 14, 2.5), 1, 1)
    else:
        for x, y in ((2.0, 2.0), (10.0, 2.0), (2.0, 10.0), (10.0, 10.0)):
            painter.drawRoundedRect(QRectF(x, y, 6, 6), 1.2, 1.2)
    painter.end()
    return QIcon(pixmap)


class LibraryViews(QStackedWidget):
    """The table and the gallery, one at a time, and the switch between them.

    Args:
        table: the task table.
        gallery: the gallery page.
    """

    #: The person switched views (a :class:`ViewMode`).
    mode_changed = Signal(object)

    def __init__(self, table: QAbstractItemView, gallery: Gallery, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("taskViews")
        self.table = table
        self.gallery = gallery
        self.addWidget(table)
        self.addWidget(gallery)

        self.switch = QWidget(parent)
        self.switch.setObjectName("taskViewSwitch")
        self.switch.setAccessibleName("Show tasks as")
        self._buttons = QButtonGroup(self.switch)
        row = QHBoxLayout(self.switch)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        for mode, text, tip in (
            (ViewMode.TABLE, "Table", "Show the tasks as a table"),
            (ViewMode.GALLERY, "Gallery", "Show finished videos as a gallery of thumbnails"),
        ):
            button = QToolButton(self.switch)
            button.setObjectName(f"{mode.value}ViewButton")
            button.setText(text)
            # Icons only: the toolbar row is narrow beside the composer at 1024 px.
            button.setIcon(view_icon(mode, button.palette().color(QPalette.ColorRole.ButtonText)))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            button.setIconSize(QSize(18, 18))
            button.setToolTip(tip)
            button.setAccessibleName(tip)
            button.setCheckable(True)
            button.setAutoRaise(True)
            self._buttons.addButton(button, 0 if mode == ViewMode.TABLE else 1)
            row.addWidget(button)
        self._buttons.button(0).setChecked(True)

        self._buttons.idClicked.connect(self.on_buttons_id_clicked)

    @property
    def mode(self) -> ViewMode:
        return ViewMode.GALLERY if self.currentWidget() is self.gallery else ViewMode.TABLE

    @property
    def gallery_shown(self) -> bool:
        return self.mode == ViewMode.GALLERY

    def toggle(self) -> None:
        """Show the other view."""
        self.set_mode(ViewMode.TABLE if self.gallery_shown else ViewMode.GALLERY)

    def set_mode(self, mode: ViewMode) -> None:
        """Show the table or the gallery (the keyboard focus follows, if it was in one)."""
        if mode == self.mode:
            return
        had_focus = self.isAncestorOf(self.focusWidget()) if self.focusWidget() else False
        shown: QWidget = self.gallery if mode == ViewMode.GALLERY else self.table
        self.setCurrentWidget(shown)
        gallery = mode == ViewMode.GALLERY
        self._buttons.button(1 if gallery else 0).setChecked(True)
        if had_focus:
            (self.gallery.view if gallery else self.table).setFocus()
        current = self.table.currentIndex()
        if gallery and current.isValid():
            self.gallery.view.scrollTo(current)
        elif current.isValid():
            self.table.scrollTo(current)
        self.mode_changed.emit(mode)

    def state(self) -> dict[str, str]:
        """What the window remembers: the view shown and the gallery's grouping."""
        return {"mode": self.mode.value, "grouping": self.gallery.grouping_choice.value}

    def restore_state(self, state: object) -> None:
        """Put back :meth:`state` (anything else, e.g. from an older version, is ignored)."""
        if not isinstance(state, dict):
            return
        grouping = {g.value: g for g in Grouping}.get(str(state.get("grouping")))
        if grouping is not None:
            self.gallery.set_grouping(grouping)
        mode = {m.value: m for m in ViewMode}.get(str(state.get("mode")))
        if mode is not None:
            self.set_mode(mode)

    @Slot(int)
    def on_buttons_id_clicked(self, button: int) -> None:
        self.set_mode(ViewMode.GALLERY if button == 1 else ViewMode.TABLE)
