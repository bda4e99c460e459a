"""The bridge between the task engine (asyncio, no Qt) and the widgets (Qt signals).

Widgets never touch the engine, the HTTP client or the store: they call this controller's
methods and listen to its signals. Every engine callback arrives on the loop's thread,
which in the app is the Qt main thread (qasync), so signals are emitted directly.

Work a person starts (a resubmission, a check, a file copy) runs as an asyncio task kept
in a registry, so nothing is garbage-collected mid-flight and :meth:`aclose` can cancel
what is still running when the window closes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
from collections.abc import Coroutine
from dataclasses import dataclass
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
from veo_desktop.api.models import (
    AnyRequest,
    ExtendRequest,
    GenerationRequest,
    RequestInvalidError,
)
from veo_desktop.core.engine import SLOW_NOTE, TaskEngine
from veo_desktop.core.journal import IdSafety
from veo_desktop.core.settings import Settings
from veo_desktop.core.spending import Confirmation, MoneyPolicy, PaidAction, SpendingCap
from veo_desktop.records.lifecycle import RESUBMITTABLE, TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import safe
from veo_desktop.storage.store import StoreError

if TYPE_CHECKING:
    from veo_desktop.ui.images import ImageUploader

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Ends the message of a submission the image check blocked.
NOTHING_SENT = "Nothing was sent."

#: Failures of our own machine (disk full, store locked) that a person can act on.
_LOCAL_ERRORS = (OSError, StoreError)
#: A task that is gone or in the wrong state for the action (the engine says which).
_TASK_ERRORS = (KeyError, ValueError)
#: States a poll leads to, so a task entering them proves APIXO answered.
_POLLED = frozenset(
    {TaskState.PENDING, TaskState.PROCESSING, TaskState.DOWNLOADING, TaskState.FAILED}
)


@dataclass(frozen=True)
class IdAtRisk:
    """An accepted (paid) task whose APIXO id is not safely in the store."""

    local_id: str
    apixo_task_id: str
    safety: IdSafety
    prompt: str


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
        self.engine = engine
        #: The session's image pipeline: its URL checker checks a request's images right
        #: before the POST, and a URL that fails is dropped from its upload cache.
        self.images = images
        self._jobs: set[asyncio.Task[Any]] = set()
        self._health: tuple[bool, str] | None = None
        self._balance: Decimal | None = None
        self._closed = False
        self._at_risk: dict[str, IdAtRisk] = {}
        self._unsubscribe = engine.subscribe(self._on_engine_change)
        self._unsubscribe_progress = engine.subscribe_progress(self._on_engine_progress)

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
    def jobs(self) -> frozenset[asyncio.Task[Any]]:
        """The asyncio tasks this controller started and that are still running."""
        return frozenset(self._jobs)

    def tasks(self) -> list[TaskRecord]:
        """Every task that is not hidden, as the engine holds them."""
        return self.engine.tasks()

    def get(self, local_id: str) -> TaskRecord:
        return self.engine.get(local_id)

    def spend_today(self) -> Decimal:
        """What the tasks submitted since local midnight cost."""
        midnight = dt.datetime.combine(dt.date.today(), dt.time())
        return self.engine.spend(midnight.timestamp())

    # -- running work ----------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
        """Start ``coro`` on the loop and keep it in the registry until it ends."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._jobs.add(task)
        task.add_done_callback(self._on_job_done)
        return task

    def _on_job_done(self, task: asyncio.Task[Any]) -> None:
        self._jobs.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            logger.error("%s failed", task.get_name(), exc_info=error)
            self.action_failed.emit("Something went wrong", f"{task.get_name()}: {error}")

    async def aclose(self) -> None:
        """Stop listening to the engine and cancel the work still running."""
        self.close()
        pending = [job for job in self._jobs if not job.done()]
        for job in pending:
            job.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    def close(self) -> None:
        """Stop listening to the engine and cancel running work (without waiting)."""
        if not self._closed:
            self._closed = True
            self._unsubscribe()
            self._unsubscribe_progress()
        for job in list(self._jobs):
            job.cancel()

    # -- engine callbacks ------------------------------------------------------------------

    def _on_engine_change(self, task: TaskRecord) -> None:
        self.task_changed.emit(task)
        self._judge_health(task)
        self._check_id(task)

    # -- ids not safely saved --------------------------------------------------------------

    def ids_at_risk(self) -> tuple[IdAtRisk, ...]:
        """The accepted tasks whose APIXO id only the journal or memory holds (oldest first)."""
        return tuple(self._at_risk.values())

    def show_journal_orphans(self) -> None:
        """Report the journal's paid ids that no task takes (call once the engine started)."""
        for entry in self.engine.journal_orphans:
            self._at_risk[f"orphan:{entry.local_id}"] = IdAtRisk(
                entry.local_id, entry.apixo_task_id, IdSafety.ORPHANED, ""
            )
        if self.engine.journal_orphans:
            self.ids_at_risk_changed.emit(self.ids_at_risk())

    def dismiss_journal_orphans(self) -> None:
        """Stop showing them for this session (the journal keeps them)."""
        kept = {k: v for k, v in self._at_risk.items() if v.safety is not IdSafety.ORPHANED}
        if len(kept) != len(self._at_risk):
            self._at_risk = kept
            self.ids_at_risk_changed.emit(self.ids_at_risk())

    def store_problem_text(self) -> str | None:
        """Why the store cannot be written now, in words (None when it can)."""
        problem = self.engine.store_problem
        return None if problem is None else safe(str(problem), 300)

    def _check_id(self, task: TaskRecord) -> None:
        """Follow where ``task``'s APIXO id is kept (the engine notifies every change)."""
        try:
            safety = self.engine.id_safety(task.local_id)
        except KeyError:
            safety = IdSafety.STORED
        before = self._at_risk.get(task.local_id)
        if safety is IdSafety.STORED or task.apixo_task_id is None:
            self._at_risk.pop(task.local_id, None)
        else:
            self._at_risk[task.local_id] = IdAtRisk(
                task.local_id, task.apixo_task_id, safety, task.prompt
            )
        if self._at_risk.get(task.local_id) != before:
            self.ids_at_risk_changed.emit(self.ids_at_risk())

    def _judge_health(self, task: TaskRecord) -> None:
        """Read the API's health from what polls did to a task.

        A poll that failed leaves a note ending in "retrying in ..."; a poll that worked
        clears it (or moves the task on). A rejected key is the engine's ``problem``.
        """
        if self.engine.problem is not None:
            self._report_error(self.engine.problem)
            return
        if task.state not in _POLLED or task.apixo_task_id is None:
            return
        note = task.note or ""
        if "retrying in" in note:
            self.report_health(False, note.split(";")[0].rstrip("."))
        elif not note or note == SLOW_NOTE:
            self.report_health(True, "APIXO answers")

    def _on_engine_progress(self, local_id: str, done: int, total: int | None) -> None:
        self.task_progress.emit(local_id, done, -1 if total is None else total)

    def report_health(self, reachable: bool, message: str) -> None:
        """Say whether APIXO answers (only changes are emitted)."""
        if self._health != (reachable, message):
            self._health = (reachable, message)
            self.api_health_changed.emit(reachable, message)

    def _report_error(self, error: ApixoError) -> None:
        self.report_health(False, _health_message(error))

    # -- actions ---------------------------------------------------------------------------

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
        except _LOCAL_ERRORS as error:
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
            OSError, StoreError: the task could not be recorded on this computer.
        """
        try:
            if isinstance(request, GenerationRequest) and request.image_urls:
                await self.check_images(request.validated())
            task = await self.engine.submit(request)
        except SubmissionUncertainError:
            self._refresh_later()
            raise
        except ApixoError as error:
            if not isinstance(error, ApiStatusError) or isinstance(error, AuthenticationError):
                self._report_error(error)
            raise
        except _LOCAL_ERRORS:
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
                    url = _image_url(request, problem.field)
                    if url is not None:
                        await images.forget(url)
            raise

    def spending_cap(self, settings: Settings) -> SpendingCap:
        """The daily spending cap ``settings`` set, counted against this engine's tasks."""
        return SpendingCap.from_settings(settings, self.engine)

    def confirmation(self, action: PaidAction, cap: SpendingCap | None) -> Confirmation:
        """What to ask before ``action``: the money policy over ``cap`` and the last balance."""
        return MoneyPolicy(cap, balance=self._balance).decide(action)

    def _refresh_later(self) -> None:
        self.run(self.refresh_balance(), name="Refreshing the balance")

    async def refresh_balance(self) -> None:
        """Ask APIXO for the balance; emits :attr:`balance_changed` and the API's health."""
        try:
            balance = await self.engine.balance()
        except ApixoError as error:
            logger.info("Balance not available: %s", error)
            self._balance = None
            self.balance_changed.emit(None)
            self._report_error(error)
            return
        self._balance = balance
        self.balance_changed.emit(balance)
        self.report_health(True, "APIXO answers")

    async def resubmit(self, local_id: str) -> TaskRecord | None:
        """Submit the request of ``local_id`` again as a new (paid) task, as the person chose.

        Its image URLs are checked first, as for any submission: a link that no longer
        works (a presigned URL that expired) blocks it with a message; nothing is sent.
        """
        try:
            old = self.engine.get(local_id)
        except KeyError as error:
            self.action_failed.emit("Could not submit again", str(error))
            return None
        request = old.request_model
        try:
            if (
                old.state in RESUBMITTABLE
                and isinstance(request, GenerationRequest)
                and request.image_urls
            ):
                await self.check_images(request)
            task = await self.engine.resubmit(local_id)
        except RequestInvalidError as error:
            self.action_failed.emit(
                "Could not submit again", blocked_images_message(request, error)
            )
            return None
        except SubmissionUncertainError as error:
            self.action_failed.emit("The new submission is uncertain", str(error))
            self._refresh_later()
            return None
        except (ApixoError, *_TASK_ERRORS) as error:
            if isinstance(error, ApixoError) and not isinstance(error, ApiStatusError):
                self._report_error(error)
            self.action_failed.emit("Could not submit again", str(error))
            return None
        except _LOCAL_ERRORS as error:
            logger.exception("Could not record the resubmission")
            message = f"Not saved on this computer: {error}"
            self.action_failed.emit("Could not submit again", message)
            return None
        self._refresh_later()
        return task

    def redownload(self, local_id: str) -> TaskRecord | None:
        """Download a task's paid video again ("Download again"; nothing is charged).

        ``None`` after emitting :attr:`action_failed` when it cannot (the message says why).
        """
        try:
            return self.engine.redownload(local_id)
        except (*_TASK_ERRORS, *_LOCAL_ERRORS) as error:
            self.action_failed.emit("Could not download again", str(error))
            return None

    async def check_uncertain(self, local_id: str) -> str:
        """Ask APIXO what it can tell about an uncertain submission; a plain explanation."""
        try:
            return await self.engine.check_uncertain(local_id)
        except ApixoError as error:
            self._report_error(error)
            return f"APIXO could not be asked right now: {error}"
        except (*_TASK_ERRORS, *_LOCAL_ERRORS) as error:
            return f"The task could not be checked: {error}"

    def dismiss(self, local_id: str) -> None:
        """Hide an uncertain task without sending anything."""
        try:
            self.engine.dismiss(local_id)
        except (*_TASK_ERRORS, *_LOCAL_ERRORS) as error:
            self.action_failed.emit("Could not dismiss the task", str(error))

    def remove(self, local_id: str, *, delete_files: bool) -> None:
        """Hide a task from the list; optionally delete its video (and sidecar)."""
        try:
            self.engine.remove(local_id, delete_files=delete_files)
        except (*_TASK_ERRORS, *_LOCAL_ERRORS) as error:
            self.action_failed.emit("Could not remove the task", str(error))

    async def save_copy(self, local_id: str, destination: Path) -> Path | None:
        """Copy the task's video to ``destination`` (off the GUI thread)."""
        try:
            task = self.engine.get(local_id)
        except KeyError:
            task = None
        if task is None or not task.files:
            self.action_failed.emit("Nothing to save", "This task has no downloaded video yet.")
            return None
        try:
            return await copy_file(Path(task.files[0]), destination)
        except OSError as error:
            self.action_failed.emit("Could not save the video", f"{destination}: {error}")
            return None


