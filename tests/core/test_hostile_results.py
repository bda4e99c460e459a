"""Hostile answers against the engine (issue 12 #3, #6, #8, #13), on the real simulator.

What the person sees in the end: a named final state with a plain reason, the APIXO id and
result URLs kept, every video that could be downloaded in the library, and notes on the way
when APIXO says something the contract does not.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.core import FAST_TIMING, EngineKit, FakeClock, advance, wait_until
from veo_desktop.api.models import GenerationRequest
from veo_desktop.api.retry import NO_RETRY
from veo_desktop.core.engine import (
    DAMAGED_DOWNLOAD_TRIES,
    DOWNLOAD_FAILED_CODE,
    PERMANENT_DOWNLOAD_TRIES,
    UNUSABLE_RESULT_CODE,
    UNUSABLE_TASK_ID_CODE,
    TaskBusyError,
)
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.sim import Fault


@dataclasses.dataclass
class Run:
    record: TaskRecord
    notes: list[str]


def run_task(kit: EngineKit, sim: Any, faults: list[Fault], **engine_kwargs: Any) -> Run:
    notes: list[str] = []

    async def scenario() -> Run:
        engine = kit.engine(client=kit.client(read_retry=NO_RETRY), **engine_kwargs)
        engine.subscribe(
            lambda r: notes.append(r.note) if r.note and notes[-1:] != [r.note] else None
        )
        await engine.start()
        for fault in faults:
            sim.add_fault(fault)
        record = await engine.submit(GenerationRequest(prompt="a hostile answer"))
        return Run(await engine.wait(record.local_id), notes)

    return kit.run(scenario)


def media_gets(sim: Any) -> list[Any]:
    return [r for r in sim.requests if r.endpoint == "media" and r.method == "GET"]


def real_video(sim: Any, record: TaskRecord) -> bytes:
    return httpx.get(sim.tasks[record.apixo_task_id].result_url).content


# -- #6: permanent download failures end the task failed, with a way to try again ---------

PERMANENT_MEDIA = [
    Fault(endpoint="media", kind="http_error", status=404, times=-1),
    Fault(endpoint="media", kind="media_html", times=-1),
    Fault(endpoint="media", kind="media_huge", times=-1),
    Fault(endpoint="media", kind="media_gzip", times=-1),
    Fault(endpoint="media", kind="redirect_loop", times=-1),
]


@pytest.mark.parametrize(
    "fault", PERMANENT_MEDIA, ids=["404", "html", "huge", "gzip", "redirect-loop"]
)
def test_a_permanent_download_failure_ends_the_task_failed_after_a_few_tries(
    sim, engine_kit, fault
):
    run = run_task(engine_kit, sim, [fault])
    record = run.record
    assert record.state is TaskState.FAILED, record
    assert record.fail_code == DOWNLOAD_FAILED_CODE
    assert (record.fail_message or "").startswith("The video could not be downloaded: ")
    assert record.apixo_task_id and record.result_urls  # kept, for support and a retry
    assert record.files == ()
    tries = {r.path for r in media_gets(sim)}
    assert tries and len([r for r in media_gets(sim) if r.path in tries]) >= 1
    assert not list(engine_kit.library.glob("*.part"))


def test_a_video_damaged_every_time_is_given_up_and_a_cut_one_downloads_again(sim, engine_kit):
    damaged = run_task(engine_kit, sim, [Fault(endpoint="media", kind="media_close_cut", times=-1)])
    assert damaged.record.state is TaskState.FAILED
    assert damaged.record.fail_code == DOWNLOAD_FAILED_CODE
    assert "keeps sending a damaged video" in (damaged.record.fail_message or "")
    assert len(media_gets(sim)) == DAMAGED_DOWNLOAD_TRIES
    sim.clear_faults()
    sim.clear_requests()
    cut_once = run_task(engine_kit, sim, [Fault(endpoint="media", kind="media_close_cut")])
    assert cut_once.record.state is TaskState.SUCCEEDED


def test_a_video_above_the_size_limit_fails_after_a_few_tries_and_downloads_when_allowed(
    sim, engine_kit
):
    async def scenario() -> tuple[TaskRecord, TaskRecord]:
        engine = engine_kit.engine(max_download_bytes=1000)
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="too big for the limit"))
        failed = await engine.wait(record.local_id)
        await engine.aclose()
        roomy = engine_kit.engine()  # the person raised the limit in Settings
        await roomy.start()
        again = roomy.redownload(record.local_id)
        assert again.state is TaskState.DOWNLOADING and again.fail_code is None
        return failed, await roomy.wait(record.local_id)

    failed, done = engine_kit.run(scenario)
    assert failed.state is TaskState.FAILED and failed.fail_code == DOWNLOAD_FAILED_CODE
    assert "download limit" in (failed.fail_message or "")
    assert len(media_gets(sim)) == PERMANENT_DOWNLOAD_TRIES + 1
    assert done.state is TaskState.SUCCEEDED and done.note is None
    assert Path(done.files[0]).read_bytes() == real_video(sim, done)
    assert [c.state for c in done.history][-3:] == [
        TaskState.FAILED,
        TaskState.DOWNLOADING,
        TaskState.SUCCEEDED,
    ]


def test_download_again_after_the_server_recovered(sim, engine_kit):
    fault = Fault(endpoint="media", kind="media_html", times=PERMANENT_DOWNLOAD_TRIES)

    async def scenario() -> tuple[TaskRecord, TaskRecord]:
        engine = engine_kit.engine()
        await engine.start()
        sim.add_fault(fault)
        record = await engine.submit(GenerationRequest(prompt="an html page first"))
        failed = await engine.wait(record.local_id)
        engine.redownload(record.local_id)
        return failed, await engine.wait(record.local_id)

    failed, done = engine_kit.run(scenario)
    assert failed.state is TaskState.FAILED and failed.fail_code == DOWNLOAD_FAILED_CODE
    assert done.state is TaskState.SUCCEEDED
    assert Path(done.files[0]).read_bytes() == real_video(sim, done)


def test_download_again_is_refused_with_a_reason_for_other_tasks(sim, engine_kit):
    async def scenario() -> list[str]:
        engine = engine_kit.engine()
        await engine.start()
        running = await engine.submit(GenerationRequest(prompt="still running"))
        reasons = []
        with pytest.raises(TaskBusyError) as caught:
            engine.redownload(running.local_id)
        reasons.append(str(caught.value))
        done = await engine.wait(running.local_id)
        with pytest.raises(TaskBusyError) as caught:
            engine.redownload(done.local_id)
        reasons.append(str(caught.value))
        failed = await engine.wait(
            (await engine.submit(GenerationRequest(prompt="a #sensitive one"))).local_id
        )
        with pytest.raises(TaskBusyError) as caught:
            engine.redownload(failed.local_id)
        reasons.append(str(caught.value))
        return reasons

    reasons = engine_kit.run(scenario)
    assert "downloads by itself" in reasons[0]
    assert "already downloaded" in reasons[1]
    assert "no video to download" in reasons[2]


# -- #13: one bad URL among good ones -----------------------------------------------------


def test_one_missing_video_among_good_ones_is_noted_and_the_task_succeeds(sim, engine_kit):
    fault = Fault(endpoint="status", kind="extra_result_urls", count=1, times=-1)
    run = run_task(engine_kit, sim, [fault])
    record = run.record
    assert record.state is TaskState.SUCCEEDED, record
    assert len(record.result_urls) == 2
    (video,) = (Path(f) for f in record.files)
    assert video.read_bytes() == real_video(sim, record)
    assert (record.note or "").startswith("1 of 2 videos could not be downloaded: ")
    assert not list(engine_kit.library.glob("*.part"))


def test_one_refused_url_among_good_ones_is_given_up_at_once(sim, engine_kit):
    fault = Fault(
        endpoint="status",
        kind="extra_result_urls",
        count=1,
        value="http://203.0.113.9/clip.mp4",  # plain http elsewhere: never fetched
        times=-1,
    )
    run = run_task(engine_kit, sim, [fault])
    record = run.record
    assert record.state is TaskState.SUCCEEDED, record
    assert len(record.files) == 1
    assert (record.note or "").startswith("1 of 2 videos could not be downloaded: ")
    assert len(media_gets(sim)) == 1


def test_a_transient_error_on_one_url_keeps_the_task_downloading_until_it_arrives(sim, engine_kit):
    fault = Fault(endpoint="status", kind="extra_result_urls", count=1, times=-1)
    # Every other GET fails once (503) before answering; the task waits for all of them.
    flaky = Fault(endpoint="media", kind="http_error", status=503, times=2)
    run = run_task(engine_kit, sim, [fault, flaky])
    assert run.record.state is TaskState.SUCCEEDED
    assert len(run.record.files) == 1
    assert any("busy" in n for n in run.notes), run.notes


def test_a_failure_that_can_be_downloaded_again_keeps_the_good_video(sim, engine_kit):
    fault = Fault(endpoint="status", kind="extra_result_urls", count=1, times=-1)

    async def scenario() -> tuple[TaskRecord, str]:
        engine = engine_kit.engine(client=engine_kit.client(read_retry=NO_RETRY))
        await engine.start()
        sim.add_fault(fault)
        record = await engine.submit(GenerationRequest(prompt="one of two"))
        done = await engine.wait(record.local_id)
        engine.redownload(record.local_id)  # the missing one: tried again
        again = await engine.wait(record.local_id)
        return again, done.files[0]

    again, kept = engine_kit.run(scenario)
    assert again.state is TaskState.SUCCEEDED and again.files == (kept,)
    assert (again.note or "").startswith("1 of 2 videos could not be downloaded: ")


# -- #3: far too many result URLs ---------------------------------------------------------


def test_a_success_with_thousands_of_urls_fails_clearly_and_plans_nothing(sim, engine_kit):
    fault = Fault(endpoint="status", kind="extra_result_urls", times=-1)  # 10,000 extra
    run = run_task(engine_kit, sim, [fault])
    record = run.record
    assert record.state is TaskState.FAILED
    assert record.fail_code == UNUSABLE_RESULT_CODE
    assert "10001 video URLs" in (record.fail_message or "").replace(",", "")
    assert record.apixo_task_id in (record.fail_message or "")
    assert record.result_urls == () and record.files == ()
    store = engine_kit.store()
    assert store.planned_downloads(record.local_id) == []
    assert media_gets(sim) == []
    assert list(engine_kit.library.glob("*")) == []


# -- #8: unknown states and answers about another task ------------------------------------


def test_an_unknown_state_is_shown_on_the_task_while_polling_goes_on(sim, engine_kit):
    timing = dataclasses.replace(FAST_TIMING, slow_interval=0.1)
    fault = Fault(endpoint="status", kind="odd_state", value="queued", times=3)
    run = run_task(engine_kit, sim, [fault], timing=timing)
    assert any("APIXO answered an unknown state 'queued'" in n for n in run.notes), run.notes
    assert run.record.state is TaskState.SUCCEEDED and run.record.note is None


def test_an_answer_about_another_task_is_an_error_shown_on_the_task(sim, engine_kit):
    fault = Fault(endpoint="status", kind="odd_task_id", value="task_someone_else", times=2)
    run = run_task(engine_kit, sim, [fault])
    assert any(
        "another task ('task_someone_else')" in n and "retrying in" in n for n in run.notes
    ), run.notes
    assert run.record.state is TaskState.SUCCEEDED


def test_an_unknown_state_forever_polls_slowly_and_expires_with_the_reason(
    sim, engine_kit, fake_clock: FakeClock
):
    timing = PollTiming(slow_interval=1800.0, slow_after=600.0)
    polls: list[float] = []

    async def scenario() -> TaskRecord:
        client = engine_kit.client(read_retry=NO_RETRY)
        engine = engine_kit.engine(clock=fake_clock, client=client, timing=timing)
        engine.subscribe(lambda r: polls.append(fake_clock.now))
        await engine.start()
        sim.add_fault(Fault(endpoint="status", kind="odd_state", times=-1))
        record = await engine.submit(GenerationRequest(prompt="queued forever"))
        await advance(fake_clock, engine, 3600)
        note = engine.get(record.local_id).note or ""
        assert "APIXO answered an unknown state 'queued'" in note
        assert engine.get(record.local_id).is_active
        await advance(fake_clock, engine, 2 * 86400)
        await wait_until(lambda: not engine.get(record.local_id).is_active)
        return engine.get(record.local_id)

    record = engine_kit.run(scenario)
    assert record.state is TaskState.EXPIRED
    assert "unknown state 'queued'" in (record.fail_message or "")
    statuses = [r for r in sim.requests if r.endpoint == "status"]
    assert len(statuses) <= 2 * 86400 / 1800 + 5  # slowly: every slow_interval


# -- #5: answers that used to stop polling for good ---------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault(endpoint="status", kind="nested_json", times=2),
        Fault(endpoint="status", kind="odd_task_id", times=2),  # a 200,000-character taskId
    ],
    ids=["nested-json", "huge-task-id"],
)
def test_a_hostile_status_answer_is_a_note_and_polling_goes_on(sim, engine_kit, fault):
    run = run_task(engine_kit, sim, [fault])
    assert run.notes and all(len(n) <= 600 for n in run.notes), run.notes
    assert any("retrying in" in n for n in run.notes), run.notes
    assert run.record.state is TaskState.SUCCEEDED and run.record.note is None
    assert Path(run.record.files[0]).read_bytes() == real_video(sim, run.record)


# -- a stored APIXO id no request may carry (written by an older version) --------------------


def test_a_stored_insane_task_id_ends_failed_without_a_request(sim, engine_kit):
    store = engine_kit.store()
    record = TaskRecord(
        local_id="f" * 32,
        model="veo-3-1",
        request=GenerationRequest(prompt="kept by an old version").to_payload(),
        state=TaskState.PENDING,
        created_at=time.time(),
        updated_at=time.time(),
        apixo_task_id="task\n" + "x" * 5000,
    )
    store.insert(record)

    async def scenario() -> TaskRecord:
        engine = engine_kit.engine(store=store)
        await engine.start()
        return await engine.wait(record.local_id)

    sim.clear_requests()
    ended = engine_kit.run(scenario)
    assert ended.state is TaskState.FAILED
    assert ended.fail_code == UNUSABLE_TASK_ID_CODE
    assert "cannot be asked about" in (ended.fail_message or "")
    assert "\n" not in (ended.fail_message or "")
    assert [r for r in sim.requests if r.endpoint == "status"] == []


# -- APIXO's completeTime is believed only when it is sane ------------------------------------


@pytest.mark.parametrize(
    "complete_time", [10**18, 5], ids=["microseconds-in-the-future", "seconds-near-the-epoch"]
)
def test_an_odd_complete_time_neither_keeps_a_download_forever_nor_ends_it_at_once(
    sim, engine_kit, complete_time
):
    clock = FakeClock()
    timing = dataclasses.replace(FAST_TIMING, result_lifetime=3600.0)
    store = engine_kit.store()
    record = TaskRecord(
        local_id="e" * 32,
        model="veo-3-1",
        request=GenerationRequest(prompt="odd times").to_payload(),
        state=TaskState.DOWNLOADING,
        created_at=clock.now - 60,
        updated_at=clock.now,
        apixo_task_id="task_odd_times",
        result_urls=(f"{sim.origin}/media/task_odd_times.mp4",),
        results_at=clock.now,
        api_complete_time=complete_time,
    )
    store.insert(record)
    sim.add_fault(Fault(endpoint="media", kind="http_error", status=500, times=-1))

    async def scenario() -> tuple[TaskState, TaskState]:
        engine = engine_kit.engine(store=store, clock=clock, timing=timing)
        await engine.start()
        await advance(clock, engine, 600)  # a few failed tries, well within the hour
        early = engine.get(record.local_id).state
        await advance(clock, engine, 3600)
        return early, engine.get(record.local_id).state

    early, late = engine_kit.run(scenario)
    assert early is TaskState.DOWNLOADING  # not ended at the first error
    assert late is TaskState.EXPIRED  # but ended a lifetime after the result was seen
