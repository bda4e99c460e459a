"""Storyboards in the task store: the rows of schema 4 (``storyboards``, ``shots``, ``takes``).

:class:`StoryboardRows` is a part of :class:`~veo_desktop.storage.store.TaskStore` (its
base class), so a storyboard is written in the same sqlite file, and can be written in the
same transaction, as the tasks its takes are. A storyboard is saved whole, in one
transaction: a SIGKILL leaves it as it was before or after, never between. The saves money
depends on (a shot's :class:`~veo_desktop.records.storyboard.SendMark` before a take is sent,
the take's link once its task row exists) are durable.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from veo_desktop.api.models import ExtendRequest, GenerationRequest, GenerationType
from veo_desktop.records.storyboard import SendMark, Shot, ShotStart, StoredProblem, Storyboard
from veo_desktop.safe_text import printable, safe

log = logging.getLogger(__name__)

#: The longest storyboard name kept.
NAME_LIMIT = 200
_STARTS = {start.value: start for start in ShotStart}


class StoryboardRows:
    """The storyboard methods of the task store (see the module's docstring)."""

    if TYPE_CHECKING:
        _db: sqlite3.Connection

        def transaction(self, *, durable: bool = False) -> AbstractContextManager[None]: ...

        def _read(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]: ...

    def load_storyboards(self) -> list[Storyboard]:
        """Every storyboard with its shots and takes, oldest first."""
        boards = self._read(
            "SELECT id, name, crossfade_frames, letterbox, created_at, updated_at "
            "FROM storyboards ORDER BY created_at, rowid"
        )
        shot_rows = self._read(
            "SELECT id, storyboard_id, request, start, chosen, trim_in, trim_out, sending "
            "FROM shots ORDER BY storyboard_id, position"
        )
        take_rows = self._read("SELECT shot_id, local_id FROM takes ORDER BY shot_id, position")
        takes: dict[str, list[str]] = {}
        for shot_id, local_id in take_rows:
            takes.setdefault(str(shot_id), []).append(str(local_id))
        shots: dict[str, list[Shot]] = {}
        for row in shot_rows:
            shot = _shot(row, tuple(takes.get(str(row[0]), ())))
            shots.setdefault(str(row[1]), []).append(shot)
        return [
            Storyboard(
                id=str(board_id),
                name=str(name),
                shots=tuple(shots.get(str(board_id), ())),
                crossfade_frames=int(_number(crossfade)),
                letterbox=bool(letterbox),
                created_at=_number(created_at),
                updated_at=_number(updated_at),
            )
            for board_id, name, crossfade, letterbox, created_at, updated_at in boards
        ]

    def save_storyboard(self, board: Storyboard, *, durable: bool = False) -> None:
        """Write ``board`` whole (its shots and takes replace what was stored), atomically.

        Args:
            durable: fsync before returning (a send mark or a take's link).
        """
        with self.transaction(durable=durable):
            db = self._db
            db.execute(
                "INSERT INTO storyboards (id, name, crossfade_frames, letterbox, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "name = excluded.name, crossfade_frames = excluded.crossfade_frames, "
                "letterbox = excluded.letterbox, updated_at = excluded.updated_at",
                (
                    board.id,
                    safe(board.name, NAME_LIMIT),
                    board.crossfade_frames,
                    1 if board.letterbox else 0,
                    board.created_at,
                    board.updated_at,
                ),
            )
            db.execute("DELETE FROM shots WHERE storyboard_id = ?", (board.id,))
            db.executemany(
                "INSERT INTO shots (id, storyboard_id, position, request, start, chosen, "
                "trim_in, trim_out, sending) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    _shot_values(board.id, position, shot)
                    for position, shot in enumerate(board.shots)
                ],
            )
            db.executemany(
                "INSERT INTO takes (shot_id, position, local_id) VALUES (?, ?, ?)",
                [
                    (shot.id, position, local_id)
                    for shot in board.shots
                    for position, local_id in enumerate(dict.fromkeys(shot.takes))
                ],
            )

    def delete_storyboard(self, board_id: str) -> None:
        """Remove a storyboard with its shots (their tasks and videos stay)."""
        with self.transaction():
            self._db.execute("DELETE FROM storyboards WHERE id = ?", (board_id,))


