"""A storyboard's film: every shot's chosen take, with its trim, rendered into one MP4 by
:mod:`veo_desktop.film.render`, carrying the storyboard (every shot's recipe and trim) in
its own metadata and in a sidecar beside it.

Nothing is rendered until every shot has its take on disk. The render runs in a thread of
its own; cancelling the awaiting task stops it and leaves no part of a film behind.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from veo_desktop.film.recipe import STORYBOARD_KEY, recipe_for, recipe_text
from veo_desktop.film.render import Clip, FilmReport, render_film_async
from veo_desktop.records.storyboard import recipe
from veo_desktop.records.task import TaskRecord
from veo_desktop.storyboard.planner import usable_take
from veo_desktop.storyboard.service import StoryboardError, StoryboardService


def film_clips(
    service: StoryboardService, board_id: str
) -> tuple[list[Clip], dict[str, TaskRecord]]:
    """The clips of the film (each shot's take, trimmed) and each shot's take, by shot id.

    Raises:
        StoryboardError: a shot has no take on disk yet, or its stored fields cannot be used
            (the message names the shots).
    """
    board = service.get(board_id)
    if not board.shots:
        raise StoryboardError("The storyboard has no shots yet.")
    blocked = [
        f"shot {number}: {shot.problem.text}"
        for number, shot in enumerate(board.shots, start=1)
        if shot.problem is not None
    ]
    if blocked:
        raise StoryboardError("The film was not made: " + " ".join(blocked))
    clips: list[Clip] = []
    files: dict[str, TaskRecord] = {}
    missing: list[str] = []
    for number, shot in enumerate(board.shots, start=1):
        take = usable_take(shot, service.record_of)
        if take is None:
            missing.append(str(number))
            continue
        path = Path(take.files[0])
        start, end = shot.trim if shot.trim is not None else (0.0, None)
        clips.append(Clip(path, start, end, label=f"shot {number}"))
        files[shot.id] = take
    if missing:
        which = "shot " + missing[0] if len(missing) == 1 else "shots " + ", ".join(missing)
        raise StoryboardError(
            f"The film needs a video for every shot: {which} has none yet. Generate the "
            "missing shots first."
        )
    return clips, files


async def render_board(
    service: StoryboardService,
    board_id: str,
    output: Path,
    *,
    on_progress: Callable[[float], None] | None = None,
) -> FilmReport:
    """Render the storyboard's film to ``output`` (see the module's docstring).

    Raises:
        StoryboardError: a shot has no take yet.
        FilmError: the film cannot be made (mixed shapes without letterbox, a bad trim...).
        KeyError: no such storyboard.
    """
    board = service.get(board_id)
    clips, takes = film_clips(service, board_id)
    carried = recipe(board, {shot_id: Path(t.files[0]).name for shot_id, t in takes.items()})
    for shot in carried["shots"]:
        # Every shot's full recipe: its take's prompt, request, model, ids, seed, price.
        shot["recipe"] = recipe_for(takes[shot["id"]])
    return await render_film_async(
        clips,
        Path(output),
        crossfade_frames=board.crossfade_frames,
        letterbox=board.letterbox,
        metadata={STORYBOARD_KEY: recipe_text(carried)},
        sidecar=carried,
        progress=on_progress,
    )
