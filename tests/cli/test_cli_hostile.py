"""The command line against a hostile APIXO and a broken machine (issue 12).

What a person at a terminal, or a script reading a pipe, would see: no traceback, one safe
line per error with the documented exit code, no escape code or forged line from a server's
text, no API key, a line per state change when not on a terminal, and no paid POST past the
daily cap.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.cli import test_cli
from tests.cli.test_cli import FAST, stored
from tests.cli.test_cli_creative import extend_posts, finished, submit_posts, write
from tests.fixtures.recipe import assert_carries_recipe
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop import logs
from veo_desktop.api.client import ApixoClient
from veo_desktop.cli import ExitCode
from veo_desktop.core.journal import AcceptedJournal
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.sim import Fault
from veo_desktop.storage.store import StoreError, TaskStore

cli = test_cli.cli

ESC = "\x1b"
#: What a hostile server puts in a field: clear the screen, then forge a line of its own.
HOSTILE = "\x1b[2J\x1b[31mtask\nveo-desktop: error: forged line\r\x1b]0;title\x07"


def assert_clean(text: str, *, max_line: int = 2000) -> None:
    """No escape or control character, no forged line, every line bounded."""
    assert ESC not in text and "\r" not in text and "\x07" not in text
    assert "forged line" not in text or all(
        not line.startswith("veo-desktop: error: forged") for line in text.splitlines()
    )
    assert all(len(line) <= max_line for line in text.splitlines())


def set_cap(data: Path, cap: str) -> None:
    paths = AppPaths.resolve(data)
    paths.ensure()
    Settings(daily_spending_cap=Decimal(cap)).save(paths)


def stored_record(data: Path, **fields: Any) -> TaskRecord:
    """A task as an older version (or another process) may have stored it."""
    now = time.time()
    record = TaskRecord(
        local_id="0123456789abcdef0123456789abcdef",
        model="veo-3-1",
        request={"input": {"prompt": "A calm sea", "mode": "fast"}},
        state=TaskState.FAILED,
        created_at=now,
        updated_at=now,
        price=Decimal("0.20"),
        **fields,
    )
    data.mkdir(parents=True, exist_ok=True)
    with TaskStore.open(data / "tasks.sqlite3") as store:
        store.insert(record)
    return record


# -- #9 no traceback ---------------------------------------------------------------------------


def test_an_unexpected_error_is_one_safe_line_and_its_traceback_goes_to_the_log(
    cli: Any, sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_record(cli.data)

    def broken(self: TaskStore) -> list[TaskRecord]:
        raise RuntimeError(f"a bug {HOSTILE} quoting {SIM_API_KEY}")

    monkeypatch.setattr(TaskStore, "load_all", broken)
    result = cli("list")
    assert result.code == ExitCode.INTERNAL
    assert "Traceback" not in result.err and result.out == ""
    (line,) = result.err.splitlines()
    log_file = cli.data / "logs" / logs.LOG_FILE_NAME
    assert line.startswith("veo-desktop: error: ")
    assert line.endswith(f"(details in {log_file})")
    assert "RuntimeError" in line
    assert_clean(result.err)
    assert SIM_API_KEY not in result.err
    logged = log_file.read_text()
    assert "Traceback" in logged and "RuntimeError: a bug" in logged
    assert SIM_API_KEY not in logged


# -- #7 server text in the terminal -----------------------------------------------------------


def test_status_and_list_print_stored_server_text_escaped_and_bounded(cli: Any, sim: Any) -> None:
    record = stored_record(
        cli.data,
        apixo_task_id="x" * 200_000 + HOSTILE,
        fail_code="Odd" + HOSTILE,
        fail_message="APIXO said " + HOSTILE,
        note="note " + HOSTILE,
        result_urls=(f"https://cdn.example/{HOSTILE}.mp4",),
    )
    status = cli("status", record.local_id)
    assert status.code == ExitCode.FAILED
    assert_clean(status.out + status.err)
    assert "\\x1b[2J" in status.out  # shown escaped, not hidden
    assert len(status.out) < 5000
    assert all(line[:10].strip() for line in status.out.splitlines())  # no injected line
    listed = cli("list")
    assert listed.code == ExitCode.OK
    assert_clean(listed.out + listed.err)
    by_apixo_id = cli("status", "x" * 200_000 + HOSTILE)
    assert by_apixo_id.code == ExitCode.FAILED
    assert_clean(by_apixo_id.out + by_apixo_id.err)


def test_a_prompt_with_escape_codes_is_listed_escaped(cli: Any, sim: Any, tmp_path: Path) -> None:
    batch = tmp_path / "odd.jsonl"
    batch.write_text(json.dumps({"prompt": "A fox " + HOSTILE}) + "\n", encoding="utf-8")
    result = cli("generate", "--batch", str(batch))
    assert result.code == ExitCode.OK, result.err
    (local_id,) = result.lines
    for shown in (cli("list"), cli("status", local_id)):
        assert_clean(shown.out + shown.err)
        assert "A fox \\x1b[2J" in shown.out


# -- #6 one line per state change in a pipe ----------------------------------------------------


def test_wait_prints_one_line_per_state_change_when_not_on_a_terminal(cli: Any, sim: Any) -> None:
    result = cli("generate", "--prompt", "A heron at dawn", "--wait", *FAST)
    assert result.code == ExitCode.OK, result.err
    local_id, path = result.lines  # stdout stays machine-readable: the id, then the file
    short = local_id[:8]
    lines = result.err.splitlines()
    assert lines[0] == f"{short} pending"
    assert f"{short} downloading" in lines
    assert lines[-1] == f"{short} succeeded: {path}"
    states = [line.split()[1].rstrip(":") for line in lines]
    assert states == sorted(set(states), key=states.index)  # each state once, in order
    assert set(states) <= {"pending", "processing", "downloading", "succeeded"}


def test_resume_prints_state_changes_when_not_on_a_terminal(cli: Any, sim: Any) -> None:
    (local_id,) = cli("generate", "--prompt", "Later", *FAST).lines
    resumed = cli("resume", *FAST)
    assert resumed.code == ExitCode.OK, resumed.err
    assert f"{local_id[:8]} downloading" in resumed.err.splitlines()
    assert resumed.out.startswith(f"{local_id[:8]} succeeded: ")


# -- #15 every paid path asks the daily cap ----------------------------------------------------


def test_extend_past_the_daily_cap_sends_nothing(cli: Any, sim: Any) -> None:
    source_id = finished(cli)
    set_cap(cli.data, "0.30")
    refused = cli("extend", source_id, "--prompt", "Too much today", "--wait", *FAST)
    assert refused.code == ExitCode.INVALID
    assert "over your daily cap of $0.30" in refused.err and "--over-cap" in refused.err
    assert extend_posts(sim) == [] and refused.out == ""
    forced = cli("extend", source_id, "--prompt", "Anyway", "--over-cap")
    assert forced.code == ExitCode.OK, forced.err
    assert len(extend_posts(sim)) == 1


def test_a_batch_with_an_extend_line_past_the_cap_sends_nothing(
    cli: Any, sim: Any, tmp_path: Path
) -> None:
    source_id = finished(cli)
    apixo_id = next(r.apixo_task_id for r in stored(cli.data) if r.local_id == source_id)
    set_cap(cli.data, "0.30")
    batch = write(
        tmp_path,
        "mixed.jsonl",
        json.dumps({"taskId": apixo_id, "prompt": "More of it"}) + "\n",
    )
    refused = cli("generate", "--batch", str(batch), "--wait", *FAST)
    assert refused.code == ExitCode.INVALID
    assert "over your daily cap" in refused.err
    assert extend_posts(sim) == [] and sum(submit_posts(sim).values()) == 1
    assert refused.out == ""


def test_generate_wait_past_the_cap_sends_nothing(cli: Any, sim: Any) -> None:
    set_cap(cli.data, "1.00")
    refused = cli("generate", "--prompt", "Costly", "--mode", "quality", "--wait", *FAST)
    assert refused.code == ExitCode.INVALID
    assert sum(submit_posts(sim).values()) == 0 and refused.out == ""


# -- hostile answers from the simulator --------------------------------------------------------


def one_error_line(result: Any) -> str:
    assert "Traceback" not in result.err
    errors = [line for line in result.err.splitlines() if line.startswith("veo-desktop: error:")]
    assert len(errors) == 1, result.err
    return errors[0]


def test_a_nested_json_submit_answer_is_uncertain_exit_5_without_a_traceback(
    cli: Any, sim: Any
) -> None:
    sim.add_fault(Fault(endpoint="submit", kind="nested_json", accept_first=True))
    result = cli("generate", "--prompt", "Deep answer", "--wait", *FAST)
    assert result.code == ExitCode.UNCERTAIN, result.err
    one_error_line(result)
    assert_clean(result.err)
    (local_id,) = result.lines
    (record,) = stored(cli.data)
    assert record.local_id == local_id and record.state is TaskState.UNCERTAIN
    assert sum(submit_posts(sim).values()) == 1


@pytest.mark.parametrize("endpoint", ["submit", "balance"])
def test_an_error_quoting_the_key_never_prints_it(cli: Any, sim: Any, endpoint: str) -> None:
    sim.add_fault(Fault(endpoint=endpoint, kind="echo_key", status=400, times=-1))
    result = cli("balance") if endpoint == "balance" else cli("generate", "--prompt", "Echo")
    assert result.code in (ExitCode.API, ExitCode.UNCERTAIN), result.err
    one_error_line(result)
    assert SIM_API_KEY not in result.out + result.err
    for shown in (cli("list"), cli("status", result.lines[0]) if result.lines else None):
        if shown is not None:
            assert SIM_API_KEY not in shown.out + shown.err


def test_a_status_error_quoting_the_key_is_not_in_the_progress_lines(cli: Any, sim: Any) -> None:
    sim.add_fault(Fault(endpoint="status", kind="echo_key", status=500, times=2))
    result = cli("generate", "--prompt", "Poll echo", "--wait", *FAST)
    assert result.code == ExitCode.OK, result.err
    assert SIM_API_KEY not in result.out + result.err
    assert_clean(result.err)


def test_a_hostile_task_id_in_a_status_answer_is_printed_escaped(cli: Any, sim: Any) -> None:
    sim.add_fault(Fault(endpoint="status", kind="odd_task_id", value=HOSTILE, times=2))
    result = cli("generate", "--prompt", "Foreign answer", "--wait", *FAST)
    assert result.code == ExitCode.OK, result.err
    assert_clean(result.out + result.err)
    (local_id, _path) = result.lines
    status = cli("status", local_id)
    assert_clean(status.out + status.err)


@pytest.mark.parametrize("value", [HOSTILE, "x" * 200_000])
def test_a_hostile_task_id_in_the_submit_answer_is_uncertain_and_printed_safely(
    cli: Any, sim: Any, value: str
) -> None:
    sim.add_fault(Fault(endpoint="submit", kind="odd_task_id", value=value, accept_first=True))
    result = cli("generate", "--prompt", "Odd id", "--wait", *FAST)
    assert result.code == ExitCode.UNCERTAIN, result.err
    one_error_line(result)
    assert_clean(result.out + result.err)
    for shown in (cli("list"), cli("status", result.lines[0])):
        assert_clean(shown.out + shown.err)
        assert len(shown.out + shown.err) < 20_000
    assert sum(submit_posts(sim).values()) == 1


@pytest.mark.parametrize("value", ["1e99999999", "-5", '"NaN"', "1e400"])
def test_an_absurd_balance_is_one_plain_line_exit_3(cli: Any, sim: Any, value: str) -> None:
    sim.add_fault(Fault(endpoint="balance", kind="odd_balance", value=value))
    result = cli("balance")
    assert result.code == ExitCode.API, result.out + result.err
    line = one_error_line(result)
    assert len(line) < 300 and result.out == ""


def test_a_bug_while_reading_the_submit_answer_is_uncertain_exit_5(
    cli: Any, sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer was received (and charged) when the bug struck: the CLI says uncertain."""

    def broken(body: bytes) -> str:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("veo_desktop.api.client.parse_submit", broken)
    result = cli("generate", "--prompt", "Charged, then a bug", "--wait", *FAST)
    assert result.code == ExitCode.UNCERTAIN, result.err
    line = one_error_line(result)
    assert "not sent again" in line or "uncertain" in line.lower()
    (local_id,) = result.lines
    (record,) = stored(cli.data)
    assert record.local_id == local_id and record.state is TaskState.UNCERTAIN
    assert sum(submit_posts(sim).values()) == 1
    logged = (cli.data / "logs" / logs.LOG_FILE_NAME).read_text()
    assert "RecursionError" in logged


