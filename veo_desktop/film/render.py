"""Render a storyboard's shots into one MP4: the film renderer's public face.

:func:`render_film` (blocking, for a worker thread) plans the film
(:func:`~veo_desktop.film.timeline.plan_film`), writes it by stream copy or by re-encoding
into a hidden ``.<name>.<token>.part`` file beside ``output``, and its sidecar
(``<film>.mp4.json``) into a hidden part of its own, flushes both to disk, and only then puts
them in place. A film is never saved over one of its own clips (or a clip's sidecar).

Putting them in place is three renames, in this order, so that whatever single step fails
or wherever the process dies, a sidecar beside a film always describes that film:

1. the old film's sidecar (if any) is moved aside to a hidden part;
2. the new film replaces the old one;
3. the new sidecar takes its place, and the old one moved aside is deleted.

An error (or a cancel, which is only heard before step 1) before step 2 leaves the old
film with its old sidecar (step 1 is undone) and removes the part files; a crash between
steps 1 and 2 leaves the old film without a sidecar; a crash or an error between steps 2
and 3 leaves the new film without one (an error then says the film was saved but its
sidecar was not). Part files a crash leaves are removed by the next render to that path.

:func:`render_film_async` runs it in a thread of its own so the event loop (and the
window) keeps running; progress reaches the loop's thread, and cancelling the awaiting task
cancels the render.

PyAV loads with the first render, not with this module (the window imports it at start-up).

``metadata`` goes into the MP4's own tags (``movflags=use_metadata_tags``: any key, read back
by PyAV's ``container.metadata`` and by ffprobe).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import glob
import json
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

from veo_desktop import __version__
from veo_desktop.core.fsutil import fsync_dir
from veo_desktop.core.sidecar import APP_MARK, FILM_KIND, sidecar_path
from veo_desktop.film.timeline import (
    Clip,
    FilmCancelled,
    FilmError,
    FilmPlan,
    Method,
    MixedAspectError,
    ShotPlan,
    plan_film,
)
from veo_desktop.logs import quiet_ffmpeg
from veo_desktop.safe_text import redact_all

__all__ = [
    "Clip",
    "FilmCancelled",
    "FilmError",
    "FilmPlan",
    "FilmReport",
    "MixedAspectError",
    "ShotPlan",
    "plan_film",
    "render_film",
    "render_film_async",
]

#: The sidecar's ``kind`` for a film (a downloaded video's sidecar has none).
SIDECAR_KIND: Final = FILM_KIND
_PART_SUFFIX: Final = ".part"
_MOVFLAGS: Final = "+use_metadata_tags"
#: Bytes of index (moov) reserved per packet: sample size, chunk offset, time, composition
#: offset, sync and dependency entries take at most 33 together.
_INDEX_BYTES_PER_PACKET: Final = 48
_INDEX_BASE_BYTES: Final = 64 * 1024
#: Progress is reported when it has moved by at least this much.
_PROGRESS_STEP: Final = 0.005
#: How much lower than the loop's the render thread's priority is (Linux nice steps).
_NICENESS: Final = 10

Progress = Callable[[float], None]


@dataclass(frozen=True)
class FilmReport:
    """A finished film.

    Attributes:
        output: where the film is.
        sidecar: its sidecar JSON (None when none was asked for).
        method: ``"copy"`` or ``"encode"``.
        reason: why that method, in words.
        width: frame width.
        height: frame height.
        fps: frame rate.
        frames: video frames written.
        duration_s: the video's duration.
        audio_duration_s: the audio's duration (None without audio).
        seconds: how long the render took.
    """

    output: Path
    sidecar: Path | None
    method: Method
    reason: str
    width: int
    height: int
    fps: Fraction
    frames: int
    duration_s: float
    audio_duration_s: float | None
    seconds: float


def render_film(
    clips: Sequence[Clip],
    output: Path,
    *,
    crossfade_frames: int = 0,
    letterbox: bool = False,
    metadata: Mapping[str, str] | None = None,
    sidecar: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> FilmReport:
    """Render ``clips`` into the MP4 ``output`` (blocking: call it from a worker thread).

    Args:
        clips: the shots in order.
        output: the film's path (replaced when it exists, only once the new one is complete).
        crossfade_frames: frames each cut blends over (0: hard cuts).
        letterbox: fit shots of another shape with black bars instead of refusing them.
        metadata: tags written into the MP4 itself.
        sidecar: what the sidecar records as ``storyboard`` (None: no sidecar; a sidecar
            the old film at ``output`` had is removed either way).
        progress: called with 0..1 as the film is written (from this thread).
        cancel: set it to stop; the call then raises :class:`FilmCancelled`.

    Raises:
        FilmCancelled: ``cancel`` was set; nothing was left behind.
        FilmError: the film cannot be made or written; the message says why.
    """
    started = time.perf_counter()
    output = Path(output)
    _refuse_clip_paths(clips, output)
    plan = plan_film(clips, crossfade_frames=crossfade_frames, letterbox=letterbox)
    folder = output.parent
    if not folder.is_dir():
        raise FilmError(f"The folder {folder} does not exist.")
    _remove_stale_parts(output)
    token = secrets.token_hex(4)
    part = _part(output, token)
    side = sidecar_path(output)
    side_part = _part(side, token) if sidecar is not None else None
    tracker = _Tracker(plan.frames, progress, cancel)
    try:
        tracker.check()
        audio_duration = _write(plan, part, metadata or {}, tracker)
        tracker.check()
        _fsync(part)
        if side_part is not None:
            _write_synced(side_part, _sidecar_text(plan, clips, output, sidecar or {}))
        tracker.check()
        _put_in_place(part, output, side_part, side, _part(side, f"{token}.old"))
    except OSError as error:
        _discard(part, side_part)
        raise FilmError(_write_problem(error, output)) from None
    except BaseException:
        _discard(part, side_part)
        raise
    tracker.finish()
    return FilmReport(
        output=output,
        sidecar=side if side_part is not None else None,
        method=plan.method,
        reason=plan.reason,
        width=plan.width,
        height=plan.height,
        fps=plan.fps,
        frames=plan.frames,
        duration_s=plan.duration_s,
        audio_duration_s=float(audio_duration) if audio_duration is not None else None,
        seconds=time.perf_counter() - started,
    )


async def render_film_async(
    clips: Sequence[Clip],
    output: Path,
    *,
    crossfade_frames: int = 0,
    letterbox: bool = False,
    metadata: Mapping[str, str] | None = None,
    sidecar: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> FilmReport:
    """:func:`render_film` in a thread of its own, awaited without blocking the loop.

    ``progress`` is called on the event loop's thread. Cancelling the task that awaits this
    stops the render, waits until its part file is gone, and re-raises the cancellation.
    """
    loop = asyncio.get_running_loop()
    stop = cancel if cancel is not None else threading.Event()
    done: asyncio.Future[FilmReport] = loop.create_future()

    def report(fraction: float) -> None:
        if progress is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(progress, fraction)

    def settle(result: FilmReport | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            assert result is not None
            done.set_result(result)

    def work() -> None:
        result: FilmReport | None = None
        error: BaseException | None = None
        _yield_to_the_loop()
        try:
            result = render_film(
                clips,
                output,
                crossfade_frames=crossfade_frames,
                letterbox=letterbox,
                metadata=metadata,
                sidecar=sidecar,
                progress=report,
                cancel=stop,
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task, which re-raises it
            error = exc
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    thread = threading.Thread(target=work, name="film-render", daemon=True)
    thread.start()
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        stop.set()
        with contextlib.suppress(FilmError):
            await done
        raise


def _yield_to_the_loop() -> None:
    """Lower this (worker) thread's scheduling priority, where the OS allows it per thread
    (Linux; the encoder's threads, started from it, inherit it): on a busy machine the event
    loop's thread then wins the CPU whenever it wakes, and the window never stutters."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError):
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + _NICENESS)


