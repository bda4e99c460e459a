"""The task list's Resolve dialog stays legible, also when the theme changes while it is open.

Its request line (the prompt and "Text · Fast · 16:9") is drawn in the muted hint colour. It
was coloured once from the dialog's palette when built; it now follows the theme
(``style.follow_hint_color``), so switching light/dark leaves it readable. The contrast is
measured on the grabbed pixels (tests/fixtures/contrast.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from tests.fixtures.screenshots import check_and_save
from tests.ui.tasks_support import make_record
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.tasks.dialogs import ResolveDialog


@pytest.mark.parametrize("first", ["light", "dark"])
def test_the_resolve_dialog_reads_well_in_both_themes_and_after_a_switch(
    qtbot: Any, tmp_path: Path, themed: Callable[[bool], None], first: str
) -> None:
    themed(first == "dark")
    task = make_record(state=TaskState.UNCERTAIN, prompt="A lighthouse on a rocky coast at dusk")
    dialog = ResolveDialog(task)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    check_and_save(dialog, tmp_path, f"resolve-{first}")
    themed(first != "dark")  # the theme changes while the dialog is open
    other = "dark" if first == "light" else "light"
    background = QApplication.palette().color(QPalette.ColorRole.Window)
    qtbot.waitUntil(lambda: dialog.palette().color(QPalette.ColorRole.Window) == background)
    check_and_save(dialog, tmp_path, f"resolve-{first}-then-{other}")
