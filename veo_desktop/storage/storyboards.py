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

from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.storyboard import SendMark, Shot, ShotStart, Storyboard
from veo_desktop.safe_text import safe

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
                crossfade_frames=int(crossfade),
                letterbox=bool(letterbox),
                created_at=float(created_at),
                updated_at=float(updated_at),
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
        shot.start.value,
        shot.chosen,
        trim_in,
        trim_out,
        sending,
    )


def _shot(row: Sequence[Any], takes: tuple[str, ...]) -> Shot:
    shot_id, _, request, start, chosen, trim_in, trim_out, sending = row
    return Shot(
        id=str(shot_id),
        request=None if request is None else GenerationRequest.from_payload(json.loads(request)),
        # A start a newer version wrote and this one does not know: the shot's own.
        start=_STARTS.get(str(start), ShotStart.OWN),
        takes=takes,
        chosen=None if chosen is None else str(chosen),
        trim=None if trim_in is None or trim_out is None else (float(trim_in), float(trim_out)),
        sending=_mark(sending),
    )


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
