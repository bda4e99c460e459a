"""The command line against the simulator: options, outputs, exit codes, one-line errors."""

from __future__ import annotations

import asyncio
import os
import pty
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.fixtures.core import EngineKit
from tests.fixtures.recipe import assert_carries_recipe
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop import logs
from veo_desktop.cli import ExitCode, is_cli_invocation, main
from veo_desktop.core.paths import AppPaths
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.sim import Fault
from veo_desktop.storage.store import TaskStore

FAST = ["--first-poll", "0.05", "--poll-every", "0.05"]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture
def cli(sim, tmp_path, capsys, monkeypatch) -> Iterator:
    monkeypatch.setenv("APIXO_API_KEY", SIM_API_KEY)
    monkeypatch.delenv("APIXO_BASE_URL", raising=False)
    monkeypatch.delenv("VEO_DESKTOP_DATA_DIR", raising=False)
    data = tmp_path / "data"

    def run(*args: str, base_url: str | None = None) -> Result:
        argv = ["--data-dir", str(data), "--base-url", base_url or sim.base_url, *args]
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    run.data = data  # type: ignore[attr-defined]
    yield run
    logs.teardown_logging()


def stored(data: Path):
    with TaskStore.open(data / "tasks.sqlite3") as store:
        return store.load_all()


def posts(sim) -> int:
    return len([r for r in sim.requests if r.method == "POST"])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["generate", "--prompt", "x"], True),
        (["--data-dir", "generate", "list"], True),
        (["--data-dir", "/tmp/x", "status", "abc"], True),
        (["--help"], True),
        (["--version"], True),
        (["balance"], True),
        ([], False),
        (["--demo"], False),
        (["--data-dir", "/tmp/x"], False),
        (["--demo", "--data-dir", "/tmp/x"], False),
        (["some-file.mp4"], False),
    ],
)
def test_which_arguments_mean_the_command_line(args, expected):
    assert is_cli_invocation(args) is expected


def test_generate_wait_output_downloads_and_copies_the_video(cli, sim, tmp_path):
    out = tmp_path / "fox.mp4"
    result = cli(
        "generate",
        "--prompt",
        "A red fox",
        "--mode",
        "quality",
        "--seed",
        "5",
        "--wait",
        "--output",
        str(out),
        *FAST,
    )
    assert result.code == ExitCode.OK, result.err
    local_id, copied = result.lines
    assert copied == str(out)
    (record,) = stored(cli.data)
    assert record.local_id == local_id and record.state is TaskState.SUCCEEDED
    assert record.request["input"]["seed"] == 5
    expected = httpx.get(sim.tasks[record.apixo_task_id].result_url).content
    assert expected == Path(record.files[0]).read_bytes()  # the library keeps what was served
    assert_carries_recipe(out, Path(record.files[0]), record)
    # Not a terminal: one plain line per state change, no status line redrawn in place.
    assert "\r" not in result.err and "\x1b" not in result.err
    assert result.err.splitlines()[-1] == f"{local_id[:8]} succeeded: {record.files[0]}"


def test_generate_then_status_list_and_resume(cli, sim):
    submitted = cli("generate", "--prompt", "later please", *FAST)
    assert submitted.code == ExitCode.OK
    (local_id,) = submitted.lines

    status = cli("status", local_id[:6])
    assert status.code == ExitCode.OK
    assert f"Task      {local_id}" in status.out and "later please" in status.out

    listed = cli("list")
    assert local_id[:8] in listed.out and "later please" in listed.out

    resumed = cli("resume", *FAST)
    assert resumed.code == ExitCode.OK, resumed.err
    assert resumed.out.startswith(f"{local_id[:8]} succeeded: ")
    assert cli("status", local_id).code == ExitCode.OK
    assert "succeeded" in cli("list").out
    assert posts(sim) == 1


def test_resume_with_nothing_to_do_is_fine(cli):
    assert cli("resume").code == ExitCode.OK


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--prompt", "   "], "prompt"),
        (
            [
                "--prompt",
                "x",
                "--type",
                "reference",
                "--mode",
                "quality",
                "--image",
                "https://example.com/a.png",
            ],
            "fast mode",
        ),
        (["--prompt", "x", "--seed", "-1"], "seed"),
        (["--prompt", "x", "--type", "frames"], "First/last-frame video needs"),
        (["--prompt", "x", "--output", "o.mp4"], "--output needs --wait"),
        (["--prompt", "x", "--wait", "--output", "/no/such/dir/o.mp4"], "does not exist"),
        (["--prompt", "x", "--type", "frames", "--image", "./no-such-frame.png"], "no-such-frame"),
        (["--prompt", "x", "--mode", "slow"], "invalid choice"),
        (["--mode", "fast"], "--prompt"),
    ],
)
def test_invalid_input_exits_2_in_one_line_and_sends_nothing(cli, sim, args, words):
    result = cli("generate", *args)
    assert result.code == ExitCode.INVALID
    assert words in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert posts(sim) == 0 and result.out == ""


