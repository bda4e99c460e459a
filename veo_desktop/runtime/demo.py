"""Demo mode's constants and its embedded simulator, chosen by the runtime for the window
and the CLI (no lower layer knows the simulator).

A demo runs against the APIXO simulator on loopback: nothing is charged, tasks take
seconds instead of minutes, and everything lives in the demo's own data folder
(:meth:`AppPaths.demo`) so simulated tasks never mix with paid ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from veo_desktop.core.spending import spend_between
from veo_desktop.core.timing import PollTiming

if TYPE_CHECKING:
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.sim import SimulatorThread as SimulatorThread

#: How long a demo task takes (real ones take 1-3 minutes; the demo keeps it short).
DEMO_DURATION = 25.0
DEMO_CLIP_SECONDS = 4.0
#: What the demo's key holds before its first task; each task the demo's store holds as
#: charged is taken from it at every start (:func:`demo_balance`).
DEMO_BALANCE = 100.0
DEMO_KEY = "demo-key"
#: Demo polling: the simulator finishes in seconds, so the first check comes early.
DEMO_TIMING = PollTiming(
    first_poll_fast=6.0,
    first_poll_quality=8.0,
    interval_min=2.0,
    interval_max=4.0,
    slow_after=120.0,
    slow_interval=10.0,
)


def start_demo_simulator(*, duration: float = DEMO_DURATION) -> SimulatorThread:
    """Start the embedded simulator (stop it with ``.stop()``); its files are temporary."""
    from veo_desktop.sim import SimulatorThread as SimulatorThread

    simulator = SimulatorThread(
        api_key=DEMO_KEY,
        duration=duration,
        balance=DEMO_BALANCE,
        clip_seconds=DEMO_CLIP_SECONDS,
    )
    simulator.start()
    return simulator


def demo_balance(records: Iterable[TaskRecord]) -> Decimal:
    """The demo key's balance: :data:`DEMO_BALANCE` less what the demo's charged tasks cost.

    A new simulator starts with every run of the window or a command; seeded with this,
    the balance agrees with the demo's spending ("Today $1.40" beside "Balance $98.60")
    after a restart, in the window and on the command line. Never below zero.
    """
    spent = spend_between(records, since=0).charged
    return max(Decimal(str(DEMO_BALANCE)) - spent, Decimal(0))
