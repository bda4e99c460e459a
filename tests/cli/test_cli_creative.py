"""``veo-desktop extend`` and ``generate --batch`` against the simulator over loopback.

What a person would see or lose: the exit code, the ids on stdout, the one-line reasons on
stderr, and (from the simulator's request log) that nothing was sent when it should not be
and nothing was sent twice, even when a batch is killed and run again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli import test_cli
from tests.cli.test_cli import FAST, stored
from tests.fixtures.recipe import assert_carries_recipe
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.client import ApixoClient
from veo_desktop.api.models import GenerationRequest
from veo_desktop.api.responses import ApixoState
from veo_desktop.cli import ExitCode
from veo_desktop.cli.args import BATCH_HELP
from veo_desktop.core.batch import parse_batch_text
from veo_desktop.core.lineage import TASKID_ERROR_MESSAGE
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.sim import Fault
from veo_desktop.storage.store import TaskStore

REPO = Path(__file__).resolve().parents[2]
cli = test_cli.cli


def submit_posts(sim: Any) -> Counter[str]:
    """Prompts POSTed to the paid generation endpoint, counted (a POST cut off by a kill
    before its body arrived carried no request)."""
    return Counter(
        str(r.body["input"]["prompt"])
        for r in sim.requests
        if r.endpoint == "submit" and isinstance(r.body, dict)
    )


def extend_posts(sim: Any) -> list[Any]:
    return [r for r in sim.requests if r.endpoint == "extend_submit"]


def finished(cli: Any, prompt: str = "A lantern floats over a night lake") -> str:
    result = cli("generate", "--prompt", prompt, "--wait", *FAST)
    assert result.code == ExitCode.OK, result.err
    return result.lines[0]


def record_of(data: Path, local_id: str) -> Any:
    (record,) = [r for r in stored(data) if r.local_id == local_id]
    return record


def age_locally(data: Path, local_id: str, hours: float) -> None:
    """Make our record say the video was made ``hours`` ago (APIXO's clock moved on)."""
    with TaskStore.open(data / "tasks.sqlite3") as store:
        record = store.get(local_id)
        assert record is not None
        shift = hours * 3600
        store.update(
            record.evolve(
                api_complete_time=int(((record.api_complete_time or 0) / 1000 - shift) * 1000),
                results_at=(record.results_at or time.time()) - shift,
            )
        )


# -- extend ------------------------------------------------------------------------------------


def test_extend_by_local_prefix_waits_downloads_and_copies(cli: Any, sim: Any, tmp_path: Path):
    source_id = finished(cli)
    source = record_of(cli.data, source_id)
    out = tmp_path / "next.mp4"
    result = cli(
        "extend",
        source_id[:6],
        "--prompt",
        "The lantern drifts into the clouds",
        "--mode",
        "quality",
        "--seed",
        "77",
        "--watermark",
        "North",
        "--wait",
        "--output",
        str(out),
        *FAST,
    )
    assert result.code == ExitCode.OK, result.err
    child_id, copied = result.lines
    assert copied == str(out)
    child = record_of(cli.data, child_id)
    assert child.is_extend and child.state is TaskState.SUCCEEDED
    assert child.parent_id == source_id
    [post] = extend_posts(sim)
    assert post.body["input"] == {
        "taskId": source.apixo_task_id,
        "mode": "quality",
        "prompt": "The lantern drifts into the clouds",
        "seed": 77,
        "watermark": "North",
    }
    expected = httpx.get(sim.tasks[str(child.apixo_task_id)].result_url).content
    assert Path(child.files[0]).read_bytes() == expected
    assert_carries_recipe(out, Path(child.files[0]), child)
    assert "Extends" in cli("status", child_id).out


def test_extend_by_apixo_id_of_our_task_links_the_parent(cli: Any, sim: Any) -> None:
    source_id = finished(cli)
    apixo_id = record_of(cli.data, source_id).apixo_task_id
    result = cli("extend", str(apixo_id), "--prompt", "And then it rains")
    assert result.code == ExitCode.OK, result.err
    (child_id,) = result.lines
    assert record_of(cli.data, child_id).parent_id == source_id
    assert len(extend_posts(sim)) == 1


def test_outside_the_window_nothing_is_sent_and_exit_is_2(cli: Any, sim: Any) -> None:
    source_id = finished(cli)
    age_locally(cli.data, source_id, 25)
    result = cli("extend", source_id, "--prompt", "Too late")
    assert result.code == ExitCode.INVALID
    assert "No longer extendable: APIXO keeps a video for 24 hours" in result.err
    assert "Nothing was sent" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert extend_posts(sim) == [] and result.out == ""


def test_taskid_error_is_explained_exit_3_and_remembered(cli: Any, sim: Any) -> None:
    source_id = finished(cli)
    sim.age_task(str(record_of(cli.data, source_id).apixo_task_id), 25 * 3600)
    refused = cli("extend", source_id, "--prompt", "APIXO forgot it")
    assert refused.code == ExitCode.API
    assert TASKID_ERROR_MESSAGE.split(".")[0] in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert len(extend_posts(sim)) == 1
    rejected = [r for r in stored(cli.data) if r.is_extend]
    assert [r.state for r in rejected] == [TaskState.REJECTED]
    # APIXO's answer is remembered: the next try is refused here, nothing sent.
    again = cli("extend", source_id, "--prompt", "Try once more")
    assert again.code == ExitCode.INVALID
    assert "APIXO said it no longer holds this video" in again.err
    assert len(extend_posts(sim)) == 1


def test_an_apixo_id_we_do_not_have_is_asked_about_first(cli: Any, sim: Any) -> None:
    # A video made elsewhere (another computer): only APIXO knows it.
    async def elsewhere() -> str:
        async with ApixoClient(SIM_API_KEY, base_url=sim.base_url) as client:
            task_id = await client.submit(GenerationRequest(prompt="Made elsewhere"))
            for _ in range(200):
                if (await client.status(task_id)).state is ApixoState.SUCCESS:
                    break
                await asyncio.sleep(0.05)
            return task_id

    made = asyncio.run(elsewhere())
    result = cli("extend", made, "--prompt", "Continued here")
    assert result.code == ExitCode.OK, result.err
    (child_id,) = result.lines
    child = record_of(cli.data, child_id)
    assert child.parent_id is None and child.input["taskId"] == made
    unknown = cli("extend", "task_nobody_knows", "--prompt", "Nothing")
    assert unknown.code == ExitCode.INVALID
    assert "APIXO knows no Veo 3.1 video with that id" in unknown.err
    assert len(extend_posts(sim)) == 1


def test_extensions_and_unfinished_videos_cannot_be_extended(cli: Any, sim: Any) -> None:
    source_id = finished(cli)
    child = cli("extend", source_id, "--prompt", "Part two", "--wait", *FAST)
    assert child.code == ExitCode.OK, child.err
    nested = cli("extend", child.lines[0], "--prompt", "Part three")
    assert nested.code == ExitCode.INVALID
    assert "An extension cannot be extended again" in nested.err
    pending = cli("generate", "--prompt", "Still running").lines[0]
    early = cli("extend", pending, "--prompt", "Too early")
    assert early.code == ExitCode.INVALID
    assert "Only a finished video can be extended" in early.err
    assert len(extend_posts(sim)) == 1


def test_extend_rules_are_checked_before_anything(cli: Any, sim: Any) -> None:
    source_id = finished(cli)
    for args, words in (
        (["--prompt", " "], "prompt"),
        (["--prompt", "x", "--seed", "-3"], "seed"),
        (["--prompt", "x", "--output", "o.mp4"], "--output needs --wait"),
        (["--mode", "fast"], "--prompt"),
    ):
        result = cli("extend", source_id, *args)
        assert result.code == ExitCode.INVALID, args
        assert words in result.err
    assert extend_posts(sim) == []


# -- batches -----------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_batch_sends_every_row_once_and_prints_the_ids(cli: Any, sim: Any, tmp_path: Path):
    batch = write(
        tmp_path,
        "shots.csv",
        "prompt,mode,aspect,seed\n"
        "A red fox in fresh snow,fast,16:9,1\n"
        '"A fox at dusk, slow motion",quality,9:16,2\n'
        "The fox sleeps,fast,,\n",
    )
    result = cli("generate", "--batch", str(batch), "--wait", *FAST)
    assert result.code == ExitCode.OK, result.err
    assert "3 requests in shots.csv: $1.90 if APIXO accepts them all." in result.err
    ids, files = result.lines[:3], result.lines[3:]
    records = {r.local_id: r for r in stored(cli.data)}
    assert [records[i].prompt for i in ids] == [
        "A red fox in fresh snow",
        "A fox at dusk, slow motion",
        "The fox sleeps",
    ]
    assert [records[i].state for i in ids] == [TaskState.SUCCEEDED] * 3
    assert files == [records[i].files[0] for i in ids]
    assert records[ids[1]].input["aspect_ratio"] == "9:16"
    assert submit_posts(sim) == Counter(r.prompt for r in records.values())
    # The same command again sends nothing: the journal knows every row's task.
    again = cli("generate", "--batch", str(batch))
    assert again.code == ExitCode.OK, again.err
    assert again.lines == ids
    assert "All of them were sent before; nothing is sent again." in again.err
    assert sum(submit_posts(sim).values()) == 3


def test_a_jsonl_batch_with_an_extend_line(cli: Any, sim: Any, tmp_path: Path) -> None:
    source_id = finished(cli)
    apixo = record_of(cli.data, source_id).apixo_task_id
    batch = write(
        tmp_path,
        "more.jsonl",
        '{"prompt": "A whale breaches", "aspect_ratio": "9:16"}\n'
        f'{{"taskId": "{apixo}", "prompt": "The lantern rises higher", "mode": "quality"}}\n',
    )
    result = cli("generate", "--batch", str(batch))
    assert result.code == ExitCode.OK, result.err
    assert "2 requests in more.jsonl: $1.70" in result.err
    whale, extension = (record_of(cli.data, i) for i in result.lines)
    assert whale.input["aspect_ratio"] == "9:16"
    assert extension.is_extend and extension.parent_id == source_id


def test_bad_rows_are_all_reported_with_their_lines_and_nothing_is_sent(
    cli: Any, sim: Any, tmp_path: Path
) -> None:
    batch = write(
        tmp_path,
        "bad.csv",
        "prompt,mode,seed\nfine row,fast,1\n,fast,2\nanother,slow,3\nlast,fast,-4\n",
    )
    result = cli("generate", "--batch", str(batch))
    assert result.code == ExitCode.INVALID
    lines = result.err.strip().splitlines()
    assert lines[-1] == "veo-desktop: error: bad.csv: 3 problems; nothing was sent."
    assert [line.split(",")[1].strip() for line in lines[:-1]] == ["line 3", "line 4", "line 5"]
    assert "prompt" in lines[0] and "mode" in lines[1] and "seed" in lines[2]
    assert sim.requests == [] and result.out == ""
    assert not (cli.data / "tasks.sqlite3").exists() or stored(cli.data) == []


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--mode", "quality"], "remove --mode"),
        (["--prompt", "x"], "not allowed with argument --batch"),
        (["--output", "o.mp4", "--wait"], "remove --output"),
    ],
)
def test_batch_refuses_options_of_one_request(
    cli: Any, sim: Any, tmp_path: Path, extra: list[str], words: str
) -> None:
    batch = write(tmp_path, "b.csv", "prompt\none\n")
    result = cli("generate", "--batch", str(batch), *extra)
    assert result.code == ExitCode.INVALID
    assert words in result.err
    assert sim.requests == []


