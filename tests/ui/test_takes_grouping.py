"""Finding variations runs with a first pass by model and prompt finds exactly the runs that
comparing every request (seed aside) finds: any tasks, by hypothesis."""

from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.takes import RUN_GAP, Takes, run_key

_tasks = st.lists(
    st.tuples(
        st.sampled_from(["veo-3-1", "veo-3-1-extend"]),
        st.sampled_from(["a fox", "a harbour", ""]),
        st.sampled_from(["fast", "quality"]),
        st.one_of(st.none(), st.integers(0, 3), st.booleans(), st.just("7")),
        st.floats(0, 3 * RUN_GAP),
    ),
    max_size=30,
)


def reference(tasks: list[TaskRecord]) -> dict[str, str]:
    """The take texts as found by comparing every task's whole request (the first way)."""
    groups: dict[str, list[TaskRecord]] = {}
    for task in tasks:
        key = run_key(task)
        if key is not None:
            groups.setdefault(key, []).append(task)
    found: dict[str, str] = {}
    for group in groups.values():
        group.sort(key=lambda t: (t.created_at, t.local_id))
        runs: list[list[TaskRecord]] = [[]]
        for task in group:
            if runs[-1] and task.created_at - runs[-1][-1].created_at > RUN_GAP:
                runs.append([])
            runs[-1].append(task)
        for run in runs:
            if len(run) > 1:
                for number, task in enumerate(run, start=1):
                    found[task.local_id] = f"{number}/{len(run)}"
    return found


@settings(max_examples=200, deadline=None)
@given(_tasks)
def test_the_runs_found_are_those_of_comparing_every_request(specs):
    tasks = []
    for model, prompt, mode, seed, at in specs:
        data: dict[str, object] = {"prompt": prompt, "mode": mode}
        if seed is not None:
            data["seed"] = seed
        tasks.append(
            TaskRecord(
                local_id=uuid.uuid4().hex,
                model=model,
                request={"request_type": "async", "input": data},
                state=TaskState.SUCCEEDED,
                created_at=at,
                updated_at=at,
                price=Decimal("0.20"),
            )
        )
    takes = Takes()
    takes.rebuild(tasks)
    found = {
        t.local_id: takes.text_of(t.local_id).split(" ")[1]
        for t in tasks
        if takes.text_of(t.local_id)
    }
    assert found == reference(tasks)