class _Tracker:
    """Counts frames written, reports progress in steps, and raises when cancelled."""

    def __init__(self, total: int, progress: Progress | None, cancel: threading.Event | None):
        self._total = max(1, total)
        self._progress = progress
        self._cancel = cancel
        self._done = 0
        self._reported = -1.0

    def check(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise FilmCancelled

    def advance(self, frames: int) -> None:
        self.check()
        self._done += frames
        fraction = min(self._done / self._total, 0.99)
        if self._progress is not None and fraction - self._reported >= _PROGRESS_STEP:
            self._reported = fraction
            self._progress(fraction)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress(1.0)


def _write(
    plan: FilmPlan, part: Path, metadata: Mapping[str, str], tracker: _Tracker
) -> Fraction | None:
    """Write the film into ``part``; the audio's duration (None without audio)."""
    import av  # here, not at import: the window's start-up needs no PyAV

    from veo_desktop.film.encode import write_encoded
    from veo_desktop.film.streamcopy import write_copy

    quiet_ffmpeg()

    try:
        options = {"movflags": _MOVFLAGS, "moov_size": str(_index_room(plan, metadata))}
        with av.open(str(part), mode="w", format="mp4", options=options) as out:
            for key, value in metadata.items():
                out.metadata[str(key)] = str(value)
            if plan.method == "copy":
                return write_copy(plan, out, tracker.advance)
            return write_encoded(plan, out, tracker.advance)
    except av.FFmpegError as error:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
            raise
        raise FilmError(f"The film could not be encoded ({error.strerror}).") from None


def _index_room(plan: FilmPlan, metadata: Mapping[str, str]) -> int:
    """Bytes to reserve for the index at the start of the file.

    The index (``moov``) goes first, so a player or a browser can start before the whole
    file is read. The muxer's ``faststart`` would rewrite the whole file at the end while
    holding Python's lock (the event loop would stall); a generous reservation lets it
    write the index in place instead.
    """
    rate = max((s.audio.sample_rate for s in plan.sources if s.audio is not None), default=0)
    audio_packets = plan.duration_s * rate / 1024 + 2 * len(plan.shots)
    packets = plan.frames + int(audio_packets) + 16 * len(plan.shots)
    tags = sum(len(str(key).encode()) + len(str(value).encode()) for key, value in metadata.items())
    return _INDEX_BASE_BYTES + _INDEX_BYTES_PER_PACKET * packets + 2 * tags


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_synced(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _part(path: Path, token: str) -> Path:
    """The hidden part file ``path`` is written to (``_remove_stale_parts`` finds it)."""
    return path.with_name(f".{path.name}.{token}{_PART_SUFFIX}")


def _put_in_place(
    part: Path, output: Path, side_part: Path | None, side: Path, aside: Path
) -> None:
    """Rename the film, then its sidecar, into place, in the module docstring's order.

    Raises:
        OSError: the film could not be put in place; the old film and its sidecar are as
            they were.
        FilmError: the film is in place but its sidecar could not be.
    """
    try:
        os.replace(side, aside)
        moved_aside = True
    except FileNotFoundError:
        moved_aside = False
    try:
        os.replace(part, output)
    except BaseException:
        if moved_aside:
            with contextlib.suppress(OSError):
                os.replace(aside, side)
        raise
    try:
        if side_part is not None:
            os.replace(side_part, side)
        fsync_dir(output.parent)
    except OSError as error:
        raise FilmError(
            f"The film was saved as {output}, but its sidecar could not be written "
            f"({error.strerror or type(error).__name__})."
        ) from None
    finally:
        if moved_aside:
            with contextlib.suppress(OSError):
                aside.unlink()


def _discard(part: Path, side_part: Path | None) -> None:
    """Remove the part files (never a file in place: the old film's sidecar is kept)."""
    for path in (part, side_part):
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def _refuse_clip_paths(clips: Sequence[Clip], output: Path) -> None:
    """Refuse an ``output`` that is one of the clips (or a clip's sidecar)."""
    target = output.resolve()
    for number, clip in enumerate(clips, 1):
        label = clip.label or f"shot {number}"
        video = Path(clip.path)
        for path, what in ((video, "video"), (sidecar_path(video), "sidecar")):
            if path.resolve() == target or _same_file(path, output):
                raise FilmError(
                    f"The film cannot be saved over {label}'s {what} ({path}); choose another name."
                )


def _same_file(one: Path, other: Path) -> bool:
    """Whether both exist and are one file (a hard link, another spelling of the path)."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _remove_stale_parts(output: Path) -> None:
    """Part files an earlier render of the same film left behind (it crashed)."""
    for stale in output.parent.glob(f".{glob.escape(output.name)}.*{_PART_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()


def _write_problem(error: OSError, output: Path) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"There is not enough free space in {output.parent} to write the film; "
            "nothing was saved. Free some space or choose another folder."
        )
    reason = error.strerror or type(error).__name__
    return f"The film could not be written to {output} ({reason}); nothing was saved."


def _sidecar_text(
    plan: FilmPlan, clips: Sequence[Clip], output: Path, storyboard: Mapping[str, Any]
) -> str:
    """The film's sidecar: what made it (the storyboard), its shots and its format."""
    data = {
        "app": APP_MARK,
        "app_version": __version__,
        "kind": SIDECAR_KIND,
        "file": output.name,
        "storyboard": redact_all(storyboard),
        "shots": [
            {
                "label": shot.label,
                "source": Path(clip.path).name,
                "start_s": clip.start_s,
                "end_s": clip.end_s,
                "first_frame": shot.first_frame,
                "end_frame": shot.end_frame,
            }
            for shot, clip in zip(plan.shots, clips, strict=True)
        ],
        "crossfade_frames": plan.crossfade_frames,
        "letterbox": plan.letterbox,
        "method": plan.method,
        "width": plan.width,
        "height": plan.height,
        "fps": str(plan.fps),
        "frames": plan.frames,
        "duration_s": plan.duration_s,
        "rendered_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"
