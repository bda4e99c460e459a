"""Remove and Clean up in a library not loaded whole read only the tasks that may name the
chosen files (``TaskStore.naming`` over :func:`keys_kept_by`), not every task. Deleting a
file another task still names is the worst thing they can do, so the plan made from that
lookup must be the plan made from every task, however the other tasks spell the names:
real files on disk, a real sqlite store, rows written as other programs write JSON."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.storage.test_store import make_record
from veo_desktop.core.cleanup import keys_kept_by, removal_plan
from veo_desktop.core.sidecar import sidecar_path
from veo_desktop.core.video_names import part_path
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.storage.store import TaskStore


def _every_letter_escaped(names: list[str]) -> str:
    return "[" + ",".join('"' + "".join(f"\\u{ord(c):04X}" for c in n) + '"' for n in names) + "]"


#: How programs may write a task's list of files: Python's ways, upper-case hex escapes,
#: escaped slashes, every letter escaped. All are the same JSON.
WRITERS: dict[str, Callable[[list[str]], str]] = {
    "ours": lambda names: json.dumps(names, ensure_ascii=False, separators=(",", ":")),
    "ascii": lambda names: json.dumps(names),
    "upper hex": lambda names: re.sub(
        r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), json.dumps(names)
    ),
    "escaped slashes": lambda names: json.dumps(names).replace("/", "\\/"),
    "every letter": _every_letter_escaped,
}

#: Parts of file names: letters with and without case, JSON's special characters, a dot.
NAME = st.text(
    alphabet=st.sampled_from([*"ab. &", "\u00e9", "\u00c9", '"', "\\", "\t"]),
    min_size=1,
    max_size=5,
).filter(lambda name: name.strip(".") != "")  # (not "." or "..")

#: How another task may name a file near the chosen video (as ``removal_plan`` compares
#: names: the same file, with a trailing slash or "/.", without its suffix, its sidecar, another
#: folder's file of the same name, or a file of its own).
VARIANTS: dict[str, Callable[[Path, Path], str]] = {
    "same": lambda video, _other: str(video),
    "trailing slash": lambda video, _other: str(video) + "/",
    "trailing dot": lambda video, _other: str(video) + "/.",
    "doubled slash": lambda video, _other: str(video.parent) + "//" + video.name,
    "no suffix": lambda video, _other: str(video.with_suffix("")),
    "sidecar": lambda video, _other: str(sidecar_path(video)),
    "same name elsewhere": lambda video, other: str(other / video.name),
    "its own": lambda video, other: str(other / ("own " + video.name)),
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bases=st.lists(NAME, min_size=1, max_size=3, unique=True),
    suffix=st.sampled_from([".mp4", "", ".MP4"]),
    extras=st.lists(st.sampled_from(["sidecar", "part"]), max_size=2, unique=True),
    others=st.lists(
        st.tuples(
            st.integers(0, 2),
            st.sampled_from(sorted(VARIANTS)),
            st.sampled_from(sorted(WRITERS)),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_the_tasks_read_for_a_removal_keep_what_every_task_keeps(
    bases: list[str],
    suffix: str,
    extras: list[str],
    others: list[tuple[int, str, str]],
) -> None:
    with tempfile.TemporaryDirectory(prefix="veo-lookup-") as made:
        check_the_lookup(Path(made), bases, suffix, extras, others)


def check_the_lookup(
    folder: Path,
    bases: list[str],
    suffix: str,
    extras: list[str],
    others: list[tuple[int, str, str]],
) -> None:
    library, elsewhere = folder / "library", folder / "elsewhere"
    library.mkdir()
    elsewhere.mkdir()
    videos = [library / (base + suffix) for base in bases]
    for video in videos:
        video.write_bytes(b"v" * 100)
        if "sidecar" in extras:
            sidecar_path(video).write_bytes(b"{}")
        if "part" in extras:
            part_path(video).write_bytes(b"p")
    chosen = make_record(
        "chosen",
        state=TaskState.SUCCEEDED,
        created_at=1_700_000_100.0,
        files=tuple(str(v) for v in videos),
    )
    with TaskStore.open(folder / "tasks.sqlite3") as store:
        store.insert(chosen, durable=False)
        for n, (which, variant, writer) in enumerate(others):
            video = videos[which % len(videos)]
            named = [VARIANTS[variant](video, elsewhere)]
            other = make_record(
                f"other {n}", state=TaskState.SUCCEEDED, created_at=1_700_000_000.0 + n
            )
            store.insert(other, durable=False)
            with store.transaction():
                store._db.execute(
                    "UPDATE tasks SET files = ? WHERE local_id = ?",
                    (WRITERS[writer](named), other.local_id),
                )
        everything = store.load_all()
        found = set(store.naming(keys_kept_by(chosen.files)))
    looked_up = [r for r in everything if r.local_id in found]
    for delete_files in (True, False):
        assert removal_plan([chosen], looked_up, delete_files=delete_files) == removal_plan(
            [chosen], everything, delete_files=delete_files
        ), (others, [r.files for r in everything])


def test_a_name_sqlite_cannot_take_is_still_looked_up(tmp_path: Path) -> None:
    """A lone surrogate in a file name (another writer's ``\\udce9``) cannot be bound as a
    parameter: the lookup still finds the task that names it, with no error."""
    name = "/v/caf\udce9.mp4"
    with TaskStore.open(tmp_path / "tasks.sqlite3") as store:
        other = make_record("other", state=TaskState.SUCCEEDED)
        store.insert(other, durable=False)
        with store.transaction():
            store._db.execute(
                "UPDATE tasks SET files = ? WHERE local_id = ?",
                (json.dumps([name]), other.local_id),
            )
        assert store.naming(keys_kept_by([name])) == [other.local_id]
