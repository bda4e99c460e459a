"""The app's event-loop plumbing: qasync on PySide6 survives what the app does all day."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    ping = Signal(bool)


def test_twenty_thousand_python_signal_emits_do_not_crash(qapp: Any) -> None:
    """PySide6 6.12.0 on Python 3.11 aborts after ~600 emits (bool refcount bug)."""
    emitter = _Emitter()
    seen: list[bool] = []
    emitter.ping.connect(seen.append)
    for index in range(20_000):
        emitter.ping.emit(index % 2 == 0)
    emitter.ping.disconnect(seen.append)
    assert len(seen) == 20_000
    assert seen[:2] == [True, False]


def test_http_requests_run_on_the_qt_event_loop(arun: Any, sim: Any) -> None:
    """A few hundred loopback requests through qasync (each one watches/unwatches a socket)."""

    async def many_requests() -> int:
        async with httpx.AsyncClient() as http:
            answers = await asyncio.gather(
                *(
                    http.get(
                        f"{sim.base_url}/apikeys/current-balance",
                        headers={"Authorization": "Bearer test-key-123"},
                    )
                    for _ in range(200)
                )
            )
        return sum(r.status_code == 200 for r in answers)

    assert arun(many_requests(), timeout=60) == 200
