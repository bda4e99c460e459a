"""The composer's draft survives a restart: prompt, options, variations and images, in a real
window closed and opened again on the same data folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    close_window,
    make_window_fixture,
    running_session,
    wait_started,
    write_image,
)
from tests.fixtures.s3 import Route
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationType
from veo_desktop.ui.compose.draft import apply_draft, draft_of, save_draft
from veo_desktop.ui.compose.form import ComposeForm
from veo_desktop.ui.compose.panel import ComposePanel
from veo_desktop.ui.compose.slot_model import SlotState
from veo_desktop.ui.window.main_window import MainWindow


def open_window(
    make_window: Callable[..., MainWindow], sim: Any, data: Path, qtbot: Any
) -> MainWindow:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data)
    window.resize(1024, 640)
    window.show()
    wait_started(qtbot, window)
    return window


def compose_of(window: MainWindow) -> ComposePanel:
    panel = window.compose_panel
    assert isinstance(panel, ComposePanel)
    return panel


def test_the_whole_draft_survives_a_restart(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    arun: Callable[..., Any],
) -> None:
    data = tmp_path / "data"
    first = tmp_path / "first.png"
    gone = tmp_path / "gone.png"
    write_image(first)
    write_image(gone, color="#a33")
    window = open_window(make_window, sim, data, qtbot)
    panel = compose_of(window)
    qtbot.keyClicks(panel.prompt_edit, "A lighthouse at dusk")
    panel.type_selector.setCurrentIndex(panel.type_selector.findData(GenerationType.FRAMES))
    panel.aspect_selector.setCurrentIndex(panel.aspect_selector.findData("9:16"))
    qtbot.keyClicks(panel.seed_edit, "1234")
    qtbot.keyClicks(panel.watermark_edit, "mine")
    panel.set_variations(3)
    panel.first_slot.load(first)
    panel.last_slot.load(gone)
    qtbot.waitUntil(lambda: panel.first_slot.state is SlotState.READY, timeout=10_000)
    qtbot.waitUntil(lambda: panel.last_slot.state is SlotState.READY, timeout=10_000)
    close_window(window, arun)
    gone.unlink()  # its file went away meanwhile: that slot comes back empty

    again = compose_of(open_window(make_window, sim, data, qtbot))
    assert again.prompt_edit.toPlainText() == "A lighthouse at dusk"
    assert again.type_selector.currentData() == GenerationType.FRAMES
    assert again.aspect_selector.currentData() == "9:16"
    assert again.seed_edit.text() == "1234"
    assert again.watermark_edit.text() == "mine"
    assert again.variations_spin.value() == 3
    qtbot.waitUntil(lambda: again.first_slot.state is SlotState.READY, timeout=10_000)
    assert again.first_slot.model.content.source == first
    assert again.last_slot.state is SlotState.EMPTY


def test_a_change_is_written_a_moment_later_without_closing(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    panel = compose_of(open_window(make_window, sim, tmp_path / "data", qtbot))
    assert panel.draft_path is not None
    qtbot.keyClicks(panel.prompt_edit, "A fox")
    draft = panel.draft_path
    qtbot.waitUntil(lambda: draft.is_file() and '"A fox"' in draft.read_text(), timeout=5_000)


def test_a_damaged_or_foreign_draft_is_ignored_field_by_field() -> None:
    form = ComposeForm()
    targets = apply_draft(
        form,
        {
            "version": 1,
            "prompt": 12,
            "mode": "quality",
            "variations": 99,
            "images": {"firstFrameSlot": {"file": "/nonexistent.png"}, "x": "y"},
        },
    )
    assert targets == []
    assert form.prompt == "" and form.mode == "quality" and form.variations == 1
    assert draft_of(form)["mode"] == "quality"


def test_a_restored_address_comes_back_only_while_it_still_answers(
    sim: Any, tmp_path: Path, arun: Any, qtbot: Any, image_server: Any
) -> None:
    png = write_image(tmp_path / "start.png")
    there = image_server.add("/there.png", Route(body=png.read_bytes(), content_type="image/png"))
    gone = image_server.url("/gone.png")
    draft = tmp_path / "draft.json"
    save_draft(
        draft,
        {
            "version": 1,
            "prompt": "The kite climbs",
            "generation_type": GenerationType.FRAMES,
            "images": {"firstFrameSlot": {"url": there}, "lastFrameSlot": {"url": gone}},
        },
    )
    with running_session(sim, tmp_path / "data", arun) as session:
        panel = ComposePanel(session.controller, session.uploader, draft_path=draft)
        qtbot.addWidget(panel)
        panel.show()
        try:
            assert panel.prompt_edit.toPlainText() == "The kite climbs"
            qtbot.waitUntil(lambda: panel.first_slot.state is SlotState.READY, timeout=10_000)
            qtbot.waitUntil(lambda: panel.last_slot.state is not SlotState.BUSY, timeout=10_000)
            assert panel.last_slot.state is SlotState.EMPTY
            assert panel.last_slot.message_text == ""
        finally:
            panel.cancel()
