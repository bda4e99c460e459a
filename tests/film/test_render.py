"""The film renderer, on real MP4s decoded back: stream copy (bytes unchanged) when the clips
allow it, a frame-accurate re-encode otherwise, crossfades, letterboxing, sound kept in sync,
metadata read back, and nothing half-written left behind by a cancel or a full disk."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import statistics
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.film.clips import (
    FPS,
    decode_film,
    index_clip,
    level_of,
    loudness_per_frame,
    sim_clips,
    video_packets,
)
from veo_desktop.core.mp4check import video_problem, walk_boxes
from veo_desktop.film.recipe import STORYBOARD_KEY
from veo_desktop.film.render import (
    Clip,
    FilmCancelled,
    FilmError,
    MixedAspectError,
    plan_film,
    render_film,
    render_film_async,
)

FRAME = 1 / FPS


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three landscape clips and one portrait clip of one second, by the simulator."""
    folder = tmp_path_factory.mktemp("sim")
    return sim_clips(folder, [(320, 180), (320, 180), (320, 180), (180, 320)])


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Clips whose frames tell their number by grey level (two with sound, one silent)."""
    folder = tmp_path_factory.mktemp("indexed")
    return {
        "a": index_clip(folder / "a.mp4", tone=440),
        "b": index_clip(folder / "b.mp4", tone=660),
        "silent": index_clip(folder / "silent.mp4", tone=None),
    }


def assert_in_sync(film_path: Path, frames: int) -> None:
    """The film has exactly ``frames`` frames, sound as long as its video, and passes the
    download check (every box whole, every packet demuxed)."""
    assert video_problem(film_path) is None
    film = decode_film(film_path)
    assert film.frames == frames
    assert film.video_seconds == pytest.approx(frames / FPS, abs=FRAME)
    assert film.audio_seconds is not None
    assert abs(film.audio_seconds - film.video_seconds) < FRAME


def leftovers(folder: Path, *keep: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path not in keep)


def test_same_clips_are_stream_copied_packet_for_packet_with_sound_and_metadata(
    sims: list[Path], tmp_path: Path
) -> None:
    clips = [Clip(path) for path in sims[:3]]
    plan = plan_film(clips)
    assert plan.method == "copy", plan.reason
    assert "stream copy" in plan.reason
    storyboard = {"name": "Fox", "shots": [{"prompt": "a fox \u00e9\n"}]}
    film = tmp_path / "film.mp4"
    report = render_film(
        clips,
        film,
        metadata={STORYBOARD_KEY: json.dumps(storyboard)},
        sidecar=storyboard,
    )
    assert report.method == "copy"
    assert report.frames == 72
    assert video_packets(film) == [data for clip in sims[:3] for data in video_packets(clip)]
    assert_in_sync(film, 72)
    decoded = decode_film(film)
    assert (decoded.width, decoded.height) == (320, 180)
    assert json.loads(decoded.metadata[STORYBOARD_KEY]) == storyboard
    assert video_problem(film) is None
    assert [box.kind for box in walk_boxes(film)][:2] == [b"ftyp", b"moov"], "index first"
    sidecar = json.loads((tmp_path / "film.mp4.json").read_text())
    assert sidecar["app"] == "Veo Desktop"
    assert sidecar["kind"] == "film"
    assert sidecar["storyboard"] == storyboard
    assert [shot["end_frame"] for shot in sidecar["shots"]] == [24, 24, 24]
    assert leftovers(tmp_path) == ["film.mp4", "film.mp4.json"]
    ffprobe = shutil.which("ffprobe")
    if ffprobe is not None:  # an independent reader of the tags
        probed = subprocess.run(
            [ffprobe, "-v", "error", "-show_format", "-of", "json", str(film)],
            capture_output=True,
            check=True,
            text=True,
        )
        tags = json.loads(probed.stdout)["format"]["tags"]
        assert json.loads(tags[STORYBOARD_KEY]) == storyboard


def test_cuts_on_keyframes_are_copied_frame_accurately(
    indexed: dict[str, Path], tmp_path: Path
) -> None:
    clips = [Clip(indexed["a"], 0.5, 1.5), Clip(indexed["b"], 0.0, 1.0)]
    report = render_film(clips, tmp_path / "film.mp4")
    assert report.method == "copy", report.reason
    film = decode_film(tmp_path / "film.mp4")
    expected = [level_of(i) for i in range(12, 36)] + [level_of(i) for i in range(24)]
    assert film.centre == pytest.approx(expected, abs=2)
    assert_in_sync(tmp_path / "film.mp4", 48)


def test_cuts_between_keyframes_are_re_encoded_frame_accurately_with_sound_in_sync(
    indexed: dict[str, Path], tmp_path: Path
) -> None:
    # a: frames 6..23 (0.25 s to 1 s); silent: frames 13..47 (a clip without sound gets
    # silence); b: frames 0..20.
    clips = [
        Clip(indexed["a"], 0.25, 1.0),
        Clip(indexed["silent"], 0.54),
        Clip(indexed["b"], 0, 0.875),
    ]
    plan = plan_film(clips)
    assert plan.method == "encode"
    assert "frame 7, which is not a keyframe" in plan.reason
    assert [shot.frames for shot in plan.shots] == [18, 35, 21]
    report = render_film(clips, tmp_path / "film.mp4")
    assert report.frames == 74
    assert report.duration_s == pytest.approx(74 / FPS)
    film = decode_film(tmp_path / "film.mp4")
    expected = (
        [level_of(i) for i in range(6, 24)]
        + [level_of(i) for i in range(13, 48)]
        + [level_of(i) for i in range(21)]
    )
    assert film.centre == pytest.approx(expected, abs=2)
    assert_in_sync(tmp_path / "film.mp4", 74)


def test_a_clip_at_another_frame_rate_keeps_its_duration(
    indexed: dict[str, Path], tmp_path: Path
) -> None:
    fast = index_clip(tmp_path / "fast.mp4", frames=30, fps=30, gop=30)
    report = render_film([Clip(indexed["a"], 0, 0.5), Clip(fast)], tmp_path / "film.mp4")
    assert report.method == "encode"
    assert "runs at 30 fps, the film at 24" in report.reason
    film = decode_film(tmp_path / "film.mp4")
    # one second at 30 fps becomes 24 film frames showing source frames 0, 1, 2, 3, 5, ...
    shown = [int(i * 30 / 24) for i in range(24)]
    assert film.centre == pytest.approx(
        [level_of(i) for i in range(12)] + [level_of(i) for i in shown], abs=2
    )
    assert_in_sync(tmp_path / "film.mp4", 36)


def test_a_crossfade_blends_frames_and_shortens_the_film(
    indexed: dict[str, Path], tmp_path: Path
) -> None:
    fade = 6
    clips = [Clip(indexed["a"]), Clip(indexed["b"])]
    report = render_film(clips, tmp_path / "film.mp4", crossfade_frames=fade)
    assert report.method == "encode"
    assert report.frames == 48 + 48 - fade
    film = decode_film(tmp_path / "film.mp4")
    outgoing = [level_of(i) for i in range(48 - fade, 48)]
    incoming = [level_of(i) for i in range(fade)]
    blended = [
        old * (1 - (j + 1) / (fade + 1)) + new * (j + 1) / (fade + 1)
        for j, (old, new) in enumerate(zip(outgoing, incoming, strict=True))
    ]
    expected = [level_of(i) for i in range(48 - fade)] + blended + incoming[fade:]
    expected += [level_of(i) for i in range(fade, 48)]
    assert film.centre == pytest.approx(expected, abs=2)
    assert_in_sync(tmp_path / "film.mp4", 90)


def test_a_crossfade_fades_the_sound_too(indexed: dict[str, Path], tmp_path: Path) -> None:
    """Into a silent shot: the tone fades out over the crossfade's 12 frames, then silence."""
    render_film(
        [Clip(indexed["a"]), Clip(indexed["silent"])], tmp_path / "film.mp4", crossfade_frames=12
    )
    loudness = loudness_per_frame(tmp_path / "film.mp4")
    assert len(loudness) == 48 + 48 - 12
    full = statistics.median(loudness[4:32])
    fade = loudness[36:48]
    assert all(abs(level - full) < 0.1 * full for level in loudness[4:32])
    assert all(later < earlier for earlier, later in itertools.pairwise(fade))
    for index, level in enumerate(fade):  # the outgoing tone's weight falls linearly
        assert level == pytest.approx(full * (1 - (index + 0.5) / 12), abs=0.1 * full)
    assert max(loudness[50:]) < 0.02 * full


