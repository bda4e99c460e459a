"""The door every APIXO and media request passes: logged, key-checked, and faulted on cue.

:class:`Gateway` is the aiohttp middleware. For each request outside ``/sim/`` it starts an
:class:`~veo_desktop.sim.exchange.Exchange` in the request log, takes the first armed fault
that matches (see ``sim/README.md`` for the kinds), and either runs the handler behind the
key check, turning errors into APIXO's envelope, or answers as the fault says: an error page,
a broken body, a reset, a late or trickled answer. Faults are armed through the control
plane or ``Simulator.add_fault``; what they do to a request is decided here (and, for the
kinds that shape a real answer, in the API and media handlers).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from veo_desktop.sim.contract import EXTEND_MODEL, GENERATE_MODEL, envelope
from veo_desktop.sim.exchange import (
    API_PREFIX,
    CONTROL_PREFIX,
    ROUTE_ENDPOINTS,
    ApiError,
    Exchange,
    api_error_response,
    begin_exchange,
    current_exchange_or_none,
    json_answer,
    parse_body,
    raw_json,
    reason,
)
from veo_desktop.sim.faults import (
    NESTED_JSON_DEPTH,
    ODD_BALANCE,
    ODD_STATE,
    ODD_TASK_ID,
    SUBMIT_ENDPOINTS,
    Endpoint,
    Fault,
)
from veo_desktop.sim.media import trickle
from veo_desktop.sim.state import SimState

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTML_ERROR_PAGE: Final = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_HTTP_ERROR_DETAILS: Final[dict[int, str]] = {
    429: "Rate limit or concurrency limit reached, please retry later",
    500: "Internal server error",
    502: "Upstream service error",
    503: "Service temporarily unavailable",
    504: "Upstream timeout",
}
#: A submit answer cut short: what a client sees when a proxy truncates the body.
_TRUNCATED_BODY: Final = b'{"code": 200, "message": "success", "data": {"taskId": "task_'
#: What a captive portal or a CDN's bot check serves instead of the clip.
_HTML_MEDIA_PAGE: Final = (
    "<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head>\n"
    "<body><h1>Checking your browser before accessing the video</h1>\n"
    "<p>Please enable JavaScript and cookies to continue.</p></body></html>\n"
)
#: Fault kinds applied by the handlers themselves, on the real answer.
_HANDLER_KINDS: Final = (
    "bad_result_json",
    "no_result_urls",
    "extra_result_urls",
    "cut_media",
    "media_close_cut",
    "media_gzip",
    "media_huge",
)
#: Fault kinds that rewrite the real answer of a reading endpoint (a submit only with
#: ``accept_first``).
_REWRITE_KINDS: Final = ("malformed_json", "odd_task_id", "odd_state")


class Gateway:
    """The middleware in front of the APIXO and media routes (``/sim/`` passes untouched)."""

    def __init__(self, state: SimState) -> None:
        self._state = state

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Log the request, apply a scripted fault if one matches, answer errors as APIXO."""
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        route_name = request.match_info.route.name
        endpoint = ROUTE_ENDPOINTS.get(route_name) if route_name else None
        exchange = Exchange(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            time=time.time(),
            endpoint=endpoint,
            key_ok=self._state.key_ok(request.headers.get("Authorization", "")),
        )
        begin_exchange(exchange)
        self._state.exchanges.append(exchange)
        try:
            try:
                exchange.raw_body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                response: web.StreamResponse = api_error_response(
                    413, "Invalid request", "Request body is too large"
                )
            else:
                exchange.body = parse_body(exchange.raw_body)
                response = await self._answer(request, handler, endpoint, exchange)
        except Exception:
            exchange.status = 500
            raise
        else:
            exchange.status = response.status
            return response
        finally:
            exchange.raw_body = b""
            logger.debug("%s %s -> %s", request.method, request.path_qs, exchange.record().status)

    async def on_response_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        """Log the status a response really went out with (a file response picks 206 late)."""
        exchange = current_exchange_or_none()
        if (
            exchange is not None
            and not request.path.startswith(CONTROL_PREFIX)
            and (exchange.method, exchange.path) == (request.method, request.path)
        ):
            exchange.status = response.status

    async def _answer(
        self, request: web.Request, handler: Handler, endpoint: Endpoint | None, ex: Exchange
    ) -> web.StreamResponse:
        fault = self._take_fault(request, endpoint, ex) if endpoint else None
        if fault is None:
            return await self._handle(request, handler)
        ex.fault = fault
        logger.info("fault %s on %s %s", fault.kind, request.method, request.path_qs)
        if fault.kind in _HANDLER_KINDS:
            await asyncio.sleep(fault.delay)
            return await self._handle(request, handler)
        if fault.kind == "trickle":
            answer = await self._handle(request, handler)
            if answer.prepared or not isinstance(answer, web.Response):
                return answer  # media: the file was trickled by the media routes
            body = answer.body if isinstance(answer.body, bytes) else b""
            return await trickle(
                request, answer.status, answer.headers, body, fault.delay, self._state.stopping
            )
        if fault.kind == "delay":
            if fault.accept_first:
                response = await self._handle(request, handler)
                await asyncio.sleep(fault.delay)
                return response
            await asyncio.sleep(fault.delay)
            return await self._handle(request, handler)
        # A submit runs for real only when the fault says APIXO took it; reading endpoints
        # always do when the fault rewrites the real answer (a truncated body is the real one
        # cut short, an odd state is the real answer with another state).
        real: web.StreamResponse | None = None
        rewriting_a_read = fault.kind in _REWRITE_KINDS and endpoint not in SUBMIT_ENDPOINTS
        if fault.accept_first or rewriting_a_read:
            real = await self._handle(request, handler)
        await asyncio.sleep(fault.delay)
        return _fault_response(request, fault, real, ex)

    def _take_fault(self, request: web.Request, endpoint: Endpoint, ex: Exchange) -> Fault | None:
        task_id: str | None = None
        success = False
        if endpoint in ("status", "extend_status"):
            task_id = request.query.get("taskId")
            model = GENERATE_MODEL if endpoint == "status" else EXTEND_MODEL
            task = self._state.tasks.get(task_id or "")
            success = (
                task is not None
                and task.model == model
                and self._state.settled(task, time.time()).state == "success"
            )
        elif endpoint == "media":
            task_id = request.match_info.get("task_id")
        elif endpoint == "extend_submit" and isinstance(ex.body, dict):
            source = ex.body.get("input")
            if isinstance(source, dict) and isinstance(source.get("taskId"), str):
                task_id = source["taskId"]
        return self._state.faults.take(endpoint, request.method, task_id, success=success)

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run a handler behind the key check, turning errors into APIXO's envelope."""
        is_api = request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX
        try:
            if is_api:
                self._authorize(request)
            return await handler(request)
        except ApiError as exc:
            return api_error_response(exc.status, exc.message, exc.detail)
        except web.HTTPException as exc:
            if is_api:
                return api_error_response(exc.status, exc.reason, exc.reason)
            return web.Response(status=exc.status, text=exc.text, headers=exc.headers)

    def _authorize(self, request: web.Request) -> None:
        if not self._state.key_ok(request.headers.get("Authorization", "")):
            raise ApiError(401, "Unauthorized", None)


