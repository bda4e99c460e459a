"""``veo-desktop storyboard render FILE.json --output FILM.mp4 [--yes]``: a storyboard file's
missing shots generated, waited for and downloaded, and the film rendered. Also ``storyboard
list``, ``storyboard export BOARD FILE.json`` and ``storyboard import FILE.json``.

Every shot is checked before anything is sent (a bad file: each problem with its shot
number, exit 2). The count and total price of the shots still needed are shown; money is
spent only with ``--yes`` or a yes typed at the terminal, and the daily cap applies as for
``generate`` (``--over-cap`` passes it). The storyboard is kept in the data folder under an
id made from the file's path, so running the same command again (after a stop, a crash, or
with trims changed and shots added) sends nothing twice: a shot whose settings did not
change keeps its takes, and takes already sent are followed, not sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TextIO

from veo_desktop.cli.args import ExitCode
from veo_desktop.cli.commands import CliError, Context, engine_for, runtime_for
from veo_desktop.cli.output import clean
from veo_desktop.core.fsutil import atomic_write_text
from veo_desktop.core.spending import money
from veo_desktop.film.render import FilmError, FilmReport
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import Storyboard, storyboard_to_json
from veo_desktop.safe_text import printable, redact_all
from veo_desktop.storage.store import StoreError, TaskStore
from veo_desktop.storyboard import (
    GenerateResult,
    Plan,
    ShotStatus,
    StoryboardError,
    StoryboardFileError,
    StoryboardService,
    read_storyboard_file,
    usable_take,
)

_FAILED = frozenset({TaskState.FAILED, TaskState.EXPIRED, TaskState.LOST})


async def storyboard(ctx: Context) -> ExitCode:
    """Run ``storyboard ACTION`` (render, list, export, import)."""
    action = ctx.args.storyboard_command
    if action == "list":
        return list_boards(ctx)
    if action == "export":
        return export_board(ctx)
    if action == "import":
        return await import_board(ctx)
    return await render(ctx)


def _stored_boards(ctx: Context) -> list[Storyboard]:
    """The storyboards of the data folder, read from the store (works while the window runs)."""
    path = ctx.paths.store_path
    if not path.exists():
        return []
    try:
        with TaskStore.open(path) as store:
            return store.load_storyboards()
    except StoreError as error:
        raise CliError(ExitCode.LOCAL, str(error)) from error


def list_boards(ctx: Context) -> ExitCode:
    """Print each storyboard: its id, its number of shots and its name (oldest first)."""
    boards = _stored_boards(ctx)
    if not boards:
        print("No storyboards yet.", file=ctx.err, flush=True)
    for board in boards:
        count = len(board.shots)
        shots = f"{count} shot{'s' if count != 1 else ''}"
        print(
            f"{board.id[:12]}  {shots:>9}  {printable(board.name, 120)}", file=ctx.out, flush=True
        )
    return ExitCode.OK


def export_board(ctx: Context) -> ExitCode:
    """Write a storyboard (named by id, id prefix or name) to FILE.json."""
    wanted = str(ctx.args.board).strip()
    boards = _stored_boards(ctx)
    matches = [b for b in boards if b.id == wanted] or [
        b for b in boards if b.name == wanted or (len(wanted) >= 4 and b.id.startswith(wanted))
    ]
    if len(matches) != 1:
        what = "No storyboard" if not matches else f"{len(matches)} storyboards match"
        raise CliError(
            ExitCode.INVALID,
            f"{what} {printable(wanted, 80)!r} in {ctx.paths.data_dir} (see `veo-desktop "
            "storyboard list`).",
        )
    output = Path(ctx.args.output).expanduser()
    data = redact_all(storyboard_to_json(matches[0]))
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        atomic_write_text(output, text)
    except OSError as error:
        raise CliError(
            ExitCode.LOCAL, f"Cannot write {output}: {error.strerror or error}."
        ) from error
    print(printable(str(output)), file=ctx.out, flush=True)
    return ExitCode.OK


async def import_board(ctx: Context) -> ExitCode:
    """Check FILE.json and add its storyboard to the data folder; print its id."""
    source = _file_arg(ctx)
    async with engine_for(ctx, resume=False):
        service = runtime_for(ctx).storyboards
        try:
            parsed = read_storyboard_file(source, service.engine.find)
        except StoryboardFileError as error:
            _refuse_file(ctx, source, error)
        except OSError as error:
            raise CliError(
                ExitCode.INVALID, f"Cannot read {source}: {error.strerror or error}."
            ) from error
        board = service.adopt(parsed)
    print(board.id, file=ctx.out, flush=True)
    ctx.say(f"Added storyboard {board.name!r} ({len(board.shots)} shots).")
    return ExitCode.OK


async def render(ctx: Context) -> ExitCode:
    """Generate what FILE.json still needs (once agreed to), wait, render the film."""
    output, source = _paths(ctx)
    async with engine_for(ctx, resume=True):
        service = runtime_for(ctx).storyboards
        board = _board_of_file(ctx, service, source)
        if ctx.args.letterbox and not board.letterbox:
            board = service.set_letterbox(board.id, True)
        planned = service.plan(board.id)
        _tell_plan(ctx, source, planned)
        if planned.problems:
            for problem in planned.problems:
                _tell(ctx, f"{source.name}, {problem}")
            raise CliError(
                ExitCode.INVALID, f"{source.name}: some shots cannot be made; nothing was sent."
            )
        if planned.count:
            over_cap = await _agree(ctx, service, planned)
            result = await _generate(ctx, service, board.id, planned, over_cap=over_cap)
        else:
            result = await _generate(ctx, service, board.id, planned, over_cap=False)
        code = _outcome(ctx, service, result)
        if code is not ExitCode.OK:
            return code
        report = await _render(ctx, service, board.id, output)
    ctx.say(
        f"Rendered {report.frames} frames ({report.duration_s:.2f} s, {report.method}) in "
        f"{report.seconds:.1f} s."
    )
    print(printable(str(report.output)), file=ctx.out, flush=True)
    return ExitCode.OK


def _paths(ctx: Context) -> tuple[Path, Path]:
    """``--output`` (its folder must exist) and FILE.json, before anything is sent."""
    output = Path(ctx.args.output).expanduser()
    if not output.parent.is_dir():
        raise CliError(ExitCode.INVALID, f"--output: the folder {output.parent} does not exist.")
    return output, _file_arg(ctx)


def _file_arg(ctx: Context) -> Path:
    return Path(ctx.args.file).expanduser()


def _board_of_file(ctx: Context, service: StoryboardService, source: Path) -> Storyboard:
    """The storyboard of ``source``, read and checked, kept under an id made from the file's
    path: run again, shots whose settings did not change keep their takes."""
    try:
        parsed = read_storyboard_file(source, service.engine.find)
    except StoryboardFileError as error:
        _refuse_file(ctx, source, error)
    except OSError as error:
        raise CliError(
            ExitCode.INVALID, f"Cannot read {source}: {error.strerror or error}. Nothing was sent."
        ) from error
    key = hashlib.sha256(str(source.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    try:
        return service.update_from("file-" + key[:32], parsed)
    except StoryboardError as error:
        raise CliError(ExitCode.LOCAL, str(error)) from error


def _refuse_file(ctx: Context, source: Path, error: StoryboardFileError) -> NoReturn:
    """Every problem of the file on stderr, then exit 2."""
    for problem in error.problems:
        _tell(ctx, f"{source.name}, {problem}")
    count = len(error.problems)
    raise CliError(
        ExitCode.INVALID,
        f"{source.name}: {count} problem{'s' if count != 1 else ''}; nothing was sent.",
    ) from error


def _tell_plan(ctx: Context, source: Path, planned: Plan) -> None:
    shots = len(planned.shots)
    ready = sum(1 for s in planned.shots if s.status is ShotStatus.READY)
    noun = "shot" if shots == 1 else "shots"
    if planned.count:
        needed = "shot" if planned.count == 1 else "shots"
        _tell(
            ctx,
            f"{shots} {noun} in {source.name}: {planned.count} {needed} to generate, "
            f"{money(planned.total)} if APIXO accepts them all ({ready} ready).",
        )
    else:
        _tell(ctx, f"{shots} {noun} in {source.name}: nothing to generate ({ready} ready).")
    for line in planned.waiting:
        _tell(ctx, line)


async def _agree(ctx: Context, service: StoryboardService, planned: Plan) -> bool:
    """Whether the person agreed to spend (``--yes`` or a yes at the terminal); returns
    whether passing the daily cap was agreed to. Refuses (exit 2) otherwise."""
    args = ctx.args
    with contextlib.suppress(Exception):
        await service.engine.balance()
    decision = service.confirmation(planned)
    if decision.short_of_balance:
        raise CliError(ExitCode.INVALID, f"{decision.balance_text} Nothing was sent.")
    if args.yes:
        if decision.over_cap and not args.over_cap:
            raise CliError(
                ExitCode.INVALID,
                f"{decision.cap_text} Nothing was sent; add --over-cap to generate anyway, or "
                "change the cap in the app's Settings.",
            )
        return bool(args.over_cap)
    if not (ctx.interactive and _isatty(sys.stdin)):
        raise CliError(
            ExitCode.INVALID,
            f"Generating {planned.count} shot{'s' if planned.count != 1 else ''} costs "
            f"{money(planned.total)}: add --yes to agree. Nothing was sent.",
        )
    question = decision.question or f"Generate them for {money(planned.total)}?"
    answer = await asyncio.to_thread(_ask, ctx, f"{question} [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise CliError(ExitCode.INVALID, "Not agreed; nothing was sent.")
    return decision.over_cap


def _ask(ctx: Context, question: str) -> str:
    print(clean(question), end="", file=ctx.err, flush=True)
    try:
        return sys.stdin.readline()
    except (OSError, ValueError):
        return ""


async def _generate(
    ctx: Context, service: StoryboardService, board_id: str, planned: Plan, *, over_cap: bool
) -> GenerateResult:
    show = _line(ctx)
    try:
        return await service.generate_missing(
            board_id,
            approved=planned.total,
            over_cap=over_cap,
            on_progress=(
                None
                if show is None
                else lambda p: show(
                    f"Shots: {p.sent} of {p.to_send} sent, {p.running} being made, "
                    f"{p.ready} of {p.shots} ready"
                )
            ),
        )
    except StoryboardError as error:
        raise CliError(ExitCode.INVALID, str(error)) from error
    finally:
        if show is not None:
            show(None)


def _outcome(ctx: Context, service: StoryboardService, result: GenerateResult) -> ExitCode:
    """Print the sent takes' ids; say what went wrong; the exit code (as ``generate``'s)."""
    for local_id in result.sent:
        print(local_id, file=ctx.out, flush=True)
    for failure in result.failures:
        _tell(ctx, failure)
    if result.ready:
        return ExitCode.OK
    statuses = {s.status for s in result.plan.shots}
    _tell(ctx, "The film was not rendered: not every shot has a video.")
    if ShotStatus.UNCERTAIN in statuses:
        return ExitCode.UNCERTAIN
    records = [service.record_of(i) for i in result.sent]
    if any(r is not None and r.state in _FAILED for r in records):
        return ExitCode.FAILED
    return ExitCode.API


async def _render(
    ctx: Context, service: StoryboardService, board_id: str, output: Path
) -> FilmReport:
    show = _line(ctx)
    try:
        return await service.render(
            board_id,
            output,
            on_progress=None if show is None else lambda f: show(f"Rendering: {f:.0%}"),
        )
    except StoryboardError as error:
        raise CliError(ExitCode.INVALID, str(error)) from error
    except FilmError as error:
        hint = (
            " Add --letterbox to fit them in one frame." if _mixed_shapes(service, board_id) else ""
        )
        raise CliError(ExitCode.INVALID, f"The film cannot be made: {error}{hint}") from error
    finally:
        if show is not None:
            show(None)


def _mixed_shapes(service: StoryboardService, board_id: str) -> bool:
    """Whether the chosen takes were asked for in different aspect ratios (not letterboxed)."""
    board = service.get(board_id)
    takes = [usable_take(shot, service.record_of) for shot in board.shots]
    shapes = {t.aspect_ratio for t in takes if t is not None and t.aspect_ratio != "auto"}
    return not board.letterbox and len(shapes) > 1


def _line(ctx: Context) -> Callable[[str | None], None] | None:
    """A one-line progress display on a terminal (None elsewhere); None clears it."""
    if not ctx.interactive:
        return None

    def show(text: str | None) -> None:
        with contextlib.suppress(OSError, ValueError):
            ctx.err.write("\r\033[K" + ("" if text is None else clean(text, 200)))
            ctx.err.flush()

    return show


def _tell(ctx: Context, text: str) -> None:
    """A line for the person on stderr, terminal or not."""
    print(f"veo-desktop: {clean(text)}", file=ctx.err, flush=True)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
