"""A hostile APIXO, drawn by hypothesis: whatever it answers, nothing paid is lost.

Each example scripts the simulator with faults on the submissions, the status answers and
the video downloads (valid, malformed, lying, hostile, slow), runs the real engine over
loopback on a fake clock until every task has ended, and then checks what the person
could lose:

- no POST was repeated after APIXO may have received its body (only a 429 or 503, which
  prove it was not taken, is followed by another attempt);
- every task the simulator created (and charged) is in the store or the accepted-ids
  journal, except where its answer was lost, and each such task left an ``uncertain``
  row for the person;
- no exception escaped the poll scheduler or the event loop;
- every task ended in a named final state (the faults are finite, so nothing may hang);
- no control character reached the log file;
- the API key is in no file that was written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fixtures.core import FakeClock, advance
from tests.fixtures.sim import SIM_DEFAULTS
from veo_desktop import logs
from veo_desktop.api.client import ApixoClient
from veo_desktop.api.errors import ApixoError
from veo_desktop.api.models import GenerationRequest
from veo_desktop.api.retry import RetryPolicy
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.journal import AcceptedJournal
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.sim import Fault, SimulatorThread
from veo_desktop.storage.store import TaskStore

#: A key the simulator accepts; long and unusual, so a hit in a file means a leak.
HOSTILE_KEY = "sk-hostile-Zq8vR2mXw4Ln7Tp1"
TIMING = PollTiming(
    first_poll_fast=5.0,
    first_poll_quality=5.0,
    interval_min=5.0,
    interval_max=5.0,
    slow_after=3600.0,
    slow_interval=30.0,
)
RETRY = RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.02)
#: Fake seconds run per step, and the most steps before a task that has not ended fails
#: the example (a whole fake day: every fault here is finite).
STEP = 600.0
MAX_STEPS = 150
FINAL = frozenset(
    {
        TaskState.SUCCEEDED,
        TaskState.FAILED,
        TaskState.EXPIRED,
        TaskState.LOST,
        TaskState.REJECTED,
        TaskState.UNCERTAIN,
    }
)
#: Statuses after which APIXO provably did not take a submission (a retry is allowed).
NOT_TAKEN = frozenset({429, 503})

#: Task ids no sane client may accept: each makes the submission uncertain.
INSANE_IDS = st.sampled_from(
    [
        "",
        "x" * 200_000,
        "abc\n2026-12-03 10:00:00 CRITICAL forged line",
        "\x1b[2J\x1b[31mid",
        "id with spaces",
        "../../etc/passwd",
        "\u202eevil",
    ]
)
ODD_STATES = st.sampled_from(
    [
        "queued",
        "SUCCESS",
        "Processing",
        "PENDING",
        "succes",
        "",
        "\x1b[2J",
        "success\n2026-12-03 CRITICAL forged",
    ]
)
FOREIGN_IDS = st.sampled_from(["someone-elses-task", "a\nb", "\x1b]0;title\x07", "y" * 5000])


def submit_faults() -> st.SearchStrategy[list[Fault]]:
    taken = st.one_of(
        st.builds(lambda v: Fault("submit", "odd_task_id", value=v, accept_first=True), INSANE_IDS),
        st.builds(
            lambda n: Fault("submit", "nested_json", count=n, accept_first=True),
            st.sampled_from([40, 1000, 100_000]),
        ),
        st.just(Fault("submit", "reset", accept_first=True)),
        st.just(Fault("submit", "malformed_json", accept_first=True)),
        st.builds(
            lambda s: Fault("submit", "http_error", status=s, accept_first=True),
            st.sampled_from([500, 502, 504]),
        ),
        st.just(Fault("submit", "trickle", delay=0.4)),
    )
    not_taken = st.one_of(
        st.builds(
            lambda s: Fault("submit", "http_error", status=s, retry_after=0),
            st.sampled_from(sorted(NOT_TAKEN)),
        ),
        st.builds(lambda s: Fault("submit", "echo_key", status=s), st.sampled_from([400, 402])),
        st.just(Fault("submit", "html", status=400)),
    )
    return st.lists(st.one_of(taken, not_taken), max_size=1)


def status_faults() -> st.SearchStrategy[list[Fault]]:
    times = st.integers(min_value=1, max_value=3)
    kinds = st.one_of(
        st.builds(lambda v, t: Fault("status", "odd_state", value=v, times=t), ODD_STATES, times),
        st.builds(
            lambda v, t: Fault("status", "odd_task_id", value=v, times=t), FOREIGN_IDS, times
        ),
        st.builds(
            lambda n, t: Fault("status", "nested_json", count=n, times=t),
            st.sampled_from([40, 100_000]),
            times,
        ),
        st.builds(
            lambda n: Fault("status", "extra_result_urls", count=n),
            st.sampled_from([1, 2, 10_000]),
        ),
        st.builds(
            lambda s, t: Fault("status", "echo_key", status=s, times=t),
            st.sampled_from([401, 500]),
            times,
        ),
        st.builds(
            lambda s, t: Fault("status", "http_error", status=s, times=t, retry_after=1),
            st.sampled_from([404, 429, 500, 503]),
            times,
        ),
        st.builds(lambda t: Fault("status", "html", status=502, times=t), times),
        st.builds(lambda t: Fault("status", "malformed_json", times=t), times),
        st.just(Fault("status", "bad_result_json")),
        st.just(Fault("status", "no_result_urls")),
        st.just(Fault("status", "trickle", delay=0.4)),
    )
    return st.lists(kinds, max_size=3)


def media_faults() -> st.SearchStrategy[list[Fault]]:
    kinds = st.one_of(
        st.just(Fault("media", "media_close_cut")),
        st.just(Fault("media", "cut_media")),
        st.just(Fault("media", "media_html")),
        st.just(Fault("media", "media_gzip")),
        st.just(Fault("media", "media_huge")),
        st.just(Fault("media", "redirect_loop")),
        st.builds(
            lambda s, t: Fault("media", "http_error", status=s, times=t),
            st.sampled_from([404, 500]),
            st.integers(min_value=1, max_value=4),
        ),
    )
    return st.lists(kinds, max_size=2)


@dataclass
class Scenario:
    submits: list[list[Fault]]
    status: list[Fault]
    media: list[Fault]


scenarios = st.builds(
    Scenario,
    submits=st.lists(submit_faults(), min_size=1, max_size=3),
    status=status_faults(),
    media=media_faults(),
)


@dataclass
class Outcome:
    """What one run left behind, for the invariants."""

    posts_by_submit: list[list[int | None]] = field(default_factory=list)
    loop_errors: list[str] = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def hostile_sim() -> Iterator[SimulatorThread]:
    simulator = SimulatorThread(**{**SIM_DEFAULTS, "api_key": HOSTILE_KEY, "duration": 0.0})
    simulator.start()
    yield simulator
    simulator.stop()


async def _run(sim: SimulatorThread, root: Path, scenario: Scenario) -> Outcome:
    outcome = Outcome()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, ctx: outcome.loop_errors.append(str(ctx)))
    clock = FakeClock()
    paths = AppPaths.resolve(root)
    client = ApixoClient(
        HOSTILE_KEY,
        base_url=sim.base_url,
        read_retry=RETRY,
        submit_retry=RETRY,
        read_deadline=1.0,
        submit_deadline=1.0,
    )
    store = TaskStore.open(paths.store_path)
    engine = TaskEngine(
        client=client, store=store, library_dir=paths.library_dir, timing=TIMING, clock=clock
    )
    try:
        await engine.start()
        for fault in scenario.status + scenario.media:
            sim.add_fault(fault)
        for faults in scenario.submits:
            for fault in faults:
                sim.add_fault(fault)
            before = len(sim.requests)
            with contextlib.suppress(ApixoError):  # refused or uncertain: both are checked below
                await engine.submit(GenerationRequest(prompt="a lighthouse at dusk"))
            posts = [r for r in sim.requests[before:] if r.method == "POST"]
            outcome.posts_by_submit.append([r.status for r in posts])
        for _ in range(MAX_STEPS):
            if not any(r.is_active for r in engine.tasks(include_hidden=True)):
                break
            await advance(clock, engine, STEP)
        return outcome
    finally:
        await engine.aclose()
        await client.aclose()
        store.close()


def _files(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file():
            yield path


@settings(
    max_examples=24,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios)
def test_a_hostile_apixo_loses_nothing_paid(
    hostile_sim: SimulatorThread, scenario: Scenario
) -> None:
    sim = hostile_sim
    sim.clear_faults()
    sim.clear_requests()
    created_before = set(sim.created_task_ids)
    root = Path(tempfile.mkdtemp(prefix="hostile-"))
    collect = _Collect()
    logs.forget_secrets()
    log_file = logs.setup_logging(root / "logs", level=logging.DEBUG, secrets=[HOSTILE_KEY])
    logging.getLogger().addHandler(collect)
    try:
        outcome = asyncio.run(_run(sim, root / "data", scenario))
    finally:
        logging.getLogger().removeHandler(collect)
        logs.teardown_logging()
        logs.forget_secrets()
        sim.clear_faults()
    try:
        # No POST after one that APIXO may have received.
        for statuses in outcome.posts_by_submit:
            assert all(status in NOT_TAKEN for status in statuses[:-1]), statuses

        # Every paid task is known, or was answered in a way that lost it and left an
        # uncertain row for the person.
        paths = AppPaths.resolve(root / "data")
        with TaskStore.open(paths.store_path) as store:
            records = store.load_all()
        journal = AcceptedJournal.beside(paths.store_path).entries()
        known = {r.apixo_task_id for r in records} | {e.apixo_task_id for e in journal}
        created = [t for t in sim.created_task_ids if t not in created_before]
        missing = [t for t in created if t not in known]
        uncertain = [r for r in records if r.state is TaskState.UNCERTAIN]
        assert len(missing) <= len(uncertain), (missing, [r.note for r in uncertain])

        # Nothing escaped the scheduler or the loop; every task ended, by name.
        assert outcome.loop_errors == []
        escaped = [
            r.getMessage()
            for r in collect.records
            if r.levelno >= logging.ERROR and "unexpectedly" in r.getMessage()
        ]
        assert escaped == []
        for record in records:
            assert record.state in FINAL, (record.state, record.note, scenario)

        # No control character in the log file; the key in no file at all.
        assert log_file is not None
        text = log_file.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
        for line in text.splitlines():
            assert all(ch >= " " or ch == "\t" for ch in line), repr(line)
        needles = [HOSTILE_KEY.encode(), quote(HOSTILE_KEY, safe="").encode()]
        for path in _files(root):
            data = path.read_bytes()
            assert not any(n in data for n in needles), f"the key is in {path}"
    finally:
        shutil.rmtree(root, ignore_errors=True)
