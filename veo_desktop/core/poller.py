"""The poller: asks APIXO about each running task when it is due, and acts on the answer.

The :class:`~veo_desktop.core.scheduler.PollScheduler` says when; the
:class:`~veo_desktop.core.poll_policy.PollPolicy` says what the answer means (a record
change, the next poll, a download to start, APIXO's health); this module does the I/O in
between: the status request, the commit, the scheduling. No exception drops a task from
polling: an unexpected one is a poll error with backoff, shown on the task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from veo_desktop.api.client import ApixoClient
from veo_desktop.api.errors import ApixoError
from veo_desktop.core.clock import Activity, Clock
from veo_desktop.core.crashpoints import crash_point
from veo_desktop.core.health import ApiHealth, ApiState, OnHealth
from veo_desktop.core.poll_policy import POLLABLE, PollPolicy, PollStep
from veo_desktop.core.record_book import RecordBook, remove_listener
from veo_desktop.core.scheduler import COALESCE, PollScheduler

log = logging.getLogger(__name__)


class Poller:
    """Polls the pollable tasks of ``book`` and applies ``policy``'s steps.

    Args:
        client: the APIXO client.
        book: the records (polls change them through it).
        policy: decides what each answer means.
        clock: time and sleep.
        activity: counts a poll as work in progress.
        max_in_flight: the most status requests at once.
        on_results: called with a task's local id once its videos are ready.
    """

    def __init__(
        self,
        *,
        client: ApixoClient,
        book: RecordBook,
        policy: PollPolicy,
        clock: Clock,
        activity: Activity,
        max_in_flight: int,
        on_results: Callable[[str], None],
    ) -> None:
        self._client = client
        self._book = book
        self._policy = policy
        self._clock = clock
        self._activity = activity
        self._on_results = on_results
        self._scheduler = PollScheduler(
            clock=clock,
            poll=self.poll,
            max_in_flight=max_in_flight,
            coalesce=min(COALESCE, policy.timing.interval_min / 10),
        )
        self._health_subscribers: list[OnHealth] = []
        #: Polls are scheduled (false until the engine resumes its work, and after close).
        self.running = False
        #: What the last poll said about APIXO (None before any).
        self.health: ApiHealth | None = None
        #: A problem every poll runs into (a rejected API key); None when polls work.
        self.problem: ApixoError | None = None

    @property
    def settled(self) -> bool:
        """The scheduler waits and no poll runs."""
        return self._scheduler.settled

    def subscribe_health(self, on_health: OnHealth) -> Callable[[], None]:
        """Call ``on_health(health)`` after each poll that says something about APIXO."""
        self._health_subscribers.append(on_health)
        return lambda: remove_listener(self._health_subscribers, on_health)

    def start(self) -> None:
        self._scheduler.start()

    def schedule(self, local_id: str, at: float) -> None:
        """Poll the task at clock time ``at`` (while running)."""
        if self.running:
            self._scheduler.schedule(local_id, at)

    async def refresh(self, local_id: str) -> None:
        """Poll one task now (a "check now"), unless a poll of it runs already."""
        record = self._book.get(local_id)
        if record.state in POLLABLE and not self._scheduler.is_polling(local_id):
            self._scheduler.cancel(local_id)
            await self.poll(local_id)

    async def aclose(self) -> None:
        self.running = False
        await self._scheduler.aclose()

    async def poll(self, local_id: str) -> None:
        """Ask APIXO about one task and apply what the policy makes of the outcome."""
        record = self._book.lookup(local_id)
        if record is None or record.state not in POLLABLE or record.apixo_task_id is None:
            return
        with self._activity.busy():
            crash_point("poll.before")
            error: Exception | None = None
            try:
                status = await self._client.status(record.apixo_task_id, model=record.model)
            except Exception as caught:  # noqa: BLE001 - no error may stop a task's polls
                error = caught
                now = self._clock.time()
                step = self._policy.after_error(self._book.get(local_id), caught, now)
            else:
                crash_point("poll.answered")
                current = self._book.lookup(local_id)
                if current is None or current.state not in POLLABLE:
                    return
                step = self._policy.after_status(current, status, self._clock.time())
            self._apply(local_id, step, error)

    def _apply(self, local_id: str, step: PollStep, error: Exception | None) -> None:
        short_id = local_id[:8]
        if step.unexpected is not None:
            log.error(
                "poll of %s failed unexpectedly; retrying with backoff",
                short_id,
                exc_info=step.unexpected,
            )
        if step.throttle is not None:
            self._scheduler.set_throttle(step.throttle)
        if step.pause_until is not None:
            self._scheduler.pause_until(step.pause_until)
            log.info(
                "APIXO rate limited the polls; pausing %.1f s (slowdown x%g)",
                step.pause_until - self._clock.time(),
                self._policy.slowdown,
            )
        if step.error_delay is not None:
            log.info(
                "poll of %s failed (%s); next in %.1f s",
                short_id,
                type(error).__name__,
                step.error_delay,
            )
        if step.health is not None:
            self._publish(step.health)
        if step.changes:
            self._book.update(local_id, **step.changes)
        if step.download:
            crash_point("poll.success_committed")
            self._on_results(local_id)
        if step.poll_at is not None:
            self.schedule(local_id, step.poll_at)

    def _publish(self, health: ApiHealth) -> None:
        """Keep ``health`` (before the record changes it comes with) and tell subscribers."""
        self.health = health
        if health.state is ApiState.OK:
            self.problem = None
        elif health.state is ApiState.KEY_REFUSED:
            self.problem = health.error
        for callback in list(self._health_subscribers):
            try:
                callback(health)
            except Exception:
                log.exception("a health subscriber failed")
