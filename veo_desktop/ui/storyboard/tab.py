"""The Storyboard tab's place in the workspace's middle column, and the ways shots come in.

The tab holds a placeholder until it is first shown (or a shot is added from the composer,
the task list or the prompt history); then :class:`StoryboardTab` builds the
:class:`~veo_desktop.ui.storyboard.panel.StoryboardPanel` on the session's storyboards and
puts it in the placeholder's place, so the workspace's first paint does not wait for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from veo_desktop.api.models import GenerationRequest

if TYPE_CHECKING:
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.records.storyboard import Shot
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.ui.session import Session
    from veo_desktop.ui.storyboard.panel import StoryboardPanel
    from veo_desktop.ui.thumbnails import ThumbnailCache

TAB_TEXT = "Story&board"
TAB_TIP = "Shots in order, each with its takes and trim, made into one film"


class StoryboardTab(QObject):
    """The Storyboard tab of ``tabs`` (inserted at ``index``), built when first needed.

    Args:
        session: the open session (its storyboards and engine controller).
        tabs: the workspace's middle column.
        index: where the tab goes among the tabs.
        thumbnails: the workspace's thumbnail cache.
        spending_cap: the daily cap in effect (Generate asks past it).
        request_source: the composer's request ("Add prompt").

    Signals:
        current_task_changed: the selected shot's chosen take (a TaskRecord or None).
        built: the panel was built (the :class:`StoryboardPanel`).
    """

    current_task_changed = Signal(object)
    built = Signal(object)

    def __init__(
        self,
        session: Session,
        tabs: QTabWidget,
        index: int,
        *,
        thumbnails: ThumbnailCache | None = None,
        spending_cap: Callable[[], SpendingCap | None] | None = None,
        request_source: Callable[[], GenerationRequest] | None = None,
    ) -> None:
        super().__init__(tabs)
        self._session = session
        self._tabs = tabs
        self._thumbnails = thumbnails
        self._spending_cap = spending_cap
        self._request_source = request_source
        self._panel: StoryboardPanel | None = None
        self._shut_down = False
        self._place = QWidget()
        self._place.setObjectName("storyboardPlaceholder")
        index = tabs.insertTab(index, self._place, TAB_TEXT)
        tabs.setTabToolTip(index, TAB_TIP)
        tabs.currentChanged.connect(self.on_tabs_current_changed)

    @property
    def is_built(self) -> bool:
        return self._panel is not None

    @property
    def panel(self) -> StoryboardPanel:
        """The panel (built now if it was not yet)."""
        if self._panel is None:
            self.build()
        assert self._panel is not None
        return self._panel

    def build(self) -> None:
        """Build the panel now (once; not after :meth:`shutdown`)."""
        if self._panel is not None or self._shut_down:
            return
        from veo_desktop.ui.storyboard.controller import StoryboardController
        from veo_desktop.ui.storyboard.panel import StoryboardPanel

        controller = StoryboardController.for_session(self._session)
        panel = StoryboardPanel(
            controller,
            thumbnails=self._thumbnails,
            spending_cap=self._spending_cap,
            request_source=self._request_source,
        )
        controller.setParent(panel)
        tabs = self._tabs
        index = tabs.indexOf(self._place)
        current = tabs.currentIndex()
        self._panel = panel
        tabs.blockSignals(True)
        try:
            tabs.removeTab(index)
            tabs.insertTab(index, panel, TAB_TEXT)
            tabs.setTabToolTip(index, TAB_TIP)
            tabs.setCurrentIndex(current)
        finally:
            tabs.blockSignals(False)
        self._place.deleteLater()
        panel.current_task_changed.connect(self.current_task_changed)
        self.built.emit(panel)

    def on_tabs_current_changed(self, index: int) -> None:
        if self._panel is None and self._tabs.widget(index) is self._place:
            self.build()
        elif self._panel is not None and self._tabs.widget(index) is self._panel:
            # Back on the tab: the preview shows the selected shot's take again.
            self.current_task_changed.emit(self._panel.current_take())

    def show(self) -> None:
        """Bring the tab to the front."""
        self._tabs.setCurrentWidget(self.panel)

    def add_task(self, task: TaskRecord | None) -> Shot | None:
        """Add a finished task as a shot (then show the tab)."""
        if task is None or self._shut_down:
            return None
        shot = self.panel.add_task(task)
        if shot is not None:
            self.show()
        return shot

    def add_request(self, request: object) -> Shot | None:
        """Add an unsent shot from a request (the prompt history's), then show the tab."""
        if not isinstance(request, GenerationRequest) or self._shut_down:
            return None
        shot = self.panel.add_request(request)
        if shot is not None:
            self.show()
        return shot

    def add_prompt(self) -> Shot | None:
        """Add the composer's prompt and settings as a shot (nothing is sent)."""
        if self._shut_down:
            return None
        shot = self.panel.add_prompt()
        if shot is not None:
            self.show()
        return shot

    def shutdown(self) -> None:
        self._shut_down = True
        if self._panel is not None:
            self._panel.shutdown()
