"""Shared parts of the task list, preview and controller tests.

``engine_env`` runs the real stack over loopback: the simulator as an HTTP server, a real
sqlite store in ``tmp_path``, the real :class:`TaskEngine` with short poll intervals, and
an :class:`EngineController` on the qasync loop. ``make_record`` builds records for the
model tests that need no engine.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from veo_desktop.api.client import ApixoClient
from veo_desktop.api.models import GenerationRequest
from veo_desktop.api.retry import RetryPolicy
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.shelved import ShelvedRow

SIM_KEY = "test-key-123"

#: Polls right away and often, so a simulated task ends within a second.
FAST_TIMING = PollTiming(
    first_poll_fast=0.05,
    first_poll_quality=0.05,
    interval_min=0.05,
    interval_max=0.1,
)

#: Reads retried quickly (the client's own backoff is tested in tests/api).
QUICK_RETRY = RetryPolicy(max_attempts=2, initial_delay=0.02, max_delay=0.05)

SUBMIT_ENDPOINTS = ("submit", "extend_submit")


@dataclass
class EngineEnv:
    """The real engine and controller against the simulator."""

    sim: Any
    engine: TaskEngine
    controller: EngineController
    store: TaskStore
    client: ApixoClient
    library: Path
    cache: Path
    arun: Callable[..., Any]
    qtbot: Any

    def submit(
        self, prompt: str = "A red fox runs through fresh snow", **fields: Any
    ) -> TaskRecord:
        task = self.arun(self.controller.submit(GenerationRequest(prompt=prompt, **fields)))
        assert task is not None, "the simulator refused the submission"
        return task

    def posts(self) -> int:
        """How many paid submissions reached the simulator."""
        return sum(1 for r in self.sim.requests if r.endpoint in SUBMIT_ENDPOINTS)

    def wait_state(self, local_id: str, state: TaskState, timeout: float = 15.0) -> TaskRecord:
        def reached() -> None:
            assert self.engine.get(local_id).state == state

        self.qtbot.waitUntil(reached, timeout=int(timeout * 1000))
        return self.engine.get(local_id)

    def finished(
        self, prompt: str = "A red fox runs through fresh snow", **fields: Any
    ) -> TaskRecord:
        """Submit and wait until the video is downloaded."""
        task = self.submit(prompt, **fields)
        return self.wait_state(task.local_id, TaskState.SUCCEEDED)


@pytest.fixture
def engine_env(
    sim: Any, tmp_path: Path, arun: Callable[..., Any], qtbot: Any
) -> Iterator[EngineEnv]:
    data = tmp_path / "data"
    store = TaskStore.open(data / "tasks.sqlite3")
    client = ApixoClient(SIM_KEY, base_url=sim.base_url, read_retry=QUICK_RETRY)
    engine = TaskEngine(client=client, store=store, library_dir=data / "videos", timing=FAST_TIMING)
    arun(engine.start())
    controller = EngineController(engine)
    env = EngineEnv(
        sim=sim,
        engine=engine,
        controller=controller,
        store=store,
        client=client,
        library=data / "videos",
        cache=data / "cache",
        arun=arun,
        qtbot=qtbot,
    )
    yield env
    arun(controller.aclose())
    arun(engine.aclose())
    arun(client.aclose())
    store.close()
    controller.deleteLater()


def make_record(
    number: int = 0,
    *,
    state: TaskState = TaskState.SUCCEEDED,
    prompt: str | None = None,
    mode: str = "fast",
    aspect_ratio: str = "16:9",
    created_at: float | None = None,
    **changes: Any,
) -> TaskRecord:
    """A plausible record without an engine (for the model, proxy and delegate tests)."""
    request = GenerationRequest(
        prompt=prompt if prompt is not None else f"Task number {number}: a lighthouse at dusk",
        mode=mode,
        aspect_ratio=aspect_ratio,
    )
    created = created_at if created_at is not None else time.time() - 600 + number
    apixo = changes.pop("apixo_task_id", f"apixo-{number:05d}")
    record = TaskRecord(
        local_id=changes.pop("local_id", uuid.uuid4().hex),
        model="veo-3-1",
        request=request.to_payload(),
        state=state,
        created_at=created,
        updated_at=created,
        apixo_task_id=apixo,
        price=request.price,
        history=(StateChange(created, state),),
    )
    return record.evolve(**changes) if changes else record


def read_shelved_from(model: TaskTableModel, store: TaskStore) -> None:
    """Have ``model`` read its shelved rows' records from ``store`` as the window's list
    reads them from its book (one, many in one query, an extend's source, by APIXO's id)."""
    model.set_reader(
        peek=store.get,
        peek_many=lambda ids: {task.local_id: task for task in store.load_among(ids)},
        get=store.get,
        find_id=lambda ref: getattr(store.find_by_apixo_id(ref), "local_id", None),
    )


def shelve_all_but(model: TaskTableModel, tasks: list[TaskRecord], held: int = 1000) -> None:
    """List ``tasks`` (oldest first) as a large library scrolled to its end lists them:
    the newest ``held`` records held, the rest shelved."""
    shelved = [ShelvedRow.of(task) for task in tasks[:-held]]
    model.set_tasks(tasks[-held:], [row for row in shelved if row is not None])
