"""One request as the simulator sees it, and the answers its parts share.

Every APIXO and media request gets an :class:`Exchange` (what the request log keeps); the
gateway makes it current for the handlers, which read the fault it carries. APIXO's error
envelope (:class:`ApiError`, :func:`api_error_response`) and the JSON helpers live here so the
API routes, the media routes and the gateway answer alike.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web

from veo_desktop.sim.contract import error_envelope
from veo_desktop.sim.faults import Endpoint, Fault
from veo_desktop.sim.records import RequestRecord

API_PREFIX: Final = "/api/v1"
CONTROL_PREFIX: Final = "/sim/"

#: Route names (as the API and media routes register them) and the fault endpoint of each.
ROUTE_ENDPOINTS: Final[dict[str, Endpoint]] = {
    "submit": "submit",
    "status": "status",
    "extend_submit": "extend_submit",
    "extend_status": "extend_status",
    "balance": "balance",
    "media": "media",
    "media_file": "media",
}


class ApiError(Exception):
    """An APIXO error answer (the documented envelope) raised from a handler."""

    def __init__(self, status: int, message: str, detail: str | None) -> None:
        super().__init__(detail or message)
        self.status = status
        self.message = message
        self.detail = detail


@dataclass
class Exchange:
    """One request as the gateway and the handlers see it; the request log keeps these."""

    method: str
    path: str
    query: dict[str, str]
    time: float
    endpoint: Endpoint | None
    key_ok: bool
    body: Any = None
    raw_body: bytes = b""
    fault: Fault | None = None
    created_task_id: str | None = None
    status: int | None = None
    reset: bool = False

    def record(self) -> RequestRecord:
        return RequestRecord(
            method=self.method,
            path=self.path,
            query=dict(self.query),
            body=self.body,
            key_ok=self.key_ok,
            time=self.time,
            endpoint=self.endpoint,
            status=None if self.reset else self.status,
            fault=self.fault.kind if self.fault else None,
            task_id=self.created_task_id,
        )


_current: contextvars.ContextVar[Exchange] = contextvars.ContextVar("sim_exchange")


def begin_exchange(exchange: Exchange) -> None:
    """Make ``exchange`` the current one for this request's handler."""
    _current.set(exchange)


def current_exchange() -> Exchange:
    """The exchange of the request being handled (the gateway began it)."""
    return _current.get()


def current_exchange_or_none() -> Exchange | None:
    return _current.get(None)


def json_body(request: web.Request) -> Any:
    """The request's JSON body, or the 400 APIXO answers for a body that is not JSON."""
    if request.content_type != "application/json":
        raise ApiError(400, "Invalid request", "Content-Type must be application/json")
    exchange = current_exchange()
    try:
        return json.loads(exchange.raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "Invalid request", "Request body must be valid JSON") from exc


def parse_body(raw: bytes) -> Any:
    """What the request log shows of a body: its JSON, else its text, None when empty."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def json_answer(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status)


def raw_json(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json")


def api_error_response(
    status: int, message: str, detail: str | None, headers: Mapping[str, str] | None = None
) -> web.Response:
    body = error_envelope(status, message, detail)
    return web.json_response(body, status=status, headers=headers)


def reason(status: int) -> str:
    """The standard reason phrase of ``status`` (``Error`` for a code HTTP does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
