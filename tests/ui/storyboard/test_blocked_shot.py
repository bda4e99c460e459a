"""The Storyboard tab on a store holding a shot whose stored settings no longer pass (written
into the sqlite file directly, as a newer version would): the tab opens, the shot's card and
details say it is blocked and why, and the composer's settings fix it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    submits,
    wait_started,
)
from tests.fixtures.screenshots import check_and_save
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.paths import AppPaths
from veo_desktop.records.storyboard import Shot, Storyboard
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.storyboard.shot_model import CardTone
from veo_desktop.ui.window.main_window import MainWindow

ULTRA = (
    '{"input":{"mode":"ultra","prompt":"A hare","generationType":"TEXT_2_VIDEO",'
    '"aspect_ratio":"16:9"}}'
)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_shot_whose_stored_settings_no_longer_pass_shows_as_blocked_and_can_be_fixed(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    themed: Callable[[bool], None],
    dark: bool,
) -> None:
    themed(dark)
    data = tmp_path / "data"
    paths = AppPaths.resolve(data).ensure()
    fox, hare = (Shot(request=GenerationRequest(prompt=p)) for p in ("A fox", "A hare"))
    film = Storyboard(name="Film", shots=(fox, hare), created_at=1.0)
    store = TaskStore.open(paths.store_path)
    store.save_storyboard(film)
    store.close()
    db = sqlite3.connect(paths.store_path)
    db.execute("UPDATE shots SET request = ? WHERE id = ?", (ULTRA, hare.id))
    db.commit()
    db.close()

    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    wait_started(qtbot, window)
    workspace = window.workspace
    assert workspace is not None
    workspace.storyboard.show()
    panel = workspace.storyboard.panel
    qtbot.waitUntil(lambda: len(panel.model.cards) == 2)

    reason = (
        "the stored settings are no longer valid: mode: Choose a mode: fast, quality "
        "(got 'ultra'). Edit the shot to fix it."
    )
    first, second = panel.model.cards
    assert first.state == "Not generated"
    assert (second.state, second.tone) == (f"Blocked: {reason}", CardTone.PROBLEM)
    assert second.prompt == "A hare"
    tip = panel.model.data(panel.model.index(1), 3)  # Qt.ToolTipRole
    assert f"Blocked: {reason}" in str(tip)
    panel.select_row(1)
    details = panel.details
    assert details.problem_label.isVisible()
    assert details.problem_label.text() == f"Blocked: {reason}"
    assert not details.more_button.isEnabled()
    check_and_save(
        workspace, tmp_path, f"storyboard-blocked-shot-{'dark' if dark else 'light'}"
    )  # legible, looked at
    assert "Generate missing" in panel.film_bar.generate_button.text()

    # The composer's settings replace the stored ones: the shot is no longer blocked.
    workspace.compose_panel.prompt_edit.setPlainText("A hare in the snow")
    action = panel.actions_.use_composer
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: panel.model.cards[1].state == "Not generated")
    assert panel.model.cards[1].prompt == "A hare in the snow"
    assert not details.problem_label.isVisible()
    assert panel.controller.plan(film.id).count == 2
    assert not submits(sim)