def test_mixed_aspect_ratios_are_refused_by_name_or_letterboxed(
    sims: list[Path], tmp_path: Path
) -> None:
    clips = [Clip(sims[0]), Clip(sims[3]), Clip(sims[1])]
    with pytest.raises(MixedAspectError) as refused:
        plan_film(clips)
    message = str(refused.value)
    assert message.startswith("Mixed aspect ratios: shot 2 is 9:16 (180x320)")
    assert "the film is 16:9 (320x180) like shot 1" in message
    assert "shot 3" not in message
    assert not list(tmp_path.iterdir())

    report = render_film(clips, tmp_path / "film.mp4", letterbox=True)
    assert (report.width, report.height, report.method) == (320, 180, "encode")
    film = decode_film(tmp_path / "film.mp4")
    assert (film.width, film.height) == (320, 180)
    portrait = range(24, 48)
    assert all(film.edge[i] <= 20 for i in portrait), "black bars beside the portrait shot"
    assert all(film.edge[i] > 20 for i in range(24)), "the landscape shots fill the frame"
    assert_in_sync(tmp_path / "film.mp4", 72)


def test_bad_shots_are_named_and_nothing_is_written(
    indexed: dict[str, Path], tmp_path: Path
) -> None:
    film = tmp_path / "film.mp4"
    cases = [
        ([], {}, "The film has no shots."),
        ([Clip(tmp_path / "gone.mp4")], {}, "Shot 1 (gone.mp4) is missing"),
        ([Clip(indexed["a"]), Clip(indexed["b"], 1.0, 3.0)], {}, "Shot 2: the trim 1 s to 3 s"),
        ([Clip(indexed["a"], 1.0, 0.5)], {}, "Shot 1: the trim 1 s to 0.5 s is empty"),
        (
            [Clip(indexed["a"]), Clip(indexed["b"], 0, 0.25, label="the close-up")],
            {"crossfade_frames": 8},
            "The close-up has 6 frames, too short for a crossfade of 8",
        ),
    ]
    (tmp_path / "notes.txt").write_text("not a video")
    cases.append(([Clip(tmp_path / "notes.txt")], {}, "Shot 1 (notes.txt) is not a readable"))
    for clips, options, message in cases:
        with pytest.raises(FilmError) as error:
            render_film(clips, film, **options)  # type: ignore[arg-type]
        assert str(error.value).startswith(message), str(error.value)
    assert leftovers(tmp_path) == ["notes.txt"]


