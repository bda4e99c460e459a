"""The storyboard journey (issue 15's "done when"), against the simulator over loopback:
three shots, the second continued from the first's last frame, generated, trimmed and
rendered by ``veo-desktop storyboard render``; the film is checked by decoding it."""

from __future__ import annotations

import json
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import httpx
from PySide6.QtGui import QImage

from tests.cli import test_cli
from tests.cli.test_cli import FAST, stored
from tests.fixtures.mp4 import decoded_frames
from veo_desktop.api.models import GenerationType
from veo_desktop.cli import ExitCode
from veo_desktop.film.recipe import STORYBOARD_KEY
from veo_desktop.storage.store import TaskStore

cli = test_cli.cli

PROMPTS = (
    "Journey one: a fox wakes in fresh snow",
    "Journey two: the fox runs to the river",
    "Journey three: the fox drinks",
)
TRIMS = ((0.25, 0.75), None, (0.5, 1.0))


def submits(sim: Any) -> Counter[str]:
    return Counter(
        str(r.body["input"]["prompt"])
        for r in sim.requests
        if r.endpoint == "submit" and isinstance(r.body, dict)
    )


def differing(a: QImage, b: QImage) -> int:
    """How many colour bytes of two same-sized pictures differ clearly (past compression)."""
    assert a.size() == b.size()
    one, two = (bytes(i.convertToFormat(QImage.Format.Format_RGB888).constBits()) for i in (a, b))
    return sum(1 for x, y in zip(one, two, strict=True) if abs(x - y) > 48)


def write_board(folder: Path, middle_trim: list[float] | None = None) -> Path:
    shots: list[dict[str, Any]] = [
        {"prompt": PROMPTS[0], "trim": list(TRIMS[0] or ())},
        {"prompt": PROMPTS[1], "start": "continue"},
        {"prompt": PROMPTS[2], "trim": list(TRIMS[2] or ())},
    ]
    if middle_trim is not None:
        shots[1]["trim"] = middle_trim
    path = folder / "fox.json"
    path.write_text(json.dumps({"shots": shots, "crossfade_frames": 0}), encoding="utf-8")
    return path


def test_three_shots_one_continued_generated_trimmed_and_rendered(
    cli: Any, sim: Any, tmp_path: Path
) -> None:
    board = write_board(tmp_path)
    film = tmp_path / "fox.mp4"

    done = cli("storyboard", "render", str(board), "--output", str(film), "--yes", *FAST)

    assert done.code == ExitCode.OK, done.err
    assert "3 shots in fox.json: 3 shots to generate, $0.60" in done.err
    assert done.lines[-1] == str(film)
    assert submits(sim) == Counter(PROMPTS)

    records = {r.prompt: r for r in stored(cli.data)}
    first, second, third = (records[p] for p in PROMPTS)
    # The continued shot starts from the first take's last frame, uploaded to the hosting.
    assert second.generation_type == GenerationType.FRAMES
    (frame_url,) = second.input["image_urls"]
    assert frame_url.startswith(sim.origin)
    with TaskStore.open(cli.data / "tasks.sqlite3") as store:
        (kept,) = store.load_storyboards()
    assert [s.chosen for s in kept.shots] == [first.local_id, second.local_id, third.local_id]

    takes = [Path(r.files[0]) for r in (first, second, third)]
    with av.open(str(takes[0])) as clip:
        stream = clip.streams.video[0]
        fps = Fraction(stream.average_rate)
        size = (stream.width, stream.height)
    take_frames = [len(decoded_frames(path)) for path in takes]
    first_take = decoded_frames(takes[0])
    sent = QImage.fromData(httpx.get(frame_url).content)
    # (The simulator's frames differ in their frame counter and moving dot.)
    assert differing(sent, first_take[-1]) * 10 < differing(sent, first_take[0])
    expected = [
        take_frames[n] if trim is None else round((trim[1] - trim[0]) * fps)
        for n, trim in enumerate(TRIMS)
    ]

    frames = decoded_frames(film)
    assert len(frames) == sum(expected) == 48
    assert {(f.width(), f.height()) for f in frames} == {size}
    with av.open(str(film)) as container:
        video = container.streams.video[0]
        (audio,) = container.streams.audio
        video_s = float(video.duration * video.time_base)
        audio_s = float(audio.duration * audio.time_base)
        carried = json.loads(container.metadata[STORYBOARD_KEY])
    trimmed = sum(e / fps for e in expected)
    assert abs(video_s - float(trimmed)) <= 1 / float(fps)
    assert abs(audio_s - video_s) <= 1 / 24
    assert [s.get("prompt") for s in carried["shots"]] == list(PROMPTS)
    assert [s.get("trim") for s in carried["shots"]] == [list(t) if t else None for t in TRIMS]
    assert [s["file"] for s in carried["shots"]] == [p.name for p in takes]
    assert [s["recipe"]["local_task_id"] for s in carried["shots"]] == [
        first.local_id,
        second.local_id,
        third.local_id,
    ]
    assert json.loads(film.with_name("fox.mp4.json").read_text(encoding="utf-8"))

    # The same file with the middle shot trimmed too: nothing is generated again.
    write_board(tmp_path, middle_trim=[0.0, 0.5])
    again = cli("storyboard", "render", str(board), "--output", str(film), *FAST)
    assert again.code == ExitCode.OK, again.err
    assert "nothing to generate (3 ready)" in again.err
    assert submits(sim) == Counter(PROMPTS)
    assert len(decoded_frames(film)) == 36
