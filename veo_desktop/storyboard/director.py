"""Generating a storyboard's missing shots: once agreed to, sent in dependency order through
the engine, waited for, downloaded.

:func:`generate_missing` checks the whole plan first (nothing is sent when a shot cannot be
made, when the plan costs more than was agreed, when the balance is short, or past the daily
cap unless the person agreed to pass it), then sends every shot that can go now, waits for
takes to finish, and sends the shots that continue or extend them, until nothing is left to
send or wait for. Each shot is sent at most once per run; a take APIXO refused, or whose
submission is uncertain, is reported and not sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from veo_desktop.api.errors import (
    ApixoError,
    AuthenticationError,
    InsufficientBalanceError,
    PermissionDeniedError,
    SubmissionUncertainError,
)
from veo_desktop.api.models import (
    AnyRequest,
    ExtendRequest,
    GenerationType,
    RequestInvalidError,
)
from veo_desktop.core.batch import payload_key
from veo_desktop.core.spending import money
from veo_desktop.hosting.model import HostingError
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.storyboard import ShotStart
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import StoreError
from veo_desktop.storyboard.planner import (
    Plan,
    PlannedShot,
    ShotStatus,
    latest_take,
    usable_take,
)
from veo_desktop.storyboard.service import StoryboardError, StoryboardService

log = logging.getLogger(__name__)

#: How often a wait for takes looks at the engine's problem (a key APIXO refuses).
_PROBLEM_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class GenerateProgress:
    """Where a run of :func:`generate_missing` stands.

    Attributes:
        to_send: shots the run set out to send.
        sent: takes sent so far.
        running: takes being made or downloaded.
        ready: shots whose take is on disk.
        shots: shots in the storyboard.
        message: the latest event, in words.
    """

    to_send: int
    sent: int
    running: int
    ready: int
    shots: int
    message: str = ""


@dataclass(frozen=True)
class GenerateResult:
    """What a run did.

    Attributes:
        sent: the local ids of the takes it sent.
        failures: what went wrong, ``shot N: ...`` (nothing for a clean run).
        plan: the storyboard's plan at the end.
    """

    sent: tuple[str, ...]
    failures: tuple[str, ...]
    plan: Plan

    @property
    def ready(self) -> bool:
        """Whether every shot has its take on disk (the film can be rendered)."""
        return self.plan.ready


OnGenerateProgress = Callable[[GenerateProgress], None]


class _Stop(Exception):
    """Nothing more may be sent (no balance, a refused key, a store that cannot write)."""


async def generate_missing(
    service: StoryboardService,
    board_id: str,
    *,
    approved: Decimal,
    over_cap: bool = False,
    on_progress: OnGenerateProgress | None = None,
) -> GenerateResult:
    """Send the shots the storyboard still needs, in dependency order, and wait for them.

    Args:
        service: the storyboards.
        board_id: which storyboard.
        approved: the total the person agreed to pay (the plan's total when asked).
        over_cap: the person agreed to pass the daily cap.
        on_progress: called after every send and every finished take.

    Raises:
        StoryboardError: nothing was sent, and why (a shot cannot be made, the price is
            above ``approved``, the balance is short, past the cap); or sending stopped
            (the message says what was sent).
        KeyError: no such storyboard.
    """
    run = _Run(service, board_id, on_progress)
    await run.check(approved, over_cap=over_cap)
    return await run.go()


class _Run:
    def __init__(
        self, service: StoryboardService, board_id: str, on_progress: OnGenerateProgress | None
    ) -> None:
        self.service = service
        self.engine = service.engine
        self.board_id = board_id
        self.on_progress = on_progress
        self.first = service.plan(board_id)
        #: The shots the person was asked about: a run sends no other.
        self.confirmed = {s.shot_id for s in self.first.shots if s.status.to_send}
        self.budget = Decimal("0")
        self.spent = Decimal("0")
        self.attempted: set[str] = set()
        self.failures: dict[str, str] = {}
        self.sent: list[str] = []
        self.sent_by_shot: dict[str, str] = {}
        self.stopped: str | None = None
        #: The run was cancelled: a shot not yet sent is not sent.
        self.cancelled = False

    async def check(self, approved: Decimal, *, over_cap: bool) -> None:
        first = self.first
        if first.problems:
            raise StoryboardError(
                "Some shots cannot be made as they are; nothing was sent.\n"
                + "\n".join(f"  {p}" for p in first.problems)
            )
        if first.total > approved:
            raise StoryboardError(
                f"The missing shots cost {money(first.total)}, more than the "
                f"{money(approved)} agreed (the storyboard changed); nothing was sent."
            )
        self.budget = first.total
        if not first.count:
            return
        board = self.service.get(self.board_id)
        continued = [
            s
            for s in first.shots
            if s.status.to_send and board.shots[s.index].start is ShotStart.CONTINUE
        ]
        if continued and self.service.frame_check is not None:
            try:
                await self.service.frame_check()
            except HostingError as error:
                raise StoryboardError(
                    f"Shot {continued[0].index + 1} starts from the previous shot's last frame, "
                    f"which must be uploaded for APIXO: {error} Nothing was sent."
                ) from error
        with contextlib.suppress(ApixoError):
            await self.engine.balance()
        decision = self.service.confirmation(first)
        if decision.short_of_balance:
            raise StoryboardError(f"{decision.balance_text} Nothing was sent.")
        if decision.over_cap and not over_cap:
            raise StoryboardError(f"{decision.cap_text} Nothing was sent.")

    async def go(self) -> GenerateResult:
        while True:
            current = self._plan()
            sendable = [
                s
                for s in current.shots
                if s.status is ShotStatus.SEND
                and s.shot_id in self.confirmed
                and s.shot_id not in self.attempted
                and self.stopped is None
            ]
            if sendable:
                await self._send_all(sendable)
                continue
            running = self._running_takes(current)
            if not running:
                break
            await self._wait_any(running)
        final = self._plan()
        for planned in final.shots:
            local_id = self.sent_by_shot.get(planned.shot_id)
            if planned.status is ShotStatus.READY or local_id is None:
                continue
            if planned.shot_id not in self.failures:
                self.failures[planned.shot_id] = _take_outcome(local_id, self.service)
        failures = [
            f"shot {s.index + 1}: {self.failures[s.shot_id]}"
            for s in final.shots
            if s.shot_id in self.failures
        ]
        failures += [p for p in final.problems if p not in failures]
        if self.stopped is not None:
            failures.append(self.stopped)
        self._emit(final, "Done." if not failures else "Finished with problems.")
        return GenerateResult(tuple(self.sent), tuple(failures), final)

    def _plan(self) -> Plan:
        try:
            return self.service.plan(self.board_id)
        except KeyError:
            raise StoryboardError("The storyboard was deleted; nothing more was sent.") from None

    async def _send_all(self, shots: list[PlannedShot]) -> None:
        jobs = []
        for planned in shots:
            self.attempted.add(planned.shot_id)
            if self.spent + planned.price > self.budget:
                self.failures[planned.shot_id] = "Not sent: it would cost more than was agreed."
                continue
            self.spent += planned.price
            jobs.append(asyncio.ensure_future(self._send(planned)))
        if not jobs:
            return
        try:
            await asyncio.wait(jobs)
        except asyncio.CancelledError:
            # Shots not yet sent stop; submissions in flight are never cut off mid-POST,
            # however often the run is cancelled (closing the window cancels it repeatedly).
            self.cancelled = True
            every = asyncio.gather(*jobs, return_exceptions=True)
            while not every.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(every)
            raise
        for job in jobs:
            error = job.exception()
            if error is not None:
                raise error

    async def _send(self, planned: PlannedShot) -> None:
        try:
            shot = self.service.get(self.board_id).shot(planned.shot_id)
        except KeyError:
            return  # removed meanwhile: nothing to send
        number = planned.index + 1
        try:
            request, parent_id = await self._request(planned)
            request = request.validated()
        except KeyError:
            return  # the shot or its predecessor was removed meanwhile
        except RequestInvalidError as error:
            self.failures[shot.id] = f"Not sent: {error}"
            return
        except (ValueError, OSError, HostingError) as error:
            self.failures[shot.id] = f"Not sent: its first frame could not be made ({error})."
            return
        key = payload_key(request.model.value, request.to_payload())
        # A window's start may still be loading tasks: wait here, where a Stop still stops
        # (once marked, a submission is never cut).
        await self.engine.wait_started()
        if self.cancelled:
            return  # cancelled while its first frame was being made: not sent
        try:
            self.service.mark_sending(self.board_id, shot.id, key)
        except KeyError:
            return  # removed while its first frame was being made
        except StoreError as error:
            self.stopped = f"{error} Nothing more was sent."
            return
        local_id: str | None = None
        try:
            record = await self._uncut(self.engine.submit(request, parent_id=parent_id))
            local_id = record.local_id
            self.sent.append(local_id)
            self.sent_by_shot[shot.id] = local_id
            self._emit(self._plan(), f"Shot {number} sent (task {record.short_id}).")
        except SubmissionUncertainError as error:
            self.failures[shot.id] = f"Uncertain: {error} It is not sent again."
        except (InsufficientBalanceError, AuthenticationError, PermissionDeniedError) as error:
            self.failures[shot.id] = f"Not sent: {error}"
            self.stopped = f"{error} The other shots were not sent."
        except ApixoError as error:
            self.failures[shot.id] = f"APIXO did not take it: {error}"
        except StoreError as error:
            self.failures[shot.id] = f"Not sent: {error}"
            self.stopped = f"{error} Nothing more was sent."
        finally:
            self.service.end_sending(self.board_id, shot.id, key, local_id)

    async def _uncut(self, submission: Awaitable[TaskRecord]) -> TaskRecord:
        """``submission``'s record, never cut mid-POST (the task would be uncertain): a
        cancel waits for APIXO's answer, so the take is linked, and the run stops after."""
        sending = asyncio.ensure_future(submission)
        while True:
            try:
                return await asyncio.shield(sending)
            except asyncio.CancelledError:
                if sending.cancelled():
                    raise
                self.cancelled = True

    async def _request(self, planned: PlannedShot) -> tuple[AnyRequest, str | None]:
        return await shot_request(self.service, self.board_id, planned.shot_id)

    def _running_takes(self, current: Plan) -> list[str]:
        board = self.service.get(self.board_id)
        running: list[str] = []
        for planned in current.shots:
            if planned.status is not ShotStatus.RUNNING:
                continue
            for local_id in board.shots[planned.index].takes:
                record = latest_take(local_id, self.service.record_of)
                if record is not None and record.is_active:
                    running.append(local_id)
        return running

    async def _wait_any(self, local_ids: list[str]) -> None:
        waits = [asyncio.ensure_future(self.engine.wait(i)) for i in local_ids]
        try:
            while True:
                done, _ = await asyncio.wait(
                    waits, timeout=_PROBLEM_CHECK_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if done:
                    break
                problem = self.engine.problem
                if isinstance(problem, AuthenticationError | PermissionDeniedError):
                    raise StoryboardError(
                        f"{problem} The takes already sent are kept; generate again once "
                        "this is fixed."
                    )
        finally:
            for wait in waits:
                wait.cancel()
        self._emit(self._plan(), "A take finished.")

    def _emit(self, current: Plan, message: str) -> None:
        if self.on_progress is None:
            return
        progress = GenerateProgress(
            to_send=self.first.count,
            sent=len(self.sent),
            running=sum(1 for s in current.shots if s.status is ShotStatus.RUNNING),
            ready=sum(1 for s in current.shots if s.status is ShotStatus.READY),
            shots=len(current.shots),
            message=message,
        )
        try:
            self.on_progress(progress)
        except Exception:
            log.exception("a storyboard progress callback failed")


async def shot_request(
    service: StoryboardService, board_id: str, shot_id: str
) -> tuple[AnyRequest, str | None]:
    """The request a shot's next take is sent with, its predecessor's take filled in (the
    last frame uploaded for a continued shot; the source's APIXO id for an extend), and the
    local id of the task it extends.

    Raises:
        ValueError: the shot has no settings of its own, or its predecessor has no video.
        KeyError: no such storyboard or shot.
        HostingError, OSError: the last frame could not be made or uploaded.
    """
    board = service.get(board_id)
    index = board.index_of(shot_id)
    shot = board.shots[index]
    own = shot.request
    if own is None:
        raise ValueError("the shot has no settings of its own")
    if shot.start is ShotStart.OWN or index == 0:
        return own, None
    source = usable_take(board.shots[index - 1], service.record_of)
    if source is None:
        raise ValueError(f"shot {index} has no video yet")
    if shot.start is ShotStart.EXTEND:
        extend = ExtendRequest(
            task_id=str(source.apixo_task_id or ""),
            prompt=own.prompt,
            mode=own.mode,
            seed=own.seed,
            watermark=own.watermark,
            provider=own.provider,
        )
        return extend, source.local_id
    url = await service.frame_url(Path(source.files[0]))
    return own.replace(
        generation_type=GenerationType.FRAMES, image_urls=(url, *own.image_urls)
    ), None


def _take_outcome(local_id: str, service: StoryboardService) -> str:
    """Why a take sent by this run gave the shot no video, in words."""
    record = latest_take(local_id, service.record_of)
    if record is None:
        return "Its take is no longer known."
    why = record.fail_message or record.fail_code or record.note or ""
    state = record.state.value
    if record.state is TaskState.UNCERTAIN:
        return f"Task {record.short_id} is uncertain: {why} It is not sent again."
    return f"Task {record.short_id} {state}" + (f": {why}" if why else ".")
