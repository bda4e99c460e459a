"""The composition root: one place that opens the app's parts and closes them in order.

No Qt here: the command line and the window's session both build on it. Public API::

    from veo_desktop.runtime import (
        Runtime, open_runtime, open_demo_runtime,  # the parts over one httpx.AsyncClient
                                        # (made with the first request)
        open_http,                      # that client's settings
        prepare_local_image,            # the imaging layer's preparation, for hosting
        effective_hosting, image_provider, origin_of, simulator_origin,
    )
    from veo_desktop.runtime.demo import DEMO_KEY, DEMO_TIMING, start_demo_simulator

Modules: :mod:`~veo_desktop.runtime.wiring` (the runtime itself) and
:mod:`~veo_desktop.runtime.demo` (demo mode's simulator and constants: only the runtime and
the app import the simulator).
"""

from __future__ import annotations

from veo_desktop.runtime.wiring import (
    HTTP_TIMEOUT,
    Runtime,
    effective_hosting,
    image_provider,
    open_demo_runtime,
    open_http,
    open_runtime,
    origin_of,
    prepare_local_image,
    simulator_origin,
)

__all__ = [
    "HTTP_TIMEOUT",
    "Runtime",
    "effective_hosting",
    "image_provider",
    "open_demo_runtime",
    "open_http",
    "open_runtime",
    "origin_of",
    "prepare_local_image",
    "simulator_origin",
]
