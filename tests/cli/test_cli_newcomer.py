"""What a newcomer meets at the command line in the first minutes (issue 14, items 4, 12, 13).

Each test asserts what the person sees (stdout, stderr) and the exit code: a mistyped command
is an error (and opens no window), an empty list says where the demo's tasks are, every
``--image`` mistake reads as a sentence, and the demo's balance agrees with what its tasks cost.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_cli import Result
from veo_desktop import logs
from veo_desktop.cli import ExitCode, main
from veo_desktop.cli.args import unknown_command, usage_mistake
from veo_desktop.core.paths import AppPaths
from veo_desktop.storage.store import TaskStore

ROOT = Path(__file__).resolve().parents[2]

#: Runs ``veo-desktop`` (veo_desktop.app.main) in a child and reports whether Qt was loaded.
APP_CHILD = """\
import sys
from veo_desktop.app import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit_:
    code = exit_.code
print("qt loaded" if "PySide6.QtWidgets" in sys.modules else "no qt", flush=True)
sys.exit(code)
"""


@pytest.fixture
def run(tmp_path, capsys, monkeypatch) -> Iterator:
    """``veo-desktop --data-dir DATA ARGS...`` in this process: its code, stdout and stderr."""
    monkeypatch.delenv("APIXO_API_KEY", raising=False)
    monkeypatch.delenv("APIXO_BASE_URL", raising=False)
    monkeypatch.delenv("VEO_DESKTOP_DATA_DIR", raising=False)
    data = tmp_path / "data"

    def go(*args: str) -> Result:
        try:
            code = main(["--data-dir", str(data), *args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    go.data = data  # type: ignore[attr-defined]
    yield go
    logs.teardown_logging()


def run_app(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``veo-desktop ARGS`` as a person runs it (offscreen: a window would never close)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env["VEO_DESKTOP_DATA_DIR"] = str(tmp_path / "data")
    env.pop("APIXO_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-c", APP_CHILD, *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# -- item 4: a mistyped command ---------------------------------------------------------------


def test_a_mistyped_command_is_an_error_and_opens_no_window(tmp_path):
    done = run_app(tmp_path, "gen", "--demo", "--prompt", "x")
    assert done.returncode == ExitCode.INVALID == 2
    assert done.stderr == "veo-desktop: unknown command 'gen'; did you mean 'generate'?\n"
    assert done.stdout == "no qt\n"


def test_a_mistyped_command_after_options_is_named_with_its_close_matches(run):
    result = run("--demo", "stats", "abc")
    assert result.code == ExitCode.INVALID
    assert result.out == ""
    assert result.err == "veo-desktop: unknown command 'stats'; did you mean 'status'?\n"


def test_a_command_s_option_without_its_command_opens_no_window(tmp_path):
    done = run_app(tmp_path, "--demo", "--prompt", "x")
    assert done.returncode == ExitCode.INVALID
    assert done.stderr == (
        "veo-desktop: --prompt is an option of generate and extend; name the command first "
        "(veo-desktop generate --prompt ...)\n"
    )
    assert done.stdout == "no qt\n"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--all"],
            "--all is an option of list; name the command first (veo-desktop list --all ...)",
        ),
        (
            ["--data-dir", "d", "--wait=1"],
            "--wait is an option of generate and extend; name the "
            "command first (veo-desktop generate --wait ...)",
        ),
    ],
)
def test_usage_mistakes_are_one_line(args, line):
    assert usage_mistake(args) == f"veo-desktop: {line}"


def test_a_word_like_no_command_lists_the_commands(run):
    result = run("frobnicate")
    assert result.code == ExitCode.INVALID
    assert result.out == ""
    assert result.err == (
        "veo-desktop: unknown command 'frobnicate'; the commands are generate, extend, "
        "status, list, tag, resume, download, recipe, import, storyboard and balance "
        "(see veo-desktop --help)\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--demo"],
        ["--verbose"],
        ["--demo", "--verbose", "--first-poll", "5"],
        ["-platform", "offscreen"],
        ["--no-such-option"],
        ["--data-dir", "/tmp/x"],
        ["--data-dir", "gen"],
        ["--base-url", "http://127.0.0.1:9/api/v1", "--demo"],
        ["some-file.mp4"],
        ["videos/fox"],
        ["generate", "--prompt", "x"],
        ["--help"],
    ],
)
def test_what_the_window_takes_is_no_unknown_command(args):
    assert unknown_command(args) is None
    assert usage_mistake(args) is None


def test_an_existing_file_is_not_a_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert unknown_command(["gen"]) == "gen"
    (tmp_path / "gen").write_bytes(b"a video to restore")
    assert unknown_command(["gen"]) is None
    assert unknown_command(["--demo", "gen"]) is None


# -- item 13: list says where the tasks are ---------------------------------------------------


def test_list_with_no_tasks_at_all_says_so(run):
    result = run("list")
    assert (result.code, result.out, result.err) == (ExitCode.OK, "", "No tasks yet.\n")
    demo = run("list", "--demo")
    assert (demo.code, demo.out, demo.err) == (ExitCode.OK, "", "No tasks yet.\n")


def test_list_without_demo_points_at_the_demo_tasks(run):
    submitted = run("generate", "--demo", "--prompt", "A lighthouse at dusk")
    assert submitted.code == ExitCode.OK, submitted.err
    (local_id,) = submitted.out.split()

    result = run("list")
    assert result.code == ExitCode.OK
    assert result.out == ""
    assert result.err == "No tasks. (Demo tasks are listed with --demo.)\n"

    demo = run("list", "--demo")
    assert demo.code == ExitCode.OK
    assert local_id[:8] in demo.out and "A lighthouse at dusk" in demo.out


# -- item 13: --image mistakes read as sentences ----------------------------------------------


def _generate_frames(run, *images: str) -> Result:
    args = ["generate", "--demo", "--prompt", "x", "--type", "frames"]
    for image in images:
        args += ["--image", image]
    return run(*args)


def test_a_missing_image_file_ends_with_one_full_stop(run):
    result = _generate_frames(run, "/nonexistent.png")
    assert result.code == ExitCode.INVALID
    assert result.out == ""
    assert result.err == (
        "veo-desktop: error: --image 1 (/nonexistent.png): nonexistent.png does not exist "
        "(looked for /nonexistent.png). Nothing was sent.\n"
    )


def test_an_empty_image_value_is_called_empty(run):
    result = _generate_frames(run, "")
    assert result.code == ExitCode.INVALID
    assert result.out == ""
    assert result.err == (
        "veo-desktop: error: --image 1 is empty: give an https:// URL or the path of an "
        "image file. Nothing was sent.\n"
    )


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("javascript:alert(1)", "javascript:"),
        ("data:image/png;base64,AAAA", "data:"),
        ("ftp://example.com/a.png", "ftp:"),
        ("file:///tmp/a.png", "file:"),
    ],
)
def test_an_image_address_of_another_kind_is_not_taken_for_a_file(run, value, scheme):
    result = _generate_frames(run, value)
    assert result.code == ExitCode.INVALID
    assert result.out == ""
    assert result.err == (
        f"veo-desktop: error: --image 1 ({value}): {scheme} addresses are not supported; "
        "give an https:// URL or the path of an image file. Nothing was sent.\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--type", "frames"],
            "First/last-frame video needs a first frame: add --image with an https:// URL "
            "or an image file (a second --image is the last frame).",
        ),
        (
            ["--type", "frames", "--image", "a.png", "--image", "b.png", "--image", "c.png"],
            "First/last-frame video takes a first and a last frame: at most 2 images, "
            "and 3 were given.",
        ),
        (
            ["--type", "reference"],
            "Reference video needs 1 to 3 reference images: add an --image for each.",
        ),
        (
            ["--type", "reference", *("--image a.png " * 4).split()],
            "Reference video takes at most 3 reference images, and 4 were given.",
        ),
        (
            ["--image", "a.png"],
            "A video from the prompt alone takes no images: add --type frames or "
            "--type reference to use them.",
        ),
    ],
)
def test_image_counts_are_explained_in_the_command_line_s_words(run, args, message):
    result = run("generate", "--demo", "--prompt", "x", *args)
    assert result.code == ExitCode.INVALID
    assert result.out == ""
    assert result.err == f"veo-desktop: error: {message} Nothing was sent.\n"
    assert "got " not in result.err


# -- item 12: the demo's balance agrees with what its tasks cost ------------------------------


def _charged(data: Path) -> list[str]:
    with TaskStore.open(AppPaths.resolve(data).demo().store_path) as store:
        return [f"{r.price:.2f}" for r in store.load_all() if r.charged]


def test_the_demo_balance_is_what_the_demo_tasks_left(run):
    fresh = run("balance", "--demo")
    assert (fresh.code, fresh.out) == (ExitCode.OK, "$100.00\n")

    fast = run("generate", "--demo", "--prompt", "A red fox")
    assert fast.code == ExitCode.OK, fast.err
    quality = run("generate", "--demo", "--prompt", "A blue fox", "--mode", "quality")
    assert quality.code == ExitCode.OK, quality.err
    assert sorted(_charged(run.data)) == ["0.20", "1.50"]

    # Each command starts a new simulator: the balance is still what the tasks left.
    after = run("balance", "--demo")
    assert (after.code, after.out, after.err) == (ExitCode.OK, "$98.30\n", "")
    # The paid data folder's tasks are not the demo's.
    assert run("list").err == "No tasks. (Demo tasks are listed with --demo.)\n"
