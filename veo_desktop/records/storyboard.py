"""What a storyboard is: an ordered list of shots, each with its own recipe or a finished task,
how it starts, its takes and the chosen one, and its trim. Immutable values, as the store
holds them and the window shows them; every change makes a new value (``replace``).

The JSON form (:func:`storyboard_to_json`) is what the window exports and what
``veo-desktop storyboard render FILE.json`` reads (``veo_desktop.storyboard.files`` reads it
back, checking each shot's fields with the batch file's rules).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from veo_desktop.api.models import GenerationRequest

#: The ``format`` value of an exported storyboard file.
FILE_FORMAT = "veo-desktop-storyboard"
#: The version of the exported JSON (readers accept files without one: hand-written ones).
FILE_VERSION = 1
#: The most frames a crossfade may last.
MAX_CROSSFADE_FRAMES = 240


class ShotStart(StrEnum):
    """How a shot's video begins.

    ``OWN``: from its own settings (any generation type). ``CONTINUE``: its first frame is
    the previous shot's chosen take's last frame. ``EXTEND``: it extends the previous shot's
    chosen take (``veo-3-1-extend``; the previous shot must be a ``veo-3-1`` video).
    """

    OWN = "own"
    CONTINUE = "continue"
    EXTEND = "extend"


def new_id() -> str:
    """A new storyboard or shot id."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class SendMark:
    """A shot's take being sent: written (durably) before the engine's row exists.

    Attributes:
        key: the request's canonical text (``core.batch.payload_key``): the row it makes
            has the same key.
        known: the local ids of tasks with that key that existed before (never this take).
        at: when the send began (unix seconds).
    """

    key: str
    known: tuple[str, ...] = ()
    at: float = 0.0


@dataclass(frozen=True)
class StoredProblem:
    """Why a stored shot cannot be used as it is: a newer rule rejects its settings, a newer
    version wrote a value this one does not know, or the stored text is damaged. The shot is
    kept, blocked (nothing is sent for it), until the person edits or removes it; the stored
    texts are written back as they were read, so nothing a newer version wrote is lost.

    Attributes:
        field: what is wrong: ``"settings"`` (the request) or ``"start"``.
        message: the specific problem, in words.
        request: the stored request text, as read (None: it was not the problem).
        start: the stored start text, as read (None: it was not the problem).
    """

    field: str
    message: str
    request: str | None = None
    start: str | None = None

    @property
    def text(self) -> str:
        """``the stored settings are no longer valid: ... Edit the shot to fix it.``"""
        verb = "are" if self.field == "settings" else "is"
        message = self.message.strip().rstrip(".")
        return (
            f"the stored {self.field} {verb} no longer valid: {message}. Edit the shot to fix it."
        )


@dataclass(frozen=True)
class Shot:
    """One shot of a storyboard.

    Attributes:
        id: the shot's id.
        request: its own settings (the fields of a batch line); None for a shot made from a
            finished task, whose recipe is that task's. An ``EXTEND`` shot uses only the
            prompt, mode, seed and watermark; a ``CONTINUE`` shot gets the previous take's
            last frame as its first frame (its own image, if any, is the last frame).
        start: how it begins.
        takes: the local task ids of its takes, oldest first.
        chosen: the take the film uses (one of ``takes``); None until one is picked (the
            first take that succeeds is picked when none is).
        trim: (in, out) in seconds of the chosen take; None uses the whole take.
        sending: set while a take is being sent (see :class:`SendMark`).
        problem: set when its stored fields cannot be used (see :class:`StoredProblem`).
    """

    id: str = field(default_factory=new_id)
    request: GenerationRequest | None = None
    start: ShotStart = ShotStart.OWN
    takes: tuple[str, ...] = ()
    chosen: str | None = None
    trim: tuple[float, float] | None = None
    sending: SendMark | None = None
    problem: StoredProblem | None = None

    def replace(self, **changes: Any) -> Shot:
        return dataclasses.replace(self, **changes)

    @property
    def from_task(self) -> bool:
        """Whether the shot is a finished task (no recipe of its own)."""
        return self.request is None

    @property
    def prompt(self) -> str | None:
        """Its own prompt (None for a shot from a task: read the chosen take's)."""
        return None if self.request is None else self.request.prompt

    def with_take(self, local_id: str) -> Shot:
        """This shot with one more take (the send mark cleared)."""
        takes = self.takes if local_id in self.takes else (*self.takes, local_id)
        return self.replace(takes=takes, sending=None)


