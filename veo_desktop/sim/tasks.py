"""Simulated tasks: their timeline and the status payloads APIXO's page documents."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from veo_desktop.sim.contract import RESULT_TTL_SECONDS

State = Literal["pending", "processing", "success", "failed"]

#: Share of ``duration`` a task spends ``pending`` before ``processing`` (capped, in seconds).
PENDING_SHARE: Final = 0.2
PENDING_MAX_SECONDS: Final = 10.0

RENDER_FAILED: Final = ("GENERATION_FAILED", "Video generation failed")


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


@dataclass(frozen=True)
class TaskInfo:
    """A read-only snapshot of one simulated task.

    Times are Unix seconds; ``price`` is what the task was charged, in USD.
    """

    task_id: str
    model: str
    state: State
    request: Any
    mode: str
    prompt: str
    aspect_ratio: str
    price: float
    create_time: float
    complete_time: float | None
    fail_code: str | None
    fail_msg: str | None
    result_url: str | None
    source_task_id: str | None


@dataclass
class SimTask:
    """One task as the simulator holds it.

    The state is never stored ahead of time: :meth:`settle` derives it from the clock on each
    look, so no timers are needed. A task finishes ``duration`` seconds after creation, but
    ``success`` waits for its clip; once finished, its outcome and ``completed`` stay fixed.
    """

    task_id: str
    model: str
    request: Any
    mode: str
    prompt: str
    aspect_ratio: str
    price_cents: int
    created: float
    duration: float
    result_url: str
    source_task_id: str | None = None
    #: failure decided at submit (a trigger word): (failCode, failMsg)
    planned_failure: tuple[str, str] | None = None
    #: images fetched and clip rendered, or a failure found doing so
    prepared: bool = False
    prepared_at: float | None = None
    prepare_failure: tuple[str, str] | None = None
    clip: Path | None = None
    completed: float | None = None
    outcome: tuple[str, str] | None = field(default=None)
    state: State = "pending"

    def settle(self, now: float) -> State:
        """Bring ``state`` up to date with the clock and return it."""
        if self.completed is not None:
            return self.state
        elapsed = now - self.created
        if elapsed < min(self.duration * PENDING_SHARE, PENDING_MAX_SECONDS):
            self.state = "pending"
            return self.state
        due = self.created + self.duration
        if elapsed < self.duration:
            self.state = "processing"
        elif self.planned_failure is not None:
            self._finish("failed", due, self.planned_failure)
        elif not self.prepared or self.prepared_at is None:
            self.state = "processing"
        elif self.prepare_failure is not None:
            self._finish("failed", max(due, self.prepared_at), self.prepare_failure)
        else:
            self._finish("success", max(due, self.prepared_at), None)
        return self.state

    def _finish(self, state: State, completed: float, failure: tuple[str, str] | None) -> None:
        self.state = state
        self.completed = completed
        self.outcome = failure

    def shift(self, seconds: float) -> None:
        """Move every time of this task ``seconds`` into the past."""
        self.created -= seconds
        if self.prepared_at is not None:
            self.prepared_at -= seconds
        if self.completed is not None:
            self.completed -= seconds

    def result_expired(self, now: float) -> bool:
        return self.completed is None or now - self.completed >= RESULT_TTL_SECONDS

    def status_data(self, result_json: str | None = None) -> dict[str, Any]:
        """The ``data`` of a status answer, with the page's keys in the page's order.

        Args:
            result_json: replaces the real ``resultJson`` (fault injection).
        """
        data: dict[str, Any] = {"taskId": self.task_id, "state": self.state}
        if self.state == "success":
            if result_json is None:
                result_json = json.dumps({"resultUrls": [self.result_url]}, separators=(",", ":"))
            data["resultJson"] = result_json
        elif self.state == "failed":
            assert self.outcome is not None
            data["failCode"], data["failMsg"] = self.outcome
        data["createTime"] = _ms(self.created)
        if self.completed is not None:
            data["completeTime"] = _ms(self.completed)
            data["costTime"] = _ms(self.completed) - _ms(self.created)
        return data

    def info(self) -> TaskInfo:
        return TaskInfo(
            task_id=self.task_id,
            model=self.model,
            state=self.state,
            request=json.loads(json.dumps(self.request)),
            mode=self.mode,
            prompt=self.prompt,
            aspect_ratio=self.aspect_ratio,
            price=self.price_cents / 100,
            create_time=self.created,
            complete_time=self.completed,
            fail_code=self.outcome[0] if self.outcome else None,
            fail_msg=self.outcome[1] if self.outcome else None,
            result_url=self.result_url if self.state == "success" else None,
            source_task_id=self.source_task_id,
        )
