"""Storyboard files: the JSON the window exports and ``veo-desktop storyboard render`` reads.

Hand-written files are welcome: ``{"shots": [SHOT, ...], "crossfade_frames": 0}``, where a
SHOT is the fields of a batch JSON line (``prompt``, ``mode``, ``generationType``,
``aspect_ratio``, ``image_urls``, ``seed``, ``watermark``), or ``{"task": ID}`` for a
finished task (a local id, a prefix or an APIXO id), with optional ``"trim": [IN_S, OUT_S]``
and ``"start": "continue"`` or ``"extend"``. An exported file also names each shot's
``takes`` and ``chosen`` take.

Every shot is checked before anything is done, its fields by the batch file's own rules
(:func:`veo_desktop.core.batch.parse_batch_text`); a bad file raises
:class:`StoryboardFileError` listing every problem with its shot number, and nothing is
saved or sent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from veo_desktop.api.models import GenerationRequest, GenerationType, Model
from veo_desktop.core.batch import BatchFileError, parse_batch_text
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import (
    FILE_FORMAT,
    MAX_CROSSFADE_FRAMES,
    Shot,
    ShotStart,
    Storyboard,
)
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable

#: Finds a task by local id, unique prefix or APIXO id (``TaskEngine.find``).
TaskLookup = Callable[[str], TaskRecord | None]

#: The largest storyboard file read (a shot list, not a video).
MAX_FILE_BYTES = 5 * 1024 * 1024
_TOP_KEYS = frozenset({"shots", "crossfade_frames", "letterbox", "name", "format", "version", "id"})
#: A shot's own keys; every other key is a request field, checked by the batch rules.
_SHOT_KEYS = frozenset({"task", "takes", "chosen", "trim", "start", "id", "file"})
_EXTEND_KEYS = frozenset({"prompt", "mode", "seed", "watermark"})
_STARTS = {start.value: start for start in ShotStart}


class ShotProblem(NamedTuple):
    """One reason a storyboard file cannot be used: ``shot`` is 1-based (0: the whole file)."""

    shot: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"shot {self.shot}" if self.shot else "file"
        return f"{where}, {self.field}: {self.message}"


class StoryboardFileError(ValueError):
    """The storyboard file has problems; nothing was saved or sent. ``problems`` lists all."""

    def __init__(self, problems: Sequence[ShotProblem], *, source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        shown = "\n".join(f"  {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        if more > 0:
            shown += f"\n  ... and {more} more"
        name = f"{printable(source, 200)}: " if source else ""
        count = len(self.problems)
        super().__init__(
            f"{name}{count} problem{'s' if count != 1 else ''}; nothing was sent.\n{shown}"
        )


def read_storyboard_file(path: Path, lookup: TaskLookup) -> Storyboard:
    """Read and check a storyboard file (see the module's docstring).

    Raises:
        StoryboardFileError: the file breaks a rule (every problem listed).
        OSError: the file cannot be read.
    """
    path = Path(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise StoryboardFileError(
            [ShotProblem(0, "file", "The file is too large for a storyboard (over 5 MB).")],
            source=path.name,
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StoryboardFileError(
            [ShotProblem(0, "file", f"The file is not UTF-8 text ({error.reason}).")],
            source=path.name,
        ) from None
    return parse_storyboard(text, lookup, source=path.name, name=path.stem)


def parse_storyboard(
    text: str, lookup: TaskLookup, *, source: str = "", name: str | None = None
) -> Storyboard:
    """A storyboard from JSON text; new ids (importing twice makes two storyboards).

    Args:
        text: the JSON.
        lookup: finds the tasks the file names.
        source: the file's name, for messages.
        name: the name when the file gives none.

    Raises:
        StoryboardFileError: every problem, with its shot number.
    """
    problems: list[ShotProblem] = []
    try:
        data = json.loads(text)
    except ValueError as error:
        raise StoryboardFileError(
            [ShotProblem(0, "file", f"Not valid JSON: {error}.")], source=source
        ) from None
    except RecursionError:
        raise StoryboardFileError(
            [ShotProblem(0, "file", "The JSON is nested too deeply to be a storyboard.")],
            source=source,
        ) from None
    if isinstance(data, list):
        data = {"shots": data}
    if not isinstance(data, dict):
        raise StoryboardFileError(
            [ShotProblem(0, "file", 'The file must hold one JSON object: {"shots": [...]}.')],
            source=source,
        )
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(ShotProblem(0, str(key), f"Unknown field {printable(str(key), 60)!r}."))
    if "format" in data and data["format"] != FILE_FORMAT:
        problems.append(
            ShotProblem(0, "format", f"Not a storyboard file (expected {FILE_FORMAT}).")
        )
    crossfade = data.get("crossfade_frames", 0)
    if (
        not isinstance(crossfade, int)
        or isinstance(crossfade, bool)
        or not 0 <= crossfade <= MAX_CROSSFADE_FRAMES
    ):
        problems.append(
            ShotProblem(
                0,
                "crossfade_frames",
                f"Give a whole number of frames from 0 to {MAX_CROSSFADE_FRAMES}.",
            )
        )
        crossfade = 0
    letterbox = data.get("letterbox", False)
    if not isinstance(letterbox, bool):
        problems.append(ShotProblem(0, "letterbox", "Use true or false."))
        letterbox = False
    title = data.get("name", name or "Storyboard")
    if not isinstance(title, str) or not title.strip():
        problems.append(ShotProblem(0, "name", "The name must be text."))
        title = name or "Storyboard"
    raw_shots = data.get("shots")
    shots: list[Shot] = []
    if not isinstance(raw_shots, list) or not raw_shots:
        problems.append(ShotProblem(0, "shots", 'Give the shots as a list: "shots": [{...}].'))
    else:
        for number, raw in enumerate(raw_shots, start=1):
            shot = _shot(number, raw, lookup, problems)
            if shot is not None:
                shots.append(shot)
    if problems:
        problems.sort(key=lambda p: p.shot)
        raise StoryboardFileError(problems, source=source)
    return Storyboard(
        name=title.strip(),
        shots=tuple(shots),
        crossfade_frames=crossfade,
        letterbox=letterbox,
    )


def _shot(number: int, raw: object, lookup: TaskLookup, problems: list[ShotProblem]) -> Shot | None:
    """One shot of the file, or None (its problems appended)."""
    if not isinstance(raw, dict):
        problems.append(ShotProblem(number, "shot", "Each shot must be one JSON object ({...})."))
        return None
    before = len(problems)
    fields = {str(k): v for k, v in raw.items() if str(k) not in _SHOT_KEYS}
    start = _start(number, raw.get("start"), problems)
    trim = _trim(number, raw.get("trim"), problems)
    takes = _takes(number, raw, lookup, problems)
    chosen = _chosen(number, raw, takes, lookup, problems)
    request: GenerationRequest | None = None
    if fields:
        request = _request(number, fields, start, problems)
    elif not takes:
        problems.append(
            ShotProblem(
                number, "prompt", 'Give the shot a prompt, or "task": the id of a finished task.'
            )
        )
    elif start is not ShotStart.OWN:
        problems.append(
            ShotProblem(
                number,
                "start",
                "A shot made from a finished task is that task's video; it cannot "
                f"{start.value} the previous shot.",
            )
        )
    if number == 1 and start is not ShotStart.OWN:
        problems.append(
            ShotProblem(number, "start", f"The first shot has no previous shot to {start.value}.")
        )
    if request is None and takes and chosen is not None:
        record = lookup(chosen)
        if record is not None and record.state is not TaskState.SUCCEEDED:
            problems.append(
                ShotProblem(
                    number,
                    "task",
                    f"Task {record.short_id} has no video ({record.state.value}); choose a "
                    "finished task.",
                )
            )
    if len(problems) > before:
        return None
    return Shot(request=request, start=start, takes=takes, chosen=chosen, trim=trim)


def _start(number: int, value: object, problems: list[ShotProblem]) -> ShotStart:
    if value is None:
        return ShotStart.OWN
    if isinstance(value, str) and value.strip().lower() in _STARTS:
        return _STARTS[value.strip().lower()]
    problems.append(
        ShotProblem(number, "start", 'Use "own", "continue" or "extend" (or leave it out).')
    )
    return ShotStart.OWN


def _trim(number: int, value: object, problems: list[ShotProblem]) -> tuple[float, float] | None:
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        start, end = float(value[0]), float(value[1])
        if math.isfinite(start) and math.isfinite(end) and 0 <= start < end:
            return start, end
    problems.append(
        ShotProblem(
            number, "trim", "Give [IN, OUT] in seconds, with 0 <= IN < OUT (e.g. [0.5, 3.0])."
        )
    )
    return None


def _takes(
    number: int, raw: Mapping[str, Any], lookup: TaskLookup, problems: list[ShotProblem]
) -> tuple[str, ...]:
    """The local ids of the takes the shot names (``task`` and ``takes``)."""
    named: list[tuple[str, object]] = []
    if "task" in raw:
        named.append(("task", raw["task"]))
    takes = raw.get("takes", [])
    if not isinstance(takes, list):
        problems.append(ShotProblem(number, "takes", "Give the takes as a list of task ids."))
        takes = []
    named.extend(("takes", value) for value in takes)
    found: list[str] = []
    for field, value in named:
        record = _find(number, value, lookup, problems, field)
        if record is not None and record.local_id not in found:
            found.append(record.local_id)
    return tuple(found)


def _chosen(
    number: int,
    raw: Mapping[str, Any],
    takes: tuple[str, ...],
    lookup: TaskLookup,
    problems: list[ShotProblem],
) -> str | None:
    if "chosen" not in raw:
        if "task" in raw:
            record = lookup(str(raw["task"])) if isinstance(raw["task"], str) else None
            return record.local_id if record is not None else None
        return None
    record = _find(number, raw["chosen"], lookup, problems, "chosen")
    if record is None:
        return None
    if record.local_id not in takes:
        problems.append(ShotProblem(number, "chosen", "The chosen take must be one of its takes."))
        return None
    return record.local_id


def _find(
    number: int, value: object, lookup: TaskLookup, problems: list[ShotProblem], field: str
) -> TaskRecord | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(ShotProblem(number, field, "Give a task id as text."))
        return None
    record = lookup(value.strip())
    if record is None:
        problems.append(
            ShotProblem(
                number,
                field,
                f"No task {printable(value.strip(), 60)!r} in this data folder (give its "
                "local id, the first letters of it, or its APIXO id).",
            )
        )
        return None
    if record.model != Model.VEO and record.model != Model.EXTEND:
        problems.append(ShotProblem(number, field, f"Task {record.short_id} is not a Veo video."))
        return None
    return record


def _request(
    number: int, fields: dict[str, Any], start: ShotStart, problems: list[ShotProblem]
) -> GenerationRequest | None:
    """The shot's own settings, checked by the batch line rules."""
    if start is ShotStart.EXTEND:
        extra = sorted(k for k in fields if k not in _EXTEND_KEYS)
        for key in extra:
            problems.append(
                ShotProblem(
                    number,
                    printable(key, 60),
                    "An extend shot continues the previous shot's video: it takes only a "
                    "prompt, mode, seed and watermark.",
                )
            )
        if extra:
            return None
    try:
        items = parse_batch_text(json.dumps(fields), kind="jsonl")
    except BatchFileError as error:
        problems.extend(ShotProblem(number, p.field, p.message) for p in error.problems)
        return None
    request = items[0].request
    if not isinstance(request, GenerationRequest):
        problems.append(
            ShotProblem(
                number,
                "taskId",
                'To extend the previous shot, use "start": "extend"; to use a finished task '
                'as a shot, "task": ID.',
            )
        )
        return None
    if start is ShotStart.CONTINUE:
        if request.generation_type == GenerationType.REFERENCE:
            problems.append(
                ShotProblem(
                    number,
                    "generationType",
                    "A continued shot starts from the previous shot's last frame: use text "
                    "or first/last frames, not reference images.",
                )
            )
            return None
        if len(request.image_urls) > 1:
            problems.append(
                ShotProblem(
                    number,
                    "image_urls",
                    "A continued shot's first frame is the previous shot's last frame: give "
                    "at most one image (its last frame).",
                )
            )
            return None
    return request
