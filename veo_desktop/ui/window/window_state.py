"""What the window remembers between starts: its geometry, the workspace's splitter, the
task list's columns and whether it shows the table or the gallery (and how that is grouped).

They live in the settings' ``extra["window"]``: geometry and splitter as base64 text (the
splitter only once the person has moved it; until then the workspace shares its width by its
own rule), the columns as their order and chosen widths.
"""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize

from veo_desktop.ui.screen_fit import fitted_size

if TYPE_CHECKING:
    from veo_desktop.ui.window.main_window import MainWindow
    from veo_desktop.ui.workspace import Workspace

log = logging.getLogger(__name__)

WINDOW_STATE_KEY = "window"
#: Under ``extra["window"]``: the task list's column order and widths.
COLUMNS_KEY = "task_columns"
#: Under ``extra["window"]``: table or gallery, and the gallery's grouping.
VIEWS_KEY = "task_views"
#: The size of the window at the first start (smaller where the screen is: a 1024x640 laptop).
DEFAULT_SIZE = (1280, 800)
#: The share of the screen's free area the window takes at most at the first start.
FIRST_START_SHARE = 0.95


class WindowStateKeeper:
    """Restores and saves ``window``'s geometry, its workspace's splitter sizes and the task
    list's columns."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window

    def _state(self) -> dict[str, object]:
        state = self._window.settings.extra.get(WINDOW_STATE_KEY)
        return dict(state) if isinstance(state, dict) else {}

    def restore_geometry(self) -> None:
        """The saved size and place, else :data:`DEFAULT_SIZE` (as much of it as fits)."""
        geometry = self._state().get("geometry")
        if isinstance(geometry, str) and self._window.restoreGeometry(decode(geometry)):
            return
        wanted = QSize(*DEFAULT_SIZE)
        self._window.resize(fitted_size(self._window, wanted, share=FIRST_START_SHARE))

    def restore_splitter(self, workspace: Workspace) -> None:
        """Put back the splitter sizes and the task list's columns the person chose."""
        state = self._state()
        splitter = state.get("splitter")
        if isinstance(splitter, str):
            workspace.restore_sizes(decode(splitter))
        workspace.task_panel.view.restore_column_state(state.get(COLUMNS_KEY))
        workspace.task_panel.views.restore_state(state.get(VIEWS_KEY))

    def keep_splitter(self, workspace: Workspace) -> None:
        """Remember the splitter sizes the person chose (saved with the geometry), and the
        task list's columns."""
        state = self._state()
        state[COLUMNS_KEY] = workspace.task_panel.view.column_state()
        state[VIEWS_KEY] = workspace.task_panel.views.state()
        if workspace.user_sized:
            state["splitter"] = encode(workspace.splitter.saveState())
        self._window.settings.extra[WINDOW_STATE_KEY] = state

    def save(self, workspace: Workspace | None) -> None:
        """Write the geometry (and the splitter sizes the person chose) to the settings file."""
        window = self._window
        state = self._state()
        state["geometry"] = encode(window.saveGeometry())
        if workspace is not None and workspace.user_sized:
            state["splitter"] = encode(workspace.splitter.saveState())
        if workspace is not None:
            state[COLUMNS_KEY] = workspace.task_panel.view.column_state()
            state[VIEWS_KEY] = workspace.task_panel.views.state()
        window.settings.extra[WINDOW_STATE_KEY] = state
        try:
            window.settings.save(window.paths)
        except OSError as error:
            log.warning("could not save the window state: %s", error)


def encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def decode(text: str) -> QByteArray:
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except ValueError:
        return QByteArray()
