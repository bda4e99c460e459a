"""Batches: files validated up front, a runner that never loses or repeats an item.

The runner tests go through the real engine, a real sqlite store and the simulator over
loopback; the "kill" tests SIGKILL a child process running a batch (at a random moment
and at named points), restart the batch here, and count the simulator's POSTs.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.core import EngineKit, wait_until
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import ExtendRequest, GenerationRequest, Model
from veo_desktop.core.batch import (
    MAX_VARIATIONS,
    BatchBackoff,
    BatchBusyError,
    BatchFileError,
    BatchItem,
    BatchJournal,
    BatchJournalError,
    BatchProgress,
    BatchRunner,
    ItemState,
    journal_dir,
    journal_path,
    parse_batch_file,
    parse_batch_text,
    total_price,
    unfinished_journals,
    unsent_indexes,
    variation_requests,
)
from veo_desktop.core.crashpoints import KILL_POINT_ENV
from veo_desktop.core.engine import TaskEngine
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.reject import RejectReason
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.sim import Fault

REPO = Path(__file__).resolve().parents[2]
QUICK = BatchBackoff(initial=0.05, max_delay=0.2, network_failures=3)

# -- parsing ------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_become_requests_with_their_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "shots.csv",
        "\ufeffPrompt,Mode,Type,Aspect,Image,Image,Seed,Watermark\n"
        "A red fox in snow,fast,text,16:9,,,42,\n"
        "\n"
        '"A calm ocean,\nturning into a storm",Quality,frames,9:16,'
        "https://example.com/a.jpg;https://example.com/b.jpg,,,Studio\n"
        "Turn these into an action shot,fast,REFERENCE_2_VIDEO,16:9,"
        "https://example.com/1.png,https://example.com/2.png,7,\n",
    )
    items = parse_batch_file(path)
    assert [item.line for item in items] == [2, 4, 6]
    fox, ocean, refs = (item.request for item in items)
    assert fox == GenerationRequest(prompt="A red fox in snow", seed=42)
    assert isinstance(ocean, GenerationRequest)
    assert ocean.prompt == "A calm ocean,\nturning into a storm"
    assert ocean.mode == "quality"
    assert ocean.generation_type == "FIRST_AND_LAST_FRAMES_2_VIDEO"
    assert ocean.aspect_ratio == "9:16"
    assert ocean.image_urls == ("https://example.com/a.jpg", "https://example.com/b.jpg")
    assert ocean.watermark == "Studio"
    assert isinstance(refs, GenerationRequest)
    assert refs.image_urls == ("https://example.com/1.png", "https://example.com/2.png")
    assert total_price(items) == Decimal("1.90")


def test_csv_reports_every_bad_row_with_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        "prompt,mode,type,aspect,image,seed\n"
        "Fine row,fast,text,16:9,,\n"
        ",fast,text,16:9,,\n"
        "Too slow,slow,text,16:9,,\n"
        "Reference in quality,quality,reference,9:16,https://example.com/r.jpg,\n"
        "Bad seed,fast,text,16:9,,12x\n"
        "Frames without image,fast,frames,16:9,,\n"
        "Text with image,fast,text,16:9,ftp://example.com/a.jpg,\n",
    )
    with pytest.raises(BatchFileError) as caught:
        parse_batch_file(path)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert (2, "prompt") not in found
    assert (3, "prompt") in found
    assert (4, "mode") in found
    assert (5, "mode") in found and (5, "aspect_ratio") in found
    assert (6, "seed") in found
    assert (7, "image_urls") in found
    assert (8, "image_urls") in found
    assert [p.line for p in caught.value.problems] == sorted(p.line for p in caught.value.problems)
    text = str(caught.value)
    assert "nothing was sent" in text and "line 4, mode" in text


def test_csv_header_problems(tmp_path: Path) -> None:
    with pytest.raises(BatchFileError) as caught:
        parse_batch_file(write(tmp_path, "a.csv", "promt,mode\nA fox,fast\n"))
    assert caught.value.problems[0].line == 1
    assert "Unknown column 'promt'" in caught.value.problems[0].message
    with pytest.raises(BatchFileError) as caught:
        parse_batch_file(write(tmp_path, "b.csv", "mode\nfast\n"))
    assert caught.value.problems[0].field == "prompt"
    with pytest.raises(BatchFileError) as caught:
        parse_batch_file(write(tmp_path, "c.csv", "prompt\nA fox,extra cell\n"))
    assert caught.value.problems[0].line == 2
    with pytest.raises(BatchFileError, match="holds no requests"):
        parse_batch_file(write(tmp_path, "d.csv", "prompt,mode\n\n"))
    with pytest.raises(BatchFileError, match=r"\.csv or \.jsonl"):
        parse_batch_file(write(tmp_path, "e.txt", "prompt\nA fox\n"))


def test_jsonl_accepts_api_names_whole_bodies_and_cli_names(tmp_path: Path) -> None:
    body = GenerationRequest(
        prompt="Whole body", mode="quality", aspect_ratio="auto", seed=3
    ).to_payload()
    lines = [
        json.dumps(
            {"prompt": "API names", "generationType": "TEXT_2_VIDEO", "aspect_ratio": "9:16"}
        ),
        "",
        json.dumps(body),
        json.dumps(
            {
                "prompt": "CLI names",
                "type": "frames",
                "aspect": "16:9",
                "image": "https://x.io/a.png",
            }
        ),
        json.dumps({"prompt": "More", "seed": "12", "watermark": "w", "enableTranslation": False}),
        json.dumps({"taskId": "task_abc", "prompt": "Extend it", "mode": "quality"}),
    ]
    items = parse_batch_file(write(tmp_path, "b.jsonl", "\n".join(lines) + "\n"))
    assert [i.line for i in items] == [1, 3, 4, 5, 6]
    assert items[0].request == GenerationRequest(prompt="API names", aspect_ratio="9:16")
    assert items[1].request == GenerationRequest.from_payload(body)
    assert items[2].request == GenerationRequest(
        prompt="CLI names",
        generation_type="FIRST_AND_LAST_FRAMES_2_VIDEO",
        image_urls=("https://x.io/a.png",),
    )
    more = items[3].request
    assert isinstance(more, GenerationRequest)
    assert (more.seed, more.watermark, more.enable_translation) == (12, "w", False)
    assert items[4].request == ExtendRequest(task_id="task_abc", prompt="Extend it", mode="quality")
    assert items[4].request.model == Model.EXTEND


def test_jsonl_problems_carry_their_line(tmp_path: Path) -> None:
    lines = [
        json.dumps({"prompt": "ok"}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"prompt": "x", "aspect_raito": "9:16"}),
        json.dumps({"prompt": "x", "seed": True}),
        json.dumps({"taskId": "t1", "prompt": "x", "aspect": "9:16"}),
        json.dumps({"prompt": 5}),
    ]
    with pytest.raises(BatchFileError) as caught:
        parse_batch_text("\n".join(lines), kind="jsonl", source="x.jsonl")
    found = {(p.line, p.field) for p in caught.value.problems}
    assert (2, "line") in found
    assert (3, "line") in found
    assert (4, "aspect_raito") in found
    assert (5, "seed") in found
    assert (6, "aspect_ratio") in found
    assert (7, "prompt") in found
    assert all(p.line != 1 for p in caught.value.problems)
    assert str(caught.value).startswith("x.jsonl: ")


def test_variations_have_distinct_seeds_and_keep_the_persons_seed() -> None:
    base = GenerationRequest(prompt="A lighthouse", seed=77)
    made = variation_requests(base, 5, seed_source=1)
    assert len(made) == 5
    assert made[0].seed == 77
    assert len({r.seed for r in made}) == 5
    assert all(r.replace(seed=None) == base.replace(seed=None) for r in made)
    assert variation_requests(base, 5, seed_source=1) == made  # a seeded source repeats
    randomised = variation_requests(GenerationRequest(prompt="A lighthouse"), MAX_VARIATIONS)
    assert len({r.seed for r in randomised}) == MAX_VARIATIONS
    assert all(r.seed is not None for r in randomised)
    extend = variation_requests(ExtendRequest(task_id="t", prompt="more"), 3, random.Random(2))
    assert len({r.seed for r in extend}) == 3
    for bad in (0, 9, -1):
        with pytest.raises(ValueError, match="from 1 to 8"):
            variation_requests(base, bad)
    with pytest.raises(ValueError, match="same seeds"):
        variation_requests(GenerationRequest(prompt="x"), 2, seed_source=lambda: 5)


def test_backoff_honours_retry_after_then_grows() -> None:
    backoff = BatchBackoff(initial=2.0, multiplier=2.0, max_delay=30.0, max_retry_after=60.0)
    assert backoff.delay(1, 7.0) == 7.0
    assert backoff.delay(1, None) == 2.0
    assert backoff.delay(2, None) == 4.0
    assert backoff.delay(3, 1.0) == 8.0  # grown past a short Retry-After
    assert backoff.delay(9, None) == 30.0
    assert backoff.delay(1, 3600.0) == 60.0


# -- running ------------------------------------------------------------------------------


def items_of(*prompts: str, mode: str = "fast") -> list[BatchItem]:
    return [BatchItem(n + 1, GenerationRequest(prompt=p, mode=mode)) for n, p in enumerate(prompts)]


def posts(sim: Any) -> Counter[str]:
    """How many submissions reached the simulator, per prompt."""
    return Counter(
        r.body["input"]["prompt"]
        for r in sim.requests
        if r.endpoint in ("submit", "extend_submit") and isinstance(r.body, dict)
    )


def created(sim: Any) -> Counter[str]:
    """How many tasks the simulator made (and charged), per prompt."""
    return Counter(info.prompt for info in sim.tasks.values())


def rows(engine: TaskEngine, prompt: str) -> list[Any]:
    return [r for r in engine.tasks(include_hidden=True) if r.prompt == prompt]


async def started(kit: EngineKit) -> TaskEngine:
    engine = kit.engine()
    await engine.start(resume=False)
    return engine


def test_batch_respects_the_concurrency_limit_and_sends_each_item_once(
    engine_kit: EngineKit, sim: Any, tmp_path: Path
) -> None:
    prompts = [f"concurrency clip {n}" for n in range(6)]
    items = items_of(*prompts)
    seen: list[BatchProgress] = []
    sim.add_fault(Fault(endpoint="submit", kind="delay", delay=0.15, times=-1))
    journal = journal_path(tmp_path / "batches", items)

    async def scenario() -> Any:
        engine = await started(engine_kit)
        runner = BatchRunner(engine, items, concurrency=2, on_progress=seen.append, journal=journal)
        result = await runner.run()
        return engine, result

    engine, result = engine_kit.run(scenario)
    assert result.complete and result.stopped is None
    assert [s.state for s in result.items] == [ItemState.SUBMITTED] * 6
    assert posts(sim) == Counter(prompts)
    assert max(p.sending for p in seen) == 2
    assert seen[-1].finished and seen[-1].submitted == 6
    assert seen[-1].summary() == "6 of 6 submitted"
    local_ids = [s.local_id for s in result.items]
    assert len(set(local_ids)) == 6
    assert all(engine.get(str(i)).state is TaskState.PENDING for i in local_ids)
    saved = BatchJournal.load(journal)
    assert saved.finished
    assert [saved.entries[n].local_id for n in range(6)] == local_ids
    assert unfinished_journals(journal.parent) == []


def test_rate_limits_slow_the_batch_without_losing_or_repeating_items(
    engine_kit: EngineKit, sim: Any, tmp_path: Path
) -> None:
    prompts = [f"rate limited clip {n}" for n in range(5)]
    items = items_of(*prompts)
    # The client tries each POST twice (FAST_RETRY); five 429s make the batch itself back off.
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=429, retry_after=0.2, times=5))
    seen: list[BatchProgress] = []
    pauses: list[float] = []

    def watch(progress: BatchProgress) -> None:
        seen.append(progress)
        if progress.paused_until is not None:
            pauses.append(progress.paused_until - time.time())

    async def scenario() -> Any:
        engine = await started(engine_kit)
        runner = BatchRunner(
            engine,
            items,
            concurrency=3,
            on_progress=watch,
            journal=tmp_path / "batch.json",
            backoff=QUICK,
        )
        return engine, await runner.run()

    engine, result = engine_kit.run(scenario)
    assert result.complete
    assert created(sim) == Counter(prompts), "each item made exactly one task"
    assert any(p.paused_until is not None for p in seen)
    assert any("rate limiting" in (p.note or "") for p in seen)
    for prompt, status in zip(prompts, result.items, strict=True):
        visible = [r for r in rows(engine, prompt) if not r.hidden]
        assert [r.local_id for r in visible] == [status.local_id]
        assert visible[0].state is TaskState.PENDING
        for old in rows(engine, prompt):
            if old.local_id != status.local_id:
                assert old.state is TaskState.REJECTED and old.fail_code == "HTTP 429"
                assert old.hidden and old.resubmitted_as is not None
    # The first pause honoured Retry-After (0.2 s); the batch slowed to fewer at once.
    assert max(pauses) >= 0.15


def test_a_stopped_batch_resumes_with_only_the_items_never_sent(
    engine_kit: EngineKit, sim: Any, tmp_path: Path
) -> None:
    prompts = [f"resumed clip {n}" for n in range(5)]
    items = items_of(*prompts)
    journal = journal_path(journal_dir(tmp_path), items)

    async def first() -> Any:
        engine = await started(engine_kit)
        runner: BatchRunner

        def stop_after_two(progress: BatchProgress) -> None:
            if progress.submitted >= 2:
                runner.cancel()

        runner = BatchRunner(
            engine, items, concurrency=1, on_progress=stop_after_two, journal=journal
        )
        return await runner.run()

    result = engine_kit.run(first)
    assert result.stopped and len(result.submitted) == 2 and len(result.unsent) == 3
    assert [j.path for j in unfinished_journals(journal.parent)] == [journal]

    async def second() -> Any:
        engine = await started(engine_kit)
        runner = BatchRunner.resume(engine, journal, concurrency=2)
        return engine, await runner.run()

    engine, again = engine_kit.run(second)
    assert again.complete
    assert posts(sim) == Counter(prompts)
    assert [s.local_id for s in again.items[:2]] == [s.local_id for s in result.items[:2]]
    assert all(len(rows(engine, p)) == 1 for p in prompts)
    assert unfinished_journals(journal.parent) == []


def test_rejections_uncertainty_and_a_low_balance(
    engine_kit: EngineKit, sim: Any, tmp_path: Path
) -> None:
    """400 is final, a lost answer is never re-sent, 402 stops the batch until resumed."""
    prompts = ["refused by APIXO", "answer lost", "paid one", "needs balance", "also waits"]
    items = items_of(*prompts)
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=400, times=1))
    sim.add_fault(Fault(endpoint="submit", kind="reset", accept_first=True, times=1))
    journal = tmp_path / "j.json"

    async def first() -> Any:
        engine = await started(engine_kit)

        def low_balance(progress: BatchProgress) -> None:
            if progress.submitted == 1:
                sim.balance = 0.1

        runner = BatchRunner(engine, items, concurrency=1, on_progress=low_balance, journal=journal)
        return await runner.run()

    result = engine_kit.run(first)
    states = [s.state for s in result.items]
    assert states[:3] == [ItemState.REJECTED, ItemState.UNCERTAIN, ItemState.SUBMITTED]
    assert states[3:] == [ItemState.WAITING, ItemState.WAITING]
    assert result.stopped is not None and "balance" in result.stopped.lower()
    assert "400" in str(result.items[0].message)

    sim.balance = 50.0

    async def second() -> Any:
        engine = await started(engine_kit)
        return engine, await BatchRunner.resume(engine, journal).run()

    engine, again = engine_kit.run(second)
    assert [s.state for s in again.items] == [
        ItemState.REJECTED,
        ItemState.UNCERTAIN,
        ItemState.SUBMITTED,
        ItemState.SUBMITTED,
        ItemState.SUBMITTED,
    ]
    sent = posts(sim)
    assert sent["refused by APIXO"] == 1 and sent["answer lost"] == 1 and sent["paid one"] == 1
    assert created(sim)["needs balance"] == 1 and created(sim)["also waits"] == 1
    refused = rows(engine, "needs balance")
    assert sorted(r.state.value for r in refused) == ["pending", "rejected"]
    assert next(r for r in refused if r.state is TaskState.REJECTED).hidden


def test_resuming_decides_from_the_stored_reject_reason_not_the_fail_code_text(
    engine_kit: EngineKit, sim: Any, tmp_path: Path
) -> None:
    """Whether a refused item is sent again comes from ``reject_reason`` alone: a rate-limited
    row whose code text is unfamiliar (an error class renamed since) is sent again; a row
    refused for its content is not, even with a code text that once meant "not taken"."""
    prompts = ["rate limited, renamed code", "refused, 429-looking code", "never sent"]
    items = items_of(*prompts)
    reasons = [
        (RejectReason.RATE_LIMITED, "RenamedConnectionError"),
        (RejectReason.REFUSED, "HTTP 429"),
    ]
    journal = BatchJournal.open(tmp_path / "j.json", items)
    store = engine_kit.store()
    now = time.time()
    for index, (reason, code) in enumerate(reasons):
        request = items[index].request
        row = TaskRecord(
            local_id=f"{index:032d}",
            model=request.model.value,
            request=request.to_payload(),
            state=TaskState.REJECTED,
            created_at=now,
            updated_at=now,
            price=request.price,
            fail_code=code,
            fail_message="refused",
            reject_reason=reason,
            history=(StateChange(now, TaskState.REJECTED),),
        )
        store.insert(row)
        journal.mark_sending(index, [])
        journal.link(index, row.local_id)

    async def scenario() -> Any:
        engine = engine_kit.engine(store=store)
        await engine.start(resume=False)
        unsent = unsent_indexes(journal, engine)
        return engine, unsent, await BatchRunner.resume(engine, journal.path).run()

    engine, unsent, result = engine_kit.run(scenario)
    assert unsent == [0, 2]
    assert [s.state for s in result.items] == [
        ItemState.SUBMITTED,
        ItemState.REJECTED,
        ItemState.SUBMITTED,
    ]
    assert created(sim) == Counter([prompts[0], prompts[2]])
    assert engine.get(str(result.items[0].local_id)).resubmit_of == f"{0:032d}"


def test_identical_items_are_two_tasks_and_a_journal_belongs_to_its_batch(
    engine_kit: EngineKit, sim: Any, tmp_path: Path
) -> None:
    items = items_of("twin clip", "twin clip")
    journal = tmp_path / "twins.json"

    async def scenario() -> Any:
        engine = await started(engine_kit)
        result = await BatchRunner(engine, items, concurrency=2, journal=journal).run()
        again = await BatchRunner(engine, items, concurrency=2, journal=journal).run()
        return engine, result, again

    _, result, again = engine_kit.run(scenario)
    assert result.complete and again.complete
    assert posts(sim)["twin clip"] == 2, "running a finished batch again sends nothing"
    assert len({s.local_id for s in result.items}) == 2
    with pytest.raises(BatchJournalError, match="different batch"):
        BatchJournal.open(journal, items_of("another clip"))


def test_one_batch_at_a_time(engine_kit: EngineKit, sim: Any, tmp_path: Path) -> None:
    items = items_of("busy clip")
    sim.add_fault(Fault(endpoint="submit", kind="delay", delay=0.2, times=1))

    async def scenario() -> None:
        import asyncio

        engine = await started(engine_kit)
        first = BatchRunner(engine, items, journal=tmp_path / "busy.json")
        second = BatchRunner(engine, items, journal=tmp_path / "busy.json")
        running = asyncio.get_running_loop().create_task(first.run())
        await wait_until(lambda: first.running, message="the first run to start")
        with pytest.raises(BatchBusyError):
            await second.run()
        with pytest.raises(BatchBusyError):
            await first.run()
        await running

    engine_kit.run(scenario)
    assert posts(sim)["busy clip"] == 1


# -- killed mid-way -------------------------------------------------------------------------

CHILD = """
import asyncio, json, sys
from pathlib import Path
from veo_desktop.api.client import ApixoClient
from veo_desktop.api.retry import RetryPolicy
from veo_desktop.core.batch import BatchBackoff, BatchRunner, journal_dir, journal_path
from veo_desktop.core.batch import parse_batch_file
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.timing import PollTiming
from veo_desktop.storage.store import TaskStore

