"""The engine end to end against the simulator: submit, poll, download, observe."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.fixtures.core import EngineKit, wait_until
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import ExtendRequest, GenerationRequest, RequestInvalidError
from veo_desktop.core.engine import TaskBusyError
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import TaskStore


def sim_video(sim, apixo_task_id: str) -> bytes:
    url = sim.tasks[apixo_task_id].result_url
    return httpx.get(url).content


def test_a_submitted_task_ends_as_one_downloaded_video_with_its_sidecar(sim, engine_kit):
    changes: list[TaskRecord] = []
    progress: list[tuple[str, int, int | None]] = []

    async def scenario() -> TaskRecord:
        engine = engine_kit.engine()
        engine.subscribe(changes.append)
        engine.subscribe_progress(lambda *args: progress.append(args))
        await engine.start()
        record = await engine.submit(
            GenerationRequest(prompt="A calm ocean at dawn, gulls", mode="quality", seed=7)
        )
        assert record.state is TaskState.PENDING
        assert record.apixo_task_id in sim.created_task_ids
        return await engine.wait(record.local_id)

    done = engine_kit.run(scenario)

    assert done.state is TaskState.SUCCEEDED
    assert [c.state for c in done.history] == [
        TaskState.SUBMITTING,
        TaskState.PENDING,
        TaskState.PROCESSING,
        TaskState.DOWNLOADING,
        TaskState.SUCCEEDED,
    ]
    assert done.price == Decimal("1.50") and done.charged
    assert done.api_create_time and done.api_complete_time and done.api_cost_time
    (video,) = (Path(f) for f in done.files)
    assert video.parent == engine_kit.library
    assert video.name.endswith(f"_a-calm-ocean-at-dawn-gulls_{done.short_id}.mp4")
    assert video.read_bytes() == sim_video(sim, done.apixo_task_id)
    assert not list(engine_kit.library.glob("*.part"))

    meta = json.loads(Path(str(video) + ".json").read_text())
    assert meta["prompt"] == "A calm ocean at dawn, gulls"
    assert meta["request"] == done.request
    assert meta["parameters"]["seed"] == 7 and meta["mode"] == "quality"
    assert meta["local_task_id"] == done.local_id
    assert meta["apixo_task_id"] == done.apixo_task_id
    assert meta["result_url"] == done.result_urls[0] and meta["result_count"] == 1
    assert meta["price_usd"] == "1.50"
    assert SIM_API_KEY not in video.with_name(video.name + ".json").read_text()

    # Subscribers saw every state; progress reached the full size.
    assert [c.state for c in changes if c.local_id == done.local_id][-1] is TaskState.SUCCEEDED
    assert progress[-1][1] == video.stat().st_size == progress[-1][2]

    # The store holds the same thing after a reopen, and never the key.
    reopened = TaskStore.open(engine_kit.paths.store_path)
    try:
        assert reopened.get(done.local_id) == done
    finally:
        reopened.close()
    assert SIM_API_KEY.encode() not in engine_kit.paths.store_path.read_bytes()


def test_an_invalid_request_writes_no_row_and_sends_nothing(sim, engine_kit):
    async def scenario() -> None:
        engine = engine_kit.engine()
        await engine.start()
        with pytest.raises(RequestInvalidError) as caught:
            await engine.submit(GenerationRequest(prompt="  ", mode="slow"))
        assert {p.field for p in caught.value.problems} == {"prompt", "mode"}
        assert engine.tasks(include_hidden=True) == []

    engine_kit.run(scenario)
    assert [r for r in sim.requests if r.method == "POST"] == []


def test_a_task_that_apixo_fails_shows_its_fail_code(sim, engine_kit):
    async def scenario() -> TaskRecord:
        engine = engine_kit.engine()
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="a #sensitive scene"))
        return await engine.wait(record.local_id)

    done = engine_kit.run(scenario)
    assert done.state is TaskState.FAILED
    assert done.fail_code == "SensitiveContent"
    assert "safety policy" in (done.fail_message or "")
    assert done.charged and done.files == ()


def test_an_extend_links_to_its_source_and_downloads(sim, engine_kit):
    async def scenario() -> tuple[TaskRecord, TaskRecord]:
        engine = engine_kit.engine()
        await engine.start()
        source = await engine.wait(
            (await engine.submit(GenerationRequest(prompt="a fox"))).local_id
        )
        extend = await engine.submit(
            ExtendRequest(task_id=source.apixo_task_id or "", prompt="the fox runs off")
        )
        return source, await engine.wait(extend.local_id)

    source, extend = engine_kit.run(scenario)
    assert extend.state is TaskState.SUCCEEDED
    assert extend.model == "veo-3-1-extend" and extend.is_extend
    assert extend.parent_id == source.local_id
    assert extend.generation_type is None and extend.prompt == "the fox runs off"
    assert Path(extend.files[0]).read_bytes() == sim_video(sim, extend.apixo_task_id)


def test_many_tasks_run_at_once_and_spend_adds_up(sim, engine_kit):
    async def scenario() -> list[TaskRecord]:
        engine = engine_kit.engine(max_polls_in_flight=2)
        await engine.start()
        before = engine_kit_time()
        records = [
            await engine.submit(GenerationRequest(prompt=f"clip number {i}")) for i in range(6)
        ]
        done = [await engine.wait(r.local_id) for r in records]
        assert engine.spend(before) == Decimal("1.20")
        assert engine.spend(before + 10_000) == Decimal("0")
        assert await engine.balance() == Decimal("98.80") == engine.last_balance
        return done

    done = engine_kit.run(scenario)
    assert {r.state for r in done} == {TaskState.SUCCEEDED}
    names = {Path(r.files[0]).name for r in done}
    assert len(names) == 6


def engine_kit_time() -> float:
    import time

    return time.time() - 1


def test_remove_hides_a_finished_task_and_can_delete_its_files(sim, engine_kit):
    async def scenario() -> tuple[TaskRecord, TaskRecord]:
        engine = engine_kit.engine()
        await engine.start()
        first = await engine.submit(GenerationRequest(prompt="keep my file"))
        with pytest.raises(TaskBusyError):
            engine.remove(first.local_id, delete_files=True)
        first = await engine.wait(first.local_id)
        second = await engine.wait(
            (await engine.submit(GenerationRequest(prompt="bin it"))).local_id
        )

        engine.remove(first.local_id, delete_files=False)
        engine.remove(second.local_id, delete_files=True)

        assert engine.tasks() == []
        assert {r.local_id for r in engine.tasks(include_hidden=True)} == {
            first.local_id,
            second.local_id,
        }
        # Hidden tasks still count for spend history.
        assert engine.spend(0) == Decimal("0.40")
        return first, second

    first, second = engine_kit.run(scenario)
    assert Path(first.files[0]).exists()
    assert not Path(second.files[0]).exists()
    assert not Path(second.files[0] + ".json").exists()


def test_a_second_engine_on_the_same_data_folder_is_refused(sim, engine_kit):
    from veo_desktop.core.engine import EngineBusyError

    async def scenario() -> None:
        first = engine_kit.engine()
        await first.start()
        second = engine_kit.engine()
        with pytest.raises(EngineBusyError, match="Another Veo Desktop"):
            await second.start()
        await first.aclose()
        third = engine_kit.engine()
        await third.start()

    engine_kit.run(scenario)


def test_submitting_before_start_is_refused(sim, engine_kit):
    async def scenario() -> None:
        engine = engine_kit.engine()
        with pytest.raises(RuntimeError, match="Start the engine first"):
            await engine.submit(GenerationRequest(prompt="too early"))

    engine_kit.run(scenario)
    assert sim.requests == []


def test_a_failing_subscriber_does_not_stop_the_engine(sim, engine_kit):
    def broken(record: TaskRecord) -> None:
        raise RuntimeError("subscriber bug")

    async def scenario() -> TaskRecord:
        engine = engine_kit.engine()
        engine.subscribe(broken)
        unsubscribe = engine.subscribe_progress(lambda *a: 1 / 0)
        unsubscribe()
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="robust"))
        return await engine.wait(record.local_id)

    assert engine_kit.run(scenario).state is TaskState.SUCCEEDED


def test_aclose_mid_flight_then_a_new_engine_finishes_the_task(sim_factory, tmp_path):
    slow = sim_factory(duration=0.6)
    kit = EngineKit(base_url=slow.base_url, api_key=SIM_API_KEY, root=tmp_path / "data")

    async def first_run() -> str:
        engine = kit.engine()
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="interrupted"))
        await wait_until(lambda: engine.get(record.local_id).state is TaskState.PROCESSING)
        return record.local_id

    local_id = kit.run(first_run)

    async def second_run() -> TaskRecord:
        engine = kit.engine()
        assert engine.get(local_id).state is TaskState.PROCESSING
        await engine.start()
        return await engine.wait(local_id)

    done = kit.run(second_run)
    kit.close_stores()
    assert done.state is TaskState.SUCCEEDED
    assert len([r for r in slow.requests if r.method == "POST"]) == 1


def test_tasks_another_process_writes_before_start_are_shown_at_start(sim, engine_kit):
    """The window builds its engine (and lists the tasks) before start() takes the folder.

    A command line that sends or changes a task in between must not be overlooked: the
    task appears and its change is announced, once start() runs.
    """
    now = time.time()
    record = TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request=GenerationRequest(prompt="sent from the command line").to_payload(),
        state=TaskState.FAILED,
        created_at=now,
        updated_at=now,
        apixo_task_id="task_from_the_cli",
        fail_message="It failed on APIXO's side.",
        price=Decimal("0.20"),
    )

    async def scenario() -> tuple[list[str], list[str]]:
        engine = engine_kit.engine()
        announced: list[str] = []
        engine.subscribe(lambda changed: announced.append(changed.local_id))
        other = TaskStore.open(engine_kit.paths.store_path)  # its own connection, as the CLI's
        try:
            other.insert(record)
        finally:
            other.close()
        await engine.start()
        return [r.local_id for r in engine.tasks()], announced

    listed, announced = engine_kit.run(scenario)
    assert listed == [record.local_id]
    assert announced == [record.local_id]