def test_missing_file_and_wrong_kind(cli: Any, sim: Any, tmp_path: Path) -> None:
    missing = cli("generate", "--batch", str(tmp_path / "nope.csv"))
    assert missing.code == ExitCode.INVALID and "Cannot read" in missing.err
    text = write(tmp_path, "notes.txt", "prompt\nx\n")
    wrong = cli("generate", "--batch", str(text))
    assert wrong.code == ExitCode.INVALID and "Use a .csv or .jsonl file" in wrong.err
    assert sim.requests == []


def test_refused_and_uncertain_items_set_the_exit_code(cli: Any, sim: Any, tmp_path: Path) -> None:
    batch = write(tmp_path, "mixed.csv", "prompt\nfirst take\nsecond take\n")
    # APIXO takes the first POST but its answer is lost; the second is refused (400).
    sim.add_fault(Fault(endpoint="submit", kind="reset", accept_first=True))
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=400))
    result = cli("generate", "--batch", str(batch))
    assert result.code == ExitCode.UNCERTAIN
    assert "line 2: uncertain:" in result.err and "line 3: refused:" in result.err
    assert "check your APIXO dashboard" in result.err
    assert len(result.lines) == 1  # the uncertain row's id, to look it up
    assert sum(submit_posts(sim).values()) == 2
    # Running it again never re-sends the uncertain item; the refused one stays refused.
    again = cli("generate", "--batch", str(batch))
    assert again.code == ExitCode.UNCERTAIN
    assert sum(submit_posts(sim).values()) == 2