# -- #6 a permanent download failure ends the wait; `download TASK` tries again ---------------


def test_a_permanent_download_failure_ends_wait_and_download_tries_again(
    cli: Any, sim: Any, tmp_path: Path
) -> None:
    sim.add_fault(Fault(endpoint="media", kind="http_error", status=404, times=-1))
    failed = cli("generate", "--prompt", "A broken link", "--wait", *FAST)
    assert failed.code == ExitCode.FAILED, failed.err
    (local_id,) = failed.lines
    (record,) = stored(cli.data)
    assert record.state is TaskState.FAILED and record.fail_code == "DownloadFailed"
    line = one_error_line(failed)
    assert "could not be downloaded" in line
    assert str(record.apixo_task_id) in line and record.result_urls[0] in line
    assert f"veo-desktop download {local_id[:8]}" in line
    assert f"{local_id[:8]} failed: DownloadFailed" in failed.err.splitlines()
    assert cli("resume", *FAST).code == ExitCode.OK  # nothing left running: it ends at once

    sim.clear_faults()
    out = tmp_path / "again.mp4"
    again = cli("download", str(record.apixo_task_id), "--output", str(out), *FAST)
    assert again.code == ExitCode.OK, again.err
    assert again.lines == [str(out)]
    (record,) = stored(cli.data)
    assert record.state is TaskState.SUCCEEDED
    assert_carries_recipe(out, Path(record.files[0]), record)
    assert again.err.splitlines()[0] == f"{local_id[:8]} downloading"
    assert sum(submit_posts(sim).values()) == 1  # free: nothing submitted again

    done = cli("download", local_id[:6])
    assert done.code == ExitCode.OK and done.lines == [record.files[0]]