def test_cancel_leaves_nothing_and_keeps_the_previous_film(
    indexed: dict[str, Path], tmp_path: Path
) -> None:
    film = tmp_path / "film.mp4"
    film.write_bytes(b"the previous film")
    (tmp_path / ".film.mp4.0badc0de.part").write_bytes(b"left by a crash")
    cancel = threading.Event()
    seen: list[float] = []

    def progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction >= 0.3:
            cancel.set()

    clips = [Clip(indexed["a"], 0.1), Clip(indexed["b"])]
    with pytest.raises(FilmCancelled):
        render_film(clips, film, sidecar={}, progress=progress, cancel=cancel)
    assert seen == sorted(seen) and 0.3 <= seen[-1] < 1
    assert leftovers(tmp_path) == ["film.mp4"]
    assert film.read_bytes() == b"the previous film"


def test_async_render_reports_on_the_loop_and_cancels_cleanly(
    indexed: dict[str, Path], tmp_path: Path
) -> None:
    clips = [Clip(indexed["a"], 0.1), Clip(indexed["b"])]

    async def journey() -> None:
        loop_thread = threading.get_ident()
        threads: set[int] = set()
        seen: list[float] = []

        def progress(fraction: float) -> None:
            threads.add(threading.get_ident())
            seen.append(fraction)

        report = await render_film_async(clips, tmp_path / "done.mp4", progress=progress)
        assert report.frames == 48 + 46
        assert threads == {loop_thread}
        assert seen[-1] == 1.0 and seen == sorted(seen)

        started = asyncio.Event()
        task = asyncio.create_task(
            render_film_async(clips, tmp_path / "cut.mp4", progress=lambda _: started.set())
        )
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(journey())
    assert leftovers(tmp_path) == ["done.mp4"]