def test_a_low_balance_stops_the_batch_and_a_rerun_sends_the_rest(
    cli: Any, sim: Any, tmp_path: Path
) -> None:
    batch = write(tmp_path, "three.csv", "prompt\none\ntwo\nthree\n")
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402, times=-1))
    stopped = cli("generate", "--batch", str(batch))
    assert stopped.code == ExitCode.API
    assert "not sent; run the same command again" in stopped.err
    assert stopped.out == ""
    sim.clear_faults()
    again = cli("generate", "--batch", str(batch))
    assert again.code == ExitCode.OK, again.err
    assert len(again.lines) == 3
    visible = [r for r in stored(cli.data) if not r.hidden]
    assert sorted(r.prompt for r in visible) == ["one", "three", "two"]
    assert all(r.charged for r in visible)


def test_the_help_documents_batches_and_extend(cli: Any) -> None:
    generate = cli("generate", "--help")
    assert generate.code == 0
    assert "--batch FILE" in generate.out and "batch files" in generate.out
    assert "run the same command again" in generate.out
    extend = cli("extend", "--help")
    assert extend.code == 0
    assert "TASK" in extend.out and "24 hours" in extend.out
    top = cli("--help")
    assert "extend" in top.out
    # The CSV example in the help is a valid batch.
    example = BATCH_HELP.split(":\n", 2)[2].split("type is")[0]
    rows = [line.strip() for line in example.splitlines() if line.strip()]
    assert len(parse_batch_text("\n".join(rows) + "\n", kind="csv")) == 2