def _shot_values(board_id: str, position: int, shot: Shot) -> tuple[Any, ...]:
    request = None if shot.request is None else _dump(shot.request.to_payload())
    start = shot.start.value
    problem = shot.problem
    if problem is not None:
        # Written back as read: what a newer version wrote is not lost by an edit elsewhere.
        request = problem.request if problem.request is not None else request
        start = problem.start if problem.start is not None else start
    trim_in, trim_out = shot.trim if shot.trim is not None else (None, None)
    sending = None
    if shot.sending is not None:
        mark = shot.sending
        sending = _dump({"key": mark.key, "known": list(mark.known), "at": mark.at})
    return (
        shot.id,
        board_id,
        position,
        request,
        start,
        shot.chosen,
        trim_in,
        trim_out,
        sending,
    )


def _shot(row: Sequence[Any], takes: tuple[str, ...]) -> Shot:
    """A stored shot. Fields that cannot be used (damaged, unknown, refused by a newer rule)
    make it a shot with a :class:`StoredProblem` (blocked until edited), never an error that
    would keep every storyboard from opening."""
    shot_id, _, request_text, start_text, chosen, trim_in, trim_out, sending = row
    problem: StoredProblem | None = None
    start = _STARTS.get(str(start_text))
    if start is None:
        start = ShotStart.OWN
        shown = printable(str(start_text), 40)
        problem = StoredProblem(
            "start", f"{shown!r} is not a way to start a shot", start=str(start_text)
        )
    request: GenerationRequest | None = None
    if request_text is not None:
        request, message = _request(request_text, start)
        if message is not None:
            problem = StoredProblem(
                "settings",
                message,
                str(request_text),
                None if problem is None else problem.start,
            )
    if problem is not None:
        log.warning("storyboard shot %s: %s", shot_id, problem.text)
    return Shot(
        id=str(shot_id),
        request=request,
        start=start,
        takes=takes,
        chosen=None if chosen is None else str(chosen),
        trim=_trim(shot_id, trim_in, trim_out),
        sending=_mark(sending),
        problem=problem,
    )


#: Where a continued shot's first frame will be (its own images follow it) when its stored
#: settings are checked: the real one is uploaded when the take is sent.
_FRAME_STAND_IN = "https://example.com/previous-shot-last-frame.png"


def _request(text: Any, start: ShotStart) -> tuple[GenerationRequest | None, str | None]:
    """A stored request and what is wrong with it (None when it can be sent as it is).

    It is checked as its shot sends it: a continued shot with its predecessor's last frame
    first, an extended one by the fields an extend uses.
    """
    try:
        body = json.loads(str(text))
        if not isinstance(body, dict) or not isinstance(body.get("input") or {}, dict):
            return None, "they are not a request this version can read"
        request = GenerationRequest.from_payload(body)
    except (ValueError, TypeError) as error:
        return None, f"they cannot be read ({printable(str(error), 200)})"
    try:
        if start is ShotStart.EXTEND:
            ExtendRequest(
                task_id="stand-in",
                prompt=request.prompt,
                mode=request.mode,
                seed=request.seed,
                watermark=request.watermark,
                provider=request.provider,
            ).validated()
        elif start is ShotStart.CONTINUE:
            request.replace(
                generation_type=GenerationType.FRAMES,
                image_urls=(_FRAME_STAND_IN, *request.image_urls),
            ).validated()
        else:
            request.validated()
    except (ValueError, TypeError) as error:
        return request, printable(str(error), 600)
    return request, None


def _trim(shot_id: object, start: Any, end: Any) -> tuple[float, float] | None:
    if start is None or end is None:
        return None
    try:
        return float(start), float(end)
    except (TypeError, ValueError):
        log.warning("storyboard shot %s: its trim cannot be read; the whole take is used", shot_id)
        return None


def _number(value: Any) -> float:
    """A stored number; 0 for one that cannot be read (a damaged row opens all the same)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if number == number else 0.0  # NaN


def _mark(text: str | None) -> SendMark | None:
    if text is None:
        return None
    try:
        data = json.loads(text)
        return SendMark(
            key=str(data["key"]),
            known=tuple(str(i) for i in data.get("known", ())),
            at=float(data.get("at", 0.0)),
        )
    except (ValueError, KeyError, TypeError):
        log.warning("a shot's send mark cannot be read; it is kept as an unknown send")
        return SendMark(key="")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
