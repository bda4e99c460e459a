"""The sidecar format (``<video>.json`` next to each downloaded video), in one place.

Writing: the download manager writes a sidecar atomically before the video gets its final
name (:func:`write_sidecar`): what was asked, of which task, so a video can be traced and
made again. No secret reaches it and server text stays data (:func:`sidecar_text`).

Reading: :func:`read_sidecar` is the one reader (the engine adopting a video renamed just
before a crash, and restoring). A person drops one of our videos (or its sidecar) on the
window to make it again or build on it: the sidecar holds the exact request body that was
sent; :func:`restore` finds it, checks that it is ours, and rebuilds the request. A copy
saved elsewhere ("Save as...") has no sidecar next to it: then the recipe embedded in the
video's own metadata is read (``embedded``: ``veo_desktop.film.recipe.read_recipe``, which
this layer cannot import), else a task in the store whose video has the same content is used.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veo_desktop import __version__
from veo_desktop.api.models import AnyRequest, GenerationRequest, Model, request_from_payload
from veo_desktop.core.fsutil import atomic_write_text
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import is_printable, redact_all

log = logging.getLogger(__name__)

APP_MARK = "Veo Desktop"
SIDECAR_SUFFIX = ".json"
#: Ours are a few kilobytes; a bigger one (older versions listed every result URL) is not read.
SIDECAR_MAX_BYTES = 1024 * 1024
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v"})
_HASH_CHUNK = 1024 * 1024


class SidecarError(ValueError):
    """The file cannot give back a video's settings; the message says why."""


class NotOurFileError(SidecarError):
    """The file (or its JSON) was not made by Veo Desktop."""


class SidecarMissingError(SidecarError):
    """A video without its settings file next to it (and no known task matches it)."""


class SidecarDamagedError(SidecarError):
    """The settings file is ours but unreadable (cut short, edited by hand)."""


@dataclass(frozen=True)
class RestoredSettings:
    """What a dropped file gives back.

    Attributes:
        request: the request as it was sent (images are the URLs that were sent).
        video: the video file, when there is one next to the sidecar (or it was dropped).
        sidecar: the sidecar file (None when restored from the store).
        local_task_id: our id of the task that made the video, when known.
        apixo_task_id: APIXO's task id, when known.
    """

    request: AnyRequest
    video: Path | None
    sidecar: Path | None
    local_task_id: str | None = None
    apixo_task_id: str | None = None

    @property
    def is_extend(self) -> bool:
        return self.request.model == Model.EXTEND

    @property
    def generation(self) -> GenerationRequest | None:
        """The request when it is a ``veo-3-1`` generation (what the composer can load)."""
        return self.request if isinstance(self.request, GenerationRequest) else None

    def describe(self) -> str:
        """A one-line summary for a status message."""
        name = self.video.name if self.video is not None else "the video"
        if self.is_extend:
            return f"Restored the settings of {name} (an extension)."
        return f"Restored the settings of {name}."


#: The ``kind`` of a film's sidecar (``veo_desktop.film.render`` writes it); a video's has none.
FILM_KIND = "film"


