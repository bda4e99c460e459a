"""Recent prompts from the real task store: distinct, newest first, searchable."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.fixtures.core import EngineKit
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.history import (
    PromptIndex,
    PromptTable,
    RecentPrompt,
    normal_prompt,
    recent_prompts,
    records_of,
)
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.summary import TaskSummary
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.store import TaskStore

NOW = 1_767_000_000.0


def record(prompt: str, at: float, **changes: Any) -> TaskRecord:
    request = GenerationRequest(prompt=prompt)
    return TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request=request.to_payload(),
        state=changes.pop("state", TaskState.SUCCEEDED),
        created_at=at,
        updated_at=at,
        price=request.price,
        history=(StateChange(at, TaskState.SUBMITTING),),
        **changes,
    )


def test_distinct_prompts_newest_first_from_the_store(task_store: TaskStore) -> None:
    rows = [
        record("A red fox in the snow", NOW),
        record("Rain on a neon window", NOW + 10),
        record("a red  fox in the SNOW", NOW + 20),  # the same prompt, spaced differently
        record("A lighthouse at dusk", NOW + 30, hidden=True),
        record("Rain on a neon window", NOW + 40, state=TaskState.REJECTED),
    ]
    for row in rows:
        task_store.insert(row)
    found = recent_prompts(task_store)
    assert [p.prompt for p in found] == [
        "Rain on a neon window",
        "A lighthouse at dusk",
        "a red  fox in the SNOW",
    ]
    assert [p.uses for p in found] == [2, 1, 2]
    assert found[0].local_id == rows[4].local_id and found[0].last_used == NOW + 40
    assert [p.prompt for p in recent_prompts(task_store, include_hidden=False)] == [
        "Rain on a neon window",
        "a red  fox in the SNOW",
    ]
    assert len(recent_prompts(task_store, limit=1)) == 1
    assert len(recent_prompts(task_store, limit=0)) == 3


def test_search_is_a_case_insensitive_substring(task_store: TaskStore) -> None:
    for n, prompt in enumerate(["A Red Fox jumps", "A blue bird sings", "Fox and bird, red sky"]):
        task_store.insert(record(prompt, NOW + n))
    assert [p.prompt for p in recent_prompts(task_store, "FOX")] == [
        "Fox and bird, red sky",
        "A Red Fox jumps",
    ]
    assert [p.prompt for p in recent_prompts(task_store, " red   FOX ")] == ["A Red Fox jumps"]
    assert [p.prompt for p in recent_prompts(task_store, "ed fo")] == ["A Red Fox jumps"]
    assert [p.prompt for p in recent_prompts(task_store, "bird")] == [
        "Fox and bird, red sky",
        "A blue bird sings",
    ]
    assert recent_prompts(task_store, "zebra") == []


def test_engine_and_records_are_sources_too(engine_kit: EngineKit, sim: Any) -> None:
    async def scenario() -> Any:
        engine = engine_kit.engine()
        await engine.start(resume=False)
        await engine.submit(GenerationRequest(prompt="History via the engine"))
        await engine.submit(GenerationRequest(prompt="And a second one"))
        return engine

    engine = engine_kit.run(scenario)
    found = recent_prompts(engine, "engine")
    assert [p.prompt for p in found] == ["History via the engine"]
    assert [p.prompt for p in recent_prompts(engine.tasks())] == [
        "And a second one",
        "History via the engine",
    ]
    assert len(records_of(engine)) == 2


def test_ten_thousand_tasks(tmp_path: Path) -> None:
    store = TaskStore.open(tmp_path / "big.sqlite3")
    try:
        with store.transaction():
            for n in range(10_000):
                store.insert(record(f"Prompt number {n % 400} of a long history", NOW + n))
        found = recent_prompts(store, "number 7", limit=20)
        assert all("number 7" in p.prompt for p in found)
        assert len(found) == 11  # 7 and 70-79
        assert found[0].prompt == "Prompt number 79 of a long history"
    finally:
        store.close()


_WORDS = ["Fox", "fox ", "Rain  on glass", "rain on glass", "Dusk", "Über\nsee", "über see"]


def packed(records: Iterable[TaskRecord]) -> PromptTable:
    """The distinct prompts of ``records`` packed as the store's grouping packs them."""
    found = PromptIndex(records).search("", 0)
    return PromptTable(
        (normal_prompt(p.prompt), p.prompt, p.last_used, p.uses, p.local_id)
        for p in reversed(found)  # (oldest last use first)
    )


