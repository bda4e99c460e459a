"""``veo-desktop generate|extend|status|list|resume|download|balance``: the engine and store
of the window.

Results go to stdout (task ids, file paths, tables); everything else (progress, hints,
errors) to stderr, errors in one line. The API key comes from ``APIXO_API_KEY`` or the
keyring and is never printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

import httpx

from veo_desktop.api.errors import (
    ApixoError,
    AuthenticationError,
    ExtendSourceError,
    PermissionDeniedError,
    SubmissionUncertainError,
)
from veo_desktop.api.models import (
    AnyRequest,
    ExtendRequest,
    GenerationRequest,
    RequestInvalidError,
)
from veo_desktop.api.retry import RetryPolicy
from veo_desktop.api.urls import DEFAULT_BASE_URL, normalize_base_url
from veo_desktop.cli.args import (
    BASE_URL_ENV,
    TYPES,
    ExitCode,
    build_parser,
    reject_usage_mistake,
)
from veo_desktop.cli.image_args import image_count_problem, image_value_problems, sentence
from veo_desktop.cli.output import (
    ID_LIMIT,
    MESSAGE_LIMIT,
    Progress,
    clean,
    describe,
    reason,
    table,
    urls_shown,
)
from veo_desktop.core.engine import (
    EngineBusyError,
    TaskBusyError,
    TaskEngine,
    redownload_problem,
)
from veo_desktop.core.journal import AcceptedJournal, IdSafety
from veo_desktop.core.key_source import API_KEY_ENV
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.secrets import KeyringUnavailableError, KeyStore
from veo_desktop.core.settings import Settings
from veo_desktop.core.spending import MoneyPolicy, PaidAction, PaidKind, SpendingCap
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.runtime import Runtime
from veo_desktop.runtime.demo import DEMO_KEY, DEMO_TIMING, start_demo_simulator
from veo_desktop.safe_text import printable
from veo_desktop.storage.store import StoreError, TaskStore

if TYPE_CHECKING:
    from veo_desktop.api.client import ApixoClient

log = logging.getLogger(__name__)

R = TypeVar("R", GenerationRequest, ExtendRequest)

IMAGE_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)
#: A person at a terminal waits ~2 s for an unreachable API, not ~8 s; polls retry anyway.
CLI_READ_RETRY = RetryPolicy(max_attempts=3)
_FAILED_STATES = frozenset(
    {TaskState.FAILED, TaskState.REJECTED, TaskState.EXPIRED, TaskState.LOST}
)


class CliError(Exception):
    """Ends the command with ``code``; ``str()`` is the one line shown on stderr."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Context:
    """What every command needs, resolved from options, environment and settings."""

    args: argparse.Namespace
    paths: AppPaths
    settings: Settings
    base_url: str
    timing: PollTiming
    demo: bool
    out: TextIO
    err: TextIO
    #: The app's parts over one HTTP client, opened by the first step that needs them and
    #: closed as the command ends (:func:`runtime_for`).
    runtime: Runtime | None = None
    #: Tasks submitted by this command whose APIXO id was not in the store at once.
    at_risk: list[str] = field(default_factory=list)
    #: Those whose id was saved nowhere when the engine closed (exit 1, the ids shown).
    unsaved: list[TaskRecord] = field(default_factory=list)

    @property
    def client(self) -> ApixoClient | None:
        """The API client while an engine is open (for free reads such as a task's status)."""
        runtime = self.runtime
        if runtime is None or not runtime.has_engine or runtime.closed:
            return None
        return runtime.client

    @property
    def interactive(self) -> bool:
        return _isatty(self.err)

    def say(self, text: str) -> None:
        """A line for the person (stderr), shown only on a terminal."""
        if self.interactive:
            print(clean(text), file=self.err, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    out, err = sys.stdout, sys.stderr
    given = list(sys.argv[1:] if argv is None else argv)
    reject_usage_mistake(given)
    args = build_parser().parse_args(given)
    try:
        return int(asyncio.run(_run(args, out, err)))
    except CliError as error:
        print(f"veo-desktop: error: {clean(str(error))}", file=err, flush=True)
        return int(error.code)
    except Exception as error:  # noqa: BLE001 - the one place a bug becomes a line and a log
        return _unexpected(error, err)
    except KeyboardInterrupt:
        batch = (
            " Run the same command again to send the rest of the batch."
            if getattr(args, "batch", None)
            else ""
        )
        print(
            "\nveo-desktop: stopped. Unfinished tasks continue with `veo-desktop resume` "
            f"(or in the window).{batch}",
            file=err,
            flush=True,
        )
        return int(ExitCode.INTERRUPTED)


def _unexpected(error: Exception, err: TextIO) -> int:
    """A bug: the traceback to the log file, one safe line for the person."""
    from veo_desktop import logs

    log.error("unexpected error", exc_info=error)
    log_file = logs.current_log_file()
    where = f"details in {log_file}" if log_file else "no log file could be written"
    text = clean(f"{type(error).__name__}: {error}", MESSAGE_LIMIT)
    print(f"veo-desktop: error: {text} ({where})", file=err, flush=True)
    return int(ExitCode.INTERNAL)


async def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitCode:
    ctx = _context(args, out, err)
    try:
        code = await _command(ctx)
    finally:
        if ctx.runtime is not None:
            await ctx.runtime.aclose()
        for record in ctx.unsaved:
            print(unsaved_text(record), file=ctx.err, flush=True)
    return ExitCode.LOCAL if ctx.unsaved else code


async def _command(ctx: Context) -> ExitCode:
    """Run the subcommand ``ctx.args`` names."""
    args = ctx.args
    command = args.command
    if command == "generate":
        if getattr(args, "batch", None) is not None:
            from veo_desktop.cli.creative import generate_batch

            return await generate_batch(ctx)
        return await generate(ctx)
    if command == "extend":
        from veo_desktop.cli.creative import extend

        return await extend(ctx)
    if command == "status":
        return await status(ctx)
    if command in ("list", "tag"):
        from veo_desktop.cli.library import list_library, tag_task

        return list_library(ctx) if command == "list" else tag_task(ctx)
    if command == "resume":
        return await resume(ctx)
    if command == "download":
        return await download(ctx)
    if command == "storyboard":
        from veo_desktop.cli.storyboard import storyboard

        return await storyboard(ctx)
    if command in ("recipe", "import"):
        from veo_desktop.cli.recipe import import_videos, show_recipe

        return show_recipe(ctx) if command == "recipe" else import_videos(ctx)
    return await balance(ctx)


def _context(args: argparse.Namespace, out: TextIO, err: TextIO) -> Context:
    demo = bool(getattr(args, "demo", False))
    paths = AppPaths.resolve(getattr(args, "data_dir", None))
    if demo:
        paths = paths.demo()
    try:
        paths.ensure()
    except OSError as error:
        raise CliError(
            ExitCode.LOCAL, f"Cannot create the data folder {paths.data_dir}: {error.strerror}"
        ) from error
    _setup_logging(paths)
    settings = Settings.load(paths)
    raw_url = getattr(args, "base_url", None) or os.environ.get(BASE_URL_ENV) or settings.base_url
    try:
        base_url = normalize_base_url(raw_url or DEFAULT_BASE_URL)
    except ValueError as error:
        raise CliError(ExitCode.INVALID, str(error)) from error
    timing = DEMO_TIMING if demo else settings.timing
    timing = timing.with_overrides(
        first_poll=getattr(args, "first_poll", None), poll_every=getattr(args, "poll_every", None)
    )
    return Context(
        args=args,
        paths=paths,
        settings=settings,
        base_url=base_url,
        timing=timing,
        demo=demo,
        out=out,
        err=err,
    )


def _setup_logging(paths: AppPaths) -> None:
    from veo_desktop import logs

    key = os.environ.get(API_KEY_ENV)
    try:
        logs.setup_logging(paths.log_dir, secrets=[key] if key else [])
    except OSError:
        logs.setup_logging(None, secrets=[key] if key else [])


# -- wiring ------------------------------------------------------------------------------------


def _api_key(ctx: Context) -> str:
    if ctx.demo:
        return DEMO_KEY
    key = (os.environ.get(API_KEY_ENV) or "").strip()
    if key:
        return key
    try:
        stored = KeyStore(timeout=5.0).get()
    except KeyringUnavailableError as error:
        raise CliError(ExitCode.INVALID, f"No API key: set {API_KEY_ENV}. ({error})") from error
    if stored:
        from veo_desktop import logs

        logs.register_secret(stored)
        return stored
    raise CliError(
        ExitCode.INVALID,
        f"No API key: set {API_KEY_ENV}, or save the key in the app (Settings > API key).",
    )


def runtime_for(ctx: Context) -> Runtime:
    """The command's runtime (one HTTP client for the API, downloads and images); in demo
    mode it starts the simulator. Closed as the command ends."""
    if ctx.runtime is None:
        simulator = None
        if ctx.demo:
            ctx.say("Demo mode: a simulated APIXO on this computer; nothing is charged.")
            simulator = start_demo_simulator()
        try:
            ctx.runtime = Runtime(
                paths=ctx.paths,
                settings=ctx.settings,
                base_url=ctx.base_url if simulator is None else simulator.base_url,
                simulator=simulator,
                timeout=IMAGE_TIMEOUT,
            )
        except BaseException:
            if simulator is not None:
                simulator.stop()
            raise
        ctx.runtime.seed_demo_balance()  # the demo's key holds what its tasks left
    return ctx.runtime


def _connect(ctx: Context) -> ApixoClient:
    api_key = _api_key(ctx)
    return runtime_for(ctx).connect(api_key, read_retry=CLI_READ_RETRY)


@contextlib.asynccontextmanager
async def engine_for(ctx: Context, *, resume: bool) -> AsyncIterator[TaskEngine]:
    """A started engine on the data folder (polling and downloading with ``resume``).

    On leaving, the runtime closes (engine, image hosts, store, HTTP client, simulator).
    """
    _connect(ctx)
    runtime = runtime_for(ctx)
    try:
        try:
            engine = runtime.open_engine(timing=ctx.timing)
        except StoreError as error:
            raise CliError(ExitCode.LOCAL, str(error)) from error
        try:
            try:
                await engine.start(resume=resume)
            except EngineBusyError as error:
                raise CliError(ExitCode.LOCAL, str(error)) from error
            for orphan in engine.journal_orphans:
                print(
                    f"veo-desktop: warning: APIXO accepted task {clean(orphan.apixo_task_id)} "
                    f"(paid), but no task in {ctx.paths.data_dir} holds it (the task list "
                    "may have been replaced). Look it up in the APIXO dashboard or ask APIXO "
                    f"support; its id stays in {engine.journal_path}.",
                    file=ctx.err,
                    flush=True,
                )
            yield engine
        finally:
            await runtime.close_engine()
            ctx.unsaved = [
                engine.get(i) for i in ctx.at_risk if engine.id_safety(i) is IdSafety.UNSAVED
            ]
    finally:
        await runtime.aclose()


def _open_store(ctx: Context) -> TaskStore:
    try:
        return TaskStore.open(ctx.paths.store_path)
    except StoreError as error:
        raise CliError(ExitCode.LOCAL, str(error)) from error


# -- generate ----------------------------------------------------------------------------------


async def generate(ctx: Context) -> ExitCode:
    """Submit one video; with ``--wait`` follow it, download it, copy it to ``--output``."""
    args = ctx.args
    output = output_path(args)
    problem = image_count_problem(args.type or "text", len(args.image))
    if problem is not None:
        raise CliError(ExitCode.INVALID, f"{problem} Nothing was sent.")
    problems = image_value_problems(args.image)
    if problems:
        raise CliError(ExitCode.INVALID, f"{sentence(problems)} Nothing was sent.")
    request = GenerationRequest(
        prompt=args.prompt,
        mode=args.mode or "fast",
        generation_type=TYPES[args.type or "text"],
        aspect_ratio=args.aspect or "16:9",
        image_urls=tuple(_stand_in(value) for value in args.image),
        seed=args.seed,
        watermark=args.watermark,
    )
    check_request(request)  # every rule but the images' reachability, before any upload
    if args.image:
        urls = tuple(await _image_urls(ctx, args.image))
        request = check_request(request.replace(image_urls=urls))

    async with engine_for(ctx, resume=args.wait) as engine:
        check_cap(ctx, engine, request.price)
        record = await submit_one(ctx, engine, request)
        ctx.say(
            f"Submitted: task {record.short_id} (APIXO {record.apixo_task_id}), "
            f"{record.mode} ${record.price:.2f}."
        )
        if not args.wait:
            if ctx.demo:
                ctx.say(
                    "Demo: the simulated API lives only while this command runs, so this task "
                    "will not finish; add --wait to follow a demo task to its video."
                )
            else:
                ctx.say(
                    "Follow it with `veo-desktop status "
                    f"{record.short_id}`; `veo-desktop resume` downloads it when it is done."
                )
            return ExitCode.OK
        final = await follow(ctx, engine, [record.local_id])
        done = final[record.local_id]
    return report_one(ctx, done, output)


async def submit_one(
    ctx: Context, engine: TaskEngine, request: AnyRequest, *, parent_id: str | None = None
) -> TaskRecord:
    """Submit through the engine and print the new task's id (stdout).

    Raises:
        CliError: uncertain (5, the row's id printed first), refused (3), not saved (1).
        ExtendSourceError: APIXO cannot extend the source (the caller explains it).
    """
    created: list[str] = []
    unsubscribe = engine.subscribe(
        lambda r: created.append(r.local_id) if r.state is TaskState.SUBMITTING else None
    )
    try:
        record = await engine.submit(request, parent_id=parent_id)
    except SubmissionUncertainError as error:
        for local_id in created:
            print(local_id, file=ctx.out, flush=True)
        raise CliError(ExitCode.UNCERTAIN, str(error)) from error
    except ExtendSourceError:
        raise
    except ApixoError as error:
        raise CliError(ExitCode.API, str(error)) from error
    except StoreError as error:
        raise CliError(ExitCode.LOCAL, f"{error} Nothing was sent.") from error
    except Exception as error:
        uncertain = [i for i in created if engine.get(i).state is TaskState.UNCERTAIN]
        if not uncertain:
            raise
        # A bug after the POST: APIXO may have taken (and charged) it; the row says so.
        log.exception("unexpected error after submitting task %s", uncertain[0])
        for local_id in uncertain:
            print(local_id, file=ctx.out, flush=True)
        note = engine.get(uncertain[0]).note or "The submission is uncertain."
        raise CliError(
            ExitCode.UNCERTAIN, f"{note} It is not sent again; check it with `veo-desktop status`."
        ) from error
    finally:
        unsubscribe()
    print(record.local_id, file=ctx.out, flush=True)
    tell_id_safety(ctx, engine, record)
    return record


def tell_id_safety(ctx: Context, engine: TaskEngine, record: TaskRecord) -> None:
    """After a submission APIXO accepted: say so when its id is not in the task store.

    Kept only in the accepted-ids journal: a warning (the next start restores it). Saved
    nowhere: a loud error naming the APIXO id, and the command exits 1 if it still is
    when the engine closes.
    """
    safety = engine.id_safety(record.local_id)
    if safety is IdSafety.STORED:
        return
    ctx.at_risk.append(record.local_id)
    if safety is IdSafety.UNSAVED:
        if getattr(ctx.args, "wait", False):  # else it is said once, as the command ends
            print(unsaved_text(record), file=ctx.err, flush=True)
        return
    journal = AcceptedJournal.beside(ctx.paths.store_path).path
    print(
        "veo-desktop: warning: The task store could not be written; APIXO task "
        f"{clean(record.apixo_task_id or '?', ID_LIMIT)} (task {record.short_id}) is kept in "
        f"{journal} and recovered at the next start.",
        file=ctx.err,
        flush=True,
    )


def unsaved_text(record: TaskRecord) -> str:
    """The loud line about a paid task whose APIXO id could be saved nowhere."""
    apixo_id = clean(record.apixo_task_id or "?", ID_LIMIT)
    return (
        f"veo-desktop: error: APIXO accepted task {apixo_id} (charged ${record.price:.2f}) "
        "but neither the task store nor its journal could be written (is the disk full?). "
        f"Write it down: APIXO task {apixo_id}; its video stays on APIXO for about 24 hours."
    )


def check_cap(
    ctx: Context, engine: TaskEngine, price: Decimal, kind: PaidKind = PaidKind.GENERATE
) -> None:
    """Refuse (exit 2) a submission past the daily spending cap set in the app's Settings,
    unless ``--over-cap`` was given: a command line cannot ask first.

    The one money policy decides, as in the window (``price`` is the total to be sent).
    """
    cap = SpendingCap.from_settings(ctx.settings, engine)
    decision = MoneyPolicy(cap, balance=engine.last_balance).decide(PaidAction(kind, price))
    if not decision.over_cap or getattr(ctx.args, "over_cap", False):
        return
    raise CliError(
        ExitCode.INVALID,
        f"{decision.cap_text} Nothing was sent; add --over-cap to submit anyway, or change "
        "the cap in the app's Settings.",
    )


def output_path(args: argparse.Namespace) -> Path | None:
    """``--output`` checked before anything is sent (it needs ``--wait`` and a folder)."""
    if not args.output:
        return None
    output = Path(args.output).expanduser()
    if not getattr(args, "wait", True):
        raise CliError(ExitCode.INVALID, "--output needs --wait (the video must be finished).")
    if not output.parent.is_dir():
        raise CliError(ExitCode.INVALID, f"--output: the folder {output.parent} does not exist.")
    return output


def _stand_in(value: str) -> str:
    """A local path checked as a URL would fail; until it is uploaded it stands as one."""
    from veo_desktop.hosting.inputs import looks_like_url

    return value if looks_like_url(value) else "https://local-file.invalid/image.png"


def check_request(request: R) -> R:
    """``request`` when it keeps every rule; else exit 2, nothing sent."""
    try:
        return request.validated()
    except RequestInvalidError as error:
        raise CliError(ExitCode.INVALID, f"Invalid request, nothing was sent: {error}") from error


async def _image_urls(ctx: Context, values: list[str]) -> list[str]:
    """``--image`` values as URLs APIXO can fetch: URLs checked, local files uploaded.

    Files go to the hosting set up in Settings or ``VEO_S3_*``; in demo mode, to the
    simulator. Nothing is uploaded unless every value is usable.
    """
    from veo_desktop.hosting import (
        HostingError,
        ImageInputsError,
        provider_for_cli,
        resolve_image_inputs,
    )

    runtime = runtime_for(ctx)
    demo_origin = runtime.demo_origin if ctx.demo else None
    try:
        provider = await provider_for_cli(ctx.settings, http=runtime.http, demo_origin=demo_origin)
    except HostingError as error:
        raise CliError(ExitCode.INVALID, f"--image: {error}") from error
    host = runtime.adopt_host(provider)  # closed with the runtime, after the engine
    try:
        return await resolve_image_inputs(
            values, host, runtime.checker, prepare=runtime.prepare_image
        )
    except ImageInputsError as error:
        problems = sentence([str(problem) for problem in error.problems])
        raise CliError(ExitCode.INVALID, f"{problems} Nothing was sent.") from error


def report_one(ctx: Context, record: TaskRecord, output: Path | None) -> ExitCode:
    """Print a finished task's file(s) (copied to ``output``); its exit code."""
    if record.state is TaskState.SUCCEEDED:
        files = [Path(f) for f in record.files]
        if output is not None:
            embed = ctx.settings.embed_recipe and not getattr(ctx.args, "no_recipe", False)
            files = _copy_out(record, files, output, embed=embed)
        for path in files:
            print(printable(str(path)), file=ctx.out, flush=True)
        if record.note:  # a video that could not be downloaded, the others kept
            print(f"veo-desktop: warning: {clean(record.note)}", file=ctx.err, flush=True)
        return ExitCode.OK
    if record.state is TaskState.UNCERTAIN:
        raise CliError(ExitCode.UNCERTAIN, record.note or "The submission is uncertain.")
    raise CliError(ExitCode.FAILED, failure_text(record))


def failure_text(record: TaskRecord) -> str:
    """Why a task ended without a video, in one line (safe to print).

    A task whose video APIXO made but that could not be downloaded also names the APIXO
    task, the URL and the command that tries again.
    """
    short = record.short_id
    message = clean(record.fail_message or "", MESSAGE_LIMIT)
    if record.state is TaskState.FAILED:
        text = f"Task {short} failed: {reason(record)}"
    elif record.state is TaskState.REJECTED:
        text = f"Task {short} was rejected: {message}"
    else:
        text = f"Task {short} {record.state.value}: {message}"
    if redownload_problem(record) is None:
        text += (
            f" APIXO task {clean(record.apixo_task_id or '?', ID_LIMIT)}; the video is at "
            f"{' '.join(urls_shown(record))}. Try again with `veo-desktop download {short}`."
        )
    return text


def _copy_out(record: TaskRecord, files: list[Path], output: Path, *, embed: bool) -> list[Path]:
    """Copy the videos to ``output`` (``-2``, ``-3``… for more), each carrying its recipe
    in its metadata when ``embed`` (``veo_desktop.film.recipe``)."""
    from veo_desktop.film.recipe import export_copy

    copies: list[Path] = []
    for index, source in enumerate(files):
        target = output if index == 0 else output.with_stem(f"{output.stem}-{index + 1}")
        try:
            export_copy(record, source, target, embed=embed)
        except OSError as error:
            raise CliError(
                ExitCode.LOCAL,
                f"The video is saved at {source}, but copying it to {target} failed: "
                f"{error.strerror or error}",
            ) from error
        copies.append(target)
    return copies


async def follow(ctx: Context, engine: TaskEngine, local_ids: list[str]) -> dict[str, TaskRecord]:
    """Wait until every task is no longer active, showing progress on a terminal."""
    progress = Progress(engine, local_ids, ctx.err, terminal=ctx.interactive)
    progress.start()
    try:
        waits = {i: asyncio.ensure_future(engine.wait(i)) for i in local_ids}
        while True:
            pending = [w for w in waits.values() if not w.done()]
            if not pending:
                break
            await asyncio.wait(pending, timeout=0.5)
            problem = engine.problem
            if isinstance(problem, AuthenticationError | PermissionDeniedError):
                for wait in waits.values():
                    wait.cancel()
                raise CliError(
                    ExitCode.API,
                    f"{problem} The tasks are kept; run `veo-desktop resume` once this is fixed.",
                )
        return {i: w.result() for i, w in waits.items()}
    finally:
        progress.stop()


# -- status, list, resume, balance -------------------------------------------------------------


async def status(ctx: Context) -> ExitCode:
    """Show one task; a running one is checked with APIXO, an uncertain one explained."""
    wanted = ctx.args.task_id
    async with _engine_or_none(ctx) as engine:
        if engine is None:
            record = _find_in_store(ctx, wanted)
            ctx.say("(Another Veo Desktop is following the tasks; showing what is stored.)")
        else:
            found = engine.find(wanted)
            if found is None:
                raise CliError(
                    ExitCode.INVALID,
                    _no_task(ctx, wanted),
                )
            record = found
            try:
                if record.state in (TaskState.PENDING, TaskState.PROCESSING):
                    record = await engine.refresh(record.local_id)
                elif record.state is TaskState.UNCERTAIN:
                    await engine.check_uncertain(record.local_id)
                    record = engine.get(record.local_id)
            except ApixoError as error:
                log.info("status check failed: %s", error)
    print(describe(record), file=ctx.out, flush=True)
    if record.state is TaskState.DOWNLOADING:
        ctx.say("Run `veo-desktop resume` to download it.")
    if redownload_problem(record) is None:
        ctx.say(f"Run `veo-desktop download {record.short_id}` to try the download again.")
    if record.state in (TaskState.PENDING, TaskState.PROCESSING) and not record.result_urls:
        ctx.say("Run `veo-desktop resume` to follow it to the end.")
    if record.state in _FAILED_STATES:
        return ExitCode.FAILED
    if record.state is TaskState.UNCERTAIN:
        return ExitCode.UNCERTAIN
    return ExitCode.OK


@contextlib.asynccontextmanager
async def _engine_or_none(ctx: Context) -> AsyncIterator[TaskEngine | None]:
    """An engine without polling, or None when another process holds the data folder."""
    try:
        async with engine_for(ctx, resume=False) as engine:
            yield engine
    except CliError as error:
        if error.code is not ExitCode.LOCAL or "Another Veo Desktop" not in str(error):
            raise
        yield None


def _no_task(ctx: Context, wanted: str) -> str:
    return f"No task '{clean(wanted, ID_LIMIT)}' in {ctx.paths.data_dir}."


def _find_in_store(ctx: Context, wanted: str) -> TaskRecord:
    store = _open_store(ctx)
    try:
        record = store.get(wanted) or store.find_by_apixo_id(wanted)
        if record is None:
            matches = [r for r in store.load_all() if r.local_id.startswith(wanted.lower())]
            record = matches[0] if len(matches) == 1 and len(wanted) >= 4 else None
    finally:
        store.close()
    if record is None:
        raise CliError(ExitCode.INVALID, _no_task(ctx, wanted))
    return record


def list_tasks(ctx: Context) -> ExitCode:
    """Print the tasks, newest first (reads the store only; works while the window runs).

    With none to show, says so on stderr (stdout stays empty for scripts): "No tasks yet.",
    or, outside demo mode while the demo has tasks, that they are listed with --demo.
    """
    records = _stored_records(ctx.paths.store_path)
    shown = [r for r in records if ctx.args.all or not r.hidden]
    shown.reverse()
    if shown:
        print(table(shown), file=ctx.out, flush=True)
        return ExitCode.OK
    if not ctx.demo and _stored_records(ctx.paths.demo().store_path):
        text = "No tasks. (Demo tasks are listed with --demo.)"
    elif records:
        text = "No tasks. (Removed tasks are listed with --all.)"
    else:
        text = "No tasks yet."
    print(text, file=ctx.err, flush=True)
    return ExitCode.OK


def _stored_records(path: Path) -> list[TaskRecord]:
    """Every task of the store at ``path`` (none when it was never made)."""
    if not path.exists():
        return []
    try:
        store = TaskStore.open(path)
    except StoreError as error:
        raise CliError(ExitCode.LOCAL, str(error)) from error
    try:
        return store.load_all()
    finally:
        store.close()


async def resume(ctx: Context) -> ExitCode:
    """Follow every unfinished task to the end, downloading finished videos."""
    async with engine_for(ctx, resume=True) as engine:
        active = [r.local_id for r in engine.tasks(include_hidden=True) if r.is_active]
        if active:
            ctx.say(f"Following {len(active)} unfinished task(s)...")
            final = await follow(ctx, engine, active)
        else:
            final = {}
            ctx.say("No unfinished tasks.")
        for record in final.values():
            print(_summary(record), file=ctx.out, flush=True)
        uncertain = [r for r in engine.tasks() if r.state is TaskState.UNCERTAIN]
    for record in uncertain:
        note = clean(record.note or "", MESSAGE_LIMIT)
        print(f"{record.short_id} uncertain: {note}", file=ctx.err, flush=True)
    if uncertain:
        return ExitCode.UNCERTAIN
    if any(r.state in _FAILED_STATES for r in final.values()):
        return ExitCode.FAILED
    return ExitCode.OK


async def download(ctx: Context) -> ExitCode:
    """Download a finished task's video again and follow it to the end (free)."""
    output = output_path(ctx.args)
    wanted = str(ctx.args.task).strip()
    async with engine_for(ctx, resume=False) as engine:
        found = engine.find(wanted) if wanted else None
        if found is None:
            raise CliError(ExitCode.INVALID, _no_task(ctx, wanted))
        if found.state is TaskState.SUCCEEDED and len(found.files) >= len(found.result_urls):
            ctx.say(f"Task {found.short_id} is already downloaded.")
            return report_one(ctx, found, output)
        try:
            record = engine.redownload(found.local_id)
        except TaskBusyError as error:
            hint = " `veo-desktop resume` follows it." if found.is_active else ""
            raise CliError(ExitCode.INVALID, f"Task {found.short_id}: {error}{hint}") from error
        ctx.say(f"Downloading task {record.short_id} again (nothing is charged)...")
        final = await follow(ctx, engine, [record.local_id])
        done = final[record.local_id]
    return report_one(ctx, done, output)


def _summary(record: TaskRecord) -> str:
    """A followed task's outcome for stdout: ``a1b2c3d4 succeeded: FILE, FILE``."""
    if record.state is TaskState.SUCCEEDED:
        files = ", ".join(printable(path) for path in record.files)
        return f"{record.short_id} succeeded: {files}"
    if record.state is TaskState.UNCERTAIN:
        return f"{record.short_id} uncertain"
    return failure_text(record)


async def balance(ctx: Context) -> ExitCode:
    """Print the key's balance in USD."""
    client = _connect(ctx)
    try:
        value: Decimal = await client.balance()
    except ApixoError as error:
        raise CliError(ExitCode.API, str(error)) from error
    print(f"${value:.2f}", file=ctx.out, flush=True)
    return ExitCode.OK


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
