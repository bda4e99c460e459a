"""The recipe inside the video: written by stream copy into a copy of a real simulator clip,
read back by decoding the copy's metadata, and hostile metadata never crashes the reader."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core import test_sidecar
from tests.fixtures.mp4 import encoded_clip
from tests.fixtures.recipe import assert_carries_recipe, ffprobe_tags, packets, with_tags
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.core.sidecar import SidecarDamagedError, restore, sidecar_path
from veo_desktop.film.recipe import (
    RECIPE_KEY,
    RECIPE_MAX_CHARS,
    RecipeDamagedError,
    RecipeError,
    embed_recipe,
    export_copy,
    read_recipe,
    read_tags,
    recipe_for,
    recipe_text,
)
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import forget_secrets, register_secret

REQUEST = test_sidecar.REQUEST
#: A generation and an extend of it, downloaded by the real engine (once per module).
made = test_sidecar.made


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_copy_carries_the_whole_recipe_and_the_library_file_stays_as_served(
    made: Any, tmp_path: Path
) -> None:
    first, second, _, _ = made
    video = Path(first.files[0])
    before = digest(video)
    copy = export_copy(first, video, tmp_path / "out.mp4")
    assert digest(video) == before  # the library's file, byte for byte
    assert not (tmp_path / ".out.mp4.part").exists()
    recipe = assert_carries_recipe(copy, video, first)  # same packets, recipe read back
    assert recipe == json.loads(recipe_text(recipe_for(first, 0, video)))
    assert recipe["app"] == "Veo Desktop" and recipe["recipe_version"] == 1
    assert recipe["model"] == "veo-3-1" and recipe["seed"] == REQUEST.seed == 31337
    assert recipe["mode"] == "quality" and recipe["aspect_ratio"] == "9:16"
    assert recipe["parameters"]["watermark"] == "Studio North"
    assert recipe["price_usd"] == str(first.price) and recipe["created_at"]
    assert recipe["api_create_time"] == first.api_create_time
    assert SIM_API_KEY not in copy.read_bytes().decode("latin-1")
    # The source's own container tags are kept beside the recipe.
    assert set(read_tags(video)) - {"encoder"} <= set(read_tags(copy))
    # An extend's copy names the task it continues.
    extend_copy = export_copy(second, Path(second.files[0]), tmp_path / "more.mov")
    assert read_recipe(extend_copy)["request"]["input"]["taskId"] == first.apixo_task_id  # type: ignore[index]


def test_a_renamed_copy_without_sidecar_restores_its_settings(made: Any, tmp_path: Path) -> None:
    first, _, _, _ = made
    copy = export_copy(first, Path(first.files[0]), tmp_path / "final cut (2).mp4")
    assert not sidecar_path(copy).exists()
    restored = restore(copy, embedded=read_recipe)  # no known tasks: the recipe alone
    assert restored.request == REQUEST and restored.sidecar is None and restored.video == copy
    assert restored.local_task_id == first.local_id
    assert restored.apixo_task_id == first.apixo_task_id


def test_embedding_off_copies_byte_for_byte(made: Any, tmp_path: Path) -> None:
    first, _, _, _ = made
    video = Path(first.files[0])
    plain = export_copy(first, video, tmp_path / "plain.mp4", embed=False)
    assert plain.read_bytes() == video.read_bytes() and read_recipe(plain) is None


def test_the_copy_is_never_the_library_file(made: Any) -> None:
    first, _, _, _ = made
    video = Path(first.files[0])
    before = digest(video)
    with pytest.raises(RecipeError, match="a copy must go elsewhere"):
        embed_recipe(video, video, recipe_for(first))
    assert export_copy(first, video, video) == video and digest(video) == before


def test_a_secret_never_reaches_a_recipe(made: Any, tmp_path: Path) -> None:
    first, _, _, _ = made
    secret = "sk-live-0123456789abcdef0123"
    register_secret(secret)
    try:
        leaky = first.evolve(
            request={**first.request, "input": {**first.input, "prompt": f"key {secret} here"}}
        )
        copy = export_copy(leaky, Path(first.files[0]), tmp_path / "leak.mp4")
        assert secret not in copy.read_bytes().decode("latin-1")
        assert secret not in json.dumps(read_recipe(copy))
    finally:
        forget_secrets()


def test_control_and_bidi_characters_are_escaped_in_the_tag() -> None:
    text = recipe_text({"app": "Veo Desktop", "prompt": "a\x1b[31m\u202e\u2028b\x7f\x85 é 日本"})
    assert all(0x20 <= ord(c) <= 0x7E or c in "é日本 " for c in text), text
    assert json.loads(text)["prompt"] == "a\x1b[31m\u202e\u2028b\x7f\x85 é 日本"
    pretty = recipe_text({"app": "Veo Desktop", "prompt": "x\ny"}, indent=2)
    assert "\\n" in pretty and json.loads(pretty)["prompt"] == "x\ny"


# -- hostile files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("hostile") / "clip.mp4"
    encoded_clip(path, frames=2, width=32, height=32)
    yield path


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "damaged recipe"),
        ('["a list"]', "did not write"),
        ('{"app": "ComfyUI", "prompt": "x"}', "did not write"),
        ("[" * 50_000, "damaged recipe"),
        ('{"app": "Veo Desktop", "p": "' + "x" * RECIPE_MAX_CHARS + '"}', "too large"),
    ],
)
def test_a_foreign_or_damaged_recipe_is_a_clear_error(
    clip: Path, tmp_path: Path, value: str, message: str
) -> None:
    video = with_tags(clip, tmp_path / "odd.mp4", {RECIPE_KEY: value})
    with pytest.raises(RecipeDamagedError, match=message):
        read_recipe(video)
    with pytest.raises(SidecarDamagedError, match=message):
        restore(video, embedded=read_recipe)


def test_files_that_are_not_videos_are_a_clear_error(clip: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(RecipeError, match=r"junk\.mp4 is not a video file that can be read"):
        read_recipe(junk)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[:300])
    try:
        assert read_recipe(cut) is None
    except RecipeError as error:
        assert "cut.mp4" in str(error)
    assert read_recipe(clip) is None  # a plain video: no recipe, no error
    with pytest.raises(RecipeError, match="cannot be copied"):
        embed_recipe(junk, tmp_path / "x.mp4", {"app": "Veo Desktop"})
    assert not (tmp_path / "x.mp4").exists() and not (tmp_path / ".x.mp4.part").exists()


# NUL cannot be stored in an MP4 string, and lone surrogates are not text a tool could write.
_TAG_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        _TAG_TEXT,
        st.builds(json.dumps, st.dictionaries(_TAG_TEXT, _TAG_TEXT, max_size=4)),
        st.builds(
            lambda t: json.dumps({"app": "Veo Desktop", "model": t, "request": t}), _TAG_TEXT
        ),
    ),
    other=_TAG_TEXT,
)
def test_hostile_tags_never_crash_the_reader(
    clip: Path, tmp_path: Path, value: str, other: str
) -> None:
    video = with_tags(clip, tmp_path / "hostile.mp4", {RECIPE_KEY: value, "comment": other})
    try:
        recipe = read_recipe(video)
    except RecipeDamagedError as error:
        assert "hostile.mp4" in str(error) and "\n" not in str(error)
        return
    assert isinstance(recipe, dict) and recipe["app"] == "Veo Desktop"
    try:
        restore(video, embedded=read_recipe)
    except SidecarDamagedError as error:
        assert str(error)


def test_ffprobe_shows_the_recipe_when_installed(made: Any, tmp_path: Path) -> None:
    first, _, _, _ = made
    copy = export_copy(first, Path(first.files[0]), tmp_path / "probe.mp4")
    tags = ffprobe_tags(copy)
    if tags is None:
        pytest.skip("no ffprobe installed; PyAV (FFmpeg's own demuxer) read the tag above")
    assert json.loads(tags[RECIPE_KEY])["local_task_id"] == first.local_id


def test_packets_of_a_clip_with_audio_are_copied_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "av.mp4"
    with av.open(str(source), "w") as out:
        video = out.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        for index in range(6):
            frame = av.VideoFrame(32, 32, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([index * 30]) * plane.buffer_size)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        for _ in range(12):
            sound = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
            sound.sample_rate = 48000
            for plane in sound.planes:
                plane.update(bytes(plane.buffer_size))
            out.mux(audio.encode(sound))
        out.mux(audio.encode())
    record = TaskRecord(
        local_id="a" * 32,
        model="veo-3-1",
        request={"input": {"prompt": "sound"}},
        state=TaskState.SUCCEEDED,
        created_at=0.0,
        updated_at=0.0,
        files=(str(source),),
    )
    copy = export_copy(record, source, tmp_path / "copy.mp4")
    assert {p[0] for p in packets(copy)} == {"video", "audio"}
    assert packets(copy) == packets(source)
    assert read_recipe(copy)["prompt"] == "sound"  # type: ignore[index]
