"""The APIXO simulator: a real HTTP server speaking APIXO's Veo 3.1 API on loopback.

Used by demo mode and by the tests. It is faithful to the published contract
(``shared/apixo/veo-3-1-page.txt``): the same JSON shapes, states and errors, real H.264 clips,
and scriptable faults (:class:`Fault`) for what the real service and the network do wrong.

Public API::

    from veo_desktop.sim import Simulator, SimulatorThread, Fault, RequestRecord, TaskInfo

Names are loaded on first use, so the render worker (which imports this package) does not pay
for aiohttp. Nothing here imports PySide6; only the worker process does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from veo_desktop.lazy import lazy_exports

if TYPE_CHECKING:
    from veo_desktop.sim.faults import Fault
    from veo_desktop.sim.records import RequestRecord
    from veo_desktop.sim.server import Simulator
    from veo_desktop.sim.tasks import TaskInfo
    from veo_desktop.sim.thread import SimulatorThread

__all__ = [
    "RENDER_WORKER_FLAG",
    "Fault",
    "RequestRecord",
    "Simulator",
    "SimulatorThread",
    "TaskInfo",
]

#: In a frozen app (PyInstaller) there is no ``python -m``: the app's entry point must run
#: :func:`veo_desktop.sim.render.main` when its first argument is this flag. It lives here,
#: not in the renderer, so the entry point can check for it without loading asyncio.
RENDER_WORKER_FLAG = "--sim-render-worker"

_HOMES = {
    "Fault": "veo_desktop.sim.faults",
    "RequestRecord": "veo_desktop.sim.records",
    "Simulator": "veo_desktop.sim.server",
    "TaskInfo": "veo_desktop.sim.tasks",
    "SimulatorThread": "veo_desktop.sim.thread",
}


if not TYPE_CHECKING:  # (mypy reads the imports above: a name not there is an error)
    __getattr__ = lazy_exports(__name__, _HOMES)
