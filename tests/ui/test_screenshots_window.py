"""Renders the window in its main states, light and dark, at 1024x640 and 1600x1000.

The PNGs go to ``tmp_path`` (and to ``$VEO_SCREENSHOT_DIR`` when set, to look at them);
the test also checks what a person would notice first: nothing clipped at the small size.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    drop,
    make_window_fixture,
    screenshot_window,
    wait_started,
    write_image,
)
from tests.fixtures.screenshots import check_and_save
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.ui.compose.image_slot import SlotState
from veo_desktop.ui.window.main_window import MainWindow

SIZES = [(1024, 640), (1600, 1000)]


def save(widget: QWidget, tmp_path: Path, name: str) -> Path:
    # Run the pending layout requests first: a person never sees a frame before them.
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    return check_and_save(widget, tmp_path, name)


def clipped_labels(root: QWidget) -> list[str]:
    """Visible labels whose text does not fit: too wide, or (wrapped) too short."""
    clipped = []
    for label in root.findChildren(QLabel):
        if not label.isVisible() or not label.text() or label.visibleRegion().isEmpty():
            continue  # hidden, empty, or scrolled out of view
        if label.wordWrap():
            needed_height = label.heightForWidth(label.contentsRect().width())
            if needed_height > label.contentsRect().height() + 1:
                clipped.append(f"{label.text()[:40]!r}: {needed_height}>{label.height()} high")
            continue
        if label.sizePolicy().horizontalPolicy().name == "Ignored":
            continue  # elided on purpose
        needed = label.fontMetrics().horizontalAdvance(label.text().replace("&", ""))
        shown = label.visibleRegion().boundingRect().width()
        if needed > min(label.contentsRect().width(), shown) + 1:
            clipped.append(f"{label.objectName() or label.text()!r}: {needed}>{shown}")
    return clipped


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("size", SIZES, ids=["1024x640", "1600x1000"])
def test_workspace_screenshots(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    size: tuple[int, int],
    dark: bool,
) -> None:
    window, tag = screenshot_window(
        make_window,
        themed,
        qtbot,
        size=size,
        dark=dark,
        base_url=sim.base_url,
        api_key=None,
        data_dir=tmp_path / "data",
    )
    save(window, tmp_path, f"welcome-{tag}")
    assert clipped_labels(window.welcome) == []

    window.open_with_key(SIM_API_KEY, source=window.key_source)
    wait_started(qtbot, window)
    session = window.session
    assert session is not None and window.compose_panel is not None
    controller = session.controller
    for prompt in (
        "A red fox runs through fresh snow at dawn, slow motion, low angle",
        "Timelapse of clouds over a mountain lake #sensitive",
    ):
        job = controller.run(controller.submit(GenerationRequest(prompt=prompt)), name="submit")
        qtbot.waitUntil(job.done)
    qtbot.waitUntil(lambda: all(t.is_final for t in controller.tasks()), timeout=20_000)

    compose = window.compose_panel
    compose.prompt_edit.setPlainText("A paper boat drifting down a rain-soaked street at night")
    compose.type_selector.setCurrentIndex(compose.type_selector.findData("REFERENCE_2_VIDEO"))
    drop(
        compose.reference_slots[0],
        urls=[str(write_image(tmp_path / "ref.png", width=320, height=180, color="#4a8"))],
    )
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    drop(compose.reference_slots[1], urls=[str(bad)])
    qtbot.waitUntil(lambda: compose.reference_slots[0].state is SlotState.READY)
    qtbot.waitUntil(lambda: compose.reference_slots[1].state is SlotState.ERROR)
    assert window.task_panel is not None
    window.task_panel.select_task(controller.tasks()[0].local_id)
    qtbot.waitUntil(lambda: "balance $" in compose.cost_line.text())
    qtbot.wait(300)  # let the preview paint a frame (nothing to wait on: it is a picture)
    save(window, tmp_path, f"workspace-{tag}")
    assert clipped_labels(compose) == []
    assert clipped_labels(window.status) == []


def test_demo_and_settings_screenshots(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    tmp_path: Path,
    qtbot: Any,
) -> None:
    themed(False)
    window = make_window(
        base_url="https://api.apixo.ai/api/v1",
        api_key=None,
        data_dir=tmp_path / "data",
        demo=True,
    )
    window.resize(1024, 640)
    window.show()
    wait_started(qtbot, window, timeout=30_000)
    assert window.banner.isVisible()
    save(window, tmp_path, "demo-1024x640-light")
    assert clipped_labels(window.banner) == []
    window.settings_action.trigger()
    dialog = window.settings_flow.dialog
    assert dialog is not None
    dialog.advanced.base_url_edit.setText("http://api.example.com")
    save(dialog, tmp_path, "settings-light")
    assert clipped_labels(dialog) == []
    dialog.reject()
