"""The bridge between the task engine (asyncio, no Qt) and the widgets (Qt signals).

Widgets never touch the engine, the HTTP client or the store: they call this controller's
methods and listen to its signals. Every engine callback arrives on the loop's thread,
which in the app is the Qt main thread (qasync), so signals are emitted directly.

The facade, and the parts it delegates to by job:

- queries (:meth:`EngineController.tasks`, :meth:`~EngineController.get`,
  :meth:`~EngineController.find`, :meth:`~EngineController.extends_of`); the controller is
  a :data:`~veo_desktop.core.history.TaskSource`, so spending is counted over it;
- new paid work: :meth:`~EngineController.submit` (and its quiet form for dialogs),
  batches that come back as a :class:`~veo_desktop.ui.batches.BatchHandle`, and the one
  money question, :meth:`~EngineController.confirm_payment`;
- actions on existing tasks: :class:`~veo_desktop.ui.task_commands.TaskCommands`;
- ids not safely saved yet: :class:`~veo_desktop.ui.id_watch.IdWatch`;
- the jobs widgets start: :class:`~veo_desktop.ui.jobs.JobRegistry`, so nothing is
  garbage-collected mid-flight and :meth:`~EngineController.aclose` cancels what is still
  running when the window closes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from veo_desktop.api.errors import (
    ApiStatusError,
    ApixoConnectionError,
    ApixoError,
    ApixoTimeoutError,
    AuthenticationError,
    SubmissionUncertainError,
)
from veo_desktop.api.models import ExtendRequest, GenerationRequest, RequestInvalidError
from veo_desktop.core import lineage
from veo_desktop.core.batch import (
    BatchItem,
    BatchJournal,
    BatchRunner,
    OnBatchProgress,
    unsent_indexes,
)
from veo_desktop.core.engine import ApiHealth, ApiState, TaskEngine
from veo_desktop.core.settings import Settings
from veo_desktop.core.spending import Confirmation, MoneyPolicy, PaidAction, SpendingCap
from veo_desktop.records.library import LibraryQuery
from veo_desktop.records.summary import TaskSummary
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import safe
from veo_desktop.ui.batches import BatchHandle
from veo_desktop.ui.id_watch import IdAtRisk as IdAtRisk
from veo_desktop.ui.id_watch import IdWatch
from veo_desktop.ui.jobs import JobRegistry
from veo_desktop.ui.library.labels import LibraryLabels
from veo_desktop.ui.task_commands import LOCAL_ERRORS as LOCAL_ERRORS
from veo_desktop.ui.task_commands import NOTHING_SENT as NOTHING_SENT
from veo_desktop.ui.task_commands import TaskCommands, image_index
from veo_desktop.ui.task_commands import blocked_images_message as blocked_images_message
from veo_desktop.ui.task_commands import copy_file as copy_file

if TYPE_CHECKING:
    from veo_desktop.core.history import PromptTable
    from veo_desktop.core.library_import import ImportResult
    from veo_desktop.ui.images import ImageUploader

logger = logging.getLogger(__name__)

T = TypeVar("T")


def is_extend_of(task: TaskRecord, source: TaskRecord) -> bool:
    """Whether ``task`` extends ``source`` (by our parent link, or by APIXO's task id)."""
    return task.is_extend and (
        task.parent_id == source.local_id
        or (
            source.apixo_task_id is not None
            and lineage.source_task_id(task) == source.apixo_task_id
        )
    )


def _health_message(error: ApixoError) -> str:
    if isinstance(error, AuthenticationError):
        return "APIXO does not accept the API key"
    if isinstance(error, ApixoConnectionError | ApixoTimeoutError):
        return "APIXO cannot be reached"
    if isinstance(error, ApiStatusError):
        return f"APIXO answers with errors (HTTP {error.status_code})"
    return "APIXO's answers are not understood"


class EngineController(QObject):
    """Bridges the TaskEngine (asyncio, no Qt) to Qt signals; widgets talk only to this."""

    #: A task was added or changed (a :class:`TaskRecord`).
    task_changed = Signal(object)
    #: Download progress: local id, bytes done, bytes in all (-1 when unknown).
    task_progress = Signal(str, int, int)
    #: The balance on the key (``Decimal``), or ``None`` when it is unknown.
    balance_changed = Signal(object)
    #: Whether APIXO answers, and a short human message.
    api_health_changed = Signal(bool, str)
    #: A submission failed: the field at fault (``""`` for none) and a message to show.
    submit_failed = Signal(str, str)
    #: An action on an existing task failed: a short title and a message to show.
    action_failed = Signal(str, str)
    #: What an action did, in a sentence for the status bar ("Removed 3 tasks and freed
    #: 41 MB.").
    action_done = Signal(str)
    #: Every task of a large library is loaded now (see :meth:`tasks`).
    all_tasks_loaded = Signal()
    #: The accepted tasks whose APIXO id is not safely in the store changed (a tuple of
    #: :class:`IdAtRisk`; empty once the store holds every id again).
    ids_at_risk_changed = Signal(object)

    def __init__(
        self,
        engine: TaskEngine,
        parent: QObject | None = None,
        *,
        images: ImageUploader | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        #: The session's image pipeline: its URL checker checks a request's images right
        #: before the POST, and a URL that fails is dropped from its upload cache.
        self.images = images
        self._registry = JobRegistry(on_failure=self._on_job_failed)
        #: The actions waiting for every task to load (see :meth:`when_all_loaded`).
        self._waiting_for_tasks: set[str] = set()
        #: Ratings, favourites, tags, notes and saved searches (the engine's store).
        self.library = LibraryLabels(engine.library, self)
        self._ids = IdWatch(engine, self.ids_at_risk_changed.emit)
        self._commands = TaskCommands(
            engine,
            failed=self.action_failed.emit,
            api_error=self._report_error,
            check_images=self.check_images,
            refresh_later=self._refresh_later,
        )
        self._health: tuple[bool, str] | None = None
        self._balance: Decimal | None = None
        self._closed = False
        self._unsubscribe = engine.subscribe(self._on_engine_change)
        self._unsubscribe_progress = engine.subscribe_progress(self._on_engine_progress)
        self._unsubscribe_health = engine.subscribe_health(self._on_engine_health)

    # -- state -----------------------------------------------------------------------------

    @property
    def balance(self) -> Decimal | None:
        """The last balance read from APIXO (``None`` until one was read)."""
        return self._balance

    @property
    def api_health(self) -> tuple[bool, str] | None:
        """The last reported (reachable, message), ``None`` before anything was asked."""
        return self._health

    @property
    def quiescent(self) -> bool:
        """Whether the engine only waits on its clock and no job of the widgets runs."""
        return self._engine.quiescent and not self._registry

    # -- queries ---------------------------------------------------------------------------

    def tasks(self, *, include_hidden: bool = False) -> list[TaskRecord]:
        """The tasks loaded (hidden ones, removed or dismissed, on request): a window's
        large library starts with every unfinished task and the newest, and reads the rest
        when something asks (:meth:`all_tasks`, :meth:`when_all_loaded`)."""
        return self._engine.loaded_tasks(include_hidden=include_hidden)

    @property
    def tasks_complete(self) -> bool:
        """Whether :meth:`tasks` holds every task (see :meth:`tasks`)."""
        return self._engine.tasks_complete

    async def all_tasks(self, *, include_hidden: bool = False) -> list[TaskRecord]:
        """:meth:`tasks`, once every task is loaded (for what must see them all)."""
        await self._load_all()
        return self.tasks(include_hidden=include_hidden)

    async def read_older(
        self, before: float, count: int, shelve: Callable[[TaskRecord], T | None]
    ) -> tuple[list[T], list[TaskRecord]]:
        """The ``count`` newest tasks created before ``before`` (and every other one created
        at the moment of the oldest; fewer: the last page), read in a thread and not
        loaded: what ``shelve`` makes of each (a task without its history), and whole the
        ones it makes nothing of (a large library's list shows its older tasks so)."""
        return await self._engine.read_older(before, count, shelve)

    async def count_listed(self) -> int:
        """How many tasks the list shows once every task is loaded (counted in a thread)."""
        return await self._engine.count_listed()

    async def load_matching(self, query: LibraryQuery, before: float = math.inf) -> int:
        """Load the tasks the store's search finds for ``query`` among those created before
        ``before`` (a search or filter over a large library's tasks not listed yet, in a
        thread); returns how many were not loaded before."""
        added = await self._engine.load_matching(query, before)
        if self.tasks_complete:  # (a search the store cannot answer reads every task)
            self.all_tasks_loaded.emit()
        return added

    async def fold_tasks(
        self,
        fold: Callable[[Iterator[TaskSummary]], T],
        since: float = -math.inf,
        until: float = math.inf,
    ) -> T:
        """``fold(tasks)`` over every task created from ``since`` to before ``until`` (hidden
        ones too), without loading a large library whole: its older tasks are read from the
        store's columns and folded in a thread, and not kept (see :meth:`RecordBook.fold`)."""
        return await self._engine.fold_tasks(fold, since, until)

    async def prompts_before(self, until: float) -> PromptTable:
        """Every distinct prompt of the tasks created before ``until``, counted in a thread
        without loading them (a large library's older prompts)."""
        return await self._engine.prompts_before(until)

    @property
    def held_from(self) -> float:
        """:meth:`tasks` holds every task created at or after this (unix seconds; minus
        infinity once :attr:`tasks_complete`), and maybe some older ones."""
        return self._engine.held_from

    async def tasks_naming(self, names: Iterable[str]) -> list[TaskRecord]:
        """Every task (hidden ones too) that may name one of the files ``names``, loaded or
        not (read in a thread, not kept): what a removal must see of a large library."""
        return await self._engine.tasks_naming(names)

    async def cleanup_tasks(self) -> list[TaskRecord]:
        """Every task Clean up must see, loaded or not (read in a thread, not kept; see
        :meth:`TaskEngine.cleanup_tasks`)."""
        return await self._engine.cleanup_tasks()

    async def file_names(self) -> set[str]:
        """Every file name a task lists (hidden ones too), loaded or not."""
        return await self._engine.file_names()

    def loaded_since(self, since: float) -> list[TaskRecord]:
        """The loaded tasks created at or after ``since`` (hidden ones too), in no
        particular order: every one from :attr:`held_from` on."""
        return self._engine.loaded_since(since)

    @property
    def loaded_count(self) -> int:
        """How many tasks :meth:`tasks` holds (hidden ones too)."""
        return self._engine.loaded_count

    async def _load_all(self) -> None:
        if self.tasks_complete:
            return
        await self._engine.load_all_tasks()
        self.all_tasks_loaded.emit()

    def when_all_loaded(
        self,
        then: Callable[[], object],
        *,
        name: str,
        message: str | None = "Reading the rest of your library first…",
        failed: Callable[[], object] | None = None,
    ) -> None:
        """Call ``then`` now if every task is loaded, else once they are (saying
        ``message`` in the status bar; None: nothing): for what must see every task
        (remove, clean up, a search). While one ``name`` waits, asking again under it does
        nothing (one question, however many clicks). ``failed`` is called if the tasks
        cannot be read (the failure is reported as any job's)."""
        if self.tasks_complete:
            then()
            return
        if name in self._waiting_for_tasks:
            return
        self._waiting_for_tasks.add(name)
        if message is not None:
            self.action_done.emit(message)

        async def wait() -> None:
            try:
                await self._load_all()
            except BaseException:
                if failed is not None:
                    failed()
                raise
            finally:
                self._waiting_for_tasks.discard(name)
            then()

        self.run(wait(), name=name)

    def get(self, local_id: str) -> TaskRecord:
        """The task ``local_id`` (``KeyError`` when there is none)."""
        return self._engine.get(local_id)

    def find_id(self, apixo_task_id: str) -> str | None:
        """The local id of the task APIXO knows as ``apixo_task_id``, if this computer has
        it (read from the store if it is not loaded, and not kept)."""
        return self._engine.find_id(apixo_task_id)

    def holds(self, local_id: str) -> bool:
        """Whether the task ``local_id`` is loaded (nothing is read)."""
        return self._engine.holds(local_id)

    def keep(self, task: TaskRecord) -> None:
        """Load ``task``, read from the store by the caller, unless a version of it is."""
        self._engine.keep(task)

    def peek(self, local_id: str) -> TaskRecord | None:
        """The task ``local_id`` (None: there is none), read from the store if it is not
        loaded, and then not kept (to show a row of the list)."""
        return self._engine.peek(local_id)

    def peek_many(self, local_ids: Sequence[str]) -> dict[str, TaskRecord]:
        """The tasks with these local ids (those there are), the ones not loaded read from
        the store in one go and not kept (a selection of the list's rows)."""
        return self._engine.peek_many(local_ids)

    def lookup(self, local_id: str) -> TaskRecord | None:
        """The task ``local_id`` (None: there is none), read and kept if not loaded."""
        try:
            return self._engine.get(local_id)
        except KeyError:
            return None

    def find(self, apixo_task_id: str) -> TaskRecord | None:
        """The task APIXO knows as ``apixo_task_id``, if this computer has it."""
        return self._engine.find(apixo_task_id)

    def extends_of(self, source: TaskRecord) -> list[TaskRecord]:
        """The extends that name ``source`` (hidden ones too: APIXO's refusals among them
        end its window early)."""
        return [t for t in self.tasks(include_hidden=True) if is_extend_of(t, source)]

    def spend_today(self) -> Decimal:
        """What the tasks submitted since local midnight cost."""
        midnight = dt.datetime.combine(dt.date.today(), dt.time())
        return self._engine.spend(midnight.timestamp())

    def store_problem_text(self) -> str | None:
        """Why the store cannot be written now, in words (None when it can)."""
        problem = self._engine.store_problem
        return None if problem is None else safe(str(problem), 300)

    # -- running work ----------------------------------------------------------------------

    @property
    def job_registry(self) -> JobRegistry:
        """Where the jobs of the widgets are kept (tests wait on it)."""
        return self._registry

    @property
    def jobs(self) -> frozenset[asyncio.Task[Any]]:
        """The asyncio tasks this controller started and that are still running."""
        return self._registry.jobs

    def run(self, coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
        """Start ``coro`` on the loop and keep it in the registry until it ends."""
        return self._registry.start(coro, name=name)

    def _on_job_failed(self, name: str, error: BaseException) -> None:
        self.action_failed.emit("Something went wrong", f"{name}: {error}")

    async def aclose(self) -> None:
        """Stop listening to the engine and cancel the work still running."""
        self.close()
        await self._registry.aclose()

    def close(self) -> None:
        """Stop listening to the engine and cancel running work (without waiting)."""
        if not self._closed:
            self._closed = True
            self._unsubscribe()
            self._unsubscribe_progress()
            self._unsubscribe_health()
        self._registry.cancel_all()

    # -- engine callbacks ------------------------------------------------------------------

    def _on_engine_change(self, task: TaskRecord) -> None:
        self.task_changed.emit(task)
        self._ids.check(task)

    def _on_engine_progress(self, local_id: str, done: int, total: int | None) -> None:
        self.task_progress.emit(local_id, done, -1 if total is None else total)

    # -- ids not safely saved --------------------------------------------------------------

    def ids_at_risk(self) -> tuple[IdAtRisk, ...]:
        """The accepted tasks whose APIXO id only the journal or memory holds (oldest first)."""
        return self._ids.ids_at_risk()

    def show_journal_orphans(self) -> None:
        """Report the journal's paid ids that no task takes (call once the engine started)."""
        self._ids.show_journal_orphans()

    def dismiss_journal_orphans(self) -> None:
        """Stop showing them for this session (the journal keeps them)."""
        self._ids.dismiss_journal_orphans()

    # -- the API's health ------------------------------------------------------------------

    def _on_engine_health(self, health: ApiHealth) -> None:
        """Report the API's health as the engine's polls publish it (a typed event).

        The engine publishes it before the task change it comes with; a rejected key
        stays reported until a poll works again.
        """
        if self._engine.problem is not None:  # a refused key (ApiState.KEY_REFUSED)
            self._report_error(self._engine.problem)
            return
        if health.state is ApiState.RETRYING:
            self.report_health(False, health.detail)
        elif health.state is ApiState.OK:
            self.report_health(True, "APIXO answers")

    def report_health(self, reachable: bool, message: str) -> None:
        """Say whether APIXO answers (only changes are emitted)."""
        if self._health != (reachable, message):
            self._health = (reachable, message)
            self.api_health_changed.emit(reachable, message)

    def _report_error(self, error: ApixoError) -> None:
        self.report_health(False, _health_message(error))

    # -- new paid work ---------------------------------------------------------------------

    async def submit(self, request: GenerationRequest | ExtendRequest) -> TaskRecord | None:
        """Submit a new (paid) task; ``None`` after emitting :attr:`submit_failed`.

        Every image URL of a generation request is checked just before the POST, the way
        APIXO will fetch it: one that fails blocks the submit (nothing is sent, nothing is
        charged) with a ``submit_failed`` whose field is ``image_urls[i]``.
        """
        try:
            return await self.submit_quietly(request)
        except RequestInvalidError as error:
            for problem in error.problems:
                self.submit_failed.emit(problem.field, problem.message)
        except ApixoError as error:
            self.submit_failed.emit("", str(error))
        except LOCAL_ERRORS as error:
            self.submit_failed.emit("", f"The task could not be saved on this computer: {error}")
        return None

    async def submit_quietly(self, request: GenerationRequest | ExtendRequest) -> TaskRecord:
        """Submit a new (paid) task for a caller that shows its own errors (a dialog).

        The same path as :meth:`submit` (the images checked right before the POST, the
        API's health reported, the balance refreshed), but nothing is emitted on
        :attr:`submit_failed`, which the composer shows: the typed error is raised instead.

        Raises:
            RequestInvalidError: the request breaks a rule, or an image URL cannot be
                fetched now (field ``image_urls[i]``); nothing was sent.
            SubmissionUncertainError: the answer was lost; it is never sent again.
            ApixoError: APIXO refused it or cannot be reached.
            OSError, StoreError: the task could not be recorded on this computer
                (:data:`LOCAL_ERRORS`).
        """
        try:
            if isinstance(request, GenerationRequest) and request.image_urls:
                await self.check_images(request.validated())
            task = await self._engine.submit(request)
        except SubmissionUncertainError:
            self._refresh_later()
            raise
        except ApixoError as error:
            if not isinstance(error, ApiStatusError) or isinstance(error, AuthenticationError):
                self._report_error(error)
            raise
        except LOCAL_ERRORS:
            logger.exception("Could not record the submission")
            raise
        self.report_health(True, "APIXO answers")
        self._refresh_later()
        return task

    async def check_images(self, request: GenerationRequest) -> None:
        """Check every image URL of ``request`` the way APIXO will fetch it (nothing sent).

        A URL that fails is dropped from the session's upload cache, so the same picture
        is uploaded afresh next time.

        Raises:
            RequestInvalidError: one problem per URL that cannot be fetched now, with the
                field ``image_urls[i]`` (see :func:`blocked_images_message`).
        """
        from veo_desktop.hosting import ensure_images_reachable

        images = self.images
        try:
            await ensure_images_reachable(request, images.checker if images else None)
        except RequestInvalidError as error:
            if images is not None:
                for problem in error.problems:
                    index = image_index(problem.field)
                    if index is not None and index < len(request.image_urls):
                        await images.forget(request.image_urls[index])
            raise

    def start_batch(
        self,
        items: Sequence[BatchItem],
        *,
        journal: Path | None = None,
        source: str = "",
        concurrency: int = 2,
        name: str = "Sending a batch",
    ) -> BatchHandle:
        """Start sending ``items`` (paid: confirm first with :meth:`confirm_payment`)."""

        def runner(on_progress: OnBatchProgress) -> BatchRunner:
            return BatchRunner(
                self._engine,
                items,
                concurrency=concurrency,
                journal=journal,
                source=source,
                on_progress=on_progress,
            )

        return self._start(runner, name)

    def resume_batch(self, journal: Path, *, name: str = "Resuming a batch") -> BatchHandle:
        """Send what the stopped batch recorded in ``journal`` never sent (nothing twice).

        Raises:
            BatchJournalError, ValueError: the journal cannot be read or resumed.
        """

        def runner(on_progress: OnBatchProgress) -> BatchRunner:
            return BatchRunner.resume(self._engine, journal, on_progress=on_progress)

        return self._start(runner, name)

    def _start(self, runner: Callable[[OnBatchProgress], BatchRunner], name: str) -> BatchHandle:
        handle = BatchHandle()
        handle.bind(runner(handle.on_progress))
        handle.attach(self.run(handle.send(), name=name))
        return handle

    def unsent_items(self, journal: BatchJournal) -> list[BatchItem]:
        """The items of ``journal`` that resuming would send."""
        return [journal.items[index] for index in unsent_indexes(journal, self._engine)]

    # -- money -----------------------------------------------------------------------------

    def spending_cap(self, settings: Settings) -> SpendingCap:
        """The daily spending cap ``settings`` set, counted against this engine's tasks."""
        return SpendingCap.from_settings(settings, self._engine)

    def confirm_payment(self, action: PaidAction, cap: SpendingCap | None) -> Confirmation:
        """What to ask before ``action``: the one money policy over ``cap`` and the last
        balance (:func:`veo_desktop.ui.money.pay` asks it)."""
        return MoneyPolicy(cap, balance=self._balance).decide(action)

    def _refresh_later(self) -> None:
        self.run(self.refresh_balance(), name="Refreshing the balance")

    async def refresh_balance(self) -> None:
        """Ask APIXO for the balance; emits :attr:`balance_changed` and the API's health."""
        try:
            balance = await self._engine.balance()
        except ApixoError as error:
            logger.info("Balance not available: %s", error)
            self._balance = None
            self.balance_changed.emit(None)
            self._report_error(error)
            return
        self._balance = balance
        self.balance_changed.emit(balance)
        self.report_health(True, "APIXO answers")

    # -- actions on existing tasks (see TaskCommands) --------------------------------------

    async def resubmit(self, local_id: str) -> TaskRecord | None:
        """Submit ``local_id``'s request again as a new (paid) task, its images checked."""
        return await self._commands.resubmit(local_id)

    def redownload(self, local_id: str) -> TaskRecord | None:
        """Download a task's paid video again; ``None`` after :attr:`action_failed`."""
        return self._commands.redownload(local_id)

    async def check_uncertain(self, local_id: str) -> str:
        """Ask APIXO what it can tell about an uncertain submission; a plain explanation."""
        return await self._commands.check_uncertain(local_id)

    def dismiss(self, local_id: str) -> None:
        """Hide an uncertain task without sending anything."""
        self._commands.dismiss(local_id)

    def remove(self, local_id: str, *, delete_files: bool) -> None:
        """Hide a task from the list; optionally delete its video (and sidecar)."""
        self._commands.remove(local_id, delete_files=delete_files)

    async def import_videos(self, folder: Path) -> ImportResult:
        """Copy the Veo videos of ``folder`` into the library as finished tasks, skipping
        those already there (``core.library_import``).

        Raises:
            OSError: the folder cannot be read, or the library cannot be written.
        """
        from veo_desktop.core.library_import import import_folder_async
        from veo_desktop.film.recipe import read_recipe

        engine = self._engine
        return await import_folder_async(
            folder,
            library_dir=engine.library_dir,
            known=await self.all_tasks(include_hidden=True),
            add=engine.add_finished,
            embedded=read_recipe,
        )

    async def save_copy(
        self, local_id: str, destination: Path, *, embed_recipe: bool = True
    ) -> Path | None:
        """Copy the task's video to ``destination`` (off the GUI thread), with its recipe."""
        return await self._commands.save_copy(local_id, destination, embed_recipe=embed_recipe)
