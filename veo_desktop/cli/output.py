"""What the command line prints: task details, the task table, and progress.

Every field that came from outside (APIXO's ids, fail codes and messages, notes, URLs, a
prompt read from a batch file) goes through :func:`clean` or
:func:`~veo_desktop.safe_text.printable`: no escape code reaches the terminal, no line
break forges a line, and a field has a bounded length.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TextIO

from veo_desktop.core.engine import TaskEngine
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable, safe_line

_PROMPT_WIDTH = 48
#: Bounds on what one field may show: an id or a code, a message, a URL, a prompt, a line.
ID_LIMIT = 120
MESSAGE_LIMIT = 1000
URL_LIMIT = 500
PROMPT_LIMIT = 12_000
LINE_LIMIT = 2000
#: Result URLs shown for a task whose video is not (yet) downloaded.
_URLS_SHOWN = 4


def one_line(text: str) -> str:
    """``text`` with line breaks and runs of spaces folded (errors are one line)."""
    return " ".join(text.split())


def clean(text: str, limit: int | None = LINE_LIMIT) -> str:
    """``text`` (from a server, a file or an exception) as one safe, printable line.

    Line breaks fold into spaces, other control characters are escaped, secrets are
    removed, and the result is at most ``limit`` characters.
    """
    return safe_line(text, limit)


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def describe(record: TaskRecord) -> str:
    """A task's details, one field a line."""
    kind = " \u00b7 ".join(
        clean(str(part), ID_LIMIT)
        for part in (record.model, record.mode, record.generation_type, record.aspect_ratio)
        if part
    )
    lines = [
        f"Task      {clean(record.local_id, ID_LIMIT)}",
        f"State     {record.state.value}",
        f"Prompt    {clean(record.prompt, PROMPT_LIMIT)}",
        f"Model     {kind}",
        f"Price     ${record.price:.2f}" + ("" if record.charged else " (not charged)"),
        f"Created   {_when(record.created_at)}",
    ]
    if record.apixo_task_id:
        lines.append(f"APIXO id  {clean(record.apixo_task_id, ID_LIMIT)}")
    if record.parent_id:
        lines.append(f"Extends   {clean(record.parent_id, ID_LIMIT)}")
    if record.api_cost_time:
        lines.append(f"Took      {record.api_cost_time / 1000:.0f} s at APIXO")
    lines.extend(f"File      {printable(path, LINE_LIMIT)}" for path in record.files)
    if record.state is not TaskState.SUCCEEDED:
        lines.extend(f"URL       {url}" for url in urls_shown(record))
    if record.fail_code or record.fail_message:
        lines.append(f"Failure   {reason(record)}")
    if record.note:
        lines.append(f"Note      {clean(record.note, MESSAGE_LIMIT)}")
    if record.hidden:
        lines.append("Hidden    yes (removed from the list)")
    return "\n".join(lines)


def reason(record: TaskRecord) -> str:
    """A failed task's ``failCode: failMessage``, safe and bounded."""
    code = f"{clean(record.fail_code, ID_LIMIT)}: " if record.fail_code else ""
    return code + clean(record.fail_message or "", MESSAGE_LIMIT)


def urls_shown(record: TaskRecord) -> list[str]:
    """A task's result URLs, safe and bounded (a few, then how many more)."""
    shown = [clean(url, URL_LIMIT) for url in record.result_urls[:_URLS_SHOWN]]
    more = len(record.result_urls) - len(shown)
    if more > 0:
        shown.append(f"(and {more} more)")
    return shown


def state_line(record: TaskRecord) -> str:
    """One line about where a task is: ``a1b2c3d4 processing``, ``... succeeded: FILE``."""
    text = f"{record.short_id} {record.state.value}"
    if record.state is TaskState.SUCCEEDED:
        text += f": {', '.join(printable(f, LINE_LIMIT) for f in record.files)}"
    elif record.is_final and record.fail_code:
        return f"{text}: {clean(record.fail_code, ID_LIMIT)}"
    if record.note:
        text += f" ({clean(record.note, MESSAGE_LIMIT)})"
    return text


def table(records: list[TaskRecord]) -> str:
    """The task list: id, creation time, state, mode, price, prompt."""
    rows = [f"{'ID':<8}  {'CREATED':<16}  {'STATE':<11}  {'MODE':<7}  {'PRICE':>5}  PROMPT"]
    for r in records:
        rows.append(
            f"{r.short_id:<8}  {_when(r.created_at):<16}  {r.state.value:<11}  "
            f"{clean(r.mode, ID_LIMIT):<7}  "
            f"{r.price:>5.2f}  {clean(r.prompt, _PROMPT_WIDTH)}"
        )
    return "\n".join(rows)


def _nothing() -> None:
    return None


class Progress:
    """Shows how tasks are doing on ``stream`` (stderr).

    On a terminal: one status line rewritten in place (state, elapsed time, download %).
    Elsewhere (a pipe, a file, a CI log): one line per change of a task's state or note,
    for example ``a1b2c3d4 processing`` then ``a1b2c3d4 succeeded: /path/clip.mp4``.
    """

    def __init__(
        self, engine: TaskEngine, local_ids: list[str], stream: TextIO, *, terminal: bool
    ) -> None:
        self._engine = engine
        self._ids = local_ids
        self._stream = stream
        self._terminal = terminal
        self._bytes: dict[str, tuple[int, int | None]] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] = _nothing
        self._width = 0
        self._wanted = frozenset(local_ids)
        self._shown: dict[str, str] = {}

    def start(self) -> None:
        if not self._terminal:
            for local_id in self._ids:
                self._on_change(self._engine.get(local_id))
            self._unsubscribe = self._engine.subscribe(self._on_change)
            return
        self._unsubscribe = self._engine.subscribe_progress(self._on_progress)
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def stop(self) -> None:
        self._unsubscribe()
        self._unsubscribe = _nothing
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
            self._write("")
            with contextlib.suppress(OSError, ValueError):
                self._stream.write("\r")
                self._stream.flush()

    def _on_change(self, record: TaskRecord) -> None:
        if record.local_id not in self._wanted:
            return
        line = state_line(record)
        if self._shown.get(record.local_id) == line:
            return
        self._shown[record.local_id] = line
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(line + "\n")
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
                part += f" ({clean(record.note, 60)})"
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
