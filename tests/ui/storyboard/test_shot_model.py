"""The storyboard's list model and its cards' words, without a window: Qt's model rules
(qtmodeltester), moves as the list view's drag and the keyboard ask for them, and what each
card says about a shot, its start, its takes and its state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex

from tests.ui.tasks_support import make_record
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import Shot, ShotStart, Storyboard
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.storyboard.cards import cards_for
from veo_desktop.ui.storyboard.shot_model import CardTone, ShotCard, ShotListModel


def _card(shot_id: str, number: int) -> ShotCard:
    state, tone = "Not generated", CardTone.WAITING
    return ShotCard(shot_id, number, f"prompt {number}", "Fast", "", state, tone)


def test_the_model_keeps_qts_rules_and_moves_rows_as_the_view_asks(qtmodeltester: Any) -> None:
    model = ShotListModel()
    model.set_cards([_card(name, n) for n, name in enumerate("abc", start=1)])
    qtmodeltester.check(model)
    moves: list[tuple[str, int]] = []
    model.move_requested.connect(lambda shot, index: moves.append((shot, index)))
    # A drop below the last row (the list view's internal drag asks moveRow).
    assert model.moveRow(QModelIndex(), 0, QModelIndex(), 3)
    assert [c.shot_id for c in model.cards] == ["b", "c", "a"]
    # Alt+Shift+Up on the last row.
    assert model.move_shot(2, -1)
    assert [c.shot_id for c in model.cards] == ["b", "a", "c"]
    # No move onto itself, and none past an end.
    assert not model.moveRow(QModelIndex(), 1, QModelIndex(), 2)
    assert not model.move_shot(0, -1) and not model.move_shot(2, 1)
    assert moves == [("a", 2), ("a", 1)]
    qtmodeltester.check(model)


def test_new_words_for_the_same_shots_change_rows_in_place() -> None:
    model = ShotListModel()
    model.set_cards([_card("a", 1), _card("b", 2)])
    first = model.index(0)
    resets: list[bool] = []
    changed: list[int] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.dataChanged.connect(lambda top, _bottom: changed.append(top.row()))
    ready = ShotCard("b", 2, "prompt 2", "Fast", "", "Ready", CardTone.READY)
    model.set_cards([_card("a", 1), ready])
    assert changed == [1] and not resets and first.isValid()
    model.set_cards([ready])
    assert resets == [True]


def _lookup(records: list[TaskRecord]) -> Any:
    by_id = {record.local_id: record for record in records}
    return by_id.get


def test_cards_say_how_each_shot_starts_and_where_it_stands(tmp_path: Path) -> None:
    video = tmp_path / "take.mp4"
    video.write_bytes(b"not really a video, but a file on disk")
    done = make_record(1, prompt="A fox", files=(str(video),))
    second = make_record(2, prompt="A fox", files=(str(video),))
    running = make_record(3, state=TaskState.PROCESSING, prompt="A fox at night")
    failed = make_record(4, state=TaskState.FAILED, prompt="A cliff", fail_message="Too dark")
    board = Storyboard(
        shots=(
            Shot(request=GenerationRequest(prompt="Unsent"), start=ShotStart.CONTINUE),
            Shot(takes=(done.local_id, second.local_id), chosen=second.local_id),
            Shot(
                request=GenerationRequest(prompt="A fox at night", mode="quality"),
                start=ShotStart.CONTINUE,
                takes=(running.local_id,),
            ),
            Shot(
                request=GenerationRequest(prompt="A cliff", aspect_ratio="9:16"),
                start=ShotStart.EXTEND,
                takes=(failed.local_id,),
            ),
        )
    )
    cards = cards_for(board, _lookup([done, second, running, failed]))
    assert [c.start for c in cards] == [
        "No previous shot to start from",
        "",
        "Continues shot 2",
        "Extends shot 3",
    ]
    assert [c.tone for c in cards] == [
        CardTone.WAITING,
        CardTone.READY,
        CardTone.RUNNING,
        CardTone.PROBLEM,
    ]
    assert cards[0].state == "Not generated" and cards[0].settings.startswith("Fast \u00b7 16:9")
    assert cards[1].prompt == "A fox" and cards[1].take == "Take 2 of 2"
    assert cards[1].video == video
    assert cards[2].state.startswith("Generating \u00b7 Processing")
    assert cards[2].settings == "Quality \u00b7 16:9 \u00b7 Text to video"
    assert cards[3].settings == "Fast"  # an extend keeps its source's shape
    assert cards[3].state == "Failed: Too dark"
