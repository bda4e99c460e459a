"""``veo-desktop extend`` and ``veo-desktop generate --batch``: building on earlier videos and
sending many at once, with the same engine, store and money rules as ``generate``.

- ``extend`` refuses (exit 2, nothing sent) a video APIXO no longer holds by our own
  records, asks APIXO (for free) about a task id that is not ours, and turns APIXO's
  ``TASKID_ERROR`` into a plain message (exit 3, nothing charged).
- ``generate --batch`` checks every row before anything is sent, says what the batch costs,
  and runs the restartable batch runner: its journal in the data folder means that running
  the same command again after a kill sends only what never got a task.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from veo_desktop.api.errors import ApixoError, ExtendSourceError, NotFoundError
from veo_desktop.api.models import ExtendRequest, Model
from veo_desktop.api.responses import ApixoState
from veo_desktop.cli.args import ExitCode
from veo_desktop.cli.commands import (
    CliError,
    Context,
    check_cap,
    check_request,
    engine_for,
    failure_text,
    follow,
    output_path,
    report_one,
    submit_one,
    tell_id_safety,
)
from veo_desktop.cli.output import clean, one_line
from veo_desktop.core import lineage
from veo_desktop.core.batch import (
    BatchFileError,
    BatchItem,
    BatchJournalError,
    BatchProgress,
    BatchResult,
    BatchRunner,
    ItemState,
    ItemStatus,
    journal_dir,
    journal_path,
    parse_batch_file,
    total_price,
    unsent_indexes,
)
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.spending import PaidKind
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable

log = logging.getLogger(__name__)

#: Options of ``generate`` that describe one request; a batch takes them from its file.
_ONE_REQUEST_OPTIONS = {
    "mode": "--mode",
    "type": "--type",
    "aspect": "--aspect",
    "image": "--image",
    "seed": "--seed",
    "watermark": "--watermark",
    "output": "--output",
}
#: How many batch submissions are in flight at once.
BATCH_CONCURRENCY = 2


# -- extend ------------------------------------------------------------------------------------


async def extend(ctx: Context) -> ExitCode:
    """Extend a finished video; with ``--wait`` follow it and download the result."""
    args = ctx.args
    output = output_path(args)
    wanted = str(args.task).strip()
    # Every rule of the request itself first (the source's id is checked below).
    draft = check_request(
        ExtendRequest(
            task_id=wanted or "?",
            prompt=args.prompt,
            mode=args.mode,
            seed=args.seed,
            watermark=args.watermark,
        )
    )
    async with engine_for(ctx, resume=args.wait) as engine:
        now = time.time()
        records = engine.tasks(include_hidden=True)
        source, ours = await _extend_source(ctx, engine, wanted, records)
        if not lineage.can_extend(source, now, records=records):
            reason = lineage.extend_window_text(source, now, records=records)
            raise CliError(
                ExitCode.INVALID,
                f"{_name(source, ours, wanted)} cannot be extended. {reason} Nothing was sent.",
            )
        request = draft.replace(task_id=str(source.apixo_task_id))
        check_cap(ctx, engine, request.price, PaidKind.EXTEND)
        try:
            record = await submit_one(
                ctx, engine, request, parent_id=source.local_id if ours else None
            )
        except ExtendSourceError as error:
            message = lineage.taskid_error_message(source if ours else None, now=now)
            raise CliError(ExitCode.API, message) from error
        ctx.say(
            f"Submitted: extend {record.short_id} of {_name(source, ours, wanted)} "
            f"(APIXO {record.apixo_task_id}), {record.mode} ${record.price:.2f}."
        )
        if not args.wait:
            ctx.say(
                f"Follow it with `veo-desktop status {record.short_id}`; "
                "`veo-desktop resume` downloads it when it is done."
            )
            return ExitCode.OK
        final = await follow(ctx, engine, [record.local_id])
        done = final[record.local_id]
    return report_one(ctx, done, output)


def _name(source: TaskRecord, ours: bool, wanted: str) -> str:
    return f"task {source.short_id}" if ours else f"APIXO task {wanted}"


async def _extend_source(
    ctx: Context, engine: TaskEngine, wanted: str, records: list[TaskRecord]
) -> tuple[TaskRecord, bool]:
    """The task to extend: ours (by id, prefix or APIXO id), else APIXO's answer about it.

    Returns the record and whether it is one of ours.
    """
    if not wanted:
        raise CliError(ExitCode.INVALID, "Name the task to extend. Nothing was sent.")
    found = engine.find(wanted)
    if found is not None:
        return found, True
    matches = [r for r in records if r.local_id.startswith(wanted.lower())]
    if len(matches) > 1 and len(wanted) >= 4:
        raise CliError(
            ExitCode.INVALID,
            f"{wanted!r} matches {len(matches)} tasks; give more of the id. Nothing was sent.",
        )
    return await _remote_source(ctx, wanted), False


async def _remote_source(ctx: Context, task_id: str) -> TaskRecord:
    """What APIXO says about a task that is not in this app's store (a free status read)."""
    client = ctx.client
    assert client is not None, "the engine is open"
    try:
        status = await client.status(task_id, model=Model.VEO)
    except NotFoundError as error:
        raise CliError(
            ExitCode.INVALID,
            f"No task {task_id!r} in {ctx.paths.data_dir}, and APIXO knows no Veo 3.1 video "
            "with that id (an extension cannot be extended again). Nothing was sent.",
        ) from error
    except ApixoError as error:
        raise CliError(ExitCode.API, f"{error} Nothing was sent.") from error
    states = {
        ApixoState.SUCCESS: TaskState.SUCCEEDED,
        ApixoState.FAILED: TaskState.FAILED,
    }
    now = time.time()
    success = status.state is ApixoState.SUCCESS
    return TaskRecord(
        local_id="",
        model=Model.VEO.value,
        request={"input": {}},
        state=states.get(status.state, TaskState.PROCESSING),
        created_at=now,
        updated_at=now,
        apixo_task_id=task_id,
        api_create_time=status.create_time,
        api_complete_time=status.complete_time,
        # APIXO said success without a time: let APIXO judge (a refusal costs nothing).
        results_at=now if success and status.complete_time is None else None,
    )


