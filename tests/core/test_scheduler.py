"""The poll scheduler under a fake clock: real polls to the simulator, fake waiting.

The simulator keeps tasks running (long durations) so every poll is counted against the
ideal schedule: the first poll 75 s (fast) / 90 s (quality) after submission, then every
5-10 s (here 7.5 s: the jitter source is fixed), then every ``slow_interval`` once a task
takes longer than ``slow_after``, and never after a final state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from typing import Any

import httpx
import pytest

from tests.fixtures.core import EngineKit, FakeClock, advance, wait_until
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.client import ApixoClient
from veo_desktop.api.models import GenerationRequest, Model
from veo_desktop.api.responses import TaskStatus
from veo_desktop.api.retry import NO_RETRY
from veo_desktop.core.engine import SLOW_NOTE
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.sim import Fault

TIMING = PollTiming()  # the real defaults
HALF = 0.5  # jitter source: every 5-10 s interval is 7.5 s


class SpyClient(ApixoClient):
    """The real client, noting the fake time of each status request and the concurrency."""

    def __init__(self, clock: FakeClock, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock
        self.calls: list[tuple[float, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def status(self, task_id: str, *, model: str = Model.VEO) -> TaskStatus:
        self.calls.append((self.clock.now, task_id))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await super().status(task_id, model=model)
        finally:
            self.in_flight -= 1

    def times(self, task_id: str | None = None) -> list[float]:
        return [t for t, i in self.calls if task_id is None or i == task_id]


def ideal_poll_times(
    timing: PollTiming, mode: str, horizon: float, rng: float = HALF
) -> list[float]:
    """When polls are due for a task submitted at 0 that never finishes."""
    times: list[float] = []
    t = timing.first_poll(mode)
    while t <= horizon:
        times.append(t)
        if t >= timing.result_lifetime:
            break
        gap = timing.interval_min + (timing.interval_max - timing.interval_min) * rng
        t += timing.slow_interval if t >= timing.slow_after else gap
    return times


@pytest.fixture
def slow_sim(sim_factory):
    """Tasks stay 'processing' for an hour of real time: every poll is answered 'running'."""
    return sim_factory(duration=3600)


def make(kit: EngineKit, clock: FakeClock, timing: PollTiming = TIMING, **kwargs: Any):
    client = SpyClient(
        clock, SIM_API_KEY, base_url=kit.base_url, read_retry=NO_RETRY, submit_retry=NO_RETRY
    )
    kit._clients.append(client)
    engine = kit.engine(clock=clock, client=client, timing=timing, rng=lambda: HALF, **kwargs)
    return engine, client


def kit_for(sim, tmp_path) -> EngineKit:
    return EngineKit(base_url=sim.base_url, api_key=SIM_API_KEY, root=tmp_path / "data")


def relative(times: list[float], origin: float) -> list[float]:
    return [round(t - origin, 6) for t in times]


@pytest.mark.parametrize(("mode", "first"), [("fast", 75.0), ("quality", 90.0)])
def test_polls_follow_the_ideal_schedule_exactly(slow_sim, tmp_path, fake_clock, mode, first):
    kit = kit_for(slow_sim, tmp_path)

    async def scenario() -> None:
        engine, client = make(kit, fake_clock)
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="steady", mode=mode))
        origin = fake_clock.now
        await advance(fake_clock, engine, first - 0.001)
        assert client.calls == []
        await advance(fake_clock, engine, 300)
        expected = ideal_poll_times(TIMING, mode, 300 + first - 0.001)
        assert relative(client.times(), origin) == pytest.approx(expected)
        assert expected[:3] == [first, first + 7.5, first + 15]
        assert engine.get(record.local_id).state in (TaskState.PENDING, TaskState.PROCESSING)

    kit.run(scenario)
    kit.close_stores()


def test_a_long_task_slows_down_then_expires_after_a_day(slow_sim, tmp_path, fake_clock):
    kit = kit_for(slow_sim, tmp_path)
    timing = dataclasses.replace(TIMING, slow_after=600, slow_interval=900)
    notes: list[str | None] = []

    async def scenario() -> None:
        engine, client = make(kit, fake_clock, timing)
        engine.subscribe(lambda r: notes.append(r.note))
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="never ends"))
        origin = fake_clock.now
        await advance(fake_clock, engine, 700)
        assert engine.get(record.local_id).note == SLOW_NOTE
        assert engine.get(record.local_id).is_active
        await advance(fake_clock, engine, 86400 + 2000 - 700)
        done = engine.get(record.local_id)
        assert done.state is TaskState.EXPIRED
        expected = ideal_poll_times(timing, "fast", 86400 + 2000)
        assert relative(client.times(), origin) == pytest.approx(expected)
        polls = len(client.calls)
        await advance(fake_clock, engine, 3600)
        assert len(client.calls) == polls  # never polled after its final state

    kit.run(scenario, timeout=120)
    kit.close_stores()
    assert SLOW_NOTE in notes


def test_a_429_pauses_every_poll_and_slows_them_down(slow_sim, tmp_path, fake_clock):
    kit = kit_for(slow_sim, tmp_path)
    notes: list[str] = []

    async def scenario() -> None:
        engine, client = make(kit, fake_clock)
        engine.subscribe(lambda r: notes.append(r.note or ""))
        await engine.start()
        ids = []
        for i in range(3):
            ids.append((await engine.submit(GenerationRequest(prompt=f"task {i}"))).apixo_task_id)
            await advance(fake_clock, engine, 2)  # tasks are due 2 s apart
        await advance(fake_clock, engine, 80)  # every task has had its first poll
        slow_sim.add_fault(
            Fault(endpoint="status", kind="http_error", status=429, retry_after=40, times=1)
        )
        before = len(client.calls)
        await advance(fake_clock, engine, 10)
        limited_at = client.calls[before][0]
        await advance(fake_clock, engine, 120)
        after = client.times()[before + 1 :]
        # Nothing at all was polled during the 40 s pause ...
        assert all(t >= limited_at + 40 for t in after)
        # ... and the polls that followed came more slowly than 7.5 s apart, every task.
        for task_id in ids:
            mine = [t for t in client.times(task_id) if t > limited_at]
            gaps = [b - a for a, b in itertools.pairwise(mine)]
            assert gaps and gaps[0] > 7.5
        # A quiet minute halves the slowdown again: back to the normal 7.5 s.
        await advance(fake_clock, engine, 240)
        for task_id in ids:
            last = client.times(task_id)[-3:]
            assert [round(b - a, 6) for a, b in itertools.pairwise(last)] == [7.5, 7.5]

    kit.run(scenario)
    kit.close_stores()
    assert any(n.startswith("APIXO is rate limiting; checking again in") for n in notes)


def test_server_errors_back_off_per_task_only(slow_sim, tmp_path, fake_clock):
    kit = kit_for(slow_sim, tmp_path)

    async def scenario() -> None:
        engine, client = make(kit, fake_clock)
        await engine.start()
        broken = await engine.submit(GenerationRequest(prompt="broken"))
        healthy = await engine.submit(GenerationRequest(prompt="healthy"))
        slow_sim.add_fault(
            Fault(
                endpoint="status",
                kind="http_error",
                status=502,
                times=4,
                task_id=broken.apixo_task_id,
            )
        )
        await advance(fake_clock, engine, 75 + 160)
        bad = client.times(broken.apixo_task_id)
        good = client.times(healthy.apixo_task_id)
        bad_gaps = [b - a for a, b in itertools.pairwise(bad)]
        # 10 s, 20 s, 40 s, 80 s (x0.9 jitter), then back to 7.5 s once APIXO answers.
        assert bad_gaps[:4] == pytest.approx([9, 18, 36, 72])
        assert bad_gaps[4:] and set(round(g, 6) for g in bad_gaps[4:]) == {7.5}
        good_gaps = {round(b - a, 6) for a, b in itertools.pairwise(good)}
        assert good_gaps == {7.5}
        assert engine.get(broken.local_id).note is None
        assert engine.get(broken.local_id).is_active

    kit.run(scenario)
    kit.close_stores()


def test_a_task_apixo_no_longer_knows_is_lost_and_never_polled_again(
    slow_sim, tmp_path, fake_clock
):
    kit = kit_for(slow_sim, tmp_path)

    async def scenario() -> None:
        engine, client = make(kit, fake_clock)
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="forgotten"))
        await advance(fake_clock, engine, 80)
        slow_sim.forget_task(record.apixo_task_id)
        await advance(fake_clock, engine, 60)
        lost = engine.get(record.local_id)
        assert lost.state is TaskState.LOST
        polls = len(client.calls)
        await advance(fake_clock, engine, 600)
        assert len(client.calls) == polls

    kit.run(scenario)
    kit.close_stores()


def test_a_final_task_is_never_polled_again(sim_factory, tmp_path, fake_clock):
    quick = sim_factory(duration=0.05)
    kit = kit_for(quick, tmp_path)

    async def scenario() -> None:
        engine, client = make(kit, fake_clock)
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="#sensitive clip"))
        await wait_real(lambda: quick.tasks[record.apixo_task_id].state == "failed")
        await advance(fake_clock, engine, 76)
        assert engine.get(record.local_id).state is TaskState.FAILED
        await advance(fake_clock, engine, 3600)
        assert len(client.calls) == 1

    kit.run(scenario)
    kit.close_stores()


async def wait_real(condition) -> None:
    await wait_until(condition)


def test_at_most_n_polls_run_at_once(slow_sim, tmp_path, fake_clock):
    kit = kit_for(slow_sim, tmp_path)

    async def scenario() -> None:
        engine, client = make(kit, fake_clock, max_polls_in_flight=3)
        await engine.start()
        for i in range(12):
            await engine.submit(GenerationRequest(prompt=f"burst {i}"))
        slow_sim.add_fault(Fault(endpoint="status", kind="delay", delay=0.05, times=-1))
        await advance(fake_clock, engine, 76)
        assert len(client.calls) == 12
        assert client.most_in_flight == 3

    kit.run(scenario)
    kit.close_stores()


def test_a_restart_polls_overdue_tasks_at_once_and_keeps_the_schedule_for_others(
    slow_sim, tmp_path, fake_clock
):
    kit = kit_for(slow_sim, tmp_path)

    async def first_run() -> tuple[str, str]:
        engine, _ = make(kit, fake_clock)
        await engine.start()
        old = await engine.submit(GenerationRequest(prompt="old"))
        await advance(fake_clock, engine, 50)
        young = await engine.submit(GenerationRequest(prompt="young"))
        return old.apixo_task_id or "", young.apixo_task_id or ""

    old_id, young_id = kit.run(first_run)
    origin = fake_clock.now  # the young task was submitted now

    async def second_run() -> None:
        await advance_plain(fake_clock, 40)  # the app was closed for 40 s
        engine, client = make(kit, fake_clock)
        await engine.start()
        await advance(fake_clock, engine, 0)
        assert client.times(old_id) == [origin + 40]  # 90 s old: overdue, polled at once
        await advance(fake_clock, engine, 40)
        assert client.times(young_id) == [origin + 75]

    kit.run(second_run)
    kit.close_stores()


async def advance_plain(clock: FakeClock, seconds: float) -> None:
    clock.set(clock.now + seconds)


@pytest.mark.parametrize("turns", range(6))
def test_closing_stops_the_runner_at_once_whenever_it_is_woken(turns):
    """Quitting must not wait out ``STOP_WAIT``, whatever the runner was doing.

    The runner is woken (a key is scheduled) and closed ``turns`` loop turns later, so one
    of the runs closes it while it tidies up the wait it woke from. A cancellation that
    arrived then used to be swallowed: the runner went back to waiting, and every quit
    with tasks in flight took 5 s.
    """
    from veo_desktop.core.clock import SYSTEM_CLOCK
    from veo_desktop.core.scheduler import STOP_WAIT, PollScheduler

    async def never_called(key: str) -> None:
        raise AssertionError(f"{key} is not due yet")

    async def scenario() -> float:
        scheduler = PollScheduler(clock=SYSTEM_CLOCK, poll=never_called)
        scheduler.schedule("later", SYSTEM_CLOCK.time() + 3600)
        scheduler.start()
        await wait_until(lambda: scheduler.settled, message="the runner to wait")
        scheduler.schedule("another", SYSTEM_CLOCK.time() + 3600)
        for _ in range(turns):
            await asyncio.sleep(0)
        started = time.monotonic()
        await scheduler.aclose()
        return time.monotonic() - started

    assert asyncio.run(scenario()) < STOP_WAIT / 5


async def settle_scheduler(scheduler: Any, clock: FakeClock) -> None:
    await wait_until(lambda: scheduler.settled and not clock.busy, message="the runner to wait")


@pytest.mark.parametrize(
    "error", [RecursionError("maximum recursion depth"), ValueError("a bug"), KeyError("x")]
)
def test_a_poll_that_raises_is_polled_again_with_a_growing_delay(fake_clock, error):
    """A poll function that raises (and did not schedule its key) never drops the key."""
    from veo_desktop.core.scheduler import PollScheduler

    polls: list[float] = []

    async def poll(key: str) -> None:
        polls.append(fake_clock.now)
        if len(polls) <= 3:
            raise error

    async def scenario() -> list[float]:
        scheduler = PollScheduler(clock=fake_clock, poll=poll)
        start = fake_clock.now
        scheduler.schedule("task", start)
        scheduler.start()
        for _ in range(12):
            await settle_scheduler(scheduler, fake_clock)
            fake_clock.set(fake_clock.now + 1)
        await settle_scheduler(scheduler, fake_clock)
        assert scheduler.due_at("task") is None  # the fourth poll succeeded, scheduled nothing
        await scheduler.aclose()
        return relative(polls, start)

    assert asyncio.run(scenario()) == [0, 1, 3, 7]


def test_a_poll_that_raises_after_scheduling_its_key_keeps_its_own_schedule(fake_clock):
    from veo_desktop.core.scheduler import PollScheduler

    polls: list[float] = []

    async def poll(key: str) -> None:
        polls.append(fake_clock.now)
        scheduler.schedule(key, fake_clock.now + 10)
        raise RuntimeError("after scheduling")

    scheduler: PollScheduler

    async def scenario() -> None:
        nonlocal scheduler
        scheduler = PollScheduler(clock=fake_clock, poll=poll)
        scheduler.schedule("task", fake_clock.now)
        scheduler.start()
        await settle_scheduler(scheduler, fake_clock)
        assert scheduler.due_at("task") == fake_clock.now + 10
        await scheduler.aclose()

    asyncio.run(scenario())
    assert len(polls) == 1


class RaisingStatusClient(SpyClient):
    """The real client, whose status answer raises what a broken answer raised (issue 12 #5).

    ``httpx.InvalidURL`` (a 200,000-character taskId) and ``RecursionError`` (a deeply nested
    JSON body) are what the real stack raised; here they are raised for the first ``times``
    polls, then the real answer is read.
    """

    def __init__(self, error: Exception, times: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error = error
        self.times_left = times

    async def status(self, task_id: str, *, model: str = Model.VEO) -> TaskStatus:
        self.calls.append((self.clock.now, task_id))
        if self.times_left:
            self.times_left -= 1
            raise self.error
        return await ApixoClient.status(self, task_id, model=model)


@pytest.mark.parametrize(
    "error",
    [
        RecursionError("maximum recursion depth exceeded"),
        httpx.InvalidURL("URL component 'path' too long"),
        RuntimeError("something nobody expected"),
    ],
    ids=["recursion", "invalid-url", "runtime"],
)
def test_an_unexpected_poll_error_is_a_note_with_backoff_and_the_task_still_finishes(
    sim_factory, tmp_path, fake_clock, caplog, error
):
    quick = sim_factory(duration=0.05)
    kit = kit_for(quick, tmp_path)
    notes: list[str] = []

    async def scenario() -> Any:
        client = RaisingStatusClient(
            error, 3, fake_clock, SIM_API_KEY, base_url=kit.base_url, read_retry=NO_RETRY
        )
        kit._clients.append(client)
        engine = kit.engine(clock=fake_clock, client=client, timing=TIMING, rng=lambda: HALF)
        engine.subscribe(lambda r: notes.append(r.note or ""))
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="a broken answer"))
        await wait_until(lambda: quick.tasks[record.apixo_task_id].state == "success")
        await advance(fake_clock, engine, 75 + 10 + 20 + 40 + 5)
        await wait_until(lambda: not engine.get(record.local_id).is_active)
        return engine.get(record.local_id), client.times(record.apixo_task_id)

    done, times = kit.run(scenario)
    kit.close_stores()
    assert done.state is TaskState.SUCCEEDED and done.note is None
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(times)]
    assert gaps[:3] == pytest.approx([9, 18, 36])  # the poll-error backoff (x0.9 jitter)
    assert any(f"({type(error).__name__})" in n and "retrying in" in n for n in notes), notes
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1  # logged once with its traceback, not at every retry


@pytest.mark.parametrize(
    ("coalesce", "expected"),
    [
        (0.0, [10.02, 10.05, 10.09, 10.31]),  # each at its own due time
        (0.1, [10.1, 10.1, 10.1, 10.4]),  # together on the next grid step, never before due
    ],
)
def test_due_polls_start_together_on_the_coalescing_grid(fake_clock, coalesce, expected):
    from veo_desktop.core.scheduler import PollScheduler

    polls: dict[str, float] = {}
    dues = {"a": 10.02, "b": 10.05, "c": 10.09, "d": 10.31}

    async def poll(key: str) -> None:
        polls[key] = fake_clock.now

    async def scenario() -> list[float]:
        scheduler = PollScheduler(clock=fake_clock, poll=poll, coalesce=coalesce)
        start = fake_clock.now
        for key, due in dues.items():
            scheduler.schedule(key, start + due)
        scheduler.start()
        while len(polls) < len(dues):
            await settle_scheduler(scheduler, fake_clock)
            deadline = fake_clock.next_deadline()
            assert deadline is not None, polls
            fake_clock.set(deadline)
            await settle_scheduler(scheduler, fake_clock)
        await scheduler.aclose()
        return relative([polls[key] for key in dues], start)

    got = asyncio.run(scenario())
    assert got == pytest.approx(expected, abs=1e-6)
    assert all(at >= due - 1e-6 for at, due in zip(got, dues.values(), strict=True))


def test_a_key_due_before_the_runners_wake_up_still_wakes_it_and_a_later_one_waits(fake_clock):
    from veo_desktop.core.scheduler import PollScheduler

    polls: dict[str, float] = {}

    async def poll(key: str) -> None:
        polls[key] = fake_clock.now

    async def scenario() -> list[float]:
        scheduler = PollScheduler(clock=fake_clock, poll=poll, coalesce=0.1)
        start = fake_clock.now
        scheduler.schedule("late", start + 100)
        scheduler.start()
        await settle_scheduler(scheduler, fake_clock)
        assert fake_clock.next_deadline() == pytest.approx(start + 100)
        scheduler.schedule("early", start + 10)  # before the runner's wake-up: it wakes
        scheduler.schedule("later", start + 200)  # after it: nothing to wake for
        while len(polls) < 3:
            await settle_scheduler(scheduler, fake_clock)
            deadline = fake_clock.next_deadline()
            assert deadline is not None, polls
            fake_clock.set(deadline)
            await settle_scheduler(scheduler, fake_clock)
        await scheduler.aclose()
        return relative([polls[key] for key in ("early", "late", "later")], start)

    assert asyncio.run(scenario()) == pytest.approx([10, 100, 200], abs=1e-6)