def test_download_of_a_task_without_a_video_says_why(cli: Any, sim: Any) -> None:
    (local_id,) = cli("generate", "--prompt", "Still running", *FAST).lines
    result = cli("download", local_id)
    assert result.code == ExitCode.INVALID
    assert "not finished on APIXO yet" in one_error_line(result)
    assert "veo-desktop resume" in result.err
    unknown = cli("download", "nope\x1b[2J")
    assert unknown.code == ExitCode.INVALID and "No task 'nope\\x1b[2J'" in unknown.err


# -- #1 an accepted id the store could not take ------------------------------------------------


class FullDisk:
    """The real store and client; the disk fills while a submission is on its way.

    ``journal_too``: the accepted-ids journal cannot be written either (nothing can).
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, data: Path) -> None:
        self.full = False
        self.journal_too = False
        self.journal = AcceptedJournal.beside(data / "tasks.sqlite3").path
        update = TaskStore.update
        submit = ApixoClient.submit
        extend = ApixoClient.extend

        def full_update(store: TaskStore, record: TaskRecord, **kwargs: Any) -> None:
            if self.full:
                raise StoreError(f"Cannot write the task store {store.path}: disk is full")
            update(store, record, **kwargs)

        async def filling_submit(client: ApixoClient, request: Any) -> str:
            self.fill()
            return await submit(client, request)

        async def filling_extend(client: ApixoClient, request: Any) -> str:
            self.fill()
            return await extend(client, request)

        monkeypatch.setattr(TaskStore, "update", full_update)
        monkeypatch.setattr(ApixoClient, "submit", filling_submit)
        monkeypatch.setattr(ApixoClient, "extend", filling_extend)
        self.armed = False

    def fill(self) -> None:
        if not self.armed:
            return
        self.full = True
        if self.journal_too:
            self.journal.unlink(missing_ok=True)
            self.journal.mkdir()

    def free(self) -> None:
        self.full = self.armed = False
        if self.journal.is_dir():
            self.journal.rmdir()


def paid_path(cli: Any, tmp_path: Path, path: str, source: str | None) -> Any:
    if path == "generate":
        return cli("generate", "--prompt", "Paid while the disk filled")
    if path == "extend":
        return cli("extend", str(source), "--prompt", "Extended while the disk filled")
    batch = write(tmp_path, "full.csv", "prompt\nBatch row while the disk filled\n")
    return cli("generate", "--batch", str(batch))


@pytest.mark.parametrize("path", ["generate", "extend", "batch"])
def test_an_id_only_in_the_journal_is_a_warning_naming_it_and_the_next_start_keeps_it(
    cli: Any, sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    disk = FullDisk(monkeypatch, cli.data)
    source = finished(cli) if path == "extend" else None
    disk.armed = True
    result = paid_path(cli, tmp_path, path, source)
    assert result.code == ExitCode.OK, result.err
    apixo_id = sim.created_task_ids[-1]
    (local_id,) = result.lines
    (warning,) = [line for line in result.err.splitlines() if apixo_id in line]
    assert "could not be written" in warning and str(disk.journal) in warning
    assert "next start" in warning
    disk.free()
    status = cli("status", local_id)
    assert f"APIXO id  {apixo_id}" in status.out, status.out + status.err


def test_an_id_nothing_could_save_is_a_loud_error_naming_it_and_exit_1(
    cli: Any, sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = FullDisk(monkeypatch, cli.data)
    disk.armed = disk.journal_too = True
    result = cli("generate", "--prompt", "Paid, saved nowhere")
    assert result.code == ExitCode.LOCAL, result.err
    apixo_id = sim.created_task_ids[-1]
    loud = [line for line in result.err.splitlines() if apixo_id in line]
    assert loud and all(line.startswith("veo-desktop: error:") for line in loud)
    assert "write it down" in loud[-1].lower() and "charged" in loud[-1]
    disk.free()


def test_a_usage_error_echoes_the_argument_escaped(cli: Any, sim: Any) -> None:
    result = cli("generate", "--prompt", "x", "--mode", "fast\x1b[2J\nforged")
    assert result.code == ExitCode.INVALID
    (line,) = result.err.splitlines()
    assert "invalid choice" in line and "\\x1b[2J" in line
    assert ESC not in result.err


@pytest.mark.parametrize("kind", ["media_html", "media_gzip", "media_huge", "redirect_loop"])
def test_wait_and_resume_end_on_a_permanent_download_failure(cli: Any, sim: Any, kind: str) -> None:
    sim.add_fault(Fault(endpoint="media", kind=kind, times=-1))  # type: ignore[arg-type]
    waited = cli("generate", "--prompt", f"Broken media {kind}", "--wait", *FAST)
    assert waited.code == ExitCode.FAILED, waited.err
    assert "could not be downloaded" in one_error_line(waited)
    (later,) = cli("generate", "--prompt", f"Later {kind}", *FAST).lines
    resumed = cli("resume", *FAST)
    assert resumed.code == ExitCode.FAILED, resumed.err
    assert f"Task {later[:8]} failed: DownloadFailed" in resumed.out
    assert f"veo-desktop download {later[:8]}" in resumed.out
    assert f"{later[:8]} failed: DownloadFailed" in resumed.err.splitlines()


def test_a_bad_url_among_good_ones_succeeds_with_a_warning(cli: Any, sim: Any) -> None:
    sim.add_fault(Fault(endpoint="status", kind="extra_result_urls", count=1, times=-1))
    result = cli("generate", "--prompt", "One good, one broken", "--wait", *FAST)
    assert result.code == ExitCode.OK, result.err
    local_id, path = result.lines
    assert Path(path).is_file()
    warnings = [line for line in result.err.splitlines() if line.startswith("veo-desktop: warn")]
    assert len(warnings) == 1 and "could not be downloaded" in warnings[0]
    assert result.err.splitlines()[-2].startswith(f"{local_id[:8]} succeeded: {path} (")


def test_a_paid_id_no_task_holds_is_named_at_every_start(cli: Any, sim: Any) -> None:
    """The journal beside a replaced task list: its id is never dropped, and said."""
    from veo_desktop.core.journal import AcceptedId

    store_path = AppPaths.resolve(cli.data).store_path
    store_path.parent.mkdir(parents=True, exist_ok=True)
    TaskStore.open(store_path).close()
    journal = AcceptedJournal.beside(store_path)
    journal.append(AcceptedId("f" * 32, "task_paid_and_orphaned", "veo-3-1", 1.0))
    for _ in range(2):
        result = cli("resume")
        assert result.code == ExitCode.OK
        assert "APIXO accepted task task_paid_and_orphaned (paid)" in result.err
        assert_clean(result.err)
    assert [e.apixo_task_id for e in journal.entries()] == ["task_paid_and_orphaned"]