# -- the daily spending cap ---------------------------------------------------------------------


def test_the_daily_cap_refuses_unless_over_cap(cli: Any, sim: Any, tmp_path: Path) -> None:
    paths = AppPaths.resolve(cli.data)
    settings = Settings(daily_spending_cap=Decimal("1.00"))
    paths.ensure()
    settings.save(paths)
    ok = cli("generate", "--prompt", "Fits under the cap")
    assert ok.code == ExitCode.OK, ok.err
    refused = cli("generate", "--prompt", "Over it", "--mode", "quality")
    assert refused.code == ExitCode.INVALID
    assert "over your daily cap of $1.00" in refused.err and "--over-cap" in refused.err
    batch = write(tmp_path, "capped.csv", "prompt,mode\na,quality\n")
    assert cli("generate", "--batch", str(batch)).code == ExitCode.INVALID
    assert sum(submit_posts(sim).values()) == 1
    forced = cli("generate", "--prompt", "Over it", "--mode", "quality", "--over-cap")
    assert forced.code == ExitCode.OK, forced.err
    assert sum(submit_posts(sim).values()) == 2


# -- killed mid-way ----------------------------------------------------------------------------


def test_a_batch_killed_mid_way_then_run_again_loses_and_repeats_nothing(
    cli: Any, sim: Any, tmp_path: Path
) -> None:
    prompts = [f"kill me clip {n}" for n in range(6)]
    batch = write(tmp_path, "killed.csv", "prompt\n" + "".join(f"{p}\n" for p in prompts))
    # APIXO takes each task at once but answers late, so the kill lands mid-POST.
    sim.add_fault(Fault(endpoint="submit", kind="delay", delay=0.4, accept_first=True, times=-1))
    env = {**os.environ, "APIXO_API_KEY": SIM_API_KEY, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "veo_desktop",
            "--data-dir",
            str(cli.data),
            "--base-url",
            sim.base_url,
            "generate",
            "--batch",
            str(batch),
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while sum(submit_posts(sim).values()) < 3:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the batch did not start"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    process.communicate()
    before = submit_posts(sim)
    assert 3 <= sum(before.values()) < len(prompts)
    sim.clear_faults()

    again = cli("generate", "--batch", str(batch))
    assert again.code in (ExitCode.OK, ExitCode.UNCERTAIN), again.err
    sent = submit_posts(sim)
    assert all(count == 1 for count in sent.values()), f"sent twice: {sent}"
    assert all(before[p] == sent[p] for p in before), "sent again after the kill"
    for prompt in prompts:
        visible = [r for r in stored(cli.data) if r.prompt == prompt and not r.hidden]
        assert len(visible) == 1, prompt
        # A row whose POST may have left is uncertain (never re-sent); the rest are charged.
        assert visible[0].charged or visible[0].state is TaskState.UNCERTAIN
        assert sent[prompt] == 1 or visible[0].state is TaskState.UNCERTAIN
    assert again.code == (
        ExitCode.UNCERTAIN
        if any(r.state is TaskState.UNCERTAIN for r in stored(cli.data))
        else ExitCode.OK
    )
    # Every task APIXO made is in the store, or stands as an uncertain row.
    known = {r.apixo_task_id for r in stored(cli.data)}
    uncertain = [r for r in stored(cli.data) if r.state is TaskState.UNCERTAIN]
    assert len([t for t in sim.created_task_ids if t not in known]) <= len(uncertain)
    assert set(again.lines) == {
        r.local_id for r in stored(cli.data) if not r.hidden and r.prompt in prompts
    }
