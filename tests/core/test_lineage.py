"""Lineage: extends as children of their sources, the 24-hour extend window, TASKID_ERROR."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.fixtures.core import EngineKit
from veo_desktop.api.errors import ExtendSourceError
from veo_desktop.api.models import ExtendRequest, GenerationRequest
from veo_desktop.core.lineage import (
    EXTEND_WINDOW,
    TASKID_ERROR_MESSAGE,
    Lineage,
    can_extend,
    completed_at,
    descendants,
    draft_to_final,
    draft_to_final_note,
    extend_window_text,
    extendable_until,
    is_taskid_error,
    source_task_id,
    taskid_error_message,
)
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.reject import RejectReason
from veo_desktop.records.task import StateChange, TaskRecord

NOW = 1_767_000_000.0


def veo(
    name: str, *, at: float, state: TaskState = TaskState.SUCCEEDED, **changes: Any
) -> TaskRecord:
    request = GenerationRequest(
        prompt=f"{name} prompt", seed=changes.pop("seed", None), mode=changes.pop("mode", "fast")
    )
    return TaskRecord(
        local_id=changes.pop("local_id", name),
        model="veo-3-1",
        request=request.to_payload(),
        state=state,
        created_at=at,
        updated_at=at,
        apixo_task_id=changes.pop("apixo_task_id", f"apixo-{name}"),
        price=request.price,
        history=(StateChange(at, state),),
        api_complete_time=changes.pop("api_complete_time", int((at + 90) * 1000)),
        **changes,
    )


def extend(name: str, source_apixo: str, *, at: float, **changes: Any) -> TaskRecord:
    request = ExtendRequest(task_id=source_apixo, prompt=f"{name} continues")
    return TaskRecord(
        local_id=name,
        model="veo-3-1-extend",
        request=request.to_payload(),
        state=changes.pop("state", TaskState.SUCCEEDED),
        created_at=at,
        updated_at=at,
        apixo_task_id=changes.pop("apixo_task_id", f"apixo-{name}"),
        price=request.price,
        **changes,
    )


def test_extends_are_children_of_their_sources() -> None:
    a = veo("a", at=NOW)
    b = veo("b", at=NOW + 10)
    a1 = extend("a1", "apixo-a", at=NOW + 200, parent_id="a")
    a2 = extend("a2", "apixo-a", at=NOW + 300)  # no parent_id: found through taskId
    b1 = extend("b1", "apixo-b", at=NOW + 250)
    orphan = extend("orphan", "apixo-gone", at=NOW + 5)
    lineage = Lineage([b1, a2, orphan, a, a1, b])
    assert [r.local_id for r in lineage.roots()] == ["a", "orphan", "b"]
    assert [r.local_id for r in lineage.children_of("a")] == ["a1", "a2"]
    assert lineage.parent_of("a2") == a and lineage.parent_of("a") is None
    assert lineage.depth("b1") == 1 and lineage.root_of("b1") == b
    assert [(r.local_id, d) for r, d in lineage.flatten()] == [
        ("a", 0),
        ("a1", 1),
        ("a2", 1),
        ("orphan", 0),
        ("b", 0),
        ("b1", 1),
    ]
    tree = lineage.tree()
    assert [n.record.local_id for n in tree[0].walk()] == ["a", "a1", "a2"]
    assert [r.local_id for r in descendants(lineage, "a")] == ["a1", "a2"]
    assert source_task_id(a1) == "apixo-a" and source_task_id(a) is None
    assert "a" in lineage and "zzz" not in lineage


def test_a_loop_of_parents_in_a_damaged_store_does_not_hang() -> None:
    x = extend("x", "apixo-y", at=NOW, parent_id="y")
    y = extend("y", "apixo-x", at=NOW + 1, parent_id="x")
    lineage = Lineage([x, y])
    flat = lineage.flatten()
    assert sorted(r.local_id for r, _ in flat) == ["x", "y"]
    assert len(lineage.roots()) == 1


def test_the_extend_window_is_24_hours_from_completion() -> None:
    task = veo("w", at=NOW, results_at=NOW + 95)
    made = completed_at(task)
    assert made == NOW + 90  # APIXO's completeTime (ms), not when we saw it
    until = extendable_until(task)
    assert until == made + EXTEND_WINDOW
    assert can_extend(task, NOW + 3600)
    assert not can_extend(task, until)
    assert extend_window_text(task, until - 3 * 3600 - 300) == "Extendable for 3 h 05 min more."
    assert extend_window_text(task, until - 30) == "Extendable for less than a minute more."
    assert extend_window_text(task, until + 1).startswith("No longer extendable: APIXO keeps")
    # APIXO's clock ahead of ours: the completion is never later than when we saw it.
    ahead = veo("ahead", at=NOW, api_complete_time=int((NOW + 500) * 1000), results_at=NOW + 60)
    assert completed_at(ahead) == NOW + 60
    # Without APIXO's time, the moment the result was seen.
    plain = veo("plain", at=NOW, api_complete_time=None, results_at=NOW + 70)
    assert completed_at(plain) == NOW + 70


@pytest.mark.parametrize(
    "task",
    [
        veo("running", at=NOW, state=TaskState.PROCESSING),
        veo("failed", at=NOW, state=TaskState.FAILED),
        veo("unsent", at=NOW, apixo_task_id=None),
        extend("ext", "apixo-a", at=NOW),
    ],
    ids=["running", "failed", "never-accepted", "an-extension"],
)
def test_only_succeeded_generations_can_be_extended(task: TaskRecord) -> None:
    assert extendable_until(task) is None
    assert not can_extend(task, NOW + 100)
    assert extend_window_text(task, NOW + 100)


def test_a_taskid_error_ends_the_window_early() -> None:
    task = veo("early", at=NOW)
    refused = extend(
        "refused",
        "apixo-early",
        at=NOW + 3600,
        state=TaskState.REJECTED,
        apixo_task_id=None,
        fail_code="HTTP 400",
        fail_message=str(ExtendSourceError(400, "TASKID_ERROR", "TASKID_ERROR: expired")),
        reject_reason=RejectReason.EXTEND_SOURCE,
    )
    assert is_taskid_error(refused)
    # The row's stored reason decides, not its words.
    assert not is_taskid_error(refused.evolve(reject_reason=RejectReason.REFUSED))
    assert extendable_until(task, records=[refused]) == NOW + 3600
    assert not can_extend(task, NOW + 3601, records=[refused])
    assert can_extend(task, NOW + 3599, records=[refused])
    text = extend_window_text(task, NOW + 4000, records=[refused])
    assert "APIXO said it no longer holds this video" in text


def test_taskid_error_recognition_and_message() -> None:
    assert is_taskid_error(ExtendSourceError(400, "TASKID_ERROR"))
    assert is_taskid_error("APIXO says: TASKID_ERROR: unknown task")
    assert not is_taskid_error("APIXO rejected the request (HTTP 400).")
    assert not is_taskid_error(None)
    assert not is_taskid_error(veo("ok", at=NOW))
    assert taskid_error_message() == TASKID_ERROR_MESSAGE
    assert "Nothing was charged" in TASKID_ERROR_MESSAGE
    old = veo("old", at=NOW)
    assert "made 26 hours ago" in taskid_error_message(old, now=NOW + 90 + 26 * 3600)
    young = taskid_error_message(old, now=NOW + 3600)
    assert "does not recognise task id apixo-old" in young
    ext = extend("e", "apixo-old", at=NOW)
    assert "extend the original" in taskid_error_message(ext, now=NOW)


def test_draft_to_final_keeps_prompt_and_seed() -> None:
    draft = veo("draft", at=NOW, seed=1234)
    final = draft_to_final(draft)
    assert final.mode == "quality" and final.seed == 1234 and final.prompt == "draft prompt"
    assert draft_to_final_note(draft) is None
    assert "random seed" in str(draft_to_final_note(veo("r", at=NOW)))
    with pytest.raises(ValueError, match="already"):
        draft_to_final(veo("q", at=NOW, mode="quality"))
    with pytest.raises(ValueError, match="not an extension"):
        draft_to_final(extend("x", "apixo-a", at=NOW))


# -- against the simulator ----------------------------------------------------------------


def test_extending_through_apixo_and_the_clear_message_for_expired_or_unknown_ids(
    engine_kit: EngineKit, sim: Any
) -> None:
    async def scenario() -> Any:
        engine = engine_kit.engine()
        await engine.start()
        source = await engine.submit(GenerationRequest(prompt="lineage source clip"))
        source = await engine.wait(source.local_id)
        assert source.state is TaskState.SUCCEEDED
        now = time.time()
        assert can_extend(source, now)
        assert extend_window_text(source, now).startswith("Extendable for 23 h")
        child = await engine.submit(
            ExtendRequest(task_id=str(source.apixo_task_id), prompt="and then it rains")
        )
        child = await engine.wait(child.local_id)
        assert child.state is TaskState.SUCCEEDED

        # An extension is not a veo-3-1 task: APIXO refuses to extend it.
        with pytest.raises(ExtendSourceError) as on_extension:
            await engine.submit(
                ExtendRequest(task_id=str(child.apixo_task_id), prompt="again and again")
            )
        # An unknown id.
        with pytest.raises(ExtendSourceError) as unknown:
            await engine.submit(
                ExtendRequest(task_id=f"task_{uuid.uuid4().hex[:10]}", prompt="from nowhere")
            )
        # The source, 25 hours later.
        sim.age_task(str(source.apixo_task_id), 25 * 3600)
        with pytest.raises(ExtendSourceError) as expired:
            await engine.submit(
                ExtendRequest(task_id=str(source.apixo_task_id), prompt="too late now")
            )
        return engine, source, child, (on_extension.value, unknown.value, expired.value)

    engine, source, child, errors = engine_kit.run(scenario)
    for error in errors:
        assert is_taskid_error(error)
    records = engine.tasks(include_hidden=True)
    rejected = [r for r in records if r.state is TaskState.REJECTED]
    assert len(rejected) == 3 and all(is_taskid_error(r) for r in rejected)
    lineage = Lineage(records)
    assert child.parent_id == source.local_id
    late = next(r for r in rejected if r.prompt == "too late now")
    children = [r.local_id for r in lineage.children_of(source.local_id)]
    assert children == [child.local_id, late.local_id]
    assert lineage.parent_of(late.local_id) == source
    # APIXO's refusal ends the window, whatever the clock says.
    refreshed = engine.get(source.local_id)
    assert extendable_until(refreshed, records=records) == late.created_at
    assert not can_extend(refreshed, time.time(), records=records)
    message = taskid_error_message(refreshed, now=time.time())
    assert message.startswith("APIXO cannot extend this video.")
