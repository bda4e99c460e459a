"""The Storyboard tab's "More takes…" of a continued or extended shot, on the simulator: the
action is offered; while the shot before has no video it says so and asks nothing; once it
has one, the price is asked (money dialog: price, balance), the simulator holds the POSTs
while each take is already on the shot, and every take starts from the shot before's chosen
take (its last frame, or its task for an extend), one POST each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    wait_started,
)
from tests.fixtures.screenshots import check_and_save
from tests.ui.storyboard.test_more_takes import open_storyboard, stored_takes
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.storyboard import ShotStart
from veo_desktop.sim.faults import Fault
from veo_desktop.ui.storyboard.generate import GenerateDialog
from veo_desktop.ui.storyboard.takes_dialog import MoreTakesDialog
from veo_desktop.ui.window.main_window import MainWindow

FOX = "A red fox runs through fresh snow"
LEAP = "The fox leaps over a frozen stream"


def _posts(sim: Any) -> list[Any]:
    return [r for r in sim.requests if r.endpoint in ("submit", "extend_submit")]


@pytest.mark.parametrize(
    ("start", "dark"),
    [(ShotStart.CONTINUE, False), (ShotStart.EXTEND, True)],
    ids=["continue-light", "extend-dark"],
)
def test_more_takes_of_a_continued_or_extended_shot_start_from_the_shot_before(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    themed: Callable[[bool], None],
    start: ShotStart,
    dark: bool,
) -> None:
    themed(dark)
    session, panel = open_storyboard(make_window, sim, tmp_path, qtbot)
    first = panel.add_request(GenerationRequest(prompt=FOX))
    assert first is not None
    board_id = panel.picker.current_id
    assert board_id is not None
    second = panel.add_request(GenerationRequest(prompt=LEAP))
    assert second is not None
    panel.controller.set_start(board_id, second.id, start)
    panel.select_shot(second.id)
    qtbot.waitUntil(lambda: panel.current_shot is not None and panel.current_shot.start is start)
    qtbot.waitUntil(panel.details.more_button.isEnabled)

    # Shot 1 has no video yet: said at once, nothing asked or sent.
    panel.details.more_button.click()
    verb = "continues" if start is ShotStart.CONTINUE else "extends"
    assert panel.film_bar.message.text() == (
        f"Shot 2: It {verb} shot 1, which has no video yet: generate that shot first. "
        "Nothing was sent."
    )
    assert not isinstance(panel.film_bar.dialog, MoreTakesDialog)
    assert _posts(sim) == []

    panel.film_bar.generate_button.click()
    generate = panel.film_bar.dialog
    assert isinstance(generate, GenerateDialog)
    qtbot.waitUntil(generate.isVisible)
    generate.accept_button.click()
    qtbot.waitUntil(
        lambda: [c.state for c in panel.model.cards] == ["Ready", "Ready"], timeout=30_000
    )
    qtbot.waitUntil(lambda: not panel.film_bar.generating)
    chosen = panel.controller.board(board_id).shots[0].chosen
    source = panel.controller.task(chosen) if chosen is not None else None
    assert source is not None
    assert len(_posts(sim)) == 2
    store_path = session.paths.store_path

    # The money dialog: the price of each take, the balance, and what each take starts from.
    sim.add_fault(
        Fault(
            endpoint="submit" if start is ShotStart.CONTINUE else "extend_submit",
            kind="delay",
            delay=1.0,
            times=2,
        )
    )
    panel.select_shot(second.id)
    panel.details.more_button.click()
    dialog = panel.film_bar.dialog
    assert isinstance(dialog, MoreTakesDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.heading.text() == "Make 2 more takes of shot 2?"
    assert dialog.cost_label.text() == "2 x $0.20 = $0.40"
    assert dialog.accept_button.text() == "Submit 2 \u2013 $0.40"
    hint = dialog.findChild(QLabel, "moreTakesHint")
    assert hint is not None
    made = (
        "Each take starts from the last frame of shot 1's chosen take"
        if start is ShotStart.CONTINUE
        else "Each take extends shot 1's chosen take"
    )
    assert hint.text().startswith(made)
    qtbot.waitUntil(lambda: dialog.balance_label.text().startswith("Balance: $"))
    check_and_save(
        dialog, tmp_path, f"storyboard-more-takes-{start.value}-{'dark' if dark else 'light'}"
    )

    # Confirmed: APIXO holds each POST; meanwhile its take is already on the shot.
    dialog.accept_button.click()
    qtbot.waitUntil(lambda: len(_posts(sim)) == 3, timeout=10_000)
    held = stored_takes(store_path, second.id)
    assert len(held) == 2, "the first new take is on the shot before APIXO answers its POST"
    qtbot.waitUntil(
        lambda: panel.film_bar.message.text() == "2 more takes sent: pick one when they are done.",
        timeout=15_000,
    )
    sent = _posts(sim)[2:]
    assert len(sent) == 2
    assert len({r.body["input"]["seed"] for r in sent}) == 2
    if start is ShotStart.CONTINUE:
        urls = {tuple(r.body["input"]["image_urls"]) for r in sent}
        (only,) = urls  # one last frame, the same for both takes
        assert len(only) == 1 and only[0].startswith(sim.origin)
        assert {r.body["input"]["generationType"] for r in sent} == {
            _posts(sim)[1].body["input"]["generationType"]
        }
    else:
        assert {r.body["input"]["taskId"] for r in sent} == {source.apixo_task_id}
    takes = panel.controller.board(board_id).shot(second.id).takes
    assert len(takes) == 3 and stored_takes(store_path, second.id) == list(takes)
    parent = source.local_id if start is ShotStart.EXTEND else None
    for take in takes[1:]:
        record = panel.controller.task(take)
        assert record is not None and record.parent_id == parent
