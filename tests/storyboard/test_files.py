"""Storyboard files: what the window exports reads back as the same storyboard, any text at
all gives a message (never a traceback), and a bad shot is named by its number."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veo_desktop.api.models import MAX_SEED, GenerationRequest, GenerationType
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import Shot, ShotStart, Storyboard, storyboard_to_json
from veo_desktop.records.task import TaskRecord
from veo_desktop.storyboard import StoryboardFileError, parse_storyboard

NOW = time.time()
TASKS = {
    f"{n:032x}": TaskRecord(
        local_id=f"{n:032x}",
        model="veo-3-1",
        request=GenerationRequest(prompt=f"take {n}").to_payload(),
        state=TaskState.SUCCEEDED,
        created_at=NOW,
        updated_at=NOW,
        apixo_task_id=f"apixo-{n}",
        files=(f"/videos/take-{n}.mp4",),
        price=Decimal("0.20"),
    )
    for n in range(1, 6)
}


def lookup(task_id: str) -> TaskRecord | None:
    if task_id in TASKS:
        return TASKS[task_id]
    return next((r for r in TASKS.values() if r.apixo_task_id == task_id), None)


prompts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=40,
)
seeds = st.none() | st.integers(0, MAX_SEED)
watermarks = st.none() | st.text(alphabet="abcXYZ 19", min_size=1, max_size=8).map(
    str.strip
).filter(bool)
takes = st.lists(st.sampled_from(sorted(TASKS)), max_size=3, unique=True)
trims = st.none() | st.tuples(
    st.floats(0, 5, allow_nan=False), st.floats(0.01, 5, allow_nan=False)
).map(lambda t: (t[0], t[0] + t[1]))


@st.composite
def shots(draw: st.DrawFn, first: bool) -> Shot:
    start = ShotStart.OWN if first else draw(st.sampled_from(ShotStart))
    kind = draw(
        st.sampled_from(
            ["text", "frames"]
            if start is ShotStart.CONTINUE
            else ["text", "frames", "reference", "task"]
        )
    )
    if start is ShotStart.EXTEND:
        kind = "text"
    chosen_takes = tuple(draw(takes))
    if kind == "task":
        task = draw(st.sampled_from(sorted(TASKS)))
        chosen_takes = (task, *(t for t in chosen_takes if t != task))
        return Shot(takes=chosen_takes, chosen=task, trim=draw(trims))
    mode = "fast" if kind == "reference" else draw(st.sampled_from(["fast", "quality"]))
    request = GenerationRequest(
        prompt=draw(prompts),
        mode=mode,
        seed=draw(seeds),
        watermark=draw(watermarks),
    )
    if kind == "frames" and start is not ShotStart.EXTEND:
        count = 1 if start is ShotStart.CONTINUE else draw(st.integers(1, 2))
        request = request.replace(
            generation_type=GenerationType.FRAMES,
            aspect_ratio=draw(st.sampled_from(["16:9", "9:16", "auto"])),
            image_urls=tuple(f"https://example.com/{n}.png" for n in range(count)),
        )
    elif kind == "reference":
        request = request.replace(
            generation_type=GenerationType.REFERENCE,
            image_urls=("https://example.com/ref.png",),
        )
    elif start is not ShotStart.EXTEND:
        request = request.replace(aspect_ratio=draw(st.sampled_from(["16:9", "9:16"])))
    chosen = draw(st.none() | st.sampled_from(chosen_takes)) if chosen_takes else None
    return Shot(request=request, start=start, takes=chosen_takes, chosen=chosen, trim=draw(trims))


@st.composite
def boards(draw: st.DrawFn) -> Storyboard:
    count = draw(st.integers(1, 5))
    return Storyboard(
        name=draw(prompts),
        shots=tuple(draw(shots(first=n == 0)) for n in range(count)),
        crossfade_frames=draw(st.integers(0, 24)),
        letterbox=draw(st.booleans()),
    )


def comparable(board: Storyboard) -> tuple[object, ...]:
    """Everything but the ids and times (an import makes new ones)."""
    return (
        board.name,
        board.crossfade_frames,
        board.letterbox,
        tuple((s.request, s.start, s.takes, s.chosen, s.trim) for s in board.shots),
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(boards())
def test_export_then_import_gives_the_same_storyboard(board: Storyboard) -> None:
    text = json.dumps(storyboard_to_json(board))
    again = parse_storyboard(text, lookup)
    assert comparable(again) == comparable(board)
    assert json.loads(json.dumps(storyboard_to_json(again)))["shots"] == [
        {**shot, "id": again.shots[n].id} for n, shot in enumerate(json.loads(text)["shots"])
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "shots",
                    "prompt",
                    "task",
                    "trim",
                    "start",
                    "mode",
                    "seed",
                    "takes",
                    "chosen",
                    "crossfade_frames",
                    "letterbox",
                    "name",
                    "image_urls",
                    "generationType",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=60), json_values.map(json.dumps)))
def test_any_text_gives_a_storyboard_or_a_message_never_a_traceback(text: str) -> None:
    try:
        board = parse_storyboard(text, lookup)
    except StoryboardFileError as error:
        assert str(error) and error.problems
        assert all(p.message for p in error.problems)
    else:
        assert board.shots


@pytest.mark.parametrize(
    "text", ["[" * 100_000, '{"shots": [{"prompt": ' + "[" * 5000 + "]" * 5000 + "}]}", "\ud800"]
)
def test_hostile_text_gives_a_message(text: str) -> None:
    with pytest.raises(StoryboardFileError, match="nothing was sent"):
        parse_storyboard(text, lookup)


@pytest.mark.parametrize(
    ("shots_json", "expected"),
    [
        ([{"prompt": "ok"}, {"prompt": ""}], "shot 2, prompt"),
        ([{"prompt": "ok"}, {"prompt": "b", "mode": "slow"}], "shot 2, mode"),
        ([{"prompt": "a", "start": "continue"}], "shot 1, start: The first shot has no previous"),
        ([{"prompt": "a"}, {"prompt": "b"}, {"prompt": "c", "trim": [2, 1]}], "shot 3, trim"),
        ([{"prompt": "a"}, {"task": "nope"}], "shot 2, task: No task 'nope'"),
        (
            [{"prompt": "a"}, {"prompt": "b", "start": "extend", "aspect_ratio": "9:16"}],
            "shot 2, aspect_ratio: An extend shot",
        ),
        ([{"prompt": "a"}, {"prompt": "b", "start": "sideways"}], "shot 2, start"),
        (
            [{"prompt": "a"}, {"prompt": "b", "taskId": "x"}],
            "shot 2, taskId: To extend the previous",
        ),
        ([{"prompt": "a"}, {"prompt": "b", "colour": "red"}], "shot 2, colour: Unknown field"),
        ([{"prompt": "a"}, "b"], "shot 2, shot: Each shot must be one JSON object"),
        ([{}], "shot 1, prompt: Give the shot a prompt"),
    ],
)
def test_a_bad_shot_is_named_by_its_number(shots_json: list[object], expected: str) -> None:
    with pytest.raises(StoryboardFileError) as caught:
        parse_storyboard(json.dumps({"shots": shots_json}), lookup, source="film.json")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("film.json: ")
    assert "nothing was sent" in str(caught.value)


def test_a_hand_written_file_reads_as_the_issue_describes_it() -> None:
    task = sorted(TASKS)[0]
    text = json.dumps(
        {
            "shots": [
                {"prompt": "A fox in snow", "aspect_ratio": "16:9", "seed": 7},
                {"prompt": "It runs", "start": "continue", "trim": [0.5, 2]},
                {"task": "apixo-1", "trim": [0, 1.5]},
                {"prompt": "More running", "start": "extend", "mode": "quality"},
            ],
            "crossfade_frames": 3,
        }
    )
    board = parse_storyboard(text, lookup, name="fox")
    assert board.name == "fox" and board.crossfade_frames == 3
    first, second, third, fourth = board.shots
    assert first.request is not None and first.request.seed == 7
    assert second.start is ShotStart.CONTINUE and second.trim == (0.5, 2.0)
    assert third.request is None and third.takes == (task,) and third.chosen == task
    assert fourth.start is ShotStart.EXTEND and fourth.request is not None
    assert fourth.request.mode == "quality"
