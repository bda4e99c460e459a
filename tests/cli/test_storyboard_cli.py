"""``veo-desktop storyboard render``: what it refuses before anything is sent (a bad file,
no --yes, a short balance, the daily cap), and that a run killed at any step of sending a
shot, then run again, sends nothing twice."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.cli import test_cli
from tests.cli.test_cli import FAST
from tests.cli.test_cli_hostile import set_cap
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.cli import ExitCode
from veo_desktop.core.crashpoints import KILL_POINT_ENV
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.hosting import HostingConfig, ProviderKind
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.storage.store import TaskStore

cli = test_cli.cli
REPO = Path(__file__).resolve().parents[2]


def submits(sim: Any) -> Counter[str]:
    return Counter(
        str(r.body["input"]["prompt"])
        for r in sim.requests
        if r.endpoint == "submit" and isinstance(r.body, dict)
    )


def board_file(folder: Path, *shots: dict[str, Any]) -> Path:
    path = folder / "board.json"
    path.write_text(json.dumps({"shots": list(shots)}), encoding="utf-8")
    return path


TWO = ({"prompt": "Shot one: a lantern"}, {"prompt": "Shot two: it drifts", "start": "continue"})


def render(cli: Any, board: Path, tmp_path: Path, *more: str) -> Any:
    return cli("storyboard", "render", str(board), "--output", str(tmp_path / "f.mp4"), *more)


def test_a_bad_file_names_each_bad_shot_and_sends_nothing(
    cli: Any, sim: Any, tmp_path: Path
) -> None:
    board = board_file(
        tmp_path,
        {"prompt": "fine"},
        {"prompt": "", "mode": "fast"},
        {"prompt": "c", "trim": [3, 1]},
    )
    done = render(cli, board, tmp_path, "--yes")
    assert done.code == ExitCode.INVALID
    assert "board.json, shot 2, prompt:" in done.err
    assert "board.json, shot 3, trim:" in done.err
    assert "nothing was sent" in done.err and "Traceback" not in done.err
    assert not submits(sim)


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("no_yes", "add --yes to agree. Nothing was sent."),
        ("balance", "does not cover $0.40"),
        ("cap", "over your daily cap of $0.30"),
        ("hosting", "Shot 2 starts from the previous shot's last frame, which must be uploaded"),
    ],
)
def test_spending_is_refused_before_anything_is_sent(
    cli: Any, sim: Any, tmp_path: Path, setup: str, words: str
) -> None:
    board = board_file(tmp_path, *TWO)
    more = () if setup == "no_yes" else ("--yes",)
    if setup == "balance":
        sim.balance = 0.30
    if setup == "cap":
        set_cap(cli.data, "0.30")
    if setup == "hosting":
        paths = AppPaths.resolve(cli.data)
        paths.ensure()
        settings = Settings()
        HostingConfig(provider=ProviderKind.S3).store_in(settings)  # no bucket, no key
        settings.save(paths)
    done = render(cli, board, tmp_path, *more, *FAST)
    assert done.code == ExitCode.INVALID, done.err
    assert "2 shots to generate, $0.40" in done.err
    assert words in done.err
    assert not submits(sim)
    assert not (tmp_path / "f.mp4").exists()


def run_killed(sim: Any, data: Path, board: Path, output: Path, point: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != KILL_POINT_ENV}
    env.update({"APIXO_API_KEY": SIM_API_KEY, "PYTHONPATH": str(REPO)})
    if point is not None:
        env[KILL_POINT_ENV] = point
    command = [sys.executable, "-m", "veo_desktop", "--data-dir", str(data)]
    command += ["--base-url", sim.base_url, "storyboard", "render", str(board)]
    command += ["--output", str(output), "--yes", *FAST]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr
    return done.returncode


def test_killed_at_each_step_of_sending_a_shot_nothing_is_sent_twice(
    sim: Any, tmp_path: Path
) -> None:
    data, film = tmp_path / "data", tmp_path / "film.mp4"
    board = board_file(tmp_path, *TWO)
    prompts = [shot["prompt"] for shot in TWO]

    # Marked as being sent, no task row yet: the mark is dropped, nothing went out.
    assert run_killed(sim, data, board, film, "storyboard.send_marked:1") == -signal.SIGKILL
    assert not submits(sim)
    # Shot one accepted by APIXO: followed on the next run, never sent again.
    assert run_killed(sim, data, board, film, "submit.id_committed:1") == -signal.SIGKILL
    assert submits(sim) == Counter(prompts[:1])
    # Shot two's row written but not yet linked to the shot: found again by its request.
    assert run_killed(sim, data, board, film, "storyboard.row_seen:1") == -signal.SIGKILL
    assert submits(sim) == Counter(prompts[:1])

    code = run_killed(sim, data, board, film, None)

    # Shot two's row was interrupted before its POST: uncertain, and never sent by itself.
    assert code == ExitCode.UNCERTAIN
    assert submits(sim) == Counter(prompts[:1])
    with TaskStore.open(data / "tasks.sqlite3") as store:
        (kept,) = store.load_storyboards()
        records = {r.local_id: r for r in store.load_all()}
    first, second = kept.shots
    assert records[str(first.chosen)].state is TaskState.SUCCEEDED
    (take,) = second.takes
    assert records[take].state is TaskState.UNCERTAIN
    assert records[take].prompt == prompts[1]
    assert all(shot.sending is None for shot in kept.shots)
    assert not film.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def run_at_terminal(sim: Any, tmp_path: Path, board: Path, answer: str) -> tuple[int, str]:
    """The command at a terminal (stdin and stderr a pty) that is answered ``answer``."""
    main_fd, sub_fd = pty.openpty()
    env = {**os.environ, "APIXO_API_KEY": SIM_API_KEY, "PYTHONPATH": str(REPO)}
    env.pop(KILL_POINT_ENV, None)
    command = [sys.executable, "-m", "veo_desktop", "--data-dir", str(tmp_path / "data")]
    command += ["--base-url", sim.base_url, "storyboard", "render", str(board)]
    command += ["--output", str(tmp_path / "f.mp4"), *FAST]
    process = subprocess.Popen(
        command, stdin=sub_fd, stdout=subprocess.DEVNULL, stderr=sub_fd, env=env
    )
    os.close(sub_fd)
    os.write(main_fd, answer.encode() + b"\n")
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    code = process.wait(timeout=60)
    os.close(main_fd)
    return code, b"".join(chunks).decode(errors="replace")


def test_at_a_terminal_it_asks_before_spending(sim: Any, tmp_path: Path) -> None:
    board = board_file(tmp_path, {"prompt": "Asked first: a kite"})

    code, shown = run_at_terminal(sim, tmp_path, board, "n")
    assert code == ExitCode.INVALID
    assert "Generate them for $0.20? [y/N]" in shown and "Not agreed; nothing was sent." in shown
    assert not submits(sim)

    code, shown = run_at_terminal(sim, tmp_path, board, "y")
    assert code == ExitCode.OK, shown
    assert submits(sim) == Counter(["Asked first: a kite"])
    assert (tmp_path / "f.mp4").is_file()


def test_import_list_and_export_a_storyboard(cli: Any, sim: Any, tmp_path: Path) -> None:
    board = board_file(tmp_path, *TWO)
    imported = cli("storyboard", "import", str(board))
    assert imported.code == ExitCode.OK, imported.err
    (board_id,) = imported.lines

    listed = cli("storyboard", "list")
    assert listed.code == ExitCode.OK
    assert listed.lines == [f"{board_id[:12]}    2 shots  board"]

    out = tmp_path / "out.json"
    exported = cli("storyboard", "export", board_id[:8], str(out))
    assert exported.code == ExitCode.OK, exported.err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [s["prompt"] for s in data["shots"]] == [s["prompt"] for s in TWO]
    assert data["shots"][1]["start"] == "continue"
    assert cli("storyboard", "import", str(out)).code == ExitCode.OK
    assert len(cli("storyboard", "list").lines) == 2

    missing = cli("storyboard", "export", "nope", str(out))
    assert missing.code == ExitCode.INVALID and "No storyboard 'nope'" in missing.err
    bad = board_file(tmp_path, {"prompt": "a"}, {"start": "extend"})
    refused = cli("storyboard", "import", str(bad))
    assert refused.code == ExitCode.INVALID and "board.json, shot 2, prompt:" in refused.err
    assert not submits(sim)


def test_a_finished_task_as_a_shot_then_an_extend_of_it(cli: Any, sim: Any, tmp_path: Path) -> None:
    made = cli("generate", "--prompt", "A kite at dawn", "--wait", *FAST)
    assert made.code == ExitCode.OK, made.err
    task = made.lines[0]
    board = board_file(
        tmp_path,
        {"task": task[:8], "trim": [0, 0.5]},
        {"prompt": "The kite dives", "start": "extend"},
    )

    done = render(cli, board, tmp_path, "--yes", *FAST)

    assert done.code == ExitCode.OK, done.err
    assert "2 shots in board.json: 1 shot to generate, $0.20" in done.err
    assert submits(sim) == Counter(["A kite at dawn"])
    (extend,) = [r.body for r in sim.requests if r.endpoint == "extend_submit"]
    assert extend["input"]["prompt"] == "The kite dives"
    assert (tmp_path / "f.mp4").is_file()


def test_a_shot_whose_take_fails_exits_4_naming_it(cli: Any, sim: Any, tmp_path: Path) -> None:
    board = board_file(tmp_path, {"prompt": "Fine: a kite"}, {"prompt": "Refused #sensitive"})
    done = render(cli, board, tmp_path, "--yes", *FAST)
    assert done.code == ExitCode.FAILED, done.err
    assert "veo-desktop: shot 2: Task " in done.err and " failed: " in done.err
    assert "The film was not rendered" in done.err
    assert not (tmp_path / "f.mp4").exists()


def test_mixed_aspect_ratios_are_refused_or_letterboxed(cli: Any, sim: Any, tmp_path: Path) -> None:
    board = board_file(
        tmp_path,
        {"prompt": "Wide: a harbour", "aspect_ratio": "16:9"},
        {"prompt": "Tall: a mast", "aspect_ratio": "9:16"},
    )
    refused = render(cli, board, tmp_path, "--yes", *FAST)
    assert refused.code == ExitCode.INVALID
    assert "The film cannot be made:" in refused.err and "Add --letterbox" in refused.err
    assert not (tmp_path / "f.mp4").exists()

    boxed = render(cli, board, tmp_path, "--letterbox", *FAST)
    assert boxed.code == ExitCode.OK, boxed.err
    assert "nothing to generate (2 ready)" in boxed.err
    assert sum(submits(sim).values()) == 2
    assert (tmp_path / "f.mp4").is_file()
