"""The composer fits the window's column: everything from Mode to Advanced and Generate shows
without scrolling at 1024x640 (images in every slot too), and the extra height at 1600x1000
goes to the image slots, not to a 500 px prompt box.

The PNGs go to ``tmp_path`` (and to ``$VEO_SCREENSHOT_DIR`` when set, to look at them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QWidget

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    screenshot_window,
    write_image,
)
from tests.fixtures.contrast import assert_legible
from tests.fixtures.screenshots import save_screenshot
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationType
from veo_desktop.ui.compose.image_slot import ImageSlot, SlotState
from veo_desktop.ui.compose.panel import ComposePanel
from veo_desktop.ui.window.main_window import MainWindow

KINDS = [GenerationType.TEXT, GenerationType.FRAMES, GenerationType.REFERENCE]


def settle() -> None:
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    QApplication.processEvents()


def fully_shown(widget: QWidget) -> bool:
    """Whether a person sees all of ``widget`` (nothing scrolled away or cut off)."""
    return widget.isVisible() and widget.visibleRegion().boundingRect().size() == widget.size()


def composer(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    qtbot: Any,
    sim: Any,
    data: Path,
    size: tuple[int, int],
    dark: bool,
) -> tuple[ComposePanel, str]:
    window, tag = screenshot_window(
        make_window,
        themed,
        qtbot,
        size=size,
        dark=dark,
        base_url=sim.base_url,
        api_key=SIM_API_KEY,
        data_dir=data,
    )
    panel = window.compose_panel
    assert isinstance(panel, ComposePanel)
    settle()
    return panel, tag


def save(panel: ComposePanel, tmp_path: Path, name: str) -> Path:
    settle()
    folder = Path(os.environ.get("VEO_SCREENSHOT_DIR", tmp_path))
    path = save_screenshot(panel.window().grab(), folder, name)
    assert_legible(panel.window(), panel.window().grab(), name)
    return path


def visible_slots(panel: ComposePanel) -> list[ImageSlot]:
    return [slot for slot in panel.all_slots if slot.isVisibleTo(panel)]


def fill_slots(panel: ComposePanel, qtbot: Any, folder: Path) -> None:
    for number, slot in enumerate(visible_slots(panel)):
        slot.load(write_image(folder / f"image-{number}.png", width=1280, height=720))
    for slot in visible_slots(panel):
        qtbot.waitUntil(lambda slot=slot: slot.state is SlotState.READY, timeout=10_000)
    settle()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("kind", KINDS, ids=["text", "frames", "reference"])
def test_at_1024x640_the_whole_form_shows_without_scrolling(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    qtbot: Any,
    sim: Any,
    tmp_path: Path,
    kind: str,
    dark: bool,
) -> None:
    panel, tag = composer(make_window, themed, qtbot, sim, tmp_path / "data", (1024, 640), dark)
    panel.form.set_generation_type(kind)
    settle()
    assert panel.scroll_area.verticalScrollBar().maximum() == 0, "the empty form scrolls"
    fill_slots(panel, qtbot, tmp_path)
    save(panel, tmp_path, f"compose-{kind.split('_')[0].lower()}-{tag}")
    assert panel.scroll_area.verticalScrollBar().maximum() == 0, "the form scrolls"
    shown = [
        panel.prompt_edit,
        panel.mode_selector,
        panel.aspect_selector,
        panel.type_selector,
        panel.seed_edit,
        panel.watermark_edit,
        panel.advanced.toggle,
        panel.generate_button,
        panel.variations_spin,
        *visible_slots(panel),
    ]
    cut = [
        widget.objectName() or widget.accessibleName()
        for widget in shown
        if not fully_shown(widget)
    ]
    assert cut == []
    for slot in visible_slots(panel):
        assert "\u00d7" in slot.info_text, slot.info_text  # its size in pixels, not only "34 KB"


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_at_1600x1000_the_room_goes_to_the_images_not_the_prompt(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    qtbot: Any,
    sim: Any,
    tmp_path: Path,
    dark: bool,
) -> None:
    small, _ = composer(make_window, themed, qtbot, sim, tmp_path / "small", (1024, 640), dark)
    small.form.set_generation_type(GenerationType.FRAMES)
    settle()
    small_picture = small.first_slot.drop_area.height()
    small_prompt = small.prompt_edit.height()

    big, tag = composer(make_window, themed, qtbot, sim, tmp_path / "big", (1600, 1000), dark)
    big.form.set_generation_type(GenerationType.FRAMES)
    fill_slots(big, qtbot, tmp_path)
    save(big, tmp_path, f"compose-frames-{tag}")
    assert big.scroll_area.verticalScrollBar().maximum() == 0
    line = big.prompt_edit.fontMetrics().lineSpacing()
    assert big.prompt_edit.height() <= 16 * line, "the prompt box stretched past its cap"
    assert big.prompt_edit.height() > small_prompt
    assert big.first_slot.drop_area.height() >= 2 * small_picture, (
        big.first_slot.drop_area.height(),
        small_picture,
    )
    assert big.first_slot.drop_area.height() == big.last_slot.drop_area.height()

    big.form.set_generation_type(GenerationType.TEXT)
    settle()
    assert big.prompt_edit.height() <= 16 * line