@settings(max_examples=150, deadline=None)
@given(
    prompts=st.lists(st.sampled_from(_WORDS) | st.text(max_size=8)),
    split=st.integers(0, 20),
    query=st.sampled_from(["", "fox", "RAIN", "on g", "ÜBER  SEE", "nothing"])
    | st.text(max_size=3),
    limit=st.integers(-1, 3),
    hex_ids=st.booleans(),
)
def test_a_large_librarys_older_prompts_counted_apart_join_the_newer_ones(
    prompts: list[str], split: int, query: str, limit: int, hex_ids: bool
) -> None:
    """The Prompts tab counts a large library's older tasks apart (in a thread, packed in a
    table) and the loaded ones each time: together they list what one count of every task
    lists, with the uses of a prompt in both parts added up."""
    made = [record("x", NOW + index) for index in range(len(prompts))]
    records = [
        r.evolve(
            request={"input": {"prompt": prompt, "mode": "fast"}},
            local_id=r.local_id if hex_ids else f"Task-{index}",
        )
        for index, (r, prompt) in enumerate(zip(made, prompts, strict=True))
    ]
    older = packed(reversed(records[:split]))  # (a fold's order: any)
    newer = PromptIndex(records[split:])
    assert newer.search(query, limit, older=older) == recent_prompts(records, query, limit)


def test_the_stores_distinct_prompts_are_what_the_records_say(task_store: TaskStore) -> None:
    """The store counts a large library's older prompts itself (grouped by sqlite, by the
    same normal form): the packed table lists what counting the records lists, and stops
    before the moment it is given."""
    prompts = ["A red fox", "a  RED fox", "Rain", "   ", "Über see", "über  SEE", "Rain", "x"]
    for index, prompt in enumerate(prompts):
        made = record("placeholder", NOW + index, hidden=index == 2)
        task_store.insert(made.evolve(request={"input": {"prompt": prompt, "mode": "fast"}}))
    table = PromptTable(task_store.distinct_prompts(normal_prompt))
    for query in ("", "fox", "über", "RAIN", "none"):
        assert PromptIndex().search(query, 0, older=table) == recent_prompts(task_store, query, 0)
    assert len(table) == 4
    before = PromptTable(task_store.distinct_prompts(normal_prompt, until=NOW + 2))
    assert [(p.prompt, p.uses) for p in PromptIndex().search("", 0, older=before)] == [
        ("a  RED fox", 2)
    ]


_PROMPT_VALUES = (
    st.sampled_from(
        ["Fox", " fox", "Rain on glass", "\ud83d lone", "\ud83d LONE", "", "  ", "a\x00b"]
    )
    | st.integers(-5, 5)
    | st.text(max_size=6)
    # (JSON no program of ours writes as a prompt: true, null, a float, a list, an object)
    | st.booleans()
    | st.none()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.lists(st.integers(0, 3), max_size=2)
    | st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2)
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prompts=st.lists(st.tuples(_PROMPT_VALUES, st.integers(0, 6)), max_size=25),
    until=st.integers(0, 7),
)
@example(prompts=[("\x00", 0)], until=1)  # (sqlite's JSON reader cuts a text at a NUL)
@example(prompts=[("\ud83d lone", 0), ("\ud83d  LONE", 0), (5, 1)], until=7)
@example(prompts=[(True, 0), (None, 1), (1e20, 2), ([1], 3)], until=7)
def test_the_stores_grouping_and_summaries_agree_with_the_records_whatever_the_prompts(
    tmp_path_factory: pytest.TempPathFactory, prompts: list[tuple[object, int]], until: int
) -> None:
    """Whatever the prompts (numbers, lone surrogates, case and spacing variants, the same
    moment twice), what sqlite groups and reads from the columns says what the records say:
    each prompt's uses and last use, and each task's prompt."""
    path = tmp_path_factory.mktemp("prompts") / "tasks.sqlite3"
    with TaskStore.open(path) as store:
        for prompt, moment in prompts:
            made = record("x", NOW + moment)
            store.insert(made)
            # As another program may write it (the app refuses a lone surrogate):
            text = json.dumps({"input": {"prompt": prompt, "mode": "fast"}}, ensure_ascii=True)
            store._db.execute(
                "UPDATE tasks SET request = ? WHERE local_id = ?", (text, made.local_id)
            )
        records = [r for r in store.load_all() if r.created_at < NOW + until]
        table = PromptTable(store.distinct_prompts(normal_prompt, until=NOW + until))
        grouped = PromptIndex().search("", 0, older=table)
        summaries = {s.local_id: s for s in store.summaries(-math.inf)}
        wholes = {r.local_id: TaskSummary.of(r) for r in store.load_all()}
    expected = recent_prompts(records, "", 0)

    def counted(found: list[RecentPrompt]) -> set[tuple[str, int, float]]:
        return {(normal_prompt(p.prompt), p.uses, p.last_used) for p in found}

    assert counted(grouped) == counted(expected)
    assert summaries == wholes
