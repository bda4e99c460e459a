"""One poll scheduler for every task: a heap of due times, a limit on polls in flight.

The scheduler knows nothing about APIXO: it calls ``poll(key)`` when a key is due, at most
``max_in_flight`` at once, and never while a global pause (after a 429) lasts. The poll
function decides when the key is due next by calling :meth:`PollScheduler.schedule`.

No exception drops a key: when a poll raises (a bug, or an error nobody expected) and has
not scheduled its key again, the scheduler does, 1 s after the first such failure in a row,
doubling up to :data:`MAX_SLEEP`.

With ``coalesce`` the runner wakes only on a grid of that many seconds (never before a key is
due): the polls due within one step start together. Each lone poll pays its own loop
wake-up, ``epoll`` calls and idle-connection checks; 500 tasks polled every 5-10 s cost
about 1.5x a bare GET each when spread out; on a 0.5 s grid the engine's CPU per poll
fell a further 15% against a 0.1 s grid (2.15-2.47 ms against 2.73-2.78 ms, alternating
runs of tests/benchmarks/test_core_load.py). A task is polled as often as before, at most
one step later (half a second, against polls 5-10 s apart).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from veo_desktop.api.retry import Backoff
from veo_desktop.core.clock import Clock

log = logging.getLogger(__name__)

#: The runner re-checks the heap at least this often (wall-clock jumps self-correct).
MAX_SLEEP = 300.0
#: How long closing waits for cancelled work to end before giving up on it.
STOP_WAIT = 5.0
#: When a poll that raised is polled again: 1 s, doubling up to ``MAX_SLEEP``.
ERROR_BACKOFF = Backoff(initial=1.0, max_delay=MAX_SLEEP)
#: The engine's wake-up grid (seconds), at most a tenth of the shortest poll interval.
COALESCE = 0.5
#: A due time this close past a grid point (in grid steps) counts as on it (float error).
_GRID_SLACK = 1e-3


class PollScheduler:
    """Runs ``poll(key)`` for each key when it is due.

    Args:
        clock: time and sleep (a fake one in tests).
        poll: the coroutine run for a due key; its exceptions are logged, never raised,
            and the key is polled again later (see the module docs).
        max_in_flight: the most polls running at once.
        coalesce: wake only on a grid of this many seconds (0: at each due time).
    """

    def __init__(
        self,
        *,
        clock: Clock,
        poll: Callable[[str], Awaitable[None]],
        max_in_flight: int = 8,
        coalesce: float = 0.0,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.coalesce = max(0.0, coalesce)
        self._clock = clock
        self._poll = poll
        self.max_in_flight = max_in_flight
        self._heap: list[tuple[float, int, str]] = []
        self._due: dict[str, tuple[float, int]] = {}
        self._seq = 0
        self._running: dict[str, asyncio.Task[None]] = {}
        self._paused_until = 0.0
        self._throttle = 1.0
        self._changed = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._waiting = False
        #: When the waiting runner wakes by itself (inf: only on a change; -inf: not waiting).
        self._sleeping_until = -math.inf
        #: Polls that raised in a row, by key.
        self._errors: dict[str, int] = {}

    # -- what callers use ----------------------------------------------------------------

    def schedule(self, key: str, at: float) -> None:
        """Poll ``key`` at clock time ``at`` (replacing an earlier due time for it)."""
        self._seq += 1
        self._due[key] = (at, self._seq)
        heapq.heappush(self._heap, (at, self._seq, key))
        if at < self._sleeping_until:  # else the runner's own wake-up comes first
            self._changed.set()

    def cancel(self, key: str) -> None:
        """Forget ``key``'s due time (a poll already running finishes)."""
        self._due.pop(key, None)

    def due_at(self, key: str) -> float | None:
        entry = self._due.get(key)
        return None if entry is None else entry[0]

    def pause_until(self, at: float) -> None:
        """Start no poll before ``at`` (a global pause, e.g. after a 429)."""
        if at > self._paused_until:
            self._paused_until = at
            self._changed.set()

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def set_throttle(self, factor: float) -> None:
        """Divide the in-flight limit by ``factor`` (>= 1) while APIXO rate-limits us."""
        self._throttle = max(1.0, factor)
        self._changed.set()

    @property
    def limit(self) -> int:
        """The in-flight limit in effect."""
        return max(1, math.floor(self.max_in_flight / self._throttle))

    @property
    def in_flight(self) -> int:
        return len(self._running)

    @property
    def scheduled(self) -> int:
        return len(self._due)

    def is_polling(self, key: str) -> bool:
        return key in self._running

    @property
    def settled(self) -> bool:
        """The runner is waiting and no poll runs (tests advance a fake clock then)."""
        return self._waiting and not self._running and not self._changed.is_set()

    def start(self) -> None:
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(
                self._run(), name="poll-scheduler"
            )

    async def aclose(self) -> None:
        """Stop the runner and cancel polls in flight (waiting at most ``STOP_WAIT`` s)."""
        tasks = [t for t in (self._runner, *self._running.values()) if t is not None]
        await cancel_and_wait(tasks, "poll")
        self._runner = None
        self._running.clear()

    # -- the runner ----------------------------------------------------------------------

    def _pop_due(self, now: float) -> str | None:
        while self._heap:
            at, seq, key = self._heap[0]
            current = self._due.get(key)
            if current is None or current[1] != seq:
                heapq.heappop(self._heap)  # stale entry
                continue
            if at > now or key in self._running:
                return None
            heapq.heappop(self._heap)
            del self._due[key]
            return key
        return None

    def _next_due(self) -> float | None:
        while self._heap:
            at, seq, key = self._heap[0]
            current = self._due.get(key)
            if current is None or current[1] != seq:
                heapq.heappop(self._heap)
                continue
            return at
        return None

    async def _run(self) -> None:
        while True:
            self._changed.clear()
            now = self._clock.time()
            if now >= self._paused_until and len(self._running) < self.limit:
                key = self._pop_due(now)
                if key is not None:
                    self._launch(key)
                    continue
            await self._wait(self._wait_seconds(now))

    def _wait_seconds(self, now: float) -> float | None:
        """How long nothing can start (None: until something changes)."""
        if len(self._running) >= self.limit:
            return None
        due = self._next_due()
        if due is None:
            return None
        start = max(due, self._paused_until)
        if self._heap and self._heap[0][2] in self._running and start <= now:
            return None  # the earliest key is still being polled; its end wakes us
        if start <= now:
            return 0.0
        return min(MAX_SLEEP, max(0.0, self._on_grid(start) - now))

    def _on_grid(self, at: float) -> float:
        """The first grid time at or after ``at`` (``at`` itself without a grid)."""
        step = self.coalesce
        if step <= 0:
            return at
        return max(at, math.ceil(at / step - _GRID_SLACK) * step)

    async def _wait(self, seconds: float | None) -> None:
        if seconds == 0:
            await asyncio.sleep(0)
            return
        self._waiting = True
        self._sleeping_until = math.inf if seconds is None else self._clock.time() + seconds
        waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(self._changed.wait())}
        if seconds is not None:
            waiters.add(asyncio.ensure_future(self._clock.sleep(seconds)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._waiting = False
            self._sleeping_until = -math.inf
            for waiter in waiters:
                waiter.cancel()
            # Let the waiters end. gather() takes their CancelledErrors as results, but
            # re-raises a cancellation of this task itself (aclose) that arrives meanwhile;
            # suppressing CancelledError around each ``await waiter`` swallowed it, and the
            # runner went back to waiting until STOP_WAIT gave up on it.
            ended = await asyncio.gather(*waiters, return_exceptions=True)
        for outcome in ended:
            if isinstance(outcome, Exception):  # a broken clock: not to be spun on
                raise outcome

    def _launch(self, key: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run_poll(key), name=f"poll-{key[:8]}")
        self._running[key] = task

    async def _run_poll(self, key: str) -> None:
        try:
            await self._poll(key)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - logged, and the key polled again
            self._after_error(key, error)
        else:
            self._errors.pop(key, None)
        finally:
            self._running.pop(key, None)
            if self._sleeping_until == math.inf:  # the runner waits for a poll to end
                self._changed.set()

    def _after_error(self, key: str, error: Exception) -> None:
        """Log a poll that raised and, unless it already did, schedule its key again."""
        failures = self._errors[key] = self._errors.get(key, 0) + 1
        if failures == 1:
            log.error("poll of %s failed unexpectedly", key, exc_info=error)
        else:
            log.warning("poll of %s failed unexpectedly again (%s)", key, type(error).__name__)
        if key not in self._due:
            self.schedule(key, self._clock.time() + ERROR_BACKOFF.delay(failures))


async def cancel_and_wait(tasks: list[asyncio.Task[None]], what: str) -> None:
    """Cancel ``tasks`` and wait for them to end, at most ``STOP_WAIT`` seconds."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=STOP_WAIT)
    if pending:
        log.warning("%d %s task(s) did not stop within %.0f s", len(pending), what, STOP_WAIT)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("a %s task ended with %r", what, task.exception())