def blocked_images_message(request: AnyRequest, error: RequestInvalidError) -> str:
    """What to tell a person whose submission the image check blocked.

    Each image is named as its slot ("First frame: ..."); ends with "Nothing was sent."
    """
    from veo_desktop.hosting import describe_slot

    kind = request.generation_type if isinstance(request, GenerationRequest) else ""
    parts = []
    for problem in error.problems:
        index = _image_index(problem.field)
        if index is None:
            parts.append(problem.message)
        else:
            parts.append(f"{describe_slot(str(kind), index)}: {problem.message}")
    return " ".join([*parts, NOTHING_SENT])


def _image_index(field: str) -> int | None:
    if not (field.startswith("image_urls[") and field.endswith("]")):
        return None
    index = field[len("image_urls[") : -1]
    return int(index) if index.isdigit() else None


def _image_url(request: GenerationRequest, field: str) -> str | None:
    """The URL a problem's ``image_urls[i]`` field names, if it names one."""
    if not (field.startswith("image_urls[") and field.endswith("]")):
        return None
    index = _image_index(field)
    if index is None or index >= len(request.image_urls):
        return None
    return request.image_urls[index]


async def copy_file(source: Path, destination: Path) -> Path:
    """Copy ``source`` to ``destination`` in a worker thread (via a partial file).

    The copy appears under its name only once complete, so a file manager or a player
    never sees half a video.
    """

    def copy() -> Path:
        if source.resolve() == destination.resolve():
            return destination
        partial = destination.with_name(destination.name + ".part")
        try:
            shutil.copyfile(source, partial)
            partial.replace(destination)
        finally:
            partial.unlink(missing_ok=True)
        return destination

    return await asyncio.to_thread(copy)