@dataclass(frozen=True)
class Storyboard:
    """A named, ordered list of shots, and how the film is cut.

    Attributes:
        id: the storyboard's id.
        name: what the person called it.
        shots: in film order.
        crossfade_frames: frames of crossfade at each cut (0: hard cuts).
        letterbox: fit clips of other aspect ratios into the first's frame (else refused).
        created_at: unix seconds.
        updated_at: unix seconds.
    """

    id: str = field(default_factory=new_id)
    name: str = "Storyboard"
    shots: tuple[Shot, ...] = ()
    crossfade_frames: int = 0
    letterbox: bool = False
    created_at: float = 0.0
    updated_at: float = 0.0

    def replace(self, **changes: Any) -> Storyboard:
        return dataclasses.replace(self, **changes)

    def index_of(self, shot_id: str) -> int:
        """The position of a shot.

        Raises:
            KeyError: no such shot.
        """
        for index, shot in enumerate(self.shots):
            if shot.id == shot_id:
                return index
        raise KeyError(shot_id)

    def shot(self, shot_id: str) -> Shot:
        """The shot with this id (KeyError if none)."""
        return self.shots[self.index_of(shot_id)]

    def with_shot(self, shot: Shot) -> Storyboard:
        """This storyboard with ``shot`` replacing the shot of the same id."""
        index = self.index_of(shot.id)
        return self.replace(shots=(*self.shots[:index], shot, *self.shots[index + 1 :]))


# -- JSON ----------------------------------------------------------------------------------------

#: The batch-line fields a shot's request exports (the API's names).
_EXTEND_FIELDS = ("prompt", "mode", "seed", "watermark")


def request_fields(request: GenerationRequest, start: ShotStart) -> dict[str, Any]:
    """A shot's settings as the fields of a batch JSON line (only what differs from the
    defaults besides the prompt, mode, type and aspect; an extend shot's four fields)."""
    body = request.to_payload()
    data: dict[str, Any] = dict(body["input"])
    if start is ShotStart.EXTEND:
        data = {k: v for k, v in data.items() if k in _EXTEND_FIELDS}
    elif "provider" in body:
        data["provider"] = body["provider"]
    return data


def shot_to_json(shot: Shot) -> dict[str, Any]:
    """One shot as exported: its fields (or ``task``), ``start``, ``trim``, takes, id."""
    data: dict[str, Any] = {}
    if shot.request is not None:
        data.update(request_fields(shot.request, shot.start))
    elif shot.chosen is not None:
        data["task"] = shot.chosen
    if shot.start is not ShotStart.OWN:
        data["start"] = shot.start.value
    if shot.trim is not None:
        data["trim"] = [shot.trim[0], shot.trim[1]]
    if shot.takes:
        data["takes"] = list(shot.takes)
    if shot.chosen is not None:
        data["chosen"] = shot.chosen
    data["id"] = shot.id
    return data


def storyboard_to_json(board: Storyboard) -> dict[str, Any]:
    """The storyboard as the window exports it (and ``storyboard render`` reads it)."""
    return {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "id": board.id,
        "name": board.name,
        "crossfade_frames": board.crossfade_frames,
        "letterbox": board.letterbox,
        "shots": [shot_to_json(shot) for shot in board.shots],
    }


def recipe(board: Storyboard, files: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What a rendered film carries in its metadata and sidecar: every shot's recipe and trim.

    Args:
        board: the storyboard.
        files: optional file name of each shot's chosen take, by shot id.
    """
    data = storyboard_to_json(board)
    if files:
        for shot_json in data["shots"]:
            name = files.get(shot_json["id"])
            if name:
                shot_json["file"] = name
    return data