def sidecar_path(path: Path) -> Path:
    """Where the sidecar of the video ``path`` is (``<video>.json``)."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def sidecar(record: TaskRecord, index: int, video: Path) -> dict[str, Any]:
    """What the JSON file next to a video records, so it can be traced and re-made."""
    return {
        "app": APP_MARK,
        "app_version": __version__,
        "file": video.name,
        "prompt": record.prompt,
        "model": record.model,
        "mode": record.mode,
        "generation_type": record.generation_type,
        "aspect_ratio": record.aspect_ratio,
        "parameters": dict(record.input),
        "request": dict(record.request),
        "local_task_id": record.local_id,
        "apixo_task_id": record.apixo_task_id,
        "parent_local_task_id": record.parent_id,
        "created_at": _iso(record.created_at),
        "api_create_time": record.api_create_time,
        "api_complete_time": record.api_complete_time,
        "api_cost_time_ms": record.api_cost_time,
        "price_usd": str(record.price),
        "result_index": index,
        "result_url": record.result_urls[index] if index < len(record.result_urls) else None,
        "result_count": len(record.result_urls),
        "downloaded_at": _iso(time.time()),
    }


def sidecar_text(record: TaskRecord, index: int, video: Path) -> str:
    """The sidecar as JSON text: no secret in it, no raw control character.

    Every string (server-supplied ones included) is kept as data but redacted. JSON escapes
    C0 controls itself; DEL, C1 controls and the characters that reorder or break lines
    are written as ``\\uXXXX`` escapes too, so showing the file cannot drive a terminal.
    """
    text = json.dumps(redact_all(sidecar(record, index, video)), indent=2, ensure_ascii=False)
    return re.sub(r"[^\x00-\x7e]", _json_escape_unsafe, text) + "\n"


def _json_escape_unsafe(match: re.Match[str]) -> str:
    char = match.group(0)
    # is_printable refuses lone surrogates too (they could not be written as UTF-8).
    return char if is_printable(char) else f"\\u{ord(char):04x}"


def write_sidecar(record: TaskRecord, index: int, video: Path) -> None:
    """Write the sidecar atomically (before the video appears under its final name).

    Raises:
        OSError: the folder cannot be written (the download manager says so in words).
    """
    text = sidecar_text(record, index, video)
    target = sidecar_path(video)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()  # left by a crash during an earlier write
    atomic_write_text(target, text)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(seconds))


def sidecar_for(path: Path) -> Path | None:
    """The sidecar belonging to ``path`` (a video or a sidecar), if one exists."""
    path = Path(path)
    if path.name.endswith(SIDECAR_SUFFIX) and path.suffix.lower() == ".json":
        return path if path.is_file() else None
    direct = sidecar_path(path)
    if direct.is_file():
        return direct
    # A sidecar whose "file" names this video, though its own name differs (renamed pair).
    try:
        candidates = sorted(path.parent.glob("*.json"))
    except OSError:
        return None
    for candidate in candidates[:500]:
        data = _read_json(candidate, quiet=True)
        if data is not None and data.get("app") == APP_MARK and data.get("file") == path.name:
            return candidate
    return None


def read_sidecar(path: Path) -> dict[str, Any]:
    """The sidecar's content, checked to be ours.

    Raises:
        NotOurFileError: the JSON is not a Veo Desktop sidecar.
        SidecarDamagedError: the file cannot be read as JSON.
    """
    path = Path(path)
    data = _read_json(path, quiet=False)
    if data is None:
        raise SidecarDamagedError(f"{path.name} cannot be read.")
    if data.get("app") != APP_MARK:
        raise NotOurFileError(
            f"{path.name} is a JSON file, but not the settings file Veo Desktop saves "
            "next to its videos."
        )
    return data


def _read_json(path: Path, *, quiet: bool) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > SIDECAR_MAX_BYTES:
            if quiet:
                return None
            raise NotOurFileError(f"{path.name} is too large to be a Veo Desktop settings file.")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        if quiet:
            return None
        raise SidecarDamagedError(f"{path.name} cannot be read: {error}") from error
    try:
        data = json.loads(text)
    except ValueError as error:
        if quiet:
            return None
        raise SidecarDamagedError(
            f"{path.name} is damaged (not valid JSON: {error}); its settings cannot be restored."
        ) from error
    if not isinstance(data, dict):
        if quiet:
            return None
        raise NotOurFileError(f"{path.name} is not a Veo Desktop settings file.")
    return data


def request_from_sidecar(data: Mapping[str, Any]) -> AnyRequest:
    """Rebuild the request a sidecar records (the exact body, else its parameters).

    Raises:
        SidecarDamagedError: neither the body nor the parameters are usable.
    """
    model = data.get("model")
    if model not in (Model.VEO, Model.EXTEND):
        raise SidecarDamagedError(f"The settings name an unknown model ({model!r}).")
    body = data.get("request")
    if not isinstance(body, Mapping) or not isinstance(body.get("input"), Mapping):
        parameters = data.get("parameters")
        if not isinstance(parameters, Mapping):
            raise SidecarDamagedError("The settings file holds no request.")
        body = {"request_type": "async", "input": dict(parameters)}
    try:
        request = request_from_payload(str(model), body)
    except (TypeError, ValueError) as error:
        raise SidecarDamagedError(f"The request in the settings is damaged: {error}") from error
    if not request.prompt:
        raise SidecarDamagedError("The settings file holds no prompt.")
    return request


#: Reads the recipe embedded in a video: None when it has none; ValueError when it is damaged.
EmbeddedReader = Callable[[Path], Mapping[str, Any] | None]


def restore(
    path: Path | str, *, tasks: Iterable[TaskRecord] = (), embedded: EmbeddedReader | None = None
) -> RestoredSettings:
    """The settings of a dropped video or sidecar.

    Looks for the sidecar next to the video first; without one, the recipe embedded in the
    video (read by ``embedded``), then a task among ``tasks`` whose video is this file (same
    path, or same size and content) gives the settings.

    Raises:
        NotOurFileError: not a video or a Veo Desktop sidecar.
        SidecarMissingError: a video with no sidecar that no known task made.
        SidecarDamagedError: our sidecar, but unreadable.
    """
    path = Path(path)
    if not path.exists():
        raise SidecarError(f"{path} does not exist.")
    if path.is_dir():
        raise NotOurFileError(f"{path.name} is a folder; drop a video or its .json file.")
    is_json = path.suffix.lower() == ".json"
    if not is_json and path.suffix.lower() not in VIDEO_SUFFIXES:
        raise NotOurFileError(
            f"{path.name} is not a video or a Veo Desktop settings file; drop an .mp4 "
            "made by Veo Desktop or the .json file next to it."
        )
    side = path if is_json else sidecar_for(path)
    if side is not None:
        data = read_sidecar(side)
        if data.get("kind") == FILM_KIND:
            raise NotOurFileError(
                f"{path.name} is a film made from a storyboard, not a single "
                f"video, so it has no one prompt to restore; {side.name} lists every shot's "
                "settings."
            )
        video = path if not is_json else _video_next_to(side, data)
        return RestoredSettings(
            request=request_from_sidecar(data),
            video=video,
            sidecar=side,
            local_task_id=_text(data.get("local_task_id")),
            apixo_task_id=_text(data.get("apixo_task_id")),
        )
    damaged: SidecarError | None = None
    try:
        recipe = embedded(path) if embedded is not None else None
    except ValueError as error:  # a recipe tag that is not ours, or not a readable video
        recipe, damaged = None, SidecarDamagedError(str(error))
    if recipe is not None:
        return RestoredSettings(
            request=request_from_sidecar(recipe),
            video=path,
            sidecar=None,
            local_task_id=_text(recipe.get("local_task_id")),
            apixo_task_id=_text(recipe.get("apixo_task_id")),
        )
    record = find_task_for_video(path, tasks)
    if record is not None:
        return RestoredSettings(
            request=record.request_model,
            video=path,
            sidecar=None,
            local_task_id=record.local_id,
            apixo_task_id=record.apixo_task_id,
        )
    if damaged is not None:
        raise damaged
    raise SidecarMissingError(
        f"No settings found for {path.name}: Veo Desktop keeps them in "
        f"{sidecar_path(path).name} next to each video it downloads and inside each copy it "
        "saves, and no task in this app's list made this file. Drop the video from the "
        "library folder, or its .json file."
    )


def _video_next_to(side: Path, data: Mapping[str, Any]) -> Path | None:
    name = data.get("file")
    if isinstance(name, str) and name and Path(name).name == name:
        candidate = side.with_name(name)
        if candidate.is_file():
            return candidate
    if side.name.endswith(SIDECAR_SUFFIX):
        candidate = side.with_name(side.name[: -len(SIDECAR_SUFFIX)])
        if candidate.is_file() and candidate.suffix.lower() in VIDEO_SUFFIXES:
            return candidate
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def find_task_for_video(path: Path, tasks: Iterable[TaskRecord]) -> TaskRecord | None:
    """The task whose downloaded video is ``path`` or a byte-identical copy of it."""
    path = Path(path)
    try:
        size = path.stat().st_size
        resolved = path.resolve()
    except OSError:
        return None
    same_size: list[tuple[TaskRecord, Path]] = []
    for record in tasks:
        for name in record.files:
            candidate = Path(name)
            try:
                if candidate.resolve() == resolved:
                    return record
                if candidate.stat().st_size == size:
                    same_size.append((record, candidate))
            except OSError:
                continue
    if not same_size:
        return None
    digest = _digest(path)
    if digest is None:
        return None
    for record, candidate in same_size:
        if _digest(candidate) == digest:
            return record
    return None


def _digest(path: Path) -> str | None:
    hasher = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                hasher.update(chunk)
    except OSError as error:
        log.info("cannot read %s: %s", path, error)
        return None
    return hasher.hexdigest()
