"""Crash safety: the command line is SIGKILLed at many points of submit, poll and download
(named kill points and random moments), then restarted with ``resume``. Afterwards:

- no task APIXO accepted is missing from the store (the simulator's created ids prove it;
  a kill between APIXO's answer and the commit leaves an 'uncertain' row for it),
- no request was POSTed twice (the simulator's request log proves it),
- every succeeded task has exactly one complete, byte-identical video and a sidecar,
- no '.part' or temporary file is left behind, and nothing is left running.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.core.crashpoints import KILL_POINT_ENV
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.storage.store import TaskStore

FAST = ["--first-poll", "0.05", "--poll-every", "0.05"]

#: (kill point, n-th pass) hit by ``generate --wait``.
GENERATE_POINTS = [
    ("submit.row_committed", 1),
    ("submit.answered", 1),
    ("submit.id_committed", 1),
    ("poll.before", 1),
    ("poll.before", 2),
    ("poll.answered", 1),
    ("poll.answered", 2),
    ("poll.success_committed", 1),
    ("download.chunk", 1),
    ("download.part_synced", 1),
    ("download.sidecar_written", 1),
    ("download.renamed", 1),
    ("download.file_committed", 1),
]
#: Kill points hit by ``resume`` while it finishes several tasks at once.
RESUME_POINTS = [
    ("poll.before", 1),
    ("poll.success_committed", 2),
    ("download.chunk", 1),
    ("download.part_synced", 2),
    ("download.sidecar_written", 1),
    ("download.renamed", 2),
    ("download.file_committed", 1),
]


class Cli:
    def __init__(self, data_dir: Path, base_url: str) -> None:
        self.data_dir = data_dir
        self.base_url = base_url
        self.kills = 0
        self.prompts = 0

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "veo_desktop",
            "--data-dir",
            str(self.data_dir),
            "--base-url",
            self.base_url,
            *args,
        ]

    def env(self, kill_point: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != KILL_POINT_ENV}
        env["APIXO_API_KEY"] = SIM_API_KEY
        if kill_point:
            env[KILL_POINT_ENV] = kill_point
        return env

    def next_prompt(self) -> str:
        self.prompts += 1
        return f"crash test clip {self.prompts}."

    def run(self, *args: str, kill_point: str | None = None) -> int:
        done = subprocess.run(
            self.command(*args),
            env=self.env(kill_point),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode == -signal.SIGKILL:
            self.kills += 1
        elif done.returncode not in (0, 5):
            raise AssertionError(f"{args} exited {done.returncode}: {done.stderr}")
        return done.returncode

    def run_and_kill_at_random(self, *args: str, rng: random.Random) -> int:
        process = subprocess.Popen(
            self.command(*args),
            env=self.env(None),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # A random moment is the point here: anywhere from start-up to the last write.
        time.sleep(rng.uniform(0.25, 0.65))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=60)
        if code == -signal.SIGKILL:
            self.kills += 1
        return code


@pytest.fixture
def crash_sim(sim_factory):
    return sim_factory(duration=0.15, clip_seconds=1.0)


def test_sigkill_anywhere_never_loses_or_repeats_a_paid_task(crash_sim, tmp_path):
    sim = crash_sim
    cli = Cli(tmp_path / "data", sim.base_url)
    rng = random.Random(1234)

    for point, n in GENERATE_POINTS:
        code = cli.run(
            "generate", "--prompt", cli.next_prompt(), "--wait", *FAST, kill_point=f"{point}:{n}"
        )
        assert code == -signal.SIGKILL, f"{point}:{n} was not reached"

    for _ in range(3):
        assert cli.run("generate", "--prompt", cli.next_prompt(), *FAST) == 0
    for point, n in RESUME_POINTS:
        cli.run("resume", *FAST, kill_point=f"{point}:{n}")
        if point.startswith("download"):
            # Keep work for the next kill: one more unfinished task.
            assert cli.run("generate", "--prompt", cli.next_prompt(), *FAST) == 0

    named_kills = cli.kills
    for attempt in range(30):
        if cli.kills >= named_kills + 12:
            break
        if attempt % 3 == 2:
            cli.run_and_kill_at_random("resume", *FAST, rng=rng)
        else:
            cli.run_and_kill_at_random(
                "generate", "--prompt", cli.next_prompt(), "--wait", *FAST, rng=rng
            )

    assert cli.kills >= 30, f"only {cli.kills} kills"
    final = cli.run("resume", *FAST)
    assert final in (0, 5)

    check_invariants(sim, cli.data_dir)


def prompt_of(body: object) -> str | None:
    """The prompt a POST carried; None when it was cut before the prompt ended."""
    if isinstance(body, dict):
        return str(body["input"]["prompt"])
    match = re.search(r"crash test clip \d+\.", str(body))
    return match.group(0) if match else None


def check_invariants(sim, data_dir: Path) -> None:
    store = TaskStore.open(data_dir / "tasks.sqlite3")
    try:
        records = store.load_all()
    finally:
        store.close()
    by_apixo = {r.apixo_task_id: r for r in records if r.apixo_task_id}

    # No POST repeated: each prompt was used once, so no prompt may arrive twice. (A POST
    # killed while being sent arrives with an empty or partial body; it still counts.)
    posts = [r for r in sim.requests if r.method == "POST"]
    prompts = Counter(prompt_of(p.body) for p in posts)
    prompts.pop(None, None)
    assert prompts and max(prompts.values()) == 1, f"a request was POSTed twice: {prompts}"
    assert len(posts) <= len(records)

    # Every task APIXO accepted is in the store: by its id, or as an uncertain row (the kill
    # came between APIXO's answer and the commit) holding exactly the request it took.
    uncertain = [r for r in records if r.state is TaskState.UNCERTAIN]
    unmatched = list(uncertain)
    for task_id in sim.created_task_ids:
        if task_id in by_apixo:
            continue
        body = sim.tasks[task_id].request
        match = next((r for r in unmatched if dict(r.request) == body), None)
        assert match is not None, f"accepted task {task_id} is missing from the store"
        unmatched.remove(match)
    assert len(by_apixo) + len(uncertain) - len(unmatched) >= len(sim.created_task_ids)
    assert not (set(by_apixo) - set(sim.created_task_ids))

    # Nothing is left running; every task the simulator finished was downloaded exactly once.
    assert not [r for r in records if r.is_active], [r.state for r in records if r.is_active]
    library = data_dir / "videos"
    for record in records:
        if record.state is not TaskState.SUCCEEDED:
            assert record.state is TaskState.UNCERTAIN, record
            continue
        (video,) = (Path(f) for f in record.files)
        expected = httpx.get(sim.tasks[record.apixo_task_id].result_url).content
        assert video.read_bytes() == expected
        assert Path(str(video) + ".json").is_file()
    videos = sorted(library.glob("*.mp4"))
    assert len(videos) == sum(len(r.files) for r in records)
    leftovers = [p.name for p in library.iterdir() if p.suffix in (".part", ".tmp")]
    assert leftovers == []
