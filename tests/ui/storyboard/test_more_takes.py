"""The Storyboard tab's "More takes…" on the simulator: the price is asked first (Cancel sends
nothing), then the takes go the storyboard's durable way (``generate_takes``): each is on the
shot in the store while APIXO still holds its POST, so a crash could neither lose nor repeat
one, and they come back as the shot's takes, one POST each."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    submits,
    wait_started,
)
from tests.fixtures.screenshots import check_and_save
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.sim.faults import Fault
from veo_desktop.ui.session import Session
from veo_desktop.ui.storyboard.panel import StoryboardPanel
from veo_desktop.ui.storyboard.takes_dialog import MoreTakesDialog
from veo_desktop.ui.window.main_window import MainWindow

FOX = "A red fox runs through fresh snow"


def open_storyboard(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> tuple[Session, StoryboardPanel]:
    """A window with a key on the simulator, started, its Storyboard tab shown: its session
    and the tab's panel."""
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    wait_started(qtbot, window)
    workspace, session = window.workspace, window.session
    assert workspace is not None and session is not None
    workspace.storyboard.show()
    return session, workspace.storyboard.panel


def stored_takes(store_path: Path, shot_id: str) -> list[str]:
    db = sqlite3.connect(store_path)
    try:
        rows = db.execute(
            "SELECT local_id FROM takes WHERE shot_id = ? ORDER BY position", (shot_id,)
        ).fetchall()
    finally:
        db.close()
    return [str(row[0]) for row in rows]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_more_takes_are_asked_then_sent_the_durable_way_and_land_on_the_shot(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    themed: Callable[[bool], None],
    dark: bool,
) -> None:
    themed(dark)
    session, panel = open_storyboard(make_window, sim, tmp_path, qtbot)
    shot = panel.add_request(GenerationRequest(prompt=FOX))
    assert shot is not None
    board_id = panel.picker.current_id
    store_path = session.paths.store_path
    assert panel.details.more_button.isEnabled()

    # Asked first, with the one money policy's words; Escape sends nothing.
    panel.details.more_button.click()
    dialog = panel.film_bar.dialog
    assert isinstance(dialog, MoreTakesDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.heading.text() == "Make 2 more takes of shot 1?"
    assert dialog.cost_label.text() == "2 x $0.20 = $0.40"
    assert dialog.accept_button.text() == "Submit 2 \u2013 $0.40"
    qtbot.waitUntil(lambda: dialog.balance_label.text().startswith("Balance: $"))
    assert dialog.balance_label.text().endswith(" after.")
    check_and_save(
        dialog, tmp_path, f"storyboard-more-takes-{'dark' if dark else 'light'}"
    )  # legible, looked at
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: panel.film_bar.message.text() == "Nothing was sent.")
    assert submits(sim) == []

    # Confirmed: APIXO holds each POST a moment; meanwhile the take is already on the shot.
    sim.add_fault(Fault(endpoint="submit", kind="delay", delay=1.0, times=2))
    panel.details.more_button.click()
    dialog = panel.film_bar.dialog
    assert isinstance(dialog, MoreTakesDialog)
    qtbot.waitUntil(dialog.isVisible)
    dialog.set_count(2)
    dialog.accept_button.click()
    qtbot.waitUntil(lambda: len(submits(sim)) == 1, timeout=10_000)
    held = stored_takes(store_path, shot.id)
    assert len(held) == 1, "the first take is on the shot before APIXO answers its POST"

    def both_on_the_shot() -> None:
        takes = panel.controller.board(board_id).shot(shot.id).takes
        assert len(takes) == 2 and takes[0] == held[0]

    qtbot.waitUntil(both_on_the_shot, timeout=15_000)
    qtbot.waitUntil(
        lambda: panel.film_bar.message.text() == "2 more takes sent: pick one when they are done."
    )
    sent = submits(sim)
    assert len(sent) == 2
    assert {r.body["input"]["prompt"] for r in sent} == {FOX}
    assert len({r.body["input"]["seed"] for r in sent}) == 2
    takes = panel.controller.board(board_id).shot(shot.id).takes
    assert stored_takes(store_path, shot.id) == list(takes)
    qtbot.waitUntil(lambda: panel.details.take_list.count() == 2)
    qtbot.waitUntil(lambda: "Take 2 \u00b7 seed" in panel.details.take_list.item(1).text())
