"""Demo mode's constants and its embedded simulator, chosen by the runtime for the window
and the CLI (no lower layer knows the simulator).

A demo runs against the APIXO simulator on loopback: nothing is charged, tasks take
seconds instead of minutes, and everything lives in the demo's own data folder
(:meth:`AppPaths.demo`) so simulated tasks never mix with paid ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from veo_desktop.core.timing import PollTiming

if TYPE_CHECKING:
    from veo_desktop.sim import SimulatorThread as SimulatorThread

#: How long a demo task takes (real ones take 1-3 minutes; the demo keeps it short).
DEMO_DURATION = 25.0
DEMO_CLIP_SECONDS = 4.0
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
