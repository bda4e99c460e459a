"""The preview's place, before its player loads, looks and measures as the empty preview.

The workspace is usable (and painted) before the preview panel is built (QtMultimedia and
Qt's FFmpeg backend load on the event loop's next turn). What the person sees at that
moment must not change when the panel takes its place: not the columns' widths, not the
pixels of the preview's column.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    wait_started,
)
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.ui.preview.controls import NO_SELECTION, PreviewPlaceholder
from veo_desktop.ui.window.main_window import MainWindow


def test_nothing_moves_or_changes_when_the_preview_takes_its_place(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.resize(1024, 640)  # narrow: the preview's column is at its least
    workspace = window.workspace
    assert workspace is not None
    placeholder = workspace.findChild(PreviewPlaceholder, "previewPlaceholder")
    assert placeholder is not None
    seen: dict[str, Any] = {}

    def on_usable(_session: object) -> None:
        assert not workspace.preview_is_built
        seen["sizes"] = workspace.splitter.sizes()
        seen["place"] = placeholder.grab().toImage()

    window.workspace_usable.connect(on_usable)
    built: list[QWidget] = []
    workspace.preview_built.connect(built.append)
    window.show()
    qtbot.waitUntil(lambda: "sizes" in seen and bool(built), timeout=15_000)
    preview = built[0]
    qtbot.waitUntil(lambda: preview.isVisible() and preview.size() == placeholder.size())

    # The columns kept their widths ...
    assert workspace.splitter.sizes() == seen["sizes"]
    # ... and the preview's column shows what the placeholder showed, pixel for pixel.
    shown = preview.grab().toImage()
    before: QImage = seen["place"]
    assert shown.size() == before.size()
    assert shown.convertToFormat(QImage.Format.Format_RGB32) == before.convertToFormat(
        QImage.Format.Format_RGB32
    )
    wait_started(qtbot, window)


def test_the_placeholder_says_what_the_preview_will_say_and_needs_no_player(
    qtbot: Any,
) -> None:
    placeholder = PreviewPlaceholder()
    qtbot.addWidget(placeholder)
    assert placeholder.surface.message == NO_SELECTION
    assert placeholder.title.text() == "Preview"
    # It takes no input: the panel replaces it within an event-loop turn.
    for child in placeholder.findChildren(QWidget):
        assert child.focusPolicy().name == "NoFocus"


def test_the_preview_controls_load_without_qtmultimedia() -> None:
    import subprocess

    code = (
        "import sys; import veo_desktop.ui.preview.controls; "
        "print('PySide6.QtMultimedia' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"
