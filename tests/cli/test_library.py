"""``veo-desktop list --search/--tag/--rating/--json`` and ``veo-desktop tag`` on a real store."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from veo_desktop.api.models import GenerationRequest
from veo_desktop.cli import ExitCode, main
from veo_desktop.core.paths import AppPaths
from veo_desktop.records.library import LabelChange
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import TaskStore


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def library(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("APIXO_API_KEY", raising=False)
    data = tmp_path / "data"
    prompts = ["A red fox in the snow", "A fox at night, neon", "An empty beach", "Fox (hidden)"]
    records = []
    with TaskStore.open(AppPaths.resolve(data).store_path) as store:
        for n, prompt in enumerate(prompts):
            record = TaskRecord(
                local_id=uuid.UUID(int=(n + 1) << 120).hex,
                model="veo-3-1",
                request=GenerationRequest(prompt=prompt, seed=n).to_payload(),
                state=TaskState.SUCCEEDED,
                created_at=1_750_000_000.0 + n,
                updated_at=1_750_000_000.0 + n,
                apixo_task_id=f"apixo_{n}",
                price=Decimal("0.20"),
                hidden=n == 3,
            )
            store.insert(record, durable=False)
            records.append(record)
        store.edit_labels([records[1].local_id], LabelChange(rating=5, favourite=True, note="best"))

    def run(*args: str) -> Result:
        try:
            code = main(["--data-dir", str(data), *args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    run.records = records  # type: ignore[attr-defined]
    return run


def test_tag_then_list_by_tag_rating_and_search_as_json(library) -> None:
    first, second = library.records[0], library.records[1]
    tagged = library("tag", second.apixo_task_id, "Night", "neon city")
    assert tagged.code == ExitCode.OK, tagged.err
    assert tagged.out == f"{second.short_id} tags: neon city, night\n"
    assert library("tag", first.local_id[:6], "night").code == ExitCode.OK

    found = library("list", "--search", "FOX", "--tag", "night", "--rating", "4", "--json")
    assert found.code == ExitCode.OK, found.err
    shown = json.loads(found.out)
    assert [t["id"] for t in shown] == [second.local_id]
    assert shown[0] | {"created": None} == {
        "id": second.local_id,
        "apixo_task_id": "apixo_1",
        "created": None,
        "state": "succeeded",
        "model": "veo-3-1",
        "mode": "fast",
        "type": "TEXT_2_VIDEO",
        "aspect_ratio": "16:9",
        "seed": 1,
        "price": "0.20",
        "prompt": "A fox at night, neon",
        "files": [],
        "rating": 5,
        "favourite": True,
        "tags": ["neon city", "night"],
        "note": "best",
    }

    table = library("list", "--tag", "night")
    assert [line.split()[0] for line in table.out.splitlines()] == [
        "ID",
        second.short_id,
        first.short_id,
    ]
    hidden = library("list", "--search", "fox", "--all", "--json")
    assert len(json.loads(hidden.out)) == 3
    assert len(json.loads(library("list", "--search", "fox", "--json").out)) == 2

    removed = library("tag", "--remove", second.local_id, "night")
    assert removed.out == f"{second.short_id} tags: neon city\n"


def test_nothing_found_and_bad_input_say_so_in_one_line(library) -> None:
    none = library("list", "--search", "volcano")
    assert (none.code, none.out, none.err) == (ExitCode.OK, "", "No tasks match.\n")
    assert library("list", "--search", "volcano", "--json").out == "[]\n"
    for args, wanted in [
        (("list", "--rating", "0"), "--rating takes a number of stars from 1 to 5"),
        # A superscript digit is a digit to str.isdigit(), not to int().
        (("list", "--rating", "\u00b2"), "--rating takes a number of stars from 1 to 5"),
        (("tag", "apixo_0", "  "), "A tag needs at least one visible character"),
        (("tag", "nosuchtask", "x"), "No task 'nosuchtask'"),
    ]:
        result = library(*args)
        assert result.code == ExitCode.INVALID, args
        assert wanted in result.err
        assert len(result.err.strip().splitlines()) == 1
    plain = library("list")
    assert len(plain.out.splitlines()) == 4  # the header and three shown tasks, as before
