"""The recipe inside the video: a finished task's settings carried in an MP4's own metadata.

Every copy of a video that leaves the library (Save as…, a drag out of the task list, the
command line's ``--output``, a rendered storyboard film) carries its recipe: the prompt,
every request field, the model, our and APIXO's task ids, the seed, the times and the price,
as compact JSON under one container tag, :data:`RECIPE_KEY`. The copy is made by stream copy
(:func:`embed_recipe`: every packet as it was, nothing re-encoded); the file in the library
is never touched, so whatever APIXO or Google put in it stays byte for byte.

The tag is an MP4 ``mdta`` key (FFmpeg's ``movflags=use_metadata_tags``): standard tools
show it (``ffprobe -show_format`` prints ``TAG:com.veodesktop.recipe={...}``, ExifTool lists
it under QuickTime Keys). :func:`read_recipe` reads it back from any file, and treats the
file as hostile: a huge tag, invalid JSON, a JSON that is not ours or control characters give
a :class:`RecipeDamagedError` (or None: no recipe at all), never a crash.

Muxing a film elsewhere (the storyboard renderer) writes the same way: open the output with
:func:`muxer_options` and put :func:`recipe_tags` (or its own key) into ``container.metadata``.

Every function blocks (FFmpeg I/O): call it off the GUI thread. PyAV loads on first use.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veo_desktop.core.sidecar import APP_MARK, sidecar
from veo_desktop.logs import quiet_ffmpeg
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import is_printable, redact_all

if TYPE_CHECKING:
    import av

log = logging.getLogger(__name__)

#: The container tag holding the recipe (an MP4 ``mdta`` key; ffprobe shows it by this name).
RECIPE_KEY = "com.veodesktop.recipe"
#: The container tag a rendered storyboard film carries its storyboard under (helper B's).
STORYBOARD_KEY = "com.veodesktop.storyboard"
#: The recipe's own format number (``recipe_version`` in the JSON).
RECIPE_VERSION = 1
#: A recipe is a few kilobytes; a tag longer than this is not read as one.
RECIPE_MAX_CHARS = 256 * 1024
#: Container tags FFmpeg derives from the file itself (the muxer writes its own).
_DERIVED_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder"})
#: Stream kinds a copy keeps (an MP4's data tracks, such as timecode, cannot be re-muxed).
_COPIED_KINDS = frozenset({"video", "audio", "subtitle"})


class RecipeError(ValueError):
    """A file's recipe cannot be read or written; the message says why in words."""


class RecipeDamagedError(RecipeError):
    """The file carries a recipe tag, but it is not a readable Veo Desktop recipe."""


def recipe_for(record: TaskRecord, index: int = 0, video: Path | None = None) -> dict[str, Any]:
    """The recipe of ``record``'s ``index``-th video: the sidecar's fields plus the seed.

    No secret is in it (the request body never holds the API key; every string is redacted
    again when written, see :func:`recipe_text`).
    """
    if video is None:
        video = Path(record.files[index]) if index < len(record.files) else Path("video.mp4")
    recipe = sidecar(record, index, video)
    recipe.pop("downloaded_at", None)
    recipe["recipe_version"] = RECIPE_VERSION
    recipe["seed"] = record.input.get("seed")
    return recipe