async def main(base_url, key, data, batch, concurrency):
    data = Path(data)
    items = parse_batch_file(batch)
    store = TaskStore.open(data / "tasks.sqlite3")
    client = ApixoClient(key, base_url=base_url,
                         submit_retry=RetryPolicy(max_attempts=2, initial_delay=0.01))
    engine = TaskEngine(client=client, store=store, library_dir=data / "videos",
                        timing=PollTiming(first_poll_fast=3600, first_poll_quality=3600))
    await engine.start(resume=False)
    runner = BatchRunner(engine, items, concurrency=int(concurrency), source=batch,
                         journal=journal_path(journal_dir(data), items),
                         backoff=BatchBackoff(initial=0.05, max_delay=0.2))
    result = await runner.run()
    print(json.dumps([s.state.value for s in result.items]))
    await engine.aclose()
    await client.aclose()
    store.close()

asyncio.run(main(*sys.argv[1:]))
"""


def child(
    sim: Any, data: Path, batch: Path, *, concurrency: int, kill_point: str | None = None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != KILL_POINT_ENV}
    env["PYTHONPATH"] = str(REPO)
    if kill_point:
        env[KILL_POINT_ENV] = kill_point
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            sim.base_url,
            SIM_API_KEY,
            str(data),
            str(batch),
            str(concurrency),
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def restart_and_check(
    kit: EngineKit, sim: Any, batch: Path, prompts: list[str]
) -> tuple[TaskEngine, list[ItemState]]:
    """Resume the batch here and check: every item has one task, none was POSTed twice."""
    before = posts(sim)
    items = parse_batch_file(batch)

    async def resume() -> Any:
        engine = await started(kit)
        runner = BatchRunner(
            engine, items, concurrency=2, journal=journal_path(journal_dir(kit.root), items)
        )
        return engine, await runner.run()

    engine, result = kit.run(resume)
    sent = posts(sim)
    assert all(count <= 1 for count in sent.values()), f"an item was sent twice: {sent}"
    for prompt, status in zip(prompts, result.items, strict=True):
        visible = [r for r in rows(engine, prompt) if not r.hidden]
        assert len(visible) == 1, f"{prompt}: {visible}"
        assert status.local_id == visible[0].local_id
        if before[prompt]:
            # Sent before the kill: never sent again, whatever became of it.
            assert sent[prompt] == 1
            assert status.state in (ItemState.SUBMITTED, ItemState.UNCERTAIN)
        if visible[0].state is TaskState.UNCERTAIN:
            assert sent[prompt] <= 1
        else:
            assert visible[0].charged and sent[prompt] == 1
    assert created(sim) <= Counter(prompts)
    # Every task APIXO made is known to the store (none lost).
    apixo_ids = {r.apixo_task_id for r in engine.tasks(include_hidden=True)}
    uncertain = [r for r in engine.tasks() if r.state is TaskState.UNCERTAIN]
    missing = [t for t in sim.created_task_ids if t not in apixo_ids]
    assert len(missing) <= len(uncertain)
    return engine, [s.state for s in result.items]


def batch_file(tmp_path: Path, prompts: list[str]) -> Path:
    return write(tmp_path, "batch.csv", "prompt,mode\n" + "".join(f"{p},fast\n" for p in prompts))


def test_a_batch_killed_mid_way_and_restarted_loses_and_repeats_nothing(
    engine_kit: EngineKit, sim: Any, tmp_path: Path
) -> None:
    prompts = [f"killed batch clip {n}" for n in range(8)]
    batch = batch_file(tmp_path, prompts)
    # Every answer comes late (APIXO takes the task at once), so the kill lands mid-POST.
    sim.add_fault(Fault(endpoint="submit", kind="delay", delay=0.4, accept_first=True, times=-1))
    process = child(sim, engine_kit.root, batch, concurrency=2)
    deadline = time.monotonic() + 30
    while sum(posts(sim).values()) < 4:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the batch did not start"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    process.communicate()
    sent_before = sum(posts(sim).values())
    assert 4 <= sent_before < len(prompts)
    sim.clear_faults()

    _, states = restart_and_check(engine_kit, sim, batch, prompts)
    assert sum(posts(sim).values()) == len(prompts)
    assert states.count(ItemState.UNCERTAIN) >= 1, "the kill interrupted a POST"
    assert states.count(ItemState.SUBMITTED) + states.count(ItemState.UNCERTAIN) == len(prompts)


@pytest.mark.parametrize(
    ("point", "posted", "uncertain"),
    [
        # The journal says "sending", no row yet: the item is sent after the restart.
        ("batch.sending_recorded:3", True, False),
        # The row is written but not yet linked in the journal; the POST never left.
        ("batch.row_seen:3", False, True),
        # The row is linked in the journal; the POST never left.
        ("batch.row_linked:3", False, True),
        ("submit.row_committed:3", False, True),
        # APIXO took it, but its task id was not committed: uncertain, never re-sent.
        ("submit.answered:3", True, True),
        # Accepted and committed; only the runner had not heard of it yet.
        ("submit.id_committed:3", True, False),
    ],
)
def test_a_batch_killed_at_each_step_of_a_submission(
    engine_kit: EngineKit, sim: Any, tmp_path: Path, point: str, posted: bool, uncertain: bool
) -> None:
    prompts = [f"{point.split(':')[0]} clip {n}" for n in range(5)]
    batch = batch_file(tmp_path, prompts)
    process = child(sim, engine_kit.root, batch, concurrency=1, kill_point=point)
    _, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, err.decode()
    assert sum(posts(sim).values()) == (3 if posted and "sending" not in point else 2)
    _, states = restart_and_check(engine_kit, sim, batch, prompts)
    assert states.count(ItemState.UNCERTAIN) == (1 if uncertain else 0)
    assert states[2] is (ItemState.UNCERTAIN if uncertain else ItemState.SUBMITTED)
    assert sum(posts(sim).values()) == (5 if posted else 4)


def test_journal_is_plain_json_with_the_items(tmp_path: Path) -> None:
    items = items_of("one", "two")
    journal = BatchJournal.open(tmp_path / "j" / "batch.json", items, source="f.csv")
    journal.mark_sending(0, ["x"])
    journal.link(0, "abc")
    loaded = BatchJournal.load(journal.path)
    assert loaded.items == items and loaded.source == "f.csv"
    assert loaded.entries[0].local_id == "abc" and loaded.entries[0].known == ["x"]
    journal.path.write_text("{broken", encoding="utf-8")
    with pytest.raises(BatchJournalError, match="Cannot read"):
        BatchJournal.load(journal.path)
    journal.path.write_text("{}", encoding="utf-8")
    with pytest.raises(BatchJournalError, match="not a Veo Desktop batch journal"):
        BatchJournal.load(journal.path)
    assert unfinished_journals(tmp_path / "nothing-here") == []


def test_a_refused_item_the_person_resubmitted_meanwhile_is_not_sent_again(
    engine_kit: EngineKit, sim: Any, tmp_path: Path
) -> None:
    import asyncio

    items = items_of("person acts first")
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=429, times=2))
    acted: list[asyncio.Task[Any]] = []

    async def scenario() -> Any:
        engine = await started(engine_kit)
        runner: BatchRunner

        def on_progress(progress: BatchProgress) -> None:
            refused = runner.statuses[0].local_id
            if progress.paused_until is not None and refused and not acted:
                # The person presses "Retry" on the refused row during the pause.
                acted.append(asyncio.get_running_loop().create_task(engine.resubmit(refused)))

        runner = BatchRunner(
            engine,
            items,
            on_progress=on_progress,
            journal=tmp_path / "j.json",
            backoff=BatchBackoff(initial=0.5),
        )
        result = await runner.run()
        return engine, result, await acted[0]

    _, result, theirs = engine_kit.run(scenario)
    assert result.complete
    assert result.items[0].state is ItemState.SUBMITTED
    assert result.items[0].local_id == theirs.local_id
    assert created(sim) == Counter(["person acts first"])
    assert BatchJournal.load(tmp_path / "j.json").entries[0].local_id == theirs.local_id
