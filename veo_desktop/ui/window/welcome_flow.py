"""The first-run choices in the window: the welcome panel (no session) and, over the demo,
the welcome sheet ("Enter API key" or stay in the demo)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from veo_desktop.ui.welcome import WelcomePanel
    from veo_desktop.ui.window.main_window import MainWindow


class WelcomeFlow:
    """The welcome panel in ``window``'s stack (made when first needed) and the sheet."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
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

    def on_sheet_finished(self, _result: int) -> None:
        self.sheet = None

    def on_key_entered(self, key: str) -> None:
        self.panel.set_busy(True)
        window = self._window
        window.run(window.settings_flow.store_key_and_open(key), "Storing the key")

    def on_demo_requested(self) -> None:
        self.panel.set_busy(True)
        self._window.start_demo()