def recipe_text(recipe: Mapping[str, Any], *, indent: int | None = None) -> str:
    """The recipe as JSON (one line, or ``indent``-ed for people): redacted, and no raw
    control or line-breaking character inside its strings (safe to show on a terminal)."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(redact_all(recipe), ensure_ascii=False, indent=indent, separators=separators)
    # JSON escapes newlines inside strings: a raw one is only the indentation's.
    return re.sub(r"[^\x20-\x7e\n]", _escape_unsafe, text)


def recipe_tags(recipe: Mapping[str, Any]) -> dict[str, str]:
    """The container tags that carry ``recipe`` (put them into ``container.metadata``)."""
    return {RECIPE_KEY: recipe_text(recipe)}


def muxer_options(*, faststart: bool = True) -> dict[str, str]:
    """The MP4 muxer options under which custom tags (the recipe's) are written."""
    flags = "use_metadata_tags+faststart" if faststart else "use_metadata_tags"
    return {"movflags": flags}


def embed_recipe(
    src: Path, dst: Path, recipe: Mapping[str, Any], *, tags: Mapping[str, str] | None = None
) -> Path:
    """Write a copy of ``src`` at ``dst`` whose metadata carries ``recipe``.

    Stream copy: every packet of the video, audio and subtitle streams is muxed again as it
    was (nothing is decoded or encoded); the source's own container tags are kept beside the
    recipe, plus ``tags`` when given. The copy is written beside ``dst`` under a partial name
    and appears under its name only once complete. ``src`` is never modified.

    Raises:
        RecipeError: ``src`` is not a video FFmpeg can read, or ``dst`` is ``src``.
        OSError: the copy cannot be written.
    """
    src, dst = Path(src), Path(dst)
    if dst.exists() and dst.resolve() == src.resolve():
        raise RecipeError(f"{dst.name} is the library's own file; a copy must go elsewhere.")
    partial = dst.with_name(f".{dst.name}.part")
    try:
        _remux(src, partial, {**(tags or {}), **recipe_tags(recipe)}, _format_for(dst))
        os.replace(partial, dst)
    finally:
        partial.unlink(missing_ok=True)
    return dst


def export_copy(record: TaskRecord, src: Path, dst: Path, *, embed: bool = True) -> Path:
    """Copy ``record``'s video ``src`` to ``dst``: with its recipe embedded, or (``embed``
    False, or ``src`` not a video FFmpeg can remux) a plain byte copy.

    Raises:
        OSError: the copy cannot be written.
    """
    src, dst = Path(src), Path(dst)
    if dst.exists() and dst.resolve() == src.resolve():
        return dst
    if embed:
        try:
            return embed_recipe(src, dst, recipe_for(record, file_index(record, src), src))
        except RecipeError as error:
            log.warning("copying %s without its recipe: %s", src.name, error)
    partial = dst.with_name(f".{dst.name}.part")
    try:
        shutil.copyfile(src, partial)
        os.replace(partial, dst)
    finally:
        partial.unlink(missing_ok=True)
    return dst


def file_index(record: TaskRecord, video: Path) -> int:
    """Which of ``record``'s videos ``video`` is (0 when it is none of them)."""
    wanted = Path(video).resolve()
    for index, name in enumerate(record.files):
        if Path(name).resolve() == wanted:
            return index
    return 0


def read_tags(path: Path) -> dict[str, str]:
    """The container tags of ``path`` as FFmpeg reads them.

    Raises:
        RecipeError: not a media file FFmpeg can open.
        OSError: the file cannot be read.
    """
    import av

    quiet_ffmpeg()
    path = Path(path)
    if not path.is_file():
        raise OSError(f"{path} is not a file.")
    try:
        with av.open(str(path), metadata_errors="replace") as container:
            return {str(k): str(v) for k, v in container.metadata.items()}
    except av.FFmpegError as error:
        log.info("cannot read the tags of %s: %s", path, error)
        raise RecipeError(f"{path.name} is not a video file that can be read.") from error


def read_recipe(path: Path) -> dict[str, Any] | None:
    """The recipe embedded in ``path``; None when the file carries none.

    Raises:
        RecipeDamagedError: the file has a recipe tag that is too large, not JSON, or not
            a Veo Desktop recipe.
        RecipeError: not a media file FFmpeg can open.
        OSError: the file cannot be read.
    """
    path = Path(path)
    text = read_tags(path).get(RECIPE_KEY)
    if text is None:
        return None
    return parse_recipe(text, name=path.name)


def parse_recipe(text: str, *, name: str = "The video") -> dict[str, Any]:
    """A recipe tag's text, checked to be ours.

    Raises:
        RecipeDamagedError: too large, not JSON, or not a Veo Desktop recipe.
    """
    if len(text) > RECIPE_MAX_CHARS:
        raise RecipeDamagedError(
            f"{name} carries a recipe of {len(text):,} characters, too large to be one of ours."
        )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise RecipeDamagedError(
            f"{name} carries a damaged recipe (not valid JSON); its settings cannot be restored."
        ) from error
    if not isinstance(data, dict) or data.get("app") != APP_MARK:
        raise RecipeDamagedError(f"{name} carries a recipe that Veo Desktop did not write.")
    return data


def parse_storyboard(text: str, *, name: str = "The film") -> dict[str, Any]:
    """The storyboard a film's :data:`STORYBOARD_KEY` tag carries (a JSON object).

    Raises:
        RecipeDamagedError: too large or not a JSON object.
    """
    if len(text) > RECIPE_MAX_CHARS * 16:
        raise RecipeDamagedError(f"{name} carries a storyboard too large to be one of ours.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise RecipeDamagedError(
            f"{name} carries a damaged storyboard (not valid JSON)."
        ) from error
    if not isinstance(data, dict):
        raise RecipeDamagedError(f"{name} carries a storyboard that Veo Desktop did not write.")
    return data


def _remux(src: Path, dst: Path, tags: Mapping[str, str], fmt: str) -> None:
    import av

    quiet_ffmpeg()
    try:
        with av.open(str(src), metadata_errors="replace") as source:
            streams = [s for s in source.streams if s.type in _COPIED_KINDS]
            if not any(s.type == "video" for s in streams):
                raise RecipeError(f"{src.name} has no video stream.")
            with av.open(str(dst), "w", format=fmt, options=muxer_options()) as out:
                for key, value in source.metadata.items():
                    if key not in _DERIVED_TAGS:
                        out.metadata[key] = value
                out.metadata.update(tags)
                mapping = {s.index: _copy_stream(out, s) for s in streams}
                for packet in source.demux(streams):
                    if packet.dts is None:  # the demuxer's flush packet
                        continue
                    packet.stream = mapping[packet.stream_index]
                    out.mux(packet)
    except av.FFmpegError as error:
        log.info("cannot remux %s: %s", src, error)
        raise RecipeError(f"{src.name} cannot be copied as a video.") from error


def _copy_stream(out: av.container.OutputContainer, template: av.stream.Stream) -> Any:
    stream = out.add_stream_from_template(template)
    for key, value in template.metadata.items():
        stream.metadata[key] = value
    return stream


def _format_for(path: Path) -> str:
    return "mov" if path.suffix.lower() == ".mov" else "mp4"


def _escape_unsafe(match: re.Match[str]) -> str:
    char = match.group(0)
    # JSON already escaped C0 controls; DEL, C1, bidi and line separators are escaped here.
    if ord(char) > 0x7E and is_printable(char):
        return char
    return "".join(f"\\u{unit:04x}" for unit in _utf16_units(char))


def _utf16_units(char: str) -> list[int]:
    code = ord(char)
    if code < 0x10000:
        return [code]
    code -= 0x10000
    return [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]
