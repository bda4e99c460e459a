"""The pages the window shows instead of a workspace: the welcome panel (no session), the
welcome sheet over the demo ("Enter API key" or stay in the demo), and the message page
when a session or one of the window's jobs failed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from veo_desktop.ui.welcome import WelcomePanel
    from veo_desktop.ui.window.main_window import MainWindow
    from veo_desktop.ui.window_parts import MessagePage


log = logging.getLogger(__name__)

#: Set in the settings' ``extra`` once the welcome sheet has been closed.
WELCOME_SEEN_KEY = "welcome_seen"

#: The widest the message page's title and text get (about 70 characters a line).
MESSAGE_COLUMN_WIDTH = 560
_NO_MAXIMUM = 16777215  # QWIDGETSIZE_MAX


def lay_out_message_page(page: MessagePage) -> None:
    """Put the message page's title and text in a centred column that wraps them.

    A word-wrapped label centred by its layout (``AlignHCenter``) gets the width of its
    one-line size hint but the height of a line as wide as the page: "Veo Desktop is
    already open" came out clipped top and bottom and its text cut at "Another Veo
    Desktop (the". In a column of bounded width, without alignment, each label gets the
    column's width and the height its wrapped text needs there, at any window size.
    """
    layout = page.layout()
    if not isinstance(layout, QBoxLayout) or page.findChild(QWidget, "messageColumn"):
        return
    column = QWidget(page)
    column.setObjectName("messageColumn")
    column.setMaximumWidth(MESSAGE_COLUMN_WIDTH)
    inner = QVBoxLayout(column)
    inner.setContentsMargins(0, 0, 0, 0)
    at = layout.indexOf(page.title)
    for label in (page.title, page.text):
        layout.removeWidget(label)
        label.setParent(column)
        label.setWordWrap(True)
        label.setMaximumWidth(_NO_MAXIMUM)
        label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        inner.addWidget(label)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(column, 10)
    row.addStretch(1)
    layout.insertLayout(max(at, 0), row)


class WindowPages:
    """The welcome panel in ``window``'s stack (made when first needed), the welcome sheet,
    and what the message page says."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        lay_out_message_page(window.message_page)
        self._panel: WelcomePanel | None = None
        #: The welcome sheet while it is open.
        self.sheet: QDialog | None = None

    @property
    def panel(self) -> WelcomePanel:
        if self._panel is None:
            from veo_desktop.ui.welcome import WelcomePanel

            self._panel = WelcomePanel(self._window)
            self._panel.key_entered.connect(self.on_key_entered)
            self._panel.demo_requested.connect(self.on_demo_requested)
            self._window.stack.addWidget(self._panel)
        return self._panel

    def show(self, problem: str | None = None) -> None:
        """Show the panel (no session), with ``problem`` if there was one."""
        panel = self.panel
        panel.set_storage_note(self._window.settings_flow.key_storage_note())
        panel.show_problem(problem)
        panel.set_busy(False)
        self._window.stack.setCurrentWidget(panel)

    def show_sheet(self) -> None:
        """The panel as a window-modal sheet over the workspace (``open()``)."""
        if self.sheet is not None:
            self.sheet.raise_()
            self.sheet.activateWindow()
            return
        from veo_desktop.ui.welcome import open_welcome_sheet

        self.sheet = open_welcome_sheet(
            self._window,
            self._window.settings_flow.key_storage_note(),
            self.on_key_entered,
            self.on_sheet_finished,
        )

    @property
    def welcome_seen(self) -> bool:
        """Whether the welcome sheet was shown and closed before (then a start without a key
        opens the demo alone; the demo bar's "Use your API key…" still opens the sheet)."""
        return bool(self._window.settings.extra.get(WELCOME_SEEN_KEY))

    def on_sheet_finished(self, _result: int) -> None:
        self.sheet = None
        window = self._window
        if not self.welcome_seen:
            window.settings.extra[WELCOME_SEEN_KEY] = True
            try:
                window.settings.save(window.paths)
            except OSError as error:
                log.warning("could not remember that the welcome was seen: %s", error)

    def on_key_entered(self, key: str) -> None:
        self.panel.set_busy(True)
        window = self._window
        window.run(window.settings_flow.store_key_and_open(key), "Storing the key")

    def on_demo_requested(self) -> None:
        self.panel.set_busy(True)
        self._window.start_demo()

    def show_failure(self, title: str, message: str, can_retry: bool) -> None:
        """A session could not open or start: say why, with "Try again" or "Back"."""
        window = self._window
        if can_retry:
            window.message_page.show_message(title, message, "Try again", self.retry)
        else:
            window.message_page.show_message(title, message, "Back", window.show_welcome)
        window.stack.setCurrentWidget(window.message_page)

    def show_job_failure(self, what: str, message: str) -> None:
        """One of the window's jobs failed: the status bar says so over a workspace; without
        one, the message page does."""
        window = self._window
        window.message_page.show_message(
            f"{what} failed",
            message or "An unexpected error; see the log.",
            "Back",
            window.show_welcome,
        )
        if window.workspace is None:
            window.stack.setCurrentWidget(window.message_page)
        else:
            window.status.showMessage(f"{what} failed: {message}", 15000)

    def retry(self) -> None:
        """Open the last session again (the welcome panel when there is none)."""
        if not self._window.sessions.retry():
            self._window.show_welcome()
