"""What the simulator knows: its settings, tasks, balance, faults, request log and files.

One :class:`SimState` per :class:`~veo_desktop.sim.server.Simulator`; the API routes, the
media routes, the control plane and the gateway all read and change this one object, on the
simulator's loop. The Python API's state changes (age, forget, balance, served files) are
here, so the control plane's HTTP endpoints and the Python methods do the same thing.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal
from urllib.parse import quote

from veo_desktop.sim.exchange import Exchange
from veo_desktop.sim.faults import FaultBook
from veo_desktop.sim.records import RequestRecord
from veo_desktop.sim.tasks import SimTask, TaskInfo

VideoMode = Literal["per_task", "shared"]

#: The request log keeps this many of the latest requests (a demo can run for days).
REQUEST_LOG_SIZE: Final = 100_000


class SimState:
    """The simulator's settings and everything it holds; see ``Simulator`` for the arguments.

    Raises:
        ValueError: a setting out of range (the messages ``Simulator`` documents).
    """

    def __init__(
        self,
        api_key: str | None,
        duration: float,
        balance: float,
        clip_seconds: float,
        video: VideoMode,
        triggers: Mapping[str, tuple[str, str]],
    ) -> None:
        if duration < 0:
            raise ValueError("duration must not be negative")
        if clip_seconds <= 0:
            raise ValueError("clip_seconds must be positive")
        if video not in ("per_task", "shared"):
            raise ValueError('video must be "per_task" or "shared"')
        if api_key is not None and not api_key.strip():
            raise ValueError("api_key must be None or a non-empty key")
        self.api_key = api_key
        self.duration = duration
        self.balance_cents = to_cents(balance)
        self.clip_seconds = clip_seconds
        self.video: VideoMode = video
        self.triggers = {word.lower(): failure for word, failure in triggers.items()}

        self.tasks: dict[str, SimTask] = {}
        self.created: list[str] = []
        self.faults = FaultBook()
        self.exchanges: deque[Exchange] = deque(maxlen=REQUEST_LOG_SIZE)
        self.media_files: dict[str, Path] = {}
        self.media_dir: Path | None = None
        self.stopping = asyncio.Event()
        self._origin: str | None = None

    # ------------------------------------------------------------------ serving

    @property
    def origin(self) -> str:
        """``http://HOST:PORT`` while serving."""
        if self._origin is None:
            raise RuntimeError("the simulator is not running")
        return self._origin

    def serve_at(self, origin: str | None) -> None:
        """Record where the simulator serves (None once stopped)."""
        self._origin = origin

    def media_path(self, *parts: str) -> Path:
        """A path inside the media directory (clips, ``uploads/``) while serving."""
        assert self.media_dir is not None
        return self.media_dir.joinpath(*parts)

    def key_ok(self, authorization: str) -> bool:
        """Whether an ``Authorization`` header carries an accepted Bearer key."""
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return False
        return self.api_key is None or secrets.compare_digest(key.encode(), self.api_key.encode())

    # ------------------------------------------------------------ tasks, money

    @property
    def balance(self) -> float:
        """USD left on the key."""
        return self.balance_cents / 100

    @balance.setter
    def balance(self, value: float) -> None:
        self.balance_cents = to_cents(value)

    def settled(self, task: SimTask, now: float | None = None) -> SimTask:
        """``task`` with its state brought up to ``now`` (the clock when None)."""
        task.settle(time.time() if now is None else now)
        return task

    def task_infos(self) -> dict[str, TaskInfo]:
        """Snapshots of every task held, states brought up to date."""
        now = time.time()
        return {task_id: self.settled(task, now).info() for task_id, task in self.tasks.items()}

    def trigger_failure(self, prompt: str) -> tuple[str, str] | None:
        """The failure a trigger word in ``prompt`` plans for its task, if any."""
        lowered = prompt.lower()
        for word, failure in self.triggers.items():
            if word in lowered:
                return failure
        return None

    def age_task(self, task_id: str, seconds: float) -> None:
        """Move a task's times into the past; KeyError for an unknown id."""
        self.tasks[task_id].shift(seconds)

    def forget_task(self, task_id: str) -> None:
        """Drop a task as if APIXO purged it; KeyError for an unknown id."""
        task = self.tasks.pop(task_id)
        if self.video == "per_task" and task.clip is not None:
            task.clip.unlink(missing_ok=True)

    # ------------------------------------------------------- log, served files

    def records(self) -> list[RequestRecord]:
        """The request log, in order of arrival."""
        return [exchange.record() for exchange in self.exchanges]

    def add_media_file(self, path: str | Path) -> str:
        """Serve a local file under ``/media/files/``; its URL. FileNotFoundError if no file."""
        file = Path(path).resolve()
        if not file.is_file():
            raise FileNotFoundError(f"not a file: {file}")
        token = secrets.token_hex(8)
        self.media_files[token] = file
        return f"{self.origin}/media/files/{token}/{quote(file.name)}"


def to_cents(usd: float) -> int:
    """USD as whole cents; ValueError when negative."""
    if usd < 0:
        raise ValueError("balance must not be negative")
    return round(usd * 100)
