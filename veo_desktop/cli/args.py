"""The command line's grammar: subcommands, options, environment variables, exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path
from typing import NoReturn

from veo_desktop import __version__
from veo_desktop.core.key_source import API_KEY_ENV
from veo_desktop.safe_text import printable

PROG = "veo-desktop"
COMMANDS = (
    "generate",
    "extend",
    "status",
    "list",
    "tag",
    "resume",
    "download",
    "recipe",
    "import",
    "storyboard",
    "balance",
)
#: Flags that mean "the command line" even without a subcommand.
CLI_FLAGS = frozenset({"-h", "--help", "--version"})
#: Global options that take a value (skipped when looking for the subcommand).
_VALUE_OPTIONS = frozenset({"--data-dir", "--base-url", "--first-poll", "--poll-every"})
#: Qt's own options that take a value (``-platform offscreen``): the window's, not commands.
_QT_VALUE_OPTIONS = frozenset(
    {
        "-display",
        "-geometry",
        "-platform",
        "-platformpluginpath",
        "-platformtheme",
        "-plugin",
        "-qmljsdebugger",
        "-qwindowgeometry",
        "-qwindowicon",
        "-qwindowtitle",
        "-session",
        "-style",
        "-stylesheet",
    }
)
#: Options of the window that the command line does not have (ui/main.py's parse_args).
_WINDOW_FLAGS = frozenset({"--demo", "--verbose"})

BASE_URL_ENV = "APIXO_BASE_URL"

TYPES = {
    "text": "TEXT_2_VIDEO",
    "frames": "FIRST_AND_LAST_FRAMES_2_VIDEO",
    "reference": "REFERENCE_2_VIDEO",
}


class ExitCode(IntEnum):
    """What ``veo-desktop COMMAND`` exits with."""

    OK = 0
    #: A local problem: another Veo Desktop uses the data folder, a file cannot be written,
    #: or the APIXO id of an accepted (charged) task could be saved nowhere (it is shown).
    LOCAL = 1
    #: Invalid input; nothing was sent.
    INVALID = 2
    #: An API or network error.
    API = 3
    #: The task failed (or expired, or was lost); its failCode is shown.
    FAILED = 4
    #: The submission is uncertain: APIXO may or may not have taken it.
    UNCERTAIN = 5
    #: An unexpected error (a bug in Veo Desktop): one line on stderr, the traceback in the
    #: log file. Tasks already sent are kept; ``veo-desktop resume`` follows them.
    INTERNAL = 70
    #: Stopped with Ctrl-C; unfinished tasks continue with ``veo-desktop resume``.
    INTERRUPTED = 130


EPILOG = f"""\
environment:
  {API_KEY_ENV}          the APIXO API key (else the one saved in the app, in the keyring)
  {BASE_URL_ENV}         the API address (default https://api.apixo.ai/api/v1)
  VEO_DESKTOP_DATA_DIR   where tasks, settings, logs and videos live (like --data-dir)

exit codes:
  0  success
  1  a local problem (another Veo Desktop uses the data folder, a file cannot be written,
     or an accepted task's APIXO id could be saved nowhere: it is shown, write it down)
  2  invalid input (or past the daily spending cap set in the app); nothing was sent
  3  an API or network error
  4  the task failed (its failCode is shown), expired or was lost
  5  the submission is uncertain: check your APIXO dashboard before submitting again
  70 an unexpected error (a bug): the details are in the log file named on stderr;
     tasks already sent are kept (`veo-desktop resume` follows them)
  A batch exits with its worst outcome: 5 if any item is uncertain, else 3 if any was
  refused or not sent, else (with --wait) 4 if any task failed.
"""

BATCH_HELP = """\
batch files (generate --batch FILE):
  .csv   a header row naming the columns, then one request per row:
           prompt,mode,type,aspect,image,seed,watermark
           "A red fox in fresh snow",fast,text,16:9,,42,
           "The same fox at dusk",quality,frames,9:16,https://example.com/a.png,,
         type is text, frames or reference; image holds URLs separated by ";".
  .jsonl one JSON object per line, with the same names or APIXO's
         ({"prompt": "...", "mode": "quality", "aspect_ratio": "9:16"}); a line with
         "taskId" extends that APIXO task.
  Every row is checked before anything is sent: a bad row is reported with its line
  number and nothing is sent. The price of the whole batch is shown first. Progress is
  kept in a journal in the data folder: if the command is stopped (Ctrl-C, a crash, a
  closed laptop), run the same command again and only the items that were never sent
  are sent; nothing is paid twice. The task ids are printed one a line.
"""

EXTEND_HELP = """\
APIXO extends a finished Veo 3.1 video (not an extension) for about 24 hours after it
was made. TASK is one of this app's task ids (or its first letters) or an APIXO task id.
A task past its window is refused here (exit 2, nothing sent); when APIXO itself no
longer holds the video it answers TASKID_ERROR (exit 3, nothing charged).
"""


class _Parser(argparse.ArgumentParser):
    """Reports a usage error in one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        text = printable(" ".join(message.split()), 2000)
        sys.stderr.write(f"{self.prog}: error: {text} (see --help)\n")
        raise SystemExit(ExitCode.INVALID)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < 86400:
        raise argparse.ArgumentTypeError(f"seconds must be from 0 to 86400, not {text}")
    return value


def _common(suppress: bool) -> _Parser:
    """The global options, accepted before or after the subcommand."""
    default = argparse.SUPPRESS if suppress else None
    common = _Parser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="where tasks, settings, logs and videos live ($VEO_DESKTOP_DATA_DIR)",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=default,
        help=f"the APIXO API address (${BASE_URL_ENV})",
    )
    group.add_argument(
        "--demo",
        action="store_true",
        default=default if suppress else False,
        help="run against an embedded simulator on this computer (no charges)",
    )
    group.add_argument(
        "--first-poll",
        metavar="SECONDS",
        type=_seconds,
        default=default,
        help="seconds from submission to the first status check (default 75 fast, 90 quality)",
    )
    group.add_argument(
        "--poll-every",
        metavar="SECONDS",
        type=_seconds,
        default=default,
        help="seconds between later status checks (default 5-10)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    from veo_desktop.cli.library import add_list_options, add_tag_parser

    parser = _Parser(
        prog=PROG,
        description="Make videos with Google's Veo 3.1 through APIXO, from the command line. "
        "Run without a command to open the window.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    shared = [_common(suppress=True)]

    generate = sub.add_parser(
        "generate",
        parents=shared,
        help="submit a video, or a batch of them from a file (prints the task ids)",
        description="Submit a Veo 3.1 video (--prompt), or one per row of a CSV or JSONL "
        "file (--batch). Prints the task id(s); with --wait, follows the tasks to the end "
        "and downloads the videos. Fast costs $0.20, quality $1.50.",
        epilog=BATCH_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = generate.add_mutually_exclusive_group(required=True)
    what.add_argument("--prompt", metavar="TEXT", help="what the video shows")
    what.add_argument(
        "--batch",
        metavar="FILE",
        help="a .csv or .jsonl file with one request per row (see below); every row is "
        "checked before anything is sent, and a stopped batch resumes when run again",
    )
    generate.add_argument("--mode", choices=("fast", "quality"), help="default fast")
    generate.add_argument(
        "--type",
        choices=tuple(TYPES),
        help="text (default): from the prompt; frames: animate a first (and last) frame; "
        "reference: from 1-3 reference images (fast, 16:9 only)",
    )
    generate.add_argument("--aspect", choices=("16:9", "9:16", "auto"), help="default 16:9")
    generate.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="URL",
        help="an image URL (repeat for several); with --demo also a local file",
    )
    generate.add_argument("--seed", type=int, metavar="N", help="a seed for reproducibility")
    generate.add_argument("--watermark", metavar="TEXT", help="a watermark text")
    generate.add_argument(
        "--wait", action="store_true", help="follow the task(s) to the end and download the videos"
    )
    generate.add_argument(
        "--output", metavar="FILE", help="with --wait: also copy the video to FILE (not --batch)"
    )
    _no_recipe(generate)
    _over_cap(generate)

    extend = sub.add_parser(
        "extend",
        parents=shared,
        help="continue a finished video with a new prompt (prints the task id)",
        description="Extend a finished Veo 3.1 video with a new prompt (veo-3-1-extend). "
        "Prints the new task id; with --wait, follows it to the end and downloads the "
        "video. Fast costs $0.20, quality $1.50.",
        epilog=EXTEND_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    extend.add_argument(
        "task",
        metavar="TASK",
        help="the video to extend: a task id of this app (or its first letters) or APIXO's",
    )
    extend.add_argument(
        "--prompt", required=True, metavar="TEXT", help="what happens next in the video"
    )
    extend.add_argument("--mode", choices=("fast", "quality"), default="fast")
    extend.add_argument("--seed", type=int, metavar="N", help="a seed for reproducibility")
    extend.add_argument("--watermark", metavar="TEXT", help="a watermark text")
    extend.add_argument(
        "--wait", action="store_true", help="follow the task to the end and download the video"
    )
    extend.add_argument("--output", metavar="FILE", help="with --wait: also copy the video to FILE")
    _no_recipe(extend)
    _over_cap(extend)

    status = sub.add_parser(
        "status",
        parents=shared,
        help="show one task (asks APIXO for news)",
        description="Show one task. A running task is checked with APIXO once; an uncertain "
        "one is checked against the balance.",
    )
    status.add_argument("task_id", metavar="TASK_ID", help="the task id (or its first letters)")

    listing = sub.add_parser("list", parents=shared, help="list the tasks, newest first")
    listing.add_argument("--all", action="store_true", help="include removed and dismissed tasks")
    add_list_options(listing)
    add_tag_parser(sub, shared)

    sub.add_parser(
        "resume",
        parents=shared,
        help="follow every unfinished task to the end and download its videos",
        description="Follow every unfinished task (after a crash, or a generate without "
        "--wait) until it ends, downloading finished videos.",
    )
    download = sub.add_parser(
        "download",
        parents=shared,
        help="download a finished task's video again (after its download failed)",
        description="Download the video of a finished task again: one whose download "
        "failed (a broken link, a server error) or whose video went missing. Follows the "
        "download to the end and prints the file(s). Nothing is charged.",
    )
    download.add_argument(
        "task",
        metavar="TASK",
        help="a task id of this app (or its first letters) or its APIXO task id",
    )
    download.add_argument("--output", metavar="FILE", help="also copy the video to FILE")
    _no_recipe(download)
    recipe = sub.add_parser(
        "recipe",
        parents=shared,
        help="print the recipe (prompt and settings) a video carries, as JSON",
        description="Print the recipe a video saved by Veo Desktop carries in its own "
        "metadata (prompt, every request field, model, task ids, seed, times, price) as "
        "JSON. For a library video without one, the settings of the .json next to it.",
    )
    recipe.add_argument("file", metavar="FILE", help="a video (.mp4, .mov, .m4v)")
    importing = sub.add_parser(
        "import",
        parents=shared,
        help="add the Veo videos of a folder (with sidecars or recipes) to the library",
        description="Copy every Veo video of FOLDER (and its sub-folders) whose settings "
        "are known, from the .json next to it or the recipe inside it, into the library "
        "as a finished task. Videos already in the library (the same APIXO task or the "
        "same file) are skipped and listed. Nothing is sent to APIXO.",
    )
    importing.add_argument("folder", metavar="FOLDER", help="the folder to import from")
    _storyboard(sub, shared)
    sub.add_parser("balance", parents=shared, help="show the APIXO balance of the key")
    return parser


STORYBOARD_HELP = """\
storyboard files (FILE.json, also what the window's Export writes):
  {"shots": [SHOT, ...], "crossfade_frames": 0}
  SHOT is the fields of a batch JSON line ("prompt", "mode", "generationType",
  "aspect_ratio", "image_urls", "seed", "watermark") or {"task": ID} for a finished task
  (a local id, its first letters or an APIXO id), with optional "trim": [IN_S, OUT_S] and
  "start": "continue" (the previous shot's last frame is its first frame) or "extend"
  (it extends the previous shot's video). Every shot is checked first: a bad file is
  reported with the shot number and nothing is sent. Running the same command again
  after a stop sends nothing twice.
"""


def _storyboard(sub: argparse._SubParsersAction[_Parser], shared: list[_Parser]) -> None:
    storyboard = sub.add_parser(
        "storyboard",
        parents=shared,
        help="generate a storyboard's missing shots and render them into one film",
        description="Storyboards: shot lists made into one film.",
    )
    actions = storyboard.add_subparsers(dest="storyboard_command", metavar="ACTION")
    actions.required = True
    render = actions.add_parser(
        "render",
        parents=shared,
        help="generate the shots FILE.json still needs, wait for them and render the film",
        description="Generate the shots of FILE.json that have no video yet (their count "
        "and total price are shown first; spends only with --yes or a yes at the terminal; "
        "the daily cap applies), wait for them, download them and render the film: the "
        "chosen takes with their trims, cut together into one MP4 that carries the "
        "storyboard in its metadata and in a .json beside it.",
        epilog=STORYBOARD_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    render.add_argument("file", metavar="FILE.json", help="the storyboard file")
    render.add_argument("--output", required=True, metavar="FILM.mp4", help="the film to write")
    render.add_argument(
        "--yes", action="store_true", help="generate the missing shots without asking"
    )
    render.add_argument(
        "--letterbox",
        action="store_true",
        help="fit shots of another aspect ratio into the first shot's frame with black bars "
        "(without it, such a film is refused)",
    )
    _over_cap(render)
    actions.add_parser("list", parents=shared, help="list the storyboards of the data folder")
    export = actions.add_parser(
        "export",
        parents=shared,
        help="write a storyboard to FILE.json (the format render reads)",
        description="Write a storyboard (its shots, takes, trims) to FILE.json.",
    )
    export.add_argument("board", metavar="BOARD", help="its id (or first letters) or its name")
    export.add_argument("output", metavar="FILE.json", help="the file to write")
    importing = actions.add_parser(
        "import",
        parents=shared,
        help="add the storyboard of FILE.json to the data folder (the window shows it)",
        description="Check FILE.json and add its storyboard to the data folder; prints its id. "
        "Nothing is sent.",
        epilog=STORYBOARD_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    importing.add_argument("file", metavar="FILE.json", help="the storyboard file")


def _no_recipe(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-recipe",
        action="store_true",
        help="copy the video to --output as it is, without its recipe in its metadata",
    )


def _over_cap(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--over-cap",
        action="store_true",
        help="submit even when it passes the daily spending cap set in the app's Settings "
        "(without it, such a submission is refused and nothing is sent)",
    )


def _first_word(args: Sequence[str]) -> str | None:
    """The first argument that is neither an option nor a global option's value."""
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in _VALUE_OPTIONS or arg in _QT_VALUE_OPTIONS
            continue
        return arg
    return None


def unknown_command(args: Sequence[str]) -> str | None:
    """The mistyped command in ``args`` (``gen``), else None.

    The window takes options and a file (a video to restore), so a first word that is a
    command, an existing file or anything shaped like a path (a folder separator, a file
    extension) is no mistake; a bare word such as ``gen`` or ``lst`` is.
    """
    if any(arg in CLI_FLAGS for arg in args):
        return None
    word = _first_word(args)
    if word is None or word in COMMANDS:
        return None
    if "/" in word or "\\" in word or Path(word).suffix or Path(word).exists():
        return None
    return word


def unknown_command_message(word: str) -> str:
    """``veo-desktop: unknown command 'gen'; did you mean 'generate'?`` (one line)."""
    import difflib

    shown = printable(word, 80)
    lowered = word.lower()
    matches = [c for c in COMMANDS if lowered and c.startswith(lowered)]
    matches += [
        c for c in difflib.get_close_matches(lowered, COMMANDS, n=3, cutoff=0.6) if c not in matches
    ]
    if matches:
        quoted = " or ".join(f"'{match}'" for match in matches[:3])
        return f"{PROG}: unknown command '{shown}'; did you mean {quoted}?"
    listed = ", ".join(COMMANDS[:-1]) + f" and {COMMANDS[-1]}"
    return f"{PROG}: unknown command '{shown}'; the commands are {listed} (see {PROG} --help)"


def _command_options() -> dict[str, list[str]]:
    """Each option only a command takes (``--prompt``), with the commands that take it."""
    global_options = set(_common(suppress=False)._option_string_actions)
    taken: dict[str, list[str]] = {}
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, parser in action.choices.items():
                for option in parser._option_string_actions:
                    if option not in global_options and option not in CLI_FLAGS:
                        taken.setdefault(option, []).append(command)
    return taken


def _stray_option(args: Sequence[str]) -> tuple[str, list[str]] | None:
    """An option only a command takes, given before any command (``veo-desktop --prompt x``).

    Options the window takes, or that nobody does (the window ignores those), are no mistake.
    """
    known = _VALUE_OPTIONS | CLI_FLAGS | _WINDOW_FLAGS
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if not arg.startswith("-"):
            return None
        name = arg.split("=", 1)[0]
        skip = name in _VALUE_OPTIONS and "=" not in arg
        if name in known:
            continue
        commands = _command_options().get(name)
        if commands:
            return name, commands
    return None


def usage_mistake(args: Sequence[str]) -> str | None:
    """The one-line usage error of ``args`` that name no command yet are not the window's:
    a mistyped command (``gen``) or a command's option without its command (``--prompt``)."""
    if is_cli_invocation(args):
        return None
    stray = _stray_option(args)
    if stray is not None:
        option, commands = stray
        which = (
            ", ".join(commands[:-1]) + f" and {commands[-1]}" if len(commands) > 1 else commands[0]
        )
        return (
            f"{PROG}: {option} is an option of {which}; name the command first "
            f"({PROG} {commands[0]} {option} ...)"
        )
    word = unknown_command(args)
    return None if word is None else unknown_command_message(word)


def reject_usage_mistake(args: Sequence[str]) -> None:
    """Exit 2 with one line on stderr when ``args`` hold a :func:`usage_mistake`.

    Raises:
        SystemExit: code 2 (:attr:`ExitCode.INVALID`), the usage error; nothing was done.
    """
    mistake = usage_mistake(args)
    if mistake is not None:
        sys.stderr.write(mistake + "\n")
        sys.stderr.flush()
        raise SystemExit(ExitCode.INVALID)


def is_cli_invocation(args: Sequence[str]) -> bool:
    """Whether ``args`` ask for the command line (a subcommand, --help or --version).

    ``--demo`` (or any global option) alone opens the window.
    """
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in CLI_FLAGS or arg in COMMANDS:
            return True
        if arg.startswith("-"):
            skip = arg in _VALUE_OPTIONS
            continue
        return False
    return False