@contextlib.contextmanager
def small_disk(folder: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` mounted at ``folder`` (skips where mounting is refused)."""
    folder.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_leaves_no_half_film_and_says_so(sims: list[Path], tmp_path: Path) -> None:
    needed = sum(path.stat().st_size for path in sims[:3])
    with small_disk(tmp_path / "small", needed // 2 // 1024) as folder:
        with pytest.raises(FilmError) as error:
            render_film([Clip(path) for path in sims[:3]], folder / "film.mp4", sidecar={})
        assert str(error.value).startswith(
            f"There is not enough free space in {folder} to write the film; nothing was saved."
        )
        assert leftovers(folder) == []


OLD_FILM = b"the previous film"
OLD_SIDECAR = '{"app": "Veo Desktop", "kind": "film", "storyboard": {"name": "old"}}'


def _visible(folder: Path) -> tuple[bytes | None, str | None]:
    """The film and its sidecar as a reader sees them (None where absent)."""
    film, side = folder / "film.mp4", folder / "film.mp4.json"
    return (
        film.read_bytes() if film.exists() else None,
        side.read_text() if side.exists() else None,
    )


def test_a_re_render_never_leaves_a_sidecar_beside_another_film(
    sims: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over an existing film and sidecar: if putting the film in place fails, both old files
    stay; at every rename (where a crash could stop it) any sidecar shown describes the film
    shown; and a sidecar that fails after the film is in place leaves the film alone."""
    film = tmp_path / "film.mp4"
    clips = [Clip(sims[0])]
    real_replace = os.replace
    states: list[tuple[bytes | None, str | None]] = []
    failing: list[Path] = []

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).parent == tmp_path:  # where the process could die: the state on disk
            states.append(_visible(tmp_path))
        if Path(dst) in failing:
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)

    def consistent(state: tuple[bytes | None, str | None]) -> bool:
        shown, side = state
        if side is None:
            return shown is not None
        if side == OLD_SIDECAR:
            return shown == OLD_FILM
        return shown not in (None, OLD_FILM) and json.loads(side)["storyboard"] == {"new": 1}

    film.write_bytes(OLD_FILM)
    (tmp_path / "film.mp4.json").write_text(OLD_SIDECAR)
    failing[:] = [film]
    with pytest.raises(FilmError) as error:
        render_film(clips, film, sidecar={"new": 1})
    assert str(error.value).endswith("(Permission denied); nothing was saved.")
    assert _visible(tmp_path) == (OLD_FILM, OLD_SIDECAR)
    assert leftovers(tmp_path) == ["film.mp4", "film.mp4.json"]
    assert all(map(consistent, states)), states

    states.clear()
    failing.clear()
    report = render_film(clips, film, sidecar={"new": 1})
    states.append(_visible(tmp_path))
    assert report.sidecar == tmp_path / "film.mp4.json"
    assert all(map(consistent, states)), states
    assert states[0] == (OLD_FILM, OLD_SIDECAR) and states[-1][1] != OLD_SIDECAR
    assert leftovers(tmp_path) == ["film.mp4", "film.mp4.json"]

    film.write_bytes(OLD_FILM)
    (tmp_path / "film.mp4.json").write_text(OLD_SIDECAR)
    failing[:] = [tmp_path / "film.mp4.json"]
    with pytest.raises(FilmError) as error:
        render_film(clips, film, sidecar={"new": 1})
    assert str(error.value).startswith(f"The film was saved as {film}, but its sidecar could")
    assert _visible(tmp_path)[0] not in (None, OLD_FILM)
    assert leftovers(tmp_path) == ["film.mp4"]


def test_the_film_is_never_saved_over_one_of_its_clips(sims: list[Path], tmp_path: Path) -> None:
    takes = [shutil.copy(path, tmp_path / f"take{n}.mp4") for n, path in enumerate(sims[:2], 1)]
    clips = [Clip(Path(take)) for take in takes]
    (tmp_path / "take2.mp4.json").write_text("the take's sidecar")
    (tmp_path / "sub").mkdir()
    (tmp_path / "linked.mp4").hardlink_to(tmp_path / "take2.mp4")
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()}
    for output in (
        tmp_path / "take2.mp4",
        tmp_path / "sub" / ".." / "take2.mp4",
        tmp_path / "linked.mp4",
    ):
        with pytest.raises(FilmError) as error:
            render_film(clips, output, sidecar={})
        assert str(error.value) == (
            f"The film cannot be saved over shot 2's video ({tmp_path / 'take2.mp4'}); "
            "choose another name."
        )
    with pytest.raises(FilmError, match=r"^The film cannot be saved over shot 2's sidecar"):
        render_film(clips, tmp_path / "take2.mp4.json")
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()} == before
