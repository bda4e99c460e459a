"""The storyboard service: every storyboard of a data folder, kept in the task store, edited
by the window and the command line, generated through the engine and rendered into a film.

One per runtime (``Runtime.storyboards``). Every edit makes a new
:class:`~veo_desktop.records.storyboard.Storyboard` value, saves it whole and tells the
subscribers (with the storyboard's id). Generating is :mod:`.director`'s job; rendering
:mod:`.render`'s.

Durability of a take: before a shot's take is sent, the shot is marked (durably) with the
request's key and the tasks that already had that key; the moment the engine writes the new
task's row (before its POST leaves) the row is linked to the shot and the mark cleared
(durably), in the engine's change callback. A crash between the two leaves a mark that
:meth:`StoryboardService.start` resolves as the batch runner does: a row with that key that
was not there before is the take (linked, never sent again); no such row means the POST never
left (the row is committed first), and the mark is dropped.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.batch import payload_key
from veo_desktop.core.clock import SYSTEM_CLOCK, Clock
from veo_desktop.core.crashpoints import crash_point
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.settings import Settings
from veo_desktop.core.spending import Confirmation, MoneyPolicy, PaidAction, PaidKind, SpendingCap
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import (
    MAX_CROSSFADE_FRAMES,
    SendMark,
    Shot,
    ShotStart,
    Storyboard,
    new_id,
    storyboard_to_json,
)
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import redact_all
from veo_desktop.storage.store import TaskStore
from veo_desktop.storyboard.files import parse_storyboard
from veo_desktop.storyboard.planner import Plan, plan, usable_take

if TYPE_CHECKING:
    from veo_desktop.film.render import FilmReport
    from veo_desktop.storyboard.director import GenerateResult, OnGenerateProgress

log = logging.getLogger(__name__)

#: Turns a local video into the URL of an image of its last frame that APIXO can fetch
#: (the runtime grabs the frame and uploads it through the image hosting).
FrameUrl = Callable[[Path], Awaitable[str]]
#: Raises (a ``HostingError``) when continued shots' first frames cannot be uploaded.
FrameCheck = Callable[[], Awaitable[object]]
#: Called with a storyboard's id after it changed (or one of its takes did).
OnBoardChange = Callable[[str], None]
#: The longest storyboard name.
NAME_LIMIT = 200


class StoryboardError(ValueError):
    """A storyboard action cannot be done; ``str()`` says why, for a person."""


class StoryboardService:
    """Every storyboard of a data folder (see the module's docstring).

    Args:
        engine: the task engine (started before :meth:`start`).
        store: the task store the storyboards live in.
        settings: the settings in effect (the daily cap).
        frame_url: makes a continued shot's first frame from its predecessor's video.
        frame_check: raises when ``frame_url`` cannot work (no image hosting); checked before
            anything is sent for a storyboard with a continued shot to send.
        clock: the time (a fake one in tests).
    """

    def __init__(
        self,
        *,
        engine: TaskEngine,
        store: TaskStore,
        settings: Settings,
        frame_url: FrameUrl,
        frame_check: FrameCheck | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.settings = settings
        self.frame_url = frame_url
        self.frame_check = frame_check
        self.clock = clock or SYSTEM_CLOCK
        self._boards: dict[str, Storyboard] = {b.id: b for b in store.load_storyboards()}
        self._listeners: list[OnBoardChange] = []
        #: Shots whose take is being sent, by the request's key: (board id, shot id).
        self._sending: dict[str, list[tuple[str, str]]] = {}
        #: The service follows the engine from the start (a take finishing, a row to link).
        self._unsubscribe: Callable[[], None] | None = engine.subscribe(self._on_record)
        self._started = False
        #: Which storyboard each take belongs to (rebuilt after a change).
        self._takes: dict[str, str] | None = None

    # -- life ------------------------------------------------------------------------------

    def start(self) -> None:
        """Resolve what a crash left (send marks) and pick finished takes, once the engine
        has started (before, this does nothing; reading the boards or a plan calls it)."""
        if self._started or not self.engine.started:
            return
        self._started = True
        self._reconcile()

    def close(self) -> None:
        """Stop following the engine."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def subscribe(self, on_change: OnBoardChange) -> Callable[[], None]:
        """Call ``on_change(board_id)`` after a storyboard (or one of its takes) changed."""
        self._listeners.append(on_change)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(on_change)

        return unsubscribe

    # -- reading ---------------------------------------------------------------------------

    def boards(self) -> list[Storyboard]:
        """Every storyboard, oldest first."""
        self.start()
        return sorted(self._boards.values(), key=lambda b: b.created_at)

    def get(self, board_id: str) -> Storyboard:
        """The storyboard (KeyError if none)."""
        return self._boards[board_id]

    def board_of(self, local_id: str) -> Storyboard | None:
        """The (oldest) storyboard a task is a take of; None when it is in none. Cheap: a
        dictionary lookup (the gallery groups by it)."""
        board_id = self._take_index().get(local_id)
        return None if board_id is None else self._boards.get(board_id)

    def _take_index(self) -> dict[str, str]:
        if self._takes is None:
            index: dict[str, str] = {}
            for board in self.boards():
                for shot in board.shots:
                    for local_id in shot.takes:
                        index.setdefault(local_id, board.id)
            self._takes = index
        return self._takes

    def record_of(self, local_id: str) -> TaskRecord | None:
        """A take's task (None when the store does not know it)."""
        try:
            return self.engine.get(local_id)
        except KeyError:
            return None

    def plan(self, board_id: str) -> Plan:
        """What generating the storyboard's missing shots would send, and its price."""
        self.start()
        return plan(
            self.get(board_id),
            self.record_of,
            now=self.clock.time(),
            # The loaded tasks hold every extend that can still end a window early: those
            # made in the last day at least (a video is extendable for a day).
            records=self.engine.loaded_tasks(include_hidden=True),
        )

    def confirmation(self, planned: Plan) -> Confirmation:
        """The one money policy's verdict on sending ``planned`` (balance, daily cap)."""
        return self.confirmation_for(planned.total)

    def confirmation_for(self, total: Decimal) -> Confirmation:
        """The one money policy's verdict on spending ``total`` on this storyboard's takes."""
        cap = SpendingCap.from_settings(self.settings, self.engine, clock=self.clock.time)
        policy = MoneyPolicy(cap, balance=self.engine.last_balance)
        return policy.decide(PaidAction(PaidKind.STORYBOARD, total))

    def take_file(self, shot: Shot) -> Path | None:
        """The video the film uses for ``shot`` (None while it has none)."""
        record = usable_take(shot, self.record_of)
        return Path(record.files[0]) if record is not None else None

    # -- storyboards -----------------------------------------------------------------------

    def create(self, name: str) -> Storyboard:
        """A new, empty storyboard."""
        now = self.clock.time()
        board = Storyboard(name=_name(name), created_at=now, updated_at=now)
        return self._save(board)

    def rename(self, board_id: str, name: str) -> Storyboard:
        return self._save(self.get(board_id).replace(name=_name(name)))

    def duplicate(self, board_id: str) -> Storyboard:
        """A copy with the same shots, takes and trims (the takes are shared, not sent)."""
        board = self.get(board_id)
        now = self.clock.time()
        copy = board.replace(
            id=new_id(),
            name=_name(f"{board.name} (copy)"),
            shots=tuple(s.replace(id=new_id(), sending=None) for s in board.shots),
            created_at=now,
            updated_at=now,
        )
        return self._save(copy)

    def delete(self, board_id: str) -> None:
        """Remove a storyboard (its tasks and videos stay in Tasks)."""
        board = self.get(board_id)
        if any(s.sending is not None for s in board.shots):
            raise StoryboardError("A take of this storyboard is being sent; wait a moment.")
        self.store.delete_storyboard(board_id)
        del self._boards[board_id]
        self._takes = None
        self._notify(board_id)

    def set_crossfade(self, board_id: str, frames: int) -> Storyboard:
        if not 0 <= frames <= MAX_CROSSFADE_FRAMES:
            raise StoryboardError(f"A crossfade lasts 0 to {MAX_CROSSFADE_FRAMES} frames.")
        return self._save(self.get(board_id).replace(crossfade_frames=frames))

    def set_letterbox(self, board_id: str, on: bool) -> Storyboard:
        return self._save(self.get(board_id).replace(letterbox=on))

    # -- shots -----------------------------------------------------------------------------

    def add_shot(
        self,
        board_id: str,
        request: GenerationRequest,
        *,
        start: ShotStart = ShotStart.OWN,
        index: int | None = None,
    ) -> Shot:
        """Add an unsent shot with its own settings (at ``index``; default the end)."""
        shot = Shot(request=request, start=start)
        self._insert(board_id, shot, index)
        return shot

    def add_task_shot(self, board_id: str, task_id: str, *, index: int | None = None) -> Shot:
        """Add a finished task as a shot (its video is the shot's take).

        Raises:
            StoryboardError: no such task, or it has no video.
        """
        record = self.engine.find(task_id.strip()) if task_id.strip() else None
        if record is None:
            raise StoryboardError(f"No task {task_id!r} in this data folder.")
        if record.state is not TaskState.SUCCEEDED:
            raise StoryboardError(
                f"Task {record.short_id} has no video ({record.state.value}); choose a "
                "finished task."
            )
        shot = Shot(takes=(record.local_id,), chosen=record.local_id)
        self._insert(board_id, shot, index)
        return shot

    def move_shot(self, board_id: str, shot_id: str, new_index: int) -> Storyboard:
        """Move a shot to ``new_index`` (clamped to the list)."""
        board = self.get(board_id)
        shots = list(board.shots)
        shot = shots.pop(board.index_of(shot_id))
        shots.insert(max(0, min(new_index, len(shots))), shot)
        return self._save(board.replace(shots=tuple(shots)))

    def duplicate_shot(self, board_id: str, shot_id: str) -> Shot:
        """A copy of the shot right after it: the same recipe, start and trim; a shot from a
        task keeps its take, a shot with its own recipe starts without takes."""
        board = self.get(board_id)
        shot = board.shot(shot_id)
        keep = shot.request is None
        copy = shot.replace(
            id=new_id(),
            takes=shot.takes if keep else (),
            chosen=shot.chosen if keep else None,
            sending=None,
        )
        self._insert(board_id, copy, board.index_of(shot_id) + 1)
        return copy

    def remove_shot(self, board_id: str, shot_id: str) -> Storyboard:
        """Remove a shot (its takes stay in Tasks)."""
        board = self.get(board_id)
        if board.shot(shot_id).sending is not None:
            raise StoryboardError("This shot's take is being sent; wait a moment.")
        return self._save(board.replace(shots=tuple(s for s in board.shots if s.id != shot_id)))

    def set_request(self, board_id: str, shot_id: str, request: GenerationRequest) -> Storyboard:
        """Change a shot's own settings (its takes stay; the next one uses these). Stored
        settings that could not be used are replaced: the shot is no longer blocked by them."""
        problem = self.get(board_id).shot(shot_id).problem
        if problem is not None and problem.field == "settings":
            problem = None
        return self._edit(board_id, shot_id, request=request, problem=problem)

    def set_start(self, board_id: str, shot_id: str, start: ShotStart) -> Storyboard:
        board = self.get(board_id)
        shot = board.shot(shot_id)
        if start is not ShotStart.OWN and board.index_of(shot_id) == 0:
            raise StoryboardError(f"The first shot has no previous shot to {start.value}.")
        if start is not ShotStart.OWN and shot.request is None:
            raise StoryboardError("A shot made from a finished task starts as its video does.")
        problem = shot.problem
        if problem is not None and problem.field == "start":
            problem = None
        return self._edit(board_id, shot_id, start=start, problem=problem)

    def choose_take(self, board_id: str, shot_id: str, local_id: str) -> Storyboard:
        """Pick the take the film uses (one of the shot's takes)."""
        if local_id not in self.get(board_id).shot(shot_id).takes:
            raise StoryboardError("Choose one of the shot's own takes.")
        return self._edit(board_id, shot_id, chosen=local_id)

    def add_take(self, board_id: str, shot_id: str, local_id: str) -> Storyboard:
        """Add a task as another take of the shot (e.g. a variation sent from the window)."""
        if self.record_of(local_id) is None:
            raise StoryboardError(f"No task {local_id!r} in this data folder.")
        board = self.get(board_id)
        return self._save(board.with_shot(board.shot(shot_id).with_take(local_id)))

    def remove_take(self, board_id: str, shot_id: str, local_id: str) -> Storyboard:
        """Take a task off the shot's takes (the task stays in Tasks)."""
        shot = self.get(board_id).shot(shot_id)
        chosen = None if shot.chosen == local_id else shot.chosen
        takes = tuple(t for t in shot.takes if t != local_id)
        return self._edit(board_id, shot_id, takes=takes, chosen=chosen)

    def set_trim(self, board_id: str, shot_id: str, trim: tuple[float, float] | None) -> Storyboard:
        """Set the shot's in and out points (seconds of its chosen take); None: all of it."""
        if trim is not None:
            start, end = float(trim[0]), float(trim[1])
            if not 0 <= start < end:
                raise StoryboardError("The out point must come after the in point.")
            trim = (start, end)
        return self._edit(board_id, shot_id, trim=trim)

    # -- generating and rendering ------------------------------------------------------------

    async def generate_missing(
        self,
        board_id: str,
        *,
        approved: Decimal,
        over_cap: bool = False,
        on_progress: OnGenerateProgress | None = None,
    ) -> GenerateResult:
        """Send the missing shots in dependency order and wait for them (see
        :func:`veo_desktop.storyboard.director.generate_missing`)."""
        from veo_desktop.storyboard.director import generate_missing

        await self.engine.load_all_tasks()  # (in a thread) for the send marks' known takes
        return await generate_missing(
            self, board_id, approved=approved, over_cap=over_cap, on_progress=on_progress
        )

    def takes_problem(self, board_id: str, shot_id: str) -> str | None:
        """Why no take of the shot can be sent now, else None (see
        :func:`veo_desktop.storyboard.takes.takes_problem`)."""
        from veo_desktop.storyboard.takes import takes_problem

        return takes_problem(self, board_id, shot_id)

    async def generate_takes(
        self,
        board_id: str,
        shot_id: str,
        count: int,
        *,
        approved: Decimal,
        over_cap: bool = False,
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Send ``count`` more takes (variations) of a shot; returns (sent local ids,
        problems). See :func:`veo_desktop.storyboard.takes.generate_takes`."""
        from veo_desktop.storyboard.takes import generate_takes

        await self.engine.load_all_tasks()  # (in a thread) for the send marks' known takes
        return await generate_takes(
            self, board_id, shot_id, count, approved=approved, over_cap=over_cap
        )

    async def render(
        self,
        board_id: str,
        output: Path,
        *,
        on_progress: Callable[[float], None] | None = None,
    ) -> FilmReport:
        """Render the chosen takes, trimmed, into one MP4 (see
        :func:`veo_desktop.storyboard.render.render_board`)."""
        from veo_desktop.storyboard.render import render_board

        return await render_board(self, board_id, output, on_progress=on_progress)

    # -- files -----------------------------------------------------------------------------

    def export_json(self, board_id: str) -> str:
        """The storyboard as JSON (the window's export; ``storyboard render`` reads it), with
        every secret redacted (a key pasted into a prompt never reaches the file)."""
        import json

        data = redact_all(storyboard_to_json(self.get(board_id)))
        return json.dumps(data, indent=2, ensure_ascii=False)

    def import_json(self, text: str, *, name: str | None = None, source: str = "") -> Storyboard:
        """Add the storyboard a JSON text describes (new ids; its tasks must be known here).

        Raises:
            StoryboardFileError: every problem with its shot number; nothing was saved.
        """
        board = parse_storyboard(text, self.engine.find, source=source, name=name)
        return self.adopt(board)

    def adopt(self, board: Storyboard) -> Storyboard:
        """Save a storyboard read from a file as a new one of this data folder."""
        now = self.clock.time()
        return self._save(board.replace(name=_name(board.name), created_at=now, updated_at=now))

    def update_from(self, board_id: str, read: Storyboard) -> Storyboard:
        """Keep ``read`` (a storyboard read from a file) as the storyboard ``board_id``.

        When that storyboard exists (the file was used before), each shot whose settings and
        start are unchanged keeps its takes and chosen take (a shot already generated is not
        generated again); the file's trims, order, crossfade and name apply.
        """
        current = self._boards.get(board_id)
        if current is None:
            shots = tuple(shot.replace(id=f"{board_id}-{new_id()[:12]}") for shot in read.shots)
            return self.adopt(read.replace(id=board_id, shots=shots))
        unused = list(current.shots)
        shots_now: list[Shot] = []
        for shot in read.shots:
            same = next(
                (
                    old
                    for old in unused
                    if old.request == shot.request
                    and old.start is shot.start
                    and (shot.request is not None or old.chosen == shot.chosen)
                ),
                None,
            )
            if same is None:
                shots_now.append(shot.replace(id=f"{board_id}-{new_id()[:12]}"))
                continue
            unused.remove(same)
            takes = (*same.takes, *(t for t in shot.takes if t not in same.takes))
            chosen = shot.chosen if shot.chosen is not None else same.chosen
            shots_now.append(same.replace(takes=takes, chosen=chosen, trim=shot.trim))
        if any(old.sending is not None for old in unused):
            raise StoryboardError("A take of a removed shot is being sent; wait a moment.")
        return self._save(
            current.replace(
                name=_name(read.name),
                shots=tuple(shots_now),
                crossfade_frames=read.crossfade_frames,
                letterbox=read.letterbox,
            )
        )

    # -- takes being sent (used by the director) ------------------------------------------------

    def mark_sending(self, board_id: str, shot_id: str, key: str) -> None:
        """Record durably that a take of the shot with request key ``key`` is being sent."""
        has_key = _key_test(key)
        known = tuple(r.local_id for r in self.engine.tasks(include_hidden=True) if has_key(r))
        board = self.get(board_id)
        mark = SendMark(key=key, known=known, at=self.clock.time())
        self._save(board.with_shot(board.shot(shot_id).replace(sending=mark)), durable=True)
        self._sending.setdefault(key, []).append((board_id, shot_id))
        crash_point("storyboard.send_marked")

    def end_sending(self, board_id: str, shot_id: str, key: str, local_id: str | None) -> None:
        """The send is over: link its task (if the callback has not) and clear the mark."""
        waiting = self._sending.get(key, [])
        with contextlib.suppress(ValueError):
            waiting.remove((board_id, shot_id))
        if not waiting:
            self._sending.pop(key, None)
        board = self._boards.get(board_id)
        if board is None:
            return
        try:
            shot = board.shot(shot_id)
        except KeyError:
            return
        if local_id is not None:
            self._link(board_id, shot_id, local_id)
        elif shot.sending is not None:
            self._save(board.with_shot(shot.replace(sending=None)), durable=True)

    # -- inside ----------------------------------------------------------------------------

    def _on_record(self, record: TaskRecord) -> None:
        if record.state is TaskState.SUBMITTING:
            key = payload_key(record.model, record.request)
            waiting = self._sending.get(key)
            if waiting:
                board_id, shot_id = waiting.pop(0)
                if not waiting:
                    self._sending.pop(key, None)
                crash_point("storyboard.row_seen")
                self._link(board_id, shot_id, record.local_id)
                crash_point("storyboard.take_linked")
            return
        for board in list(self._boards.values()):
            for shot in board.shots:
                if record.local_id in shot.takes:
                    if shot.chosen is None and record.state is TaskState.SUCCEEDED and record.files:
                        self._edit(board.id, shot.id, chosen=record.local_id)
                    else:
                        self._notify(board.id)

    def _link(self, board_id: str, shot_id: str, local_id: str) -> None:
        """Link a task to the shot as a take and clear its send mark, durably."""
        board = self._boards.get(board_id)
        if board is None:
            return
        try:
            shot = board.shot(shot_id)
        except KeyError:
            return
        if local_id in shot.takes and shot.sending is None:
            return
        self._save(board.with_shot(shot.with_take(local_id)), durable=True)

    def _reconcile(self) -> None:
        """Resolve send marks a crash left; pick the first finished take where none is."""
        # Every task, read only when a crash left a mark: a take may be days old.
        records: list[TaskRecord] | None = None
        claimed = {t for b in self._boards.values() for s in b.shots for t in s.takes}
        live = {place for places in self._sending.values() for place in places}
        for board in list(self._boards.values()):
            for shot in board.shots:
                mark = shot.sending
                if mark is None or not mark.key or (board.id, shot.id) in live:
                    continue  # none, or one being sent now (its row may not exist yet)
                known = set(mark.known)
                has_key = _key_test(mark.key)
                if records is None:
                    records = self.engine.tasks(include_hidden=True)
                found = [
                    r
                    for r in records
                    if r.local_id not in known
                    and r.local_id not in claimed
                    and r.resubmit_of is None
                    and has_key(r)
                ]
                current = self.get(board.id)
                if found:
                    take = min(found, key=lambda r: r.created_at)
                    claimed.add(take.local_id)
                    log.info("storyboard shot %s: found its take %s", shot.id, take.short_id)
                    self._save(current.with_shot(shot.with_take(take.local_id)), durable=True)
                else:
                    # The row is committed before the POST: no row means nothing was sent.
                    self._save(current.with_shot(shot.replace(sending=None)), durable=True)
        for board in list(self._boards.values()):
            for shot in board.shots:
                if shot.chosen is None and shot.takes:
                    usable = usable_take(shot, self.record_of)
                    if usable is not None:
                        self._edit(board.id, shot.id, chosen=usable.local_id)

    def _insert(self, board_id: str, shot: Shot, index: int | None) -> None:
        board = self.get(board_id)
        shots = list(board.shots)
        shots.insert(len(shots) if index is None else max(0, min(index, len(shots))), shot)
        self._save(board.replace(shots=tuple(shots)))

    def _edit(self, board_id: str, shot_id: str, **changes: object) -> Storyboard:
        board = self.get(board_id)
        shot = board.shot(shot_id)
        return self._save(board.with_shot(shot.replace(**changes)))

    def _save(self, board: Storyboard, *, durable: bool = False) -> Storyboard:
        board = board.replace(updated_at=self.clock.time())
        self.store.save_storyboard(board, durable=durable)
        self._boards[board.id] = board
        self._takes = None
        self._notify(board.id)
        return board

    def _notify(self, board_id: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(board_id)
            except Exception:
                log.exception("a storyboard listener failed")


def _name(name: str) -> str:
    text = " ".join(str(name).split())
    if not text:
        raise StoryboardError("Give the storyboard a name.")
    return text[:NAME_LIMIT]


def _has_key(record: TaskRecord, key: str) -> bool:
    """Whether ``record``'s request has the payload key ``key`` (see :func:`_key_test`)."""
    return _key_test(key)(record)


def _key_test(key: str) -> Callable[[TaskRecord], bool]:
    """A test of whether a record's request has the payload key ``key``: cheap checks first
    (the model, then the prompt read from the key once), so that a library of 100,000 tasks
    is not serialised whole for every shot sent; a record that passes them is compared
    exactly."""
    model, _, body = key.partition("\n")
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    inputs = data.get("input") if isinstance(data, dict) else None
    prompt = inputs.get("prompt") if isinstance(inputs, dict) else None

    def test(record: TaskRecord) -> bool:
        if record.model != model:
            return False
        if prompt is not None and record.input.get("prompt") != prompt:
            return False
        return payload_key(record.model, record.request) == key

    return test