def _fault_response(
    request: web.Request, fault: Fault, real: web.StreamResponse | None, ex: Exchange
) -> web.StreamResponse:
    """The answer a fault gives instead of (or made from) the real one."""
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    phrase = reason(fault.status)
    if fault.kind == "http_error":
        detail = _HTTP_ERROR_DETAILS.get(fault.status, phrase)
        return api_error_response(fault.status, phrase, detail, headers=headers)
    if fault.kind == "html":
        page = _HTML_ERROR_PAGE.format(status=fault.status, reason=phrase)
        return web.Response(
            status=fault.status, text=page, content_type="text/html", headers=headers
        )
    if fault.kind == "malformed_json":
        if isinstance(real, web.Response) and isinstance(real.body, bytes) and real.body:
            body, status = real.body, real.status
        else:
            body, status = _TRUNCATED_BODY, 200
        cut = body[: max(1, len(body) // 2)]
        return web.Response(status=status, body=cut, content_type="application/json")
    if fault.kind == "echo_key":
        echoed = request.headers.get("Authorization", "")
        return api_error_response(
            fault.status,
            f"{phrase} (Authorization: {echoed})",
            f"Upstream rejected the request with Authorization: {echoed}",
            headers=headers,
        )
    if fault.kind == "nested_json":
        depth = fault.count or NESTED_JSON_DEPTH
        nested = b"[" * depth + b"]" * depth
        return raw_json(b'{"code": 200, "message": "success", "data": ' + nested + b"}")
    if fault.kind == "odd_balance":
        return raw_json(_odd_balance_body(ODD_BALANCE if fault.value is None else fault.value))
    if fault.kind == "odd_task_id":
        task_id = ODD_TASK_ID if fault.value is None else fault.value
        if real is None:  # a submit APIXO never took
            return json_answer(envelope(200, "success", {"taskId": task_id}))
        return _rewrite_data(real, "taskId", task_id)
    if fault.kind == "odd_state":
        assert real is not None
        return _rewrite_data(real, "state", ODD_STATE if fault.value is None else fault.value)
    if fault.kind == "media_html":
        return web.Response(text=_HTML_MEDIA_PAGE, content_type="text/html", headers=headers)
    if fault.kind == "redirect_loop":
        return web.Response(status=302, headers={**headers, "Location": str(request.url)})
    # "reset": close the connection without answering.
    ex.reset = True
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)


def _odd_balance_body(value: str) -> bytes:
    """The balance envelope with ``value`` as data: sent as is when it is JSON, else a string."""
    try:
        json.loads(value)
    except ValueError:
        value = json.dumps(value)
    return b'{"code": 200, "message": "success", "data": ' + value.encode() + b"}"


def _rewrite_data(real: web.StreamResponse, key: str, value: str) -> web.StreamResponse:
    """The real 200 answer with ``data[key]`` replaced; any other answer unchanged."""
    if real.status != 200 or not isinstance(real, web.Response):
        return real
    if not isinstance(real.body, bytes):
        return real
    payload = json.loads(real.body)
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        return real
    payload["data"][key] = value
    return json_answer(payload)
