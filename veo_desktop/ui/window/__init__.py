"""The main window and the parts it delegates to.

- :mod:`.main_window`: :class:`MainWindow`, which composes the parts below and the workspace;
- :mod:`.session_manager`: opening, switching and closing sessions;
- :mod:`.menus`: the menus as a table, and the small builder that makes them;
- :mod:`.window_state`: the window's remembered geometry and splitter sizes;
- :mod:`.drop_restore`: one of our videos dropped anywhere restores its settings;
- :mod:`.settings_flow`: the settings dialog, applying a change, storing the key;
- :mod:`.creative`: the links between the panels (history, preview, extend, restore);
- :mod:`.templates`: the saved prompts in the Prompts menu;
- :mod:`.batch_offers`: the offer to send the rest of a stopped batch;
- :mod:`.pages`: the welcome panel and sheet, and the message page when something failed;
- :mod:`.workspace_host`: shows a session's workspace, wired in, and takes it down;
- :mod:`.menu_attributes`: the actions and menus the menu table sets on the window.

Nothing is imported here: the first paint needs only :mod:`.main_window` (with the small
:mod:`.window_state` and :mod:`.menu_attributes`); the other parts load after it.
"""