# -- generate --batch --------------------------------------------------------------------------


@dataclass
class _Plan:
    """A batch about to run: its runner, and what was sent of it before."""

    runner: BatchRunner
    sent_before: int
    to_send: int
    price_to_send: Decimal


async def generate_batch(ctx: Context) -> ExitCode:
    """Send every request of a batch file (all checked first); restartable after a kill."""
    args = ctx.args
    _refuse_one_request_options(args)
    path, items = await asyncio.to_thread(_read_batch, ctx, str(args.batch))
    total = total_price(items)
    journal = journal_path(journal_dir(ctx.paths.data_dir), items)
    async with engine_for(ctx, resume=args.wait) as engine:
        plan = _plan(ctx, engine, items, journal, str(path))
        noun = "request" if len(items) == 1 else "requests"
        _tell(ctx, f"{len(items)} {noun} in {path.name}: ${total:.2f} if APIXO accepts them all.")
        if plan.sent_before and not plan.to_send:
            _tell(ctx, "All of them were sent before; nothing is sent again.")
        elif plan.sent_before:
            _tell(
                ctx,
                f"{plan.sent_before} of them were sent before (this batch was stopped); "
                f"{plan.to_send} still to send (${plan.price_to_send:.2f}).",
            )
        if plan.to_send:
            check_cap(ctx, engine, plan.price_to_send, PaidKind.BATCH)
        result = await _run(ctx, plan.runner)
        for status in result.items:
            if status.local_id is not None and status.state in (
                ItemState.SUBMITTED,
                ItemState.UNCERTAIN,
            ):
                print(status.local_id, file=ctx.out, flush=True)
            if status.local_id is not None and status.state is ItemState.SUBMITTED:
                tell_id_safety(ctx, engine, engine.get(status.local_id))
        code = _report_items(ctx, result)
        if not args.wait:
            if code is ExitCode.OK and plan.to_send:
                ctx.say("Follow them with `veo-desktop list`; `veo-desktop resume` downloads them.")
            return code
        submitted = [s for s in result.items if s.state is ItemState.SUBMITTED and s.local_id]
        final = await follow(ctx, engine, [str(s.local_id) for s in submitted])
    failed = False
    for status in submitted:
        record = final[str(status.local_id)]
        if record.state is TaskState.SUCCEEDED:
            for file in record.files:
                print(printable(file), file=ctx.out, flush=True)
        else:
            failed = True
            _tell(ctx, f"line {status.item.line}: {failure_text(record)}")
    if code is ExitCode.OK and failed:
        return ExitCode.FAILED
    return code


