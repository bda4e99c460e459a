"""Recent prompts (from the task store) and saved prompts with placeholders, searchable.

A person picks a prompt to put into the composer: a recent one as it was (or with all the
settings of the task that used it), or a saved one, whose blanks are filled in a small form
first. The recent list follows the task list (refreshed shortly after tasks change).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QFontMetrics, QPainter, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.history import PromptIndex, PromptTable, RecentPrompt
from veo_desktop.core.templates import Template, TemplateStore, TemplateSyntaxError, escape
from veo_desktop.records.task import TaskRecord, is_imported
from veo_desktop.ui import style
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.library.older_count import OlderCount
from veo_desktop.ui.template_dialog import TemplateEditorDialog, TemplateFillDialog

logger = logging.getLogger(__name__)

D = TypeVar("D", bound=QDialog)

RECENT_LIMIT = 200
REFRESH_DELAY_MS = 300
#: The item's second line (when it was used, how often; or a template's blanks).
META_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass
class _Older:
    """A large library's prompts older than the tasks loaded.

    Attributes:
        floor: they are those of the tasks created before this (unix seconds); the window
            holds every task created since.
        index: the prompts (None while they are counted).
    """

    floor: float
    index: PromptTable | None = None
    #: Why they could not be read (None: they were, or are being read).
    failed: str | None = None


def when_text(moment: float, now: float) -> str:
    """``14:32`` today, ``Mar 3`` this year, ``2024-03-03`` before."""
    when = dt.datetime.fromtimestamp(moment)
    today = dt.datetime.fromtimestamp(now)
    if when.date() == today.date():
        return when.strftime("%H:%M")
    if when.year == today.year:
        return f"{when:%b} {when.day}"
    return when.strftime("%Y-%m-%d")


class _TwoLineDelegate(QStyledItemDelegate):
    """The text on one elided line, and a smaller grey line under it."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + 12)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        widget = opt.widget
        style_ = widget.style() if widget is not None else None
        if style_ is not None:
            style_.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette = opt.palette
        main = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        hint = main if selected else style.hint_color(widget)
        rect = opt.rect.adjusted(8, 5, -8, -5)
        metrics = QFontMetrics(opt.font)
        line = metrics.height()
        painter.save()
        painter.setPen(main)
        painter.setFont(opt.font)
        first = metrics.elidedText(
            " ".join(text.split()), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), line), 0, first)
        meta = str(index.data(META_ROLE) or "")
        if meta:
            small = opt.font
            if small.pointSizeF() > 0:
                small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9))
            painter.setFont(small)
            painter.setPen(hint)
            second = QFontMetrics(small).elidedText(meta, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(
                QRect(rect.left(), rect.top() + line + 2, rect.width(), line), 0, second
            )
        painter.restore()


def _list(name: str, accessible: str, description: str) -> QListWidget:
    view = QListWidget()
    view.setObjectName(name)
    view.setAccessibleName(accessible)
    view.setAccessibleDescription(description)
    view.setItemDelegate(_TwoLineDelegate(view))
    view.setUniformItemSizes(True)
    view.setAlternatingRowColors(True)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return view


def _button(name: str, text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.setAccessibleName(text.rstrip("\u2026"))
    button.setAccessibleDescription(tip)
    return button


class RecentPage(QWidget):
    """The Recent tab's widgets: the list, its empty-state line, and its buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = _list("recentPromptList", "Recent prompts", "Prompts used before, newest first")
        self.empty = _empty_label("recentEmpty")
        self.use_button = _button(
            "recentUseButton", "Use prompt", "Put this prompt into the composer"
        )
        self.reuse_button = _button(
            "recentReuseButton",
            "Use all settings",
            "Fill the composer with the prompt and every setting of the last task that used it",
        )
        self.save_button = _button(
            "recentSaveButton", "Save\u2026", "Keep this prompt as a saved prompt"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        row = QHBoxLayout()
        row.addWidget(self.use_button)
        row.addWidget(self.reuse_button)
        row.addStretch(1)
        row.addWidget(self.save_button)
        layout.addLayout(row)


class SavedPage(QWidget):
    """The Saved tab's widgets: the list, its empty-state line, and its buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = _list(
            "savedPromptList", "Saved prompts", "Prompts kept by name, with blanks to fill in"
        )
        self.empty = _empty_label("savedEmpty")
        self.use_button = _button(
            "savedUseButton", "Use\u2026", "Fill in the blanks and use this prompt"
        )
        self.new_button = _button("savedNewButton", "New\u2026", "Write a new saved prompt")
        self.edit_button = _button("savedEditButton", "Edit\u2026", "Change this saved prompt")
        self.delete_button = _button(
            "savedDeleteButton", "Delete\u2026", "Delete this saved prompt"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        row = QHBoxLayout()
        row.addWidget(self.use_button)
        row.addStretch(1)
        row.addWidget(self.new_button)
        row.addWidget(self.edit_button)
        row.addWidget(self.delete_button)
        layout.addLayout(row)


def _empty_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    style.follow_hint_color(label)
    return label


class HistoryPanel(QWidget):
    """Recent and saved prompts, with a search box.

    Args:
        controller: the engine controller (recent prompts come from its engine's store).
        templates: the saved prompts.

    Signals:
        prompt_chosen: put this prompt (str) into the composer.
        request_chosen: fill the composer with every setting of this request
            (a GenerationRequest or ExtendRequest, from the newest task that used the prompt).
        storyboard_requested: add this GenerationRequest (the prompt with the settings of
            the newest task that used it) to the storyboard as a shot, unsent.
    """

    prompt_chosen = Signal(str)
    request_chosen = Signal(object)
    storyboard_requested = Signal(object)

    def __init__(
        self,
        controller: EngineController,
        templates: TemplateStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.setAccessibleName("Prompt history")
        self.setAccessibleDescription("Recent prompts and saved prompts")
        self._controller = controller
        self._templates = templates
        #: The dialog or question open now (tests answer it); None when none is.
        self.dialog: QWidget | None = None
        #: The tasks listed (since :attr:`_older`'s floor) when the list was last read.
        self._seen: set[str] = set()
        #: A large library's prompts older than the tasks loaded (see :meth:`refresh_recent`).
        self._older: _Older | None = None
        self._counts: OlderCount[PromptTable] = OlderCount(self, controller, name="Listing prompts")

        self.search = QLineEdit()
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText("Search prompts")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search prompts")
        self.search.setAccessibleDescription("Show only prompts containing this text")

        recent_page = RecentPage()
        self.recent_list = recent_page.list
        self.recent_empty = recent_page.empty
        self.use_button = recent_page.use_button
        self.reuse_button = recent_page.reuse_button
        self.save_button = recent_page.save_button
        saved_page = SavedPage()
        self.saved_list = saved_page.list
        self.saved_empty = saved_page.empty
        self.saved_use_button = saved_page.use_button
        self.new_button = saved_page.new_button
        self.edit_button = saved_page.edit_button
        self.delete_button = saved_page.delete_button

        self.tabs = QTabWidget()
        self.tabs.setObjectName("historyTabs")
        self.tabs.setAccessibleName("Prompt lists")
        self.tabs.addTab(recent_page, "&Recent")
        self.tabs.addTab(saved_page, "Sa&ved")
        self.tabs.setDocumentMode(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tabs, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh_recent)

        self.search.textChanged.connect(self.on_search_text_changed)
        self.recent_list.itemDoubleClicked.connect(self.on_recent_list_item_double_clicked)
        self.recent_list.itemActivated.connect(self.on_recent_list_item_double_clicked)
        self.recent_list.currentItemChanged.connect(self._update_buttons)
        self.saved_list.itemDoubleClicked.connect(self.on_saved_list_item_double_clicked)
        self.saved_list.itemActivated.connect(self.on_saved_list_item_double_clicked)
        self.saved_list.currentItemChanged.connect(self._update_buttons)
        self.use_button.clicked.connect(self.use_recent)
        self.reuse_button.clicked.connect(self.reuse_recent)
        self.save_button.clicked.connect(self.on_save_button_clicked)
        self.saved_use_button.clicked.connect(self.on_saved_use_button_clicked)
        self.new_button.clicked.connect(self.on_new_button_clicked)
        self.edit_button.clicked.connect(self.on_edit_button_clicked)
        self.delete_button.clicked.connect(self.on_delete_button_clicked)
        self.storyboard_action = QAction("Add to storyboard", self.recent_list)
        self.storyboard_action.setObjectName("recentStoryboardAction")
        self.storyboard_action.setToolTip("Add this prompt and its settings as a storyboard shot")
        self.storyboard_action.triggered.connect(self.add_recent_to_storyboard)
        self.recent_list.addAction(self.storyboard_action)
        self.recent_list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        controller.task_changed.connect(self.on_controller_task_changed)
        self._connected = True
        self.refresh()

    # -- content ---------------------------------------------------------------------------

    @property
    def templates(self) -> TemplateStore:
        return self._templates

    def query(self) -> str:
        return self.search.text()

    def set_query(self, text: str) -> None:
        self.search.setText(text)

    def refresh(self) -> None:
        self.refresh_recent()
        self.refresh_saved()

    @property
    def counted(self) -> bool:
        """Whether the list counts every task's prompt (else those loaded, until a large
        library's older ones are counted)."""
        older = self._older
        if older is None:
            return self._controller.held_from == -math.inf
        return older.index is not None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._older is not None and self._older.failed is not None:
            self._older = None  # (read again)
        if self._older is None and self._controller.held_from > -math.inf:
            self.refresh_recent()

    @Slot()
    def refresh_recent(self) -> None:
        """Read the recent prompts again (keeping the selected one selected).

        The prompts of the tasks loaded are counted here and now. A large library's older
        prompts are counted once, in a thread (grouped by the store, their tasks not
        loaded), when the tab is first looked at; until then the list holds the newer ones.
        """
        selected = self.current_recent()
        older = self._older
        floor = self._controller.held_from if older is None else older.floor
        newer = [t for t in self._controller.tasks(include_hidden=True) if t.created_at >= floor]
        self._seen = {task.local_id for task in newer}
        index = PromptIndex(newer)  # (oldest first)
        if older is None and floor > -math.inf and self.isVisible():
            counting = _Older(floor)
            if self._counts.start(
                lambda: self._controller.prompts_before(floor),
                lambda table, failed, again: self._counted(counting, table, failed, again),
            ):
                older = self._older = counting
        found = index.search(
            self.query(), RECENT_LIMIT, older=None if older is None else older.index
        )
        now = time.time()
        self.recent_list.clear()
        for entry in found:
            item = QListWidgetItem(entry.prompt)
            item.setData(Qt.ItemDataRole.UserRole, entry)
            uses = f" \u00b7 used {entry.uses}\u00d7" if entry.uses > 1 else ""
            item.setData(META_ROLE, f"{when_text(entry.last_used, now)}{uses}")
            item.setToolTip(entry.prompt[:2000])
            self.recent_list.addItem(item)
            if selected is not None and entry.prompt == selected.prompt:
                self.recent_list.setCurrentItem(item)
        if found and self.recent_list.currentItem() is None:
            self.recent_list.setCurrentRow(0)
        if found:
            empty = ""
        elif older is not None and older.failed is not None:
            empty = f"Your older prompts could not be read: {older.failed}"
        elif not self.counted:
            empty = "Looking through your older prompts\u2026"
        elif self.query():
            empty = "No prompt matches the search."
        else:
            empty = "Prompts you generate appear here."
        self.recent_empty.setText(empty)
        self.recent_empty.setVisible(not found)
        self.tabs.setTabText(0, f"&Recent ({len(found)})" if found else "&Recent")
        self._update_buttons()

    def refresh_saved(self) -> None:
        selected = self.current_saved()
        wanted = " ".join(self.query().split()).casefold()
        shown = [
            t
            for t in self._templates.all()
            if not wanted or wanted in " ".join(f"{t.name} {t.text}".split()).casefold()
        ]
        self.saved_list.clear()
        for template in shown:
            item = QListWidgetItem(template.name)
            item.setData(Qt.ItemDataRole.UserRole, template)
            item.setData(META_ROLE, _template_meta(template))
            item.setToolTip(template.text[:2000])
            self.saved_list.addItem(item)
            if selected is not None and template.name == selected.name:
                self.saved_list.setCurrentItem(item)
        if shown and self.saved_list.currentItem() is None:
            self.saved_list.setCurrentRow(0)
        if shown:
            self.saved_empty.setText("")
        elif self.query():
            self.saved_empty.setText("No saved prompt matches the search.")
        else:
            self.saved_empty.setText(
                "Save a prompt to use it again; write {blanks} to fill in each time."
            )
        self.saved_empty.setVisible(not shown)
        self._update_buttons()

    def recent_items(self) -> list[RecentPrompt]:
        return [
            self.recent_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.recent_list.count())
        ]

    def saved_items(self) -> list[Template]:
        return [
            self.saved_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.saved_list.count())
        ]

    def current_recent(self) -> RecentPrompt | None:
        item = self.recent_list.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return value if isinstance(value, RecentPrompt) else None

    def current_saved(self) -> Template | None:
        item = self.saved_list.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return value if isinstance(value, Template) else None

    def select_recent(self, prompt: str) -> bool:
        for row, entry in enumerate(self.recent_items()):
            if entry.prompt == prompt:
                self.recent_list.setCurrentRow(row)
                return True
        return False

    def select_saved(self, name: str) -> bool:
        for row, template in enumerate(self.saved_items()):
            if template.name.casefold() == name.casefold():
                self.saved_list.setCurrentRow(row)
                return True
        return False

    # -- recent ----------------------------------------------------------------------------

    @Slot()
    def use_recent(self) -> None:
        """Put the selected recent prompt into the composer."""
        entry = self.current_recent()
        if entry is not None:
            self.prompt_chosen.emit(entry.prompt)

    @Slot()
    def reuse_recent(self) -> None:
        """Fill the composer with every setting of the newest task that used the prompt."""
        entry = self.current_recent()
        if entry is None:
            return
        try:
            task: TaskRecord = self._controller.get(entry.local_id)
        except KeyError:
            self.prompt_chosen.emit(entry.prompt)
            return
        self.request_chosen.emit(task.request_model)

    @Slot()
    def add_recent_to_storyboard(self) -> None:
        """Offer the selected prompt, with the settings it was last used with, as a shot."""
        entry = self.current_recent()
        if entry is None:
            return
        try:
            request = self._controller.get(entry.local_id).request_model
        except KeyError:
            request = None
        if not isinstance(request, GenerationRequest):
            request = GenerationRequest(prompt=entry.prompt)
        self.storyboard_requested.emit(request)

    @Slot(QListWidgetItem)
    def on_recent_list_item_double_clicked(self, item: QListWidgetItem) -> None:
        self.recent_list.setCurrentItem(item)
        self.use_recent()

    @Slot()
    def on_save_button_clicked(self) -> None:
        entry = self.current_recent()
        self.new_template(escape(entry.prompt) if entry is not None else "")

    # -- saved -----------------------------------------------------------------------------

    def use_saved(self, name: str | None = None) -> TemplateFillDialog | None:
        """Use a saved prompt: at once when it has no blanks, else through the fill form."""
        template = self._templates.get(name) if name else self.current_saved()
        if template is None:
            return None
        try:
            names = template.placeholders()
        except TemplateSyntaxError as error:
            self._tell("This saved prompt cannot be used", str(error))
            return None
        if not names:
            self.prompt_chosen.emit(template.fill({}))
            return None
        dialog = TemplateFillDialog(template, self)
        dialog.filled.connect(self.prompt_chosen)
        return self._open(dialog)

    def new_template(self, initial_text: str = "") -> TemplateEditorDialog:
        dialog = TemplateEditorDialog(self._templates, initial_text=initial_text, parent=self)
        dialog.saved.connect(self.on_editor_saved)
        return self._open(dialog)

    def edit_template(self, name: str | None = None) -> TemplateEditorDialog | None:
        template = self._templates.get(name) if name else self.current_saved()
        if template is None:
            return None
        dialog = TemplateEditorDialog(self._templates, template, parent=self)
        dialog.saved.connect(self.on_editor_saved)
        return self._open(dialog)

    def delete_template(self, name: str | None = None) -> QMessageBox | None:
        """Ask, then delete the saved prompt."""
        template = self._templates.get(name) if name else self.current_saved()
        if template is None:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete saved prompt",
            f"Delete the saved prompt \u201c{template.name}\u201d?",
            parent=self,
        )
        box.setObjectName("deleteTemplateQuestion")
        box.setInformativeText("Prompts already used stay in the recent list.")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setObjectName("confirmDeleteTemplateButton")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)

        def answered(button: Any) -> None:
            if button is not delete:
                return
            try:
                self._templates.remove(template.name)
            except OSError as error:
                self._tell("Could not delete the saved prompt", str(error))
            self.refresh_saved()

        box.buttonClicked.connect(answered)
        return self._open(box)

    @Slot(QListWidgetItem)
    def on_saved_list_item_double_clicked(self, item: QListWidgetItem) -> None:
        self.saved_list.setCurrentItem(item)
        self.use_saved()

    @Slot()
    def on_saved_use_button_clicked(self) -> None:
        self.use_saved()

    @Slot()
    def on_new_button_clicked(self) -> None:
        self.new_template()

    @Slot()
    def on_edit_button_clicked(self) -> None:
        self.edit_template()

    @Slot()
    def on_delete_button_clicked(self) -> None:
        self.delete_template()

    @Slot(object)
    def on_editor_saved(self, template: Template) -> None:
        self.refresh_saved()
        self.select_saved(template.name)
        self.tabs.setCurrentIndex(1)

    # -- plumbing --------------------------------------------------------------------------

    @Slot(str)
    def on_search_text_changed(self, _text: str) -> None:
        self.refresh()

    def _counted(
        self, older: _Older, index: PromptTable | None, failed: str | None, again: bool
    ) -> None:
        """The read of ``older`` ended: list again (or read again, if asked meanwhile)."""
        older.index, older.failed = index, failed
        if self._older is older or again:
            self.refresh_recent()

    @Slot(object)
    def on_controller_task_changed(self, task: TaskRecord | None) -> None:
        """A new task may bring a new prompt; state changes of known tasks do not. (None:
        any task may have changed.)"""
        older = self._older
        if task is None:
            self._older = None
        elif older is not None and task.created_at < older.floor:
            if not is_imported(task):
                return  # (a change of an older task changes no prompt)
            self._older = None  # an import brought older tasks: every prompt is counted again
        elif task.local_id in self._seen:
            return
        else:
            self._seen.add(task.local_id)
        if not self._timer.isActive():
            self._timer.start()

    def _update_buttons(self, *_args: object) -> None:
        recent = self.current_recent() is not None
        for button in (self.use_button, self.reuse_button, self.save_button):
            button.setEnabled(recent)
        saved = self.current_saved() is not None
        for button in (self.saved_use_button, self.edit_button, self.delete_button):
            button.setEnabled(saved)

    def _open(self, dialog: D) -> D:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self._closed(dialog))
        dialog.open()
        return dialog

    def _closed(self, dialog: QWidget) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _tell(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        self._open(box)

    def shutdown(self) -> None:
        """Stop listening to the controller (before the window closes)."""
        self._timer.stop()
        if self._connected:
            self._connected = False
            self._controller.task_changed.disconnect(self.on_controller_task_changed)


def _template_meta(template: Template) -> str:
    try:
        names = template.placeholders()
    except TemplateSyntaxError:
        return "Has a problem: open it to fix"
    if not names:
        return " ".join(template.text.split())
    return "Blanks: " + ", ".join(f"{{{n}}}" for n in names)
