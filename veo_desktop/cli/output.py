"""What the command line prints: task details, the task table, and progress on a terminal."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TextIO

from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.lifecycle import TaskState
from veo_desktop.core.records import TaskRecord

_PROMPT_WIDTH = 48


def one_line(text: str) -> str:
    """``text`` with line breaks and runs of spaces folded (errors are one line)."""
    return " ".join(text.split())


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _clip(text: str, width: int) -> str:
    text = one_line(text)
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def describe(record: TaskRecord) -> str:
    """A task's details, one field a line."""
    kind = " \u00b7 ".join(
        part
        for part in (record.model, record.mode, record.generation_type, record.aspect_ratio)
        if part
    )
    lines = [
        f"Task      {record.local_id}",
        f"State     {record.state.value}",
        f"Prompt    {one_line(record.prompt)}",
        f"Model     {kind}",
        f"Price     ${record.price:.2f}" + ("" if record.charged else " (not charged)"),
        f"Created   {_when(record.created_at)}",
    ]
    if record.apixo_task_id:
        lines.append(f"APIXO id  {record.apixo_task_id}")
    if record.parent_id:
        lines.append(f"Extends   {record.parent_id}")
    if record.api_cost_time:
        lines.append(f"Took      {record.api_cost_time / 1000:.0f} s at APIXO")
    lines.extend(f"File      {path}" for path in record.files)
    if record.fail_code or record.fail_message:
        code = f"{record.fail_code}: " if record.fail_code else ""
        lines.append(f"Failure   {code}{one_line(record.fail_message or '')}")
    if record.note:
        lines.append(f"Note      {one_line(record.note)}")
    if record.hidden:
        lines.append("Hidden    yes (removed from the list)")
    return "\n".join(lines)


def table(records: list[TaskRecord]) -> str:
    """The task list: id, creation time, state, mode, price, prompt."""
    rows = [f"{'ID':<8}  {'CREATED':<16}  {'STATE':<11}  {'MODE':<7}  {'PRICE':>5}  PROMPT"]
    for r in records:
        rows.append(
            f"{r.short_id:<8}  {_when(r.created_at):<16}  {r.state.value:<11}  {r.mode:<7}  "
            f"{r.price:>5.2f}  {_clip(r.prompt, _PROMPT_WIDTH)}"
        )
    return "\n".join(rows)


def _nothing() -> None:
    return None


class Progress:
    """A status line on stderr while tasks run (state, elapsed time, download %).

    Does nothing when ``enabled`` is False (stderr is not a terminal).
    """

    def __init__(
        self, engine: TaskEngine, local_ids: list[str], stream: TextIO, *, enabled: bool
    ) -> None:
        self._engine = engine
        self._ids = local_ids
        self._stream = stream
        self._enabled = enabled
        self._bytes: dict[str, tuple[int, int | None]] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] = _nothing
        self._width = 0

    def start(self) -> None:
        if not self._enabled:
            return
        self._unsubscribe = self._engine.subscribe_progress(self._on_progress)
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def stop(self) -> None:
        self._unsubscribe()
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
            self._write("")
            with contextlib.suppress(OSError, ValueError):
                self._stream.write("\r")
                self._stream.flush()

    def _on_progress(self, local_id: str, done: int, total: int | None) -> None:
        self._bytes[local_id] = (done, total)

    async def _tick(self) -> None:
        while True:
            self._write(self.line())
            await asyncio.sleep(0.5)

    def line(self) -> str:
        parts: list[str] = []
        for local_id in self._ids:
            record = self._engine.get(local_id)
            part = (
                f"{record.short_id} {record.state.value} {elapsed(time.time() - record.created_at)}"
            )
            if record.state is TaskState.DOWNLOADING and local_id in self._bytes:
                done, total = self._bytes[local_id]
                part += f" {done * 100 // total}%" if total else f" {done / 1e6:.1f} MB"
            if record.note and not record.is_final:
                part += f" ({_clip(record.note, 60)})"
            parts.append(part)
        if len(parts) > 3:
            active = sum(1 for i in self._ids if self._engine.get(i).is_active)
            return f"{active} of {len(parts)} tasks still running"
        return " | ".join(parts)

    def _write(self, text: str) -> None:
        padded = text.ljust(self._width)
        self._width = len(text)
        with contextlib.suppress(OSError, ValueError):
            self._stream.write("\r" + padded)
            self._stream.flush()
