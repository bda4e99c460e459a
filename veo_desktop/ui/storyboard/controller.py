"""The storyboard tab's one way to the stored storyboards: a Qt face on the session's
:class:`~veo_desktop.storyboard.StoryboardService`.

Widgets never touch the service, the store or the engine: they call this controller, which
passes each change to the service (it saves at once) and turns the service's change
callbacks into Qt signals. Paid work (generating the missing shots) and the film's render
run as jobs of the session's :class:`~veo_desktop.ui.controller.EngineController`, so closing
the window cancels them. A refusal the person can act on (a
:class:`~veo_desktop.storyboard.StoryboardError`, a film problem) reaches them as a message,
never a traceback.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from PySide6.QtCore import QObject, Signal

from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.errors import StoreError
from veo_desktop.film.timeline import FilmError
from veo_desktop.imaging.worker import run_imaging
from veo_desktop.records.storyboard import Shot, ShotStart, Storyboard
from veo_desktop.records.task import TaskRecord
from veo_desktop.storyboard import GenerateResult, StoryboardError
from veo_desktop.ui.storyboard.cards import cards_for
from veo_desktop.ui.storyboard.players_timing import probe_clip
from veo_desktop.ui.storyboard.shot_model import ShotCard

if TYPE_CHECKING:
    from veo_desktop.film.render import FilmReport
    from veo_desktop.storyboard import Plan, StoryboardService
    from veo_desktop.ui.controller import EngineController
    from veo_desktop.ui.session import Session

T = TypeVar("T")

#: The name a first storyboard gets when a shot is added before any exists.
FIRST_NAME = "My film"


_F = TypeVar("_F", bound=Callable[..., Any])


def _saved(method: _F) -> _F:
    """``method`` with a store that cannot be written (disk full, locked, read-only) told as
    a :class:`StoryboardError` (what the tab shows in words) instead of a crash."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except StoreError as error:
            raise StoryboardError(f"The storyboard could not be saved: {error}") from error

    return cast(_F, wrapper)