def png(path: Path, width: int = 64, height: int = 36) -> Path:
    """A real PNG image (a gradient), written without any imaging library."""
    raw = b"".join(
        b"\0" + b"".join(bytes((x * 4 % 256, y * 7 % 256, 128)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def test_a_local_image_without_hosting_is_refused_before_anything_is_sent(cli, sim, tmp_path):
    frame = png(tmp_path / "frame.png")
    result = cli("generate", "--prompt", "x", "--type", "frames", "--image", str(frame))
    assert result.code == ExitCode.INVALID
    assert "need image hosting" in result.err and "Nothing was sent" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert posts(sim) == 0


def test_no_key_exits_2(cli, sim, monkeypatch):
    monkeypatch.delenv("APIXO_API_KEY")
    result = cli("generate", "--prompt", "x")
    assert result.code == ExitCode.INVALID
    assert "No API key" in result.err and "APIXO_API_KEY" in result.err
    assert sim.requests == []


def test_a_rejected_key_exits_3_without_printing_the_key(cli, sim, monkeypatch):
    monkeypatch.setenv("APIXO_API_KEY", "wrong-key-999")
    result = cli("generate", "--prompt", "x")
    assert result.code == ExitCode.API
    assert "did not accept the API key" in result.err
    assert "wrong-key-999" not in result.err + result.out
    log_text = (cli.data / "logs" / "veo-desktop.log").read_text()
    assert "wrong-key-999" not in log_text


def test_no_connection_exits_3(cli, sim):
    closed = "http://127.0.0.1:9/api/v1"
    result = cli("balance", base_url=closed)
    assert result.code == ExitCode.API
    assert "Could not connect" in result.err


def test_a_failed_task_exits_4_with_its_fail_code(cli):
    result = cli("generate", "--prompt", "a #sensitive scene", "--wait", *FAST)
    assert result.code == ExitCode.FAILED
    assert "SensitiveContent" in result.err and "safety policy" in result.err
    (local_id,) = result.lines
    status = cli("status", local_id)
    assert status.code == ExitCode.FAILED and "SensitiveContent" in status.out


def test_an_uncertain_submission_exits_5_and_is_never_resent(cli, sim):
    sim.add_fault(Fault(endpoint="submit", kind="reset", accept_first=True))
    result = cli("generate", "--prompt", "lost answer", "--wait", *FAST)
    assert result.code == ExitCode.UNCERTAIN
    assert "not sent again" in result.err
    (local_id,) = result.lines
    status = cli("status", local_id)
    assert status.code == ExitCode.UNCERTAIN
    assert "most likely took this task" in status.out
    assert cli("resume", *FAST).code == ExitCode.UNCERTAIN
    assert posts(sim) == 1


def test_balance_prints_dollars(cli):
    result = cli("balance")
    assert (result.code, result.out) == (ExitCode.OK, "$100.00\n")


def test_help_and_version_exit_0(cli):
    assert cli("--help").code == 0
    version = cli("--version")
    assert version.code == 0 and "veo-desktop 0." in version.out


def test_while_another_engine_works_on_the_folder(cli, sim):
    kit = EngineKit(base_url=sim.base_url, api_key=SIM_API_KEY, root=cli.data)
    first = cli("generate", "--prompt", "already there", *FAST)
    (local_id,) = first.lines

    async def scenario() -> None:
        engine = kit.engine()
        await engine.start(resume=False)
        busy = await asyncio.to_thread(cli, "generate", "--prompt", "blocked")
        assert busy.code == ExitCode.LOCAL and "Another Veo Desktop" in busy.err
        listed = await asyncio.to_thread(cli, "list")
        assert listed.code == ExitCode.OK and local_id[:8] in listed.out
        status = await asyncio.to_thread(cli, "status", local_id)
        assert status.code == ExitCode.OK and local_id in status.out

    kit.run(scenario)
    kit.close_stores()
    assert posts(sim) == 1


def test_demo_uploads_a_local_image_to_its_simulator(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("APIXO_API_KEY")
    frame = png(tmp_path / "frame.png")
    result = cli(
        "--demo", "generate", "--prompt", "animate it", "--type", "frames", "--image", str(frame)
    )
    assert result.code == ExitCode.OK, result.err
    demo = AppPaths.resolve(cli.data).demo()
    (record,) = stored(demo.data_dir)
    (url,) = record.request["input"]["image_urls"]
    assert url.startswith("http://127.0.0.1:") and "/sim/files/" in url
    assert not (cli.data / "tasks.sqlite3").exists() or stored(cli.data) == []


def test_progress_is_shown_on_a_terminal(sim, tmp_path):
    main_fd, sub_fd = pty.openpty()
    env = {**os.environ, "APIXO_API_KEY": SIM_API_KEY}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "veo_desktop",
            "--data-dir",
            str(tmp_path / "d"),
            "--base-url",
            sim.base_url,
            "generate",
            "--prompt",
            "watch me",
            "--wait",
            "--first-poll",
            "0.6",
            "--poll-every",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=sub_fd,
        env=env,
    )
    os.close(sub_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    stdout, _ = process.communicate(timeout=60)
    os.close(main_fd)
    shown = b"".join(chunks).decode()
    assert process.returncode == 0
    assert "Submitted: task" in shown
    assert "pending 00:0" in shown or "processing 00:0" in shown
    assert stdout.decode().count("\n") == 2


def test_ctrl_c_stops_cleanly_and_the_task_is_kept(sim, tmp_path):
    import signal
    import time

    data = tmp_path / "d"
    env = {**os.environ, "APIXO_API_KEY": SIM_API_KEY}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "veo_desktop",
            "--data-dir",
            str(data),
            "--base-url",
            sim.base_url,
            "generate",
            "--prompt",
            "stop me",
            "--wait",
            "--first-poll",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (data / "tasks.sqlite3").exists() or not [
        r for r in stored(data) if r.state is TaskState.PENDING
    ]:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED
    assert "veo-desktop resume" in err
    (record,) = stored(data)
    assert record.state is TaskState.PENDING and out.strip() == record.local_id
