"""What the store says when it cannot work: a full disk, a read-only or forbidden place,
a busy file, a damaged file; and that no secret or control character reaches the file.

Real failures only: a 400 KB tmpfs filled with zeros, a tmpfs remounted read-only,
``chattr +i`` (which stops root too), garbage bytes and a truncated database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.conftest import Disk, make_immutable
from tests.storage.test_store import make_record
from veo_desktop import logs
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange
from veo_desktop.storage.store import (
    StoreBusyError,
    StoreCorruptError,
    StoreDiskError,
    StoreError,
    StoreFullError,
    StorePermissionError,
    StoreReadOnlyError,
    TaskStore,
)

KEY = "apx-sk-Zq8Lm3Nv5Rt7Wx9Yb2Kd4F"
#: Advice that would orphan every task id if followed for anything but a proven corrupt file.
MOVE_ADVICE = ("move it away", "damaged", "start a new")


def _says_no_move(error: StoreError) -> None:
    text = str(error).lower()
    for words in MOVE_ADVICE:
        assert words not in text, text


def _filled_store(path: Path, count: int = 3) -> list[str]:
    with TaskStore.open(path) as store:
        records = [make_record(f"clip {n}", apixo_task_id=f"task_{n}") for n in range(count)]
        for record in records:
            store.insert(record)
    return [r.local_id for r in records]


# -- a full disk --------------------------------------------------------------------------------


def test_a_full_disk_at_open_says_disk_full_not_damaged(small_disk: Disk) -> None:
    small_disk.fill()
    path = small_disk.path / "tasks.sqlite3"
    with pytest.raises(StoreFullError) as caught:
        TaskStore.open(path)
    assert str(caught.value).startswith("Disk full: free some space in ")
    assert str(small_disk.path) in str(caught.value)
    assert "nothing was lost" in str(caught.value)
    _says_no_move(caught.value)


def test_a_full_disk_while_writing_loses_nothing_saved(small_disk: Disk) -> None:
    path = small_disk.path / "tasks.sqlite3"
    saved = _filled_store(path)
    with TaskStore.open(path) as store:
        small_disk.fill()
        with pytest.raises(StoreFullError) as caught:
            store.insert(make_record("x" * 300_000))
        _says_no_move(caught.value)
        assert "free some space" in str(caught.value)
        assert [r.local_id for r in store.load_all()] == saved
    small_disk.free()
    with TaskStore.open(path) as store:
        assert [r.local_id for r in store.load_all()] == saved
        store.insert(make_record("after"))
    assert not list(small_disk.path.glob("*.damaged*"))


def test_a_full_disk_at_reopening_a_store_says_disk_full(small_disk: Disk) -> None:
    """sqlite says "disk I/O error" (IOERR_SHMSIZE) when its -shm file cannot grow."""
    path = small_disk.path / "tasks.sqlite3"
    saved = _filled_store(path)
    small_disk.fill()
    with pytest.raises(StoreFullError) as caught, TaskStore.open(path) as store:
        store.load_all()
    assert str(caught.value).startswith("Disk full: free some space in ")
    _says_no_move(caught.value)
    small_disk.free()
    with TaskStore.open(path) as store:
        assert [r.local_id for r in store.load_all()] == saved


# -- read-only and forbidden places -------------------------------------------------------------


def test_a_read_only_disk_says_read_only(small_disk: Disk) -> None:
    path = small_disk.path / "tasks.sqlite3"
    _filled_store(path)
    small_disk.read_only()
    with pytest.raises(StoreReadOnlyError) as caught:
        TaskStore.open(path)
    assert "read-only" in str(caught.value)
    assert str(small_disk.path) in str(caught.value)
    _says_no_move(caught.value)


def test_a_read_only_file_says_read_only_when_written(
    tmp_path: Path, immutable: list[Path]
) -> None:
    path = tmp_path / "tasks.sqlite3"
    saved = _filled_store(path)
    make_immutable(immutable, path)
    with TaskStore.open(path) as store:
        assert [r.local_id for r in store.load_all()] == saved
        with pytest.raises(StoreReadOnlyError) as caught:
            store.insert(make_record())
    assert "read-only" in str(caught.value)
    _says_no_move(caught.value)


def test_a_folder_without_write_permission_says_so(tmp_path: Path, immutable: list[Path]) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "tasks.sqlite3"
    _filled_store(path)
    make_immutable(immutable, folder)
    with pytest.raises(StorePermissionError) as caught:
        TaskStore.open(path)
    assert "permission" in str(caught.value).lower()
    assert str(folder) in str(caught.value)
    _says_no_move(caught.value)


def test_a_new_store_in_a_forbidden_folder_says_permission(
    tmp_path: Path, immutable: list[Path]
) -> None:
    make_immutable(immutable, tmp_path)
    with pytest.raises(StorePermissionError) as caught:
        TaskStore.open(tmp_path / "sub" / "tasks.sqlite3")
    _says_no_move(caught.value)


# -- busy ---------------------------------------------------------------------------------------


def test_a_store_locked_by_another_program_says_busy(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    _filled_store(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        with TaskStore.open(path, busy_timeout=0.2) as store:
            other.execute("BEGIN EXCLUSIVE")
            with pytest.raises(StoreBusyError) as caught:
                store.insert(make_record())
            other.execute("ROLLBACK")
            store.insert(make_record())
    finally:
        other.close()
    assert "in use" in str(caught.value)
    _says_no_move(caught.value)


# -- damaged files ------------------------------------------------------------------------------


def test_a_garbage_file_is_called_not_a_store_and_a_copy_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    with pytest.raises(StoreCorruptError) as caught:
        TaskStore.open(path)
    backup = caught.value.backup
    assert backup is not None and backup.parent == tmp_path and backup != path
    assert backup.read_bytes() == garbage
    assert path.read_bytes() == garbage, "the file itself is left where it is"
    message = str(caught.value)
    assert "not an sqlite database" in message
    assert str(backup) in message and "move" in message


def test_a_truncated_store_fails_its_integrity_check_and_a_copy_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    with TaskStore.open(path) as store:
        for n in range(300):
            store.insert(make_record(f"clip {n} " + "y" * 500), durable=False)
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreCorruptError) as caught, TaskStore.open(path) as store:
        store.load_all()
    backup = caught.value.backup
    assert backup is not None and backup.read_bytes() == data[: len(data) // 2]
    message = str(caught.value)
    assert "integrity check" in message and str(backup) in message
    assert "move" in message


def test_errors_are_store_errors_for_callers_that_catch_the_base() -> None:
    for kind in (StoreFullError, StoreReadOnlyError, StorePermissionError, StoreBusyError):
        assert issubclass(kind, StoreError)
    assert issubclass(StoreCorruptError, StoreError)


# -- what reaches the file ----------------------------------------------------------------------


@pytest.fixture
def key() -> Iterator[str]:
    logs.register_secret(KEY)
    yield KEY
    logs.forget_secrets()


def test_the_api_key_never_reaches_the_store_file_or_its_wal(tmp_path: Path, key: str) -> None:
    path = tmp_path / "tasks.sqlite3"
    quoted = f"Invalid key {key}\n\x1b[2JAuthorization: Bearer {key}"
    with TaskStore.open(path) as store:
        record = make_record()
        store.insert(record)
        failed = record.evolve(
            state=TaskState.FAILED,
            fail_code=f"E_{key}",
            fail_message=quoted,
            note=f"server said {key}",
            history=(*record.history, StateChange(1.0, TaskState.FAILED, quoted)),
        )
        store.update(failed, new_events=failed.history[1:], durable=True)
        store.set_meta("last_error", quoted)
        files = [path, path.with_name(path.name + "-wal")]
        for file in files:
            if file.exists():
                assert key.encode() not in file.read_bytes(), file
        back = store.get(record.local_id)
        assert back is not None
        for text in (back.fail_message, back.note, back.fail_code, back.history[-1].note):
            assert text is not None and key not in text and "[REDACTED]" in text
        assert back.fail_message is not None and "\x1b" not in back.fail_message
        assert "\\n\\x1b[2J" in back.fail_message
        assert store.get_meta("last_error") == back.fail_message
    for file in tmp_path.iterdir():
        assert key.encode() not in file.read_bytes(), file


def _open_as_nobody(path: Path) -> tuple[str, str]:
    """Open the store in a child process running as ``nobody`` (no root powers):
    the name and message of the error it raised, or ("", "") when it opened."""
    if os.geteuid() != 0:
        try:
            TaskStore.open(path).close()
        except StoreError as error:
            return type(error).__name__, str(error)
        return "", ""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read)
            os.setgid(65534)
            os.setuid(65534)
            try:
                TaskStore.open(path).close()
                answer = "\n"
            except StoreError as error:
                answer = f"{type(error).__name__}\n{error}"
            os.write(write, answer.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read().decode()
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    name, _, message = answer.partition("\n")
    return name, message


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="veo-store-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_folder_the_user_may_not_write_says_permission(shared_dir: Path) -> None:
    folder = shared_dir / "data"
    folder.mkdir()
    path = folder / "tasks.sqlite3"
    _filled_store(path)
    path.chmod(0o644)
    folder.chmod(0o555)
    name, message = _open_as_nobody(path)
    assert name == "StorePermissionError", message
    assert "No permission" in message and str(folder) in message
    assert "damaged" not in message and "Move" not in message


def test_a_new_store_where_the_user_may_not_write_says_permission(shared_dir: Path) -> None:
    shared_dir.chmod(0o555)
    name, message = _open_as_nobody(shared_dir / "data" / "tasks.sqlite3")
    assert name == "StorePermissionError", message


def _damage_middle(path: Path) -> None:
    """Overwrite a few pages in the middle of a checkpointed store with garbage."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    size = path.stat().st_size
    with path.open("r+b") as out:
        out.seek(size // 2 // 4096 * 4096)
        out.write(b"\xff" * 3 * 4096)


def test_damage_found_while_in_use_is_checked_and_copied_once(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    with TaskStore.open(path) as store:
        for n in range(300):
            store.insert(make_record(f"clip {n} " + "y" * 500), durable=False)
    _damage_middle(path)
    with TaskStore.open(path) as store:
        errors = []
        for _ in range(3):
            with pytest.raises(StoreCorruptError) as caught:
                store.load_all()
            errors.append(caught.value)
    assert "integrity check" in str(errors[0])
    assert {error.backup for error in errors} == {errors[0].backup}
    assert len(list(tmp_path.glob("tasks.damaged-*.sqlite3"))) == 1


def test_a_damage_check_that_passed_is_not_run_again_for_every_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check reads the whole file on the caller's thread (the event loop's): once."""
    path = tmp_path / "tasks.sqlite3"
    with TaskStore.open(path) as store:
        for n in range(300):
            store.insert(make_record(f"clip {n} " + "y" * 500), durable=False)
    _damage_middle(path)
    checks: list[Path] = []

    def check_passes(at: Path, error: sqlite3.Error) -> StoreError:
        checks.append(at)
        return StoreDiskError("sqlite reported damage but its integrity check passed.", at)

    monkeypatch.setattr("veo_desktop.storage.store._damage_error", check_passes)
    with TaskStore.open(path) as store:
        for _ in range(3):
            with pytest.raises(StoreDiskError):
                store.load_all()
    assert checks == [path]