class StoryboardController(QObject):
    """Storyboards for the widgets (see the module docstring).

    Args:
        service: returns the session's storyboard service.
        engine: the session's engine controller (tasks, jobs, balance, the money policy).

    Signals:
        board_changed: a storyboard's shots or takes changed (its id).
        boards_changed: a storyboard was added, renamed or deleted.
        progress_changed: a take's download moved on (its local id).
    """

    board_changed = Signal(str)
    boards_changed = Signal()
    progress_changed = Signal(str)

    def __init__(
        self,
        service: Callable[[], StoryboardService],
        engine: EngineController,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._get_service = service
        self.engine = engine
        self._progress: dict[str, tuple[int, int | None]] = {}
        self._unsubscribe: Callable[[], None] | None = service().subscribe(self._on_service_change)
        engine.task_progress.connect(self.on_engine_task_progress)

    @classmethod
    def for_session(cls, session: Session, parent: QObject | None = None) -> StoryboardController:
        """The storyboards of ``session``'s runtime (asked for at each use: the service
        starts following the engine at the first use after the engine started)."""
        return cls(lambda: session.runtime.storyboards, session.controller, parent)

    @property
    def _service(self) -> StoryboardService:
        return self._get_service()

    def close(self) -> None:
        """Stop listening to the service and the engine (the session closes)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
            self.engine.task_progress.disconnect(self.on_engine_task_progress)

    def _on_service_change(self, board_id: str) -> None:
        self.board_changed.emit(board_id)

    def on_engine_task_progress(self, local_id: str, done: int, total: int) -> None:
        self._progress[local_id] = (done, None if total < 0 else total)
        self.progress_changed.emit(local_id)

    # -- storyboards ----------------------------------------------------------------------

    def boards(self) -> list[Storyboard]:
        return self._service.boards()

    def board(self, board_id: str) -> Storyboard:
        return self._service.get(board_id)

    @_saved
    def create(self, name: str) -> Storyboard:
        board = self._service.create(name)
        self.boards_changed.emit()
        return board

    @_saved
    def rename(self, board_id: str, name: str) -> None:
        self._service.rename(board_id, name)
        self.boards_changed.emit()

    @_saved
    def duplicate(self, board_id: str) -> Storyboard:
        board = self._service.duplicate(board_id)
        self.boards_changed.emit()
        return board

    @_saved
    def delete(self, board_id: str) -> None:
        self._service.delete(board_id)
        self.boards_changed.emit()

    @_saved
    def set_crossfade(self, board_id: str, frames: int) -> None:
        self._service.set_crossfade(board_id, frames)

    @_saved
    def set_letterbox(self, board_id: str, on: bool) -> None:
        self._service.set_letterbox(board_id, on)

    def export_json(self, board_id: str) -> str:
        return self._service.export_json(board_id)

    @_saved
    def import_json(self, text: str, source: str = "") -> Storyboard:
        board = self._service.import_json(text, source=source)
        self.boards_changed.emit()
        return board

    # -- shots ----------------------------------------------------------------------------

    @_saved
    def add_request(
        self, board_id: str, request: GenerationRequest, *, index: int | None = None
    ) -> Shot:
        """Add an unsent shot made from ``request`` (at ``index``; default: the end)."""
        return self._service.add_shot(board_id, request, index=index)

    @_saved
    def add_task(self, board_id: str, local_id: str, *, index: int | None = None) -> Shot:
        """Add a shot made from the finished task ``local_id``."""
        return self._service.add_task_shot(board_id, local_id, index=index)

    @_saved
    def move(self, board_id: str, shot_id: str, index: int) -> None:
        self._service.move_shot(board_id, shot_id, index)

    @_saved
    def duplicate_shot(self, board_id: str, shot_id: str) -> Shot:
        return self._service.duplicate_shot(board_id, shot_id)

    @_saved
    def remove_shot(self, board_id: str, shot_id: str) -> None:
        self._service.remove_shot(board_id, shot_id)

    @_saved
    def set_request(self, board_id: str, shot_id: str, request: GenerationRequest) -> None:
        """Give the shot these settings (a blocked shot's stored ones are replaced)."""
        self._service.set_request(board_id, shot_id, request)

    @_saved
    def set_start(self, board_id: str, shot_id: str, start: ShotStart) -> None:
        self._service.set_start(board_id, shot_id, start)

    @_saved
    def choose_take(self, board_id: str, shot_id: str, local_id: str) -> None:
        self._service.choose_take(board_id, shot_id, local_id)

    @_saved
    def set_trim(self, board_id: str, shot_id: str, trim: tuple[float, float] | None) -> None:
        self._service.set_trim(board_id, shot_id, trim)

    @_saved
    def add_take(self, board_id: str, shot_id: str, local_id: str) -> None:
        """Make the task ``local_id`` one more take of the shot."""
        self._service.add_take(board_id, shot_id, local_id)

    # -- what the widgets show ------------------------------------------------------------

    def task(self, local_id: str) -> TaskRecord | None:
        try:
            return self.engine.get(local_id)
        except KeyError:
            return None

    def takes(self, shot: Shot) -> list[TaskRecord]:
        """The shot's takes this computer has, oldest first."""
        return [task for local_id in shot.takes if (task := self.task(local_id)) is not None]

    def cards(self, board: Storyboard) -> list[ShotCard]:
        return cards_for(board, self.task, self._progress)

    def title_of(self, task: TaskRecord) -> str | None:
        """The name of the storyboard ``task`` is a take of (None: it is in none)."""
        board = self._service.board_of(task.local_id)
        return board.name if board is not None else None

    def takes_in(self, board: Storyboard) -> set[str]:
        return {local_id for shot in board.shots for local_id in shot.takes}

    # -- paid work and the film -----------------------------------------------------------

    def plan(self, board_id: str) -> Plan:
        """Exactly what "Generate missing shots" would send now, with each price."""
        return self._service.plan(board_id)

    def generate(
        self,
        board_id: str,
        *,
        approved: Decimal,
        over_cap: bool,
        on_progress: Callable[[Any], None] | None = None,
    ) -> asyncio.Task[GenerateResult | Exception]:
        """Send the missing shots (approved up to ``approved``) as a job of the session; a
        refusal (nothing more sent) is the job's result, not its failure."""
        run = self._service.generate_missing(
            board_id, approved=approved, over_cap=over_cap, on_progress=on_progress
        )
        return self.engine.run(
            _refusal_as_result(run, StoryboardError),
            name="Generating the storyboard's missing shots",
        )

    def takes_problem(self, board_id: str, shot_id: str) -> str | None:
        """Why "More takes…" of the shot would send nothing now (asked before its price),
        else None."""
        return self._service.takes_problem(board_id, shot_id)

    def more_takes(
        self,
        board_id: str,
        shot_id: str,
        count: int,
        *,
        approved: Decimal,
        over_cap: bool,
    ) -> asyncio.Task[tuple[tuple[str, ...], tuple[str, ...]] | Exception]:
        """Send ``count`` more takes of a shot (approved up to ``approved``) as a job of the
        session, through the service's durable way (each take marked on the shot before its
        POST, linked the moment its row exists): the job's result is (the takes sent, what
        went wrong), or the refusal (nothing sent)."""
        run = self._service.generate_takes(
            board_id, shot_id, count, approved=approved, over_cap=over_cap
        )
        return self.engine.run(
            _refusal_as_result(run, StoryboardError, StoreError, KeyError),
            name="Sending more takes of a shot",
        )

    async def mixed_shapes(self, board_id: str) -> bool:
        """Whether the chosen takes of ``board_id`` are not all of one shape (aspect ratio),
        while the storyboard does not letterbox them: the film would be refused."""
        board = self.board(board_id)
        if board.letterbox:
            return False
        paths = [path for shot in board.shots if (path := self._service.take_file(shot))]
        ratios = set()
        for path in paths:
            try:
                timing = await run_imaging(probe_clip, path)
            except (OSError, ValueError):
                continue
            ratios.add(round(timing.width / max(1, timing.height), 2))
        return len(ratios) > 1

    def render(
        self, board_id: str, output: Path, *, on_progress: Callable[[float], None] | None = None
    ) -> asyncio.Task[FilmReport | Exception]:
        """Render the film to ``output`` as a job of the session (cancel: cancel the job); a
        refusal or a write failure is the job's result, not its failure."""
        return self.engine.run(
            _refusal_as_result(
                self._service.render(board_id, output, on_progress=on_progress),
                FilmError,
                StoryboardError,
                OSError,
            ),
            name="Rendering the storyboard's film",
        )


async def _refusal_as_result(
    work: Coroutine[Any, Any, T], *refusals: type[Exception]
) -> T | Exception:
    """``work``'s result, or the refusal it raised (one of ``refusals``) as the result, so the
    session's job registry does not report a refusal the tab shows itself as a failure."""
    try:
        return await work
    except refusals as refusal:
        return refusal
