"""The request log a test reads to see what the app actually sent."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RequestRecord:
    """One request the simulator received (APIXO endpoints and media; not ``/sim/``).

    Attributes:
        method: HTTP method.
        path: URL path, e.g. ``/api/v1/generateTask/veo-3-1``.
        query: query parameters (last value wins).
        body: the parsed JSON body, the raw text when it is not JSON, None when empty.
        key_ok: the request carried an accepted ``Authorization: Bearer`` key. The key itself
            is never stored.
        time: arrival, Unix seconds.
        endpoint: ``submit``, ``status``, ``balance``, ``media``, ``extend_submit``,
            ``extend_status``, or None for an unknown path.
        status: the HTTP status answered; None while the answer is pending, or when the
            connection was closed without one (a ``reset`` fault).
        fault: the kind of the fault applied to this request, if any.
        task_id: the task this request created (submits only), even when a fault hid it.
    """

    method: str
    path: str
    query: dict[str, str]
    body: Any
    key_ok: bool
    time: float
    endpoint: str | None
    status: int | None
    fault: str | None
    task_id: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