def _read_batch(ctx: Context, name: str) -> tuple[Path, list[BatchItem]]:
    """The batch file's items, every row checked; else exit 2 with every problem listed."""
    path = Path(name).expanduser()
    try:
        return path, parse_batch_file(path)
    except BatchFileError as error:
        for problem in error.problems:
            print(clean(f"veo-desktop: {path.name}, {problem}"), file=ctx.err, flush=True)
        count = len(error.problems)
        raise CliError(
            ExitCode.INVALID,
            f"{path.name}: {count} problem{'s' if count != 1 else ''}; nothing was sent.",
        ) from error
    except OSError as error:
        raise CliError(
            ExitCode.INVALID, f"Cannot read {path}: {error.strerror or error}. Nothing was sent."
        ) from error


def _refuse_one_request_options(args: argparse.Namespace) -> None:
    given = [
        flag
        for name, flag in _ONE_REQUEST_OPTIONS.items()
        if getattr(args, name, None) not in (None, [], False)
    ]
    if given:
        raise CliError(
            ExitCode.INVALID,
            f"--batch takes every setting from its file; remove {', '.join(given)}. "
            "Nothing was sent.",
        )


def _plan(
    ctx: Context, engine: TaskEngine, items: list[BatchItem], journal: Path, source: str
) -> _Plan:
    try:
        runner = BatchRunner(
            engine,
            items,
            concurrency=BATCH_CONCURRENCY,
            journal=journal,
            source=source,
            on_progress=_progress_line(ctx),
        )
    except BatchJournalError as error:
        raise CliError(ExitCode.LOCAL, f"{error} Nothing was sent.") from error
    unsent = [items[index] for index in unsent_indexes(runner.journal, engine)]
    return _Plan(
        runner=runner,
        sent_before=len(items) - len(unsent),
        to_send=len(unsent),
        price_to_send=total_price(unsent),
    )


async def _run(ctx: Context, runner: BatchRunner) -> BatchResult:
    try:
        return await runner.run()
    finally:
        if ctx.interactive:
            with contextlib.suppress(OSError, ValueError):
                ctx.err.write("\r\033[K")
                ctx.err.flush()


def _progress_line(ctx: Context) -> Callable[[BatchProgress], None] | None:
    """A one-line progress display on a terminal (nothing otherwise)."""
    if not ctx.interactive:
        return None

    def show(progress: BatchProgress) -> None:
        line = clean(f"Sending: {progress.summary()}", 200)
        with contextlib.suppress(OSError, ValueError):
            ctx.err.write("\r\033[K" + line)
            ctx.err.flush()

    return show


def _report_items(ctx: Context, result: BatchResult) -> ExitCode:
    """Say what went wrong with which line; the batch's exit code (its worst outcome)."""
    uncertain = rejected = 0
    for status in result.items:
        if status.state is ItemState.UNCERTAIN:
            uncertain += 1
            _tell(ctx, f"line {status.item.line}: uncertain: {_message(status)}")
        elif status.state is ItemState.REJECTED:
            rejected += 1
            _tell(ctx, f"line {status.item.line}: refused: {_message(status)}")
    unsent = len(result.unsent)
    if result.stopped:
        _tell(ctx, f"The batch stopped: {result.stopped}")
    if unsent:
        _tell(
            ctx,
            f"{unsent} item{'s were' if unsent != 1 else ' was'} not sent; run the same "
            "command again to send them (nothing already sent is sent again).",
        )
    sent = len(result.submitted)
    ctx.say(f"{sent} of {len(result.items)} submitted.")
    if uncertain:
        _tell(
            ctx,
            "Uncertain items were not sent again: check your APIXO dashboard, then resolve "
            "them in the window (or with `veo-desktop status`).",
        )
        return ExitCode.UNCERTAIN
    if rejected or unsent:
        return ExitCode.API
    return ExitCode.OK


def _message(status: ItemStatus) -> str:
    return one_line(status.message or status.state.value)


def _tell(ctx: Context, text: str) -> None:
    """A line for the person on stderr, terminal or not (what a batch costs, what failed)."""
    print(f"veo-desktop: {clean(text)}", file=ctx.err, flush=True)
