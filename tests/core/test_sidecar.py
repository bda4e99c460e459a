"""Restoring settings from a saved video or its sidecar, made by the real engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from veo_desktop.api.models import ExtendRequest, GenerationRequest
from veo_desktop.core.sidecar import (
    APP_MARK,
    FILM_KIND,
    NotOurFileError,
    SidecarDamagedError,
    SidecarError,
    SidecarMissingError,
    find_task_for_video,
    read_sidecar,
    request_from_sidecar,
    restore,
    sidecar_for,
)
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord

REQUEST = GenerationRequest(
    prompt="A paper boat drifts down a rainy street, macro lens",
    mode="quality",
    aspect_ratio="9:16",
    seed=31337,
    watermark="Studio North",
    enable_translation=False,
)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A generation and an extend of it, downloaded by the real engine (once per module)."""
    from tests.fixtures.core import EngineKit as Kit
    from tests.fixtures.sim import SIM_API_KEY, SIM_DEFAULTS
    from veo_desktop.sim import SimulatorThread

    root = tmp_path_factory.mktemp("sidecar")
    with SimulatorThread(**SIM_DEFAULTS) as sim:
        kit = Kit(base_url=sim.base_url, api_key=SIM_API_KEY, root=root / "data")

        async def scenario() -> tuple[TaskRecord, TaskRecord, list[TaskRecord]]:
            engine = kit.engine()
            await engine.start()
            first = await engine.wait((await engine.submit(REQUEST)).local_id)
            more = ExtendRequest(task_id=str(first.apixo_task_id), prompt="The boat sails on")
            second = await engine.wait((await engine.submit(more)).local_id)
            return first, second, engine.tasks()

        try:
            first, second, tasks = kit.run(scenario)
        finally:
            kit.close_stores()
    assert first.state is TaskState.SUCCEEDED and second.state is TaskState.SUCCEEDED
    return first, second, tasks, root


def video_of(task: TaskRecord) -> Path:
    return Path(task.files[0])


def test_a_video_gives_back_its_exact_request(made: Any) -> None:
    first, _, _, _ = made
    video = video_of(first)
    restored = restore(video)
    assert restored.request == REQUEST
    assert restored.generation == REQUEST
    assert restored.video == video
    assert restored.sidecar == video.with_name(video.name + ".json")
    assert restored.local_task_id == first.local_id
    assert restored.apixo_task_id == first.apixo_task_id
    assert not restored.is_extend
    assert restored.describe() == f"Restored the settings of {video.name}."


def test_the_sidecar_itself_and_an_extend(made: Any) -> None:
    first, second, _, _ = made
    side = sidecar_for(video_of(second))
    assert side is not None
    restored = restore(side)
    assert restored.request == ExtendRequest(
        task_id=str(first.apixo_task_id), prompt="The boat sails on"
    )
    assert restored.is_extend and restored.generation is None
    assert restored.video == video_of(second)
    assert "an extension" in restored.describe()


def test_a_copy_saved_elsewhere_is_recognised_by_its_content(made: Any, tmp_path: Path) -> None:
    first, _, tasks, _ = made
    copy = tmp_path / "my favourite take.mp4"
    shutil.copyfile(video_of(first), copy)
    restored = restore(copy, tasks=tasks)
    assert restored.request == REQUEST and restored.sidecar is None
    assert restored.local_task_id == first.local_id
    assert find_task_for_video(video_of(first), tasks) == first
    with pytest.raises(SidecarMissingError, match=r"No settings found for my favourite take\.mp4"):
        restore(copy)


def test_a_renamed_pair_is_still_found(made: Any, tmp_path: Path) -> None:
    first, _, _, _ = made
    video = tmp_path / "clip.mp4"
    shutil.copyfile(video_of(first), video)
    side = tmp_path / "notes about the clip.json"
    data = read_sidecar(video_of(first).with_name(video_of(first).name + ".json"))
    side.write_text(json.dumps({**data, "file": "clip.mp4"}), encoding="utf-8")
    assert sidecar_for(video) == side
    assert restore(video).request == REQUEST
    assert restore(side).video == video


def test_files_that_are_not_ours(made: Any, tmp_path: Path) -> None:
    first, _, _, _ = made
    other = tmp_path / "settings.json"
    other.write_text(json.dumps({"app": "Something else", "prompt": "x"}), encoding="utf-8")
    with pytest.raises(NotOurFileError, match="not the settings file Veo Desktop saves"):
        restore(other)
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(NotOurFileError):
        restore(listing)
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(NotOurFileError, match="not a video"):
        restore(text)
    with pytest.raises(NotOurFileError, match="folder"):
        restore(tmp_path)
    with pytest.raises(SidecarError, match="does not exist"):
        restore(tmp_path / "gone.mp4")
    stranger = tmp_path / "stranger.mp4"
    stranger.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    with pytest.raises(SidecarMissingError):
        restore(stranger, tasks=[first])


def test_a_damaged_sidecar_says_so(made: Any, tmp_path: Path) -> None:
    first, _, _, _ = made
    video = tmp_path / "cut.mp4"
    shutil.copyfile(video_of(first), video)
    side = video.with_name(video.name + ".json")
    original = video_of(first).with_name(video_of(first).name + ".json").read_text("utf-8")
    side.write_text(original[: len(original) // 2], encoding="utf-8")
    with pytest.raises(SidecarDamagedError, match="damaged"):
        restore(video)
    data = json.loads(original)
    for broken in (
        {**data, "model": "sora"},
        {**data, "request": None, "parameters": None},
        {**data, "request": {"input": {"prompt": ""}}},
    ):
        with pytest.raises(SidecarDamagedError):
            request_from_sidecar(broken)
    # Without the exact body, the recorded parameters still give the request back.
    assert request_from_sidecar({**data, "request": None}) == REQUEST


def test_a_films_sidecar_says_it_is_a_film_not_one_video(tmp_path: Path) -> None:
    """A rendered storyboard film has a sidecar of its own kind: dropping the film (or that
    file) says what it is instead of "unknown model"."""
    film = tmp_path / "harbour-film.mp4"
    film.write_bytes(b"\x00\x00\x00\x18ftypisom")
    side = tmp_path / "harbour-film.mp4.json"
    side.write_text(
        json.dumps({"app": APP_MARK, "kind": FILM_KIND, "file": film.name, "storyboard": {}}),
        encoding="utf-8",
    )
    for dropped in (film, side):
        with pytest.raises(NotOurFileError, match="is a film made from a storyboard") as caught:
            restore(dropped)
        assert "harbour-film.mp4.json lists every shot's settings" in str(caught.value)
