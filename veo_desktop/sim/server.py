"""The APIXO simulator: a real HTTP server speaking the published Veo 3.1 contract."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gzip
import hashlib
import json
import logging
import secrets
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import asdict, dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import quote, urlsplit

import aiohttp
from aiohttp import web

from veo_desktop.sim.contract import (
    DEFAULT_TRIGGERS,
    EXTEND_MODEL,
    GENERATE_MODEL,
    IMAGE_MAX_BYTES,
    ExtendRequest,
    GenerateRequest,
    RequestError,
    envelope,
    error_envelope,
    is_loopback_host,
    taskid_error,
    validate_extend,
    validate_generate,
)
from veo_desktop.sim.faults import (
    EXTRA_RESULT_URLS,
    NESTED_JSON_DEPTH,
    ODD_BALANCE,
    ODD_STATE,
    ODD_TASK_ID,
    SUBMIT_ENDPOINTS,
    Endpoint,
    Fault,
    FaultBook,
)
from veo_desktop.sim.images import SNIFF_BYTES, sniff_image
from veo_desktop.sim.records import RequestRecord
from veo_desktop.sim.renderer import RenderError, RenderJob, RenderWorker
from veo_desktop.sim.tasks import RENDER_FAILED, SimTask, TaskInfo

logger = logging.getLogger(__name__)

VideoMode = Literal["per_task", "shared"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_PREFIX: Final = "/api/v1"
CONTROL_PREFIX: Final = "/sim/"
FPS: Final = 24
#: Frame sizes per requested aspect ratio ("auto" renders landscape).
FRAME_SIZES: Final[dict[str, tuple[int, int]]] = {
    "16:9": (640, 360),
    "9:16": (360, 640),
    "auto": (640, 360),
}
_MAX_BODY_BYTES: Final = 1024 * 1024
_IMAGE_FETCH_TIMEOUT: Final = 15.0
_SHUTDOWN_TIMEOUT: Final = 0.5
_CHUNK: Final = 256 * 1024
#: The request log keeps this many of the latest requests (a demo can run for days).
_REQUEST_LOG_SIZE: Final = 100_000

_ROUTE_ENDPOINTS: Final[dict[str, Endpoint]] = {
    "submit": "submit",
    "status": "status",
    "extend_submit": "extend_submit",
    "extend_status": "extend_status",
    "balance": "balance",
    "media": "media",
    "media_file": "media",
}

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
#: A result URL that answers 404 (no task id looks like this): ``extra_result_urls``'s default.
_MISSING_MEDIA_PATH: Final = "/media/expired-result.mp4"
#: What ``media_huge`` announces (5 GB) and how much of the clip it really sends.
_HUGE_LENGTH: Final = 5 * 1024**3
_HUGE_SENT: Final = 4096
#: A ``trickle`` gives up (closing the connection) after this long, finished or not.
_TRICKLE_MAX_SECONDS: Final = 120.0
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


class _ApiError(Exception):
    """An APIXO error answer (the documented envelope) raised from a handler."""

    def __init__(self, status: int, message: str, detail: str | None) -> None:
        super().__init__(detail or message)
        self.status = status
        self.message = message
        self.detail = detail


@dataclass
class _Exchange:
    """One request as the middleware and the handlers see it; the request log keeps these."""

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


_exchange: contextvars.ContextVar[_Exchange] = contextvars.ContextVar("sim_exchange")


class Simulator:
    """An APIXO server on loopback, for demo mode and tests. Runs on one asyncio loop.

    Every public method is synchronous and must be called on the simulator's loop (use
    :class:`~veo_desktop.sim.thread.SimulatorThread` to drive it from another thread).

    Args:
        api_key: the only key accepted; None accepts any non-empty Bearer key.
        duration: seconds from submit to completion (pending for the first fifth).
        balance: USD on the key; each accepted task is charged its price at once.
        host: the address to bind (loopback unless you mean it).
        port: the port to bind; 0 picks a free one.
        clip_seconds: length of the rendered clips.
        video: ``"per_task"`` renders a clip for every task; ``"shared"`` renders one per
            aspect ratio and serves it for every task (load tests).
        media_dir: where clips and uploads live; None uses a temporary directory removed at
            :meth:`stop`.
        triggers: prompt words that make a task fail, as ``{word: (failCode, failMsg)}``,
            matched case-insensitively; None uses ``contract.DEFAULT_TRIGGERS``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        duration: float = 30.0,
        balance: float = 100.0,
        host: str = "127.0.0.1",
        port: int = 0,
        clip_seconds: float = 4.0,
        video: VideoMode = "per_task",
        media_dir: str | Path | None = None,
        triggers: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        if duration < 0:
            raise ValueError("duration must not be negative")
        if clip_seconds <= 0:
            raise ValueError("clip_seconds must be positive")
        if video not in ("per_task", "shared"):
            raise ValueError('video must be "per_task" or "shared"')
        if api_key is not None and not api_key.strip():
            raise ValueError("api_key must be None or a non-empty key")
        self._api_key = api_key
        self._duration = duration
        self._balance_cents = _to_cents(balance)
        self._host = host
        self._port = port
        self._clip_seconds = clip_seconds
        self._video: VideoMode = video
        self._media_dir_option = Path(media_dir) if media_dir is not None else None
        source = DEFAULT_TRIGGERS if triggers is None else triggers
        self._triggers = {word.lower(): failure for word, failure in source.items()}

        self._tasks: dict[str, SimTask] = {}
        self._created: list[str] = []
        self._faults = FaultBook()
        self._requests: deque[_Exchange] = deque(maxlen=_REQUEST_LOG_SIZE)
        self._media_files: dict[str, Path] = {}
        self._shared_clips: dict[str, asyncio.Task[Path]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._render: RenderWorker | None = None
        self._media_dir: Path | None = None
        self._owns_media_dir = False
        self._origin: str | None = None
        self._stopping = asyncio.Event()

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> str:
        """Bind and serve; returns the base URL, e.g. ``http://127.0.0.1:PORT/api/v1``."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        if self._media_dir_option is None:
            self._media_dir = Path(tempfile.mkdtemp(prefix="veo-sim-"))
            self._owns_media_dir = True
        else:
            self._media_dir = self._media_dir_option
            self._media_dir.mkdir(parents=True, exist_ok=True)
        (self._media_dir / "uploads").mkdir(exist_ok=True)
        self._stopping = asyncio.Event()
        self._render = RenderWorker()
        self._http = aiohttp.ClientSession(trust_env=False)
        runner = web.AppRunner(
            self._build_app(),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            await self._release()
            raise
        self._runner = runner
        port = runner.addresses[0][1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._origin = f"http://{host}:{port}"
        logger.info("APIXO simulator serving %s", self.base_url)
        return self.base_url

    async def stop(self) -> None:
        """Stop serving, stop the render worker and remove the temporary media directory."""
        runner, self._runner = self._runner, None
        self._stopping.set()
        if runner is not None:
            await runner.cleanup()
        await self._release()
        self._origin = None
        logger.info("APIXO simulator stopped")

    async def _release(self) -> None:
        pending: list[asyncio.Task[Any]] = [*self._background, *self._shared_clips.values()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._background.clear()
        self._shared_clips.clear()
        if self._render is not None:
            await self._render.close()
            self._render = None
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._owns_media_dir and self._media_dir is not None:
            await asyncio.to_thread(shutil.rmtree, self._media_dir, True)
            self._media_dir = None
            self._owns_media_dir = False

    @property
    def origin(self) -> str:
        """``http://HOST:PORT``, once started."""
        if self._origin is None:
            raise RuntimeError("the simulator is not running")
        return self._origin

    @property
    def base_url(self) -> str:
        """The APIXO base URL, ``http://HOST:PORT/api/v1``, once started."""
        return self.origin + API_PREFIX

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    # ------------------------------------------------------------ the Python API

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault; faults are matched and used up in the order they were added."""
        self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The faults still queued (``times`` is what remains)."""
        return self._faults.snapshot()

    @property
    def requests(self) -> list[RequestRecord]:
        """Every APIXO and media request received so far, in order of arrival.

        A request still being answered (a ``delay`` fault) is already listed, with status None.
        """
        return [exchange.record() for exchange in self._requests]

    def clear_requests(self) -> None:
        self._requests.clear()

    @property
    def created_task_ids(self) -> list[str]:
        """Ids of every task accepted (and charged), in order, including forgotten ones."""
        return list(self._created)

    @property
    def balance(self) -> float:
        """USD left on the key."""
        return self._balance_cents / 100

    @balance.setter
    def balance(self, value: float) -> None:
        self._balance_cents = _to_cents(value)

    @property
    def tasks(self) -> dict[str, TaskInfo]:
        """Snapshots of every task held, states brought up to date."""
        now = time.time()
        return {task_id: self._settled(task, now).info() for task_id, task in self._tasks.items()}

    def age_task(self, task_id: str, seconds: float) -> None:
        """Move a task's create/complete times ``seconds`` into the past.

        Age a finished task to test expiry (result URLs and extend sources die 24 h after
        completion); aging a task that is still rendering fixes its completion at render end.

        Raises:
            KeyError: unknown task id.
        """
        self._tasks[task_id].shift(seconds)

    def forget_task(self, task_id: str) -> None:
        """Drop a task as if APIXO purged it: later status and media requests answer 404.

        Raises:
            KeyError: unknown task id.
        """
        task = self._tasks.pop(task_id)
        if self._video == "per_task" and task.clip is not None:
            task.clip.unlink(missing_ok=True)

    def add_media_file(self, path: str | Path) -> str:
        """Serve a local file (with Range and HEAD) under ``/media/files/``; returns its URL.

        Raises:
            FileNotFoundError: ``path`` is not a file.
        """
        file = Path(path).resolve()
        if not file.is_file():
            raise FileNotFoundError(f"not a file: {file}")
        token = secrets.token_hex(8)
        self._media_files[token] = file
        return f"{self.origin}/media/files/{token}/{quote(file.name)}"

    # ---------------------------------------------------------------- the server

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=_MAX_BODY_BYTES)
        app.on_response_prepare.append(self._on_response_prepare)
        api = API_PREFIX
        app.router.add_post(f"{api}/generateTask/{GENERATE_MODEL}", self._on_submit, name="submit")
        app.router.add_get(
            f"{api}/statusTask/{GENERATE_MODEL}", self._on_generate_status, name="status"
        )
        app.router.add_post(
            f"{api}/generateTask/{EXTEND_MODEL}", self._on_extend_submit, name="extend_submit"
        )
        app.router.add_get(
            f"{api}/statusTask/{EXTEND_MODEL}", self._on_extend_status, name="extend_status"
        )
        app.router.add_get(f"{api}/apikeys/current-balance", self._on_balance, name="balance")
        app.router.add_route("*", api + "/{tail:.*}", self._on_unknown_api)
        app.router.add_get("/media/{task_id}.mp4", self._on_media, name="media")
        app.router.add_get("/media/files/{token}/{name}", self._on_media_file, name="media_file")

        app.router.add_get("/sim/health", self._on_health)
        app.router.add_get("/sim/requests", self._on_get_requests)
        app.router.add_delete("/sim/requests", self._on_clear_requests)
        app.router.add_get("/sim/faults", self._on_get_faults)
        app.router.add_post("/sim/faults", self._on_add_faults)
        app.router.add_delete("/sim/faults", self._on_clear_faults)
        app.router.add_get("/sim/tasks", self._on_get_tasks)
        app.router.add_post("/sim/tasks/{task_id}/age", self._on_age_task)
        app.router.add_delete("/sim/tasks/{task_id}", self._on_forget_task)
        app.router.add_get("/sim/balance", self._on_get_balance)
        app.router.add_put("/sim/balance", self._on_set_balance)
        app.router.add_post("/sim/upload", self._on_upload)
        app.router.add_get(r"/sim/files/{name:[0-9a-f]{64}\.(?:jpg|png|webp)}", self._on_file)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Log the request, apply a scripted fault if one matches, answer errors as APIXO."""
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        route_name = request.match_info.route.name
        endpoint = _ROUTE_ENDPOINTS.get(route_name) if route_name else None
        exchange = _Exchange(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            time=time.time(),
            endpoint=endpoint,
            key_ok=self._key_ok(request),
        )
        _exchange.set(exchange)
        self._requests.append(exchange)
        try:
            try:
                exchange.raw_body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                response: web.StreamResponse = _api_error_response(
                    413, "Invalid request", "Request body is too large"
                )
            else:
                exchange.body = _parse_body(exchange.raw_body)
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

    async def _on_response_prepare(
        self, request: web.Request, response: web.StreamResponse
    ) -> None:
        """Log the status a response really went out with (a file response picks 206 late)."""
        exchange = _exchange.get(None)
        if (
            exchange is not None
            and not request.path.startswith(CONTROL_PREFIX)
            and (exchange.method, exchange.path) == (request.method, request.path)
        ):
            exchange.status = response.status

    async def _answer(
        self, request: web.Request, handler: Handler, endpoint: Endpoint | None, ex: _Exchange
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
                return answer  # media: the file was trickled by _serve_file
            body = answer.body if isinstance(answer.body, bytes) else b""
            return await self._trickle(request, answer.status, answer.headers, body, fault.delay)
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
        return self._fault_response(request, fault, real, ex)

    def _take_fault(self, request: web.Request, endpoint: Endpoint, ex: _Exchange) -> Fault | None:
        task_id: str | None = None
        success = False
        if endpoint in ("status", "extend_status"):
            task_id = request.query.get("taskId")
            model = GENERATE_MODEL if endpoint == "status" else EXTEND_MODEL
            task = self._tasks.get(task_id or "")
            success = (
                task is not None
                and task.model == model
                and self._settled(task, time.time()).state == "success"
            )
        elif endpoint == "media":
            task_id = request.match_info.get("task_id")
        elif endpoint == "extend_submit" and isinstance(ex.body, dict):
            source = ex.body.get("input")
            if isinstance(source, dict) and isinstance(source.get("taskId"), str):
                task_id = source["taskId"]
        return self._faults.take(endpoint, request.method, task_id, success=success)

    def _fault_response(
        self,
        request: web.Request,
        fault: Fault,
        real: web.StreamResponse | None,
        ex: _Exchange,
    ) -> web.StreamResponse:
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        reason = _reason(fault.status)
        if fault.kind == "http_error":
            detail = _HTTP_ERROR_DETAILS.get(fault.status, reason)
            return _api_error_response(fault.status, reason, detail, headers=headers)
        if fault.kind == "html":
            page = _HTML_ERROR_PAGE.format(status=fault.status, reason=reason)
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
            return _api_error_response(
                fault.status,
                f"{reason} (Authorization: {echoed})",
                f"Upstream rejected the request with Authorization: {echoed}",
                headers=headers,
            )
        if fault.kind == "nested_json":
            depth = fault.count or NESTED_JSON_DEPTH
            nested = b"[" * depth + b"]" * depth
            return _raw_json(b'{"code": 200, "message": "success", "data": ' + nested + b"}")
        if fault.kind == "odd_balance":
            return _raw_json(_odd_balance_body(ODD_BALANCE if fault.value is None else fault.value))
        if fault.kind == "odd_task_id":
            task_id = ODD_TASK_ID if fault.value is None else fault.value
            if real is None:  # a submit APIXO never took
                return _json(envelope(200, "success", {"taskId": task_id}))
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

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run a handler behind the key check, turning errors into APIXO's envelope."""
        is_api = request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX
        try:
            if is_api:
                self._authorize(request)
            return await handler(request)
        except _ApiError as exc:
            return _api_error_response(exc.status, exc.message, exc.detail)
        except web.HTTPException as exc:
            if is_api:
                return _api_error_response(exc.status, exc.reason, exc.reason)
            return web.Response(status=exc.status, text=exc.text, headers=exc.headers)

    def _key_ok(self, request: web.Request) -> bool:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return False
        return self._api_key is None or secrets.compare_digest(key.encode(), self._api_key.encode())

    def _authorize(self, request: web.Request) -> None:
        if not self._key_ok(request):
            raise _ApiError(401, "Unauthorized", None)

    # ----------------------------------------------------------- APIXO endpoints

    async def _on_submit(self, request: web.Request) -> web.Response:
        body = _json_body(request)
        try:
            generate = validate_generate(body)
        except RequestError as exc:
            raise _ApiError(400, exc.message, exc.detail) from exc
        task = self._accept(generate, body, GENERATE_MODEL, generate.aspect_ratio)
        self._spawn(self._prepare(task, generate.image_urls))
        return _json(envelope(200, "success", {"taskId": task.task_id}))

    async def _on_extend_submit(self, request: web.Request) -> web.Response:
        body = _json_body(request)
        try:
            extend = validate_extend(body)
            source = self._extend_source(extend.source_task_id)
        except RequestError as exc:
            raise _ApiError(400, exc.message, exc.detail) from exc
        task = self._accept(extend, body, EXTEND_MODEL, source.aspect_ratio, source=source)
        self._spawn(self._prepare(task, ()))
        return _json(envelope(200, "success", {"taskId": task.task_id}))

    async def _on_generate_status(self, request: web.Request) -> web.Response:
        return self._status(request, GENERATE_MODEL)

    async def _on_extend_status(self, request: web.Request) -> web.Response:
        return self._status(request, EXTEND_MODEL)

    async def _on_balance(self, request: web.Request) -> web.Response:
        return _json(envelope(200, "success", self.balance))

    async def _on_unknown_api(self, request: web.Request) -> web.Response:
        known = {
            route.resource.canonical
            for route in request.app.router.routes()
            if route.name in _ROUTE_ENDPOINTS and route.resource is not None
        }
        if request.path in known:
            raise _ApiError(405, "Method Not Allowed", f"{request.method} is not allowed here")
        raise _ApiError(404, "Not found", f"Unknown endpoint: {request.method} {request.path}")

    def _status(self, request: web.Request, model: str) -> web.Response:
        task_id = request.query.get("taskId", "")
        if not task_id.strip():
            raise _ApiError(400, "Invalid request", "Missing required field: taskId")
        task = self._tasks.get(task_id)
        if task is None or task.model != model:
            raise _ApiError(404, "Task not found", f"Task not found: {task_id}")
        self._settled(task, time.time())
        result_json: str | None = None
        fault = _exchange.get().fault
        if fault is not None and task.state == "success":
            if fault.kind == "bad_result_json":
                real = json.dumps({"resultUrls": [task.result_url]}, separators=(",", ":"))
                result_json = real[: len(real) // 2]
            elif fault.kind == "no_result_urls":
                result_json = json.dumps({"resultUrls": []}, separators=(",", ":"))
            elif fault.kind == "extra_result_urls":
                result_json = json.dumps(
                    {"resultUrls": [task.result_url, *self._extra_urls(fault)]},
                    separators=(",", ":"),
                )
        return _json(envelope(200, "success", task.status_data(result_json)))

    def _extra_urls(self, fault: Fault) -> list[str]:
        base = self.origin + _MISSING_MEDIA_PATH if fault.value is None else fault.value
        separator = "&" if "?" in base else "?"
        return [f"{base}{separator}n={index}" for index in range(fault.count or EXTRA_RESULT_URLS)]

    def _extend_source(self, task_id: str) -> SimTask:
        source = self._tasks.get(task_id)
        if source is None:
            raise taskid_error(f"task {task_id} not found")
        if source.model != GENERATE_MODEL:
            raise taskid_error(f"task {task_id} is not a {GENERATE_MODEL} task")
        state = self._settled(source, time.time()).state
        if state != "success":
            raise taskid_error(f"task {task_id} has not succeeded (state: {state})")
        if source.result_expired(time.time()):
            raise taskid_error(f"task {task_id} has expired (completed more than 24 hours ago)")
        return source

    def _accept(
        self,
        request: GenerateRequest | ExtendRequest,
        body: Any,
        model: str,
        aspect_ratio: str,
        source: SimTask | None = None,
    ) -> SimTask:
        """Charge for and create a task (the request is valid); 402 when the balance is short."""
        price = request.price_cents
        if self._balance_cents < price:
            raise _ApiError(
                402,
                "Insufficient balance",
                f"Insufficient balance: {self.balance:.2f} USD left, "
                f"this {request.mode} task costs {price / 100:.2f} USD",
            )
        self._balance_cents -= price
        task_id = "task_" + secrets.token_hex(16)
        task = SimTask(
            task_id=task_id,
            model=model,
            request=body,
            mode=request.mode,
            prompt=request.prompt,
            aspect_ratio=aspect_ratio,
            price_cents=price,
            created=time.time(),
            duration=self._duration,
            result_url=f"{self.origin}/media/{task_id}.mp4",
            source_task_id=source.task_id if source else None,
            planned_failure=self._trigger_failure(request.prompt),
        )
        self._tasks[task_id] = task
        self._created.append(task_id)
        _exchange.get().created_task_id = task_id
        logger.info("accepted %s task %s (%s)", model, task_id, request.mode)
        return task

    def _trigger_failure(self, prompt: str) -> tuple[str, str] | None:
        lowered = prompt.lower()
        for word, failure in self._triggers.items():
            if word in lowered:
                return failure
        return None

    def _settled(self, task: SimTask, now: float) -> SimTask:
        task.settle(now)
        return task

    # ----------------------------------------------------------------- media

    async def _on_media(self, request: web.Request) -> web.StreamResponse:
        task = self._tasks.get(request.match_info["task_id"])
        now = time.time()
        if (
            task is None
            or self._settled(task, now).state != "success"
            or task.result_expired(now)
            or task.clip is None
            or not task.clip.is_file()
        ):
            raise web.HTTPNotFound()
        return await self._serve_file(request, task.clip, "video/mp4")

    async def _on_media_file(self, request: web.Request) -> web.StreamResponse:
        path = self._media_files.get(request.match_info["token"])
        if path is None or path.name != request.match_info["name"] or not path.is_file():
            raise web.HTTPNotFound()
        return await self._serve_file(request, path, None)

    async def _serve_file(
        self, request: web.Request, path: Path, content_type: str | None
    ) -> web.StreamResponse:
        fault = _exchange.get().fault
        kind = fault.kind if fault is not None and request.method == "GET" else None
        media_type = content_type or "application/octet-stream"
        if kind == "media_huge":
            return await self._huge_download(request, path, media_type)
        if kind == "media_gzip":
            data = await asyncio.to_thread(_gzip_file, path)
            return web.Response(
                body=data, headers={"Content-Type": media_type, "Content-Encoding": "gzip"}
            )
        if fault is not None and kind in ("cut_media", "media_close_cut", "trickle"):
            size = (await asyncio.to_thread(path.stat)).st_size
            part = _byte_range(request, size, media_type)
            if part is not None:  # an unsatisfiable range gets the real 416 below
                if kind == "cut_media":
                    return await self._cut_download(request, path, part)
                if kind == "media_close_cut":
                    return await self._close_cut_download(request, path, part)
                data = await asyncio.to_thread(_read_range, path, part.start, part.length)
                return await self._trickle(request, part.status, part.headers, data, fault.delay)
        headers = {"Content-Type": content_type} if content_type else None
        return web.FileResponse(path, chunk_size=_CHUNK, headers=headers)

    async def _cut_download(
        self, request: web.Request, path: Path, part: _ByteRange
    ) -> web.StreamResponse:
        """Announce the full length, send half of it, then close the connection."""
        response = web.StreamResponse(status=part.status, headers=part.headers)
        response.content_length = part.length
        await response.prepare(request)
        data = await asyncio.to_thread(_read_range, path, part.start, part.length // 2)
        await response.write(data)
        if request.transport is not None:
            request.transport.close()
        return response

    async def _close_cut_download(
        self, request: web.Request, path: Path, part: _ByteRange
    ) -> web.StreamResponse:
        """No length announced, half the bytes, then a clean end of stream (connection close)."""
        response = _CloseDelimitedResponse(status=part.status, headers=part.headers)
        response.headers["Connection"] = "close"
        response.force_close()
        await response.prepare(request)
        data = await asyncio.to_thread(_read_range, path, part.start, part.length // 2)
        await response.write(data)
        return response

    async def _huge_download(
        self, request: web.Request, path: Path, media_type: str
    ) -> web.StreamResponse:
        """Announce 5 GB, send a few KB of the clip, then close the connection."""
        response = web.StreamResponse(headers={"Content-Type": media_type})
        response.content_length = _HUGE_LENGTH
        await response.prepare(request)
        await response.write(await asyncio.to_thread(_read_range, path, 0, _HUGE_SENT))
        if request.transport is not None:
            request.transport.close()
        return response

    async def _trickle(
        self,
        request: web.Request,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        interval: float,
    ) -> web.StreamResponse:
        """Send ``body`` one byte every ``interval`` seconds (its full length announced).

        Ends early, closing the connection, when the client goes away, when the simulator
        stops, or after ``_TRICKLE_MAX_SECONDS``.
        """
        kept = {
            name: value
            for name, value in headers.items()
            if name.lower() not in ("content-length", "transfer-encoding", "content-encoding")
        }
        response = web.StreamResponse(status=status, headers=kept)
        response.content_length = len(body)
        await response.prepare(request)
        deadline = time.monotonic() + _TRICKLE_MAX_SECONDS
        for index in range(len(body)):
            if index:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), interval)
            ended = self._trickle_ended(request, deadline)
            if ended is None:
                with contextlib.suppress(ConnectionError):
                    await response.write(body[index : index + 1])
                    continue
                ended = "the client went away"
            logger.info(
                "trickle of %s %s ended after %d of %d bytes: %s",
                request.method,
                request.path,
                index,
                len(body),
                ended,
            )
            if request.transport is not None:
                request.transport.close()
            break
        return response

    def _trickle_ended(self, request: web.Request, deadline: float) -> str | None:
        """Why a trickle must end now, or None to send the next byte."""
        if self._stopping.is_set():
            return "the simulator is stopping"
        if request.transport is None or request.transport.is_closing():
            return "the client went away"
        if time.monotonic() >= deadline:
            return f"{_TRICKLE_MAX_SECONDS:g} s passed"
        return None

    # -------------------------------------------------------- task preparation

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _prepare(self, task: SimTask, image_urls: tuple[str, ...]) -> None:
        """Fetch loopback input images and render the clip, as APIXO would while processing."""
        if task.planned_failure is not None:
            return
        failure: tuple[str, str] | None = None
        try:
            for url in image_urls:
                failure = await self._fetch_image(url)
                if failure is not None:
                    break
            if failure is None:
                task.clip = await self._clip_for(task)
        except RenderError as exc:
            logger.warning("rendering the clip of %s failed: %s", task.task_id, exc)
            failure = RENDER_FAILED
        except Exception:
            logger.exception("preparing %s failed", task.task_id)
            failure = RENDER_FAILED
        task.prepare_failure = failure
        task.prepared_at = time.time()
        task.prepared = True
        if task.task_id not in self._tasks and self._video == "per_task" and task.clip:
            task.clip.unlink(missing_ok=True)

    async def _fetch_image(self, url: str) -> tuple[str, str] | None:
        """Download one input image if it lives on this machine; the failure, if any.

        Non-loopback URLs are taken on trust: the simulator has no network.
        """
        if not is_loopback_host(urlsplit(url).hostname):
            return None
        assert self._http is not None
        download_failed = ("IMAGE_DOWNLOAD_FAILED", f"Failed to download image: {url}")
        too_large = ("IMAGE_TOO_LARGE", f"Image exceeds 10 MB: {url}")
        data = bytearray()
        try:
            timeout = aiohttp.ClientTimeout(total=_IMAGE_FETCH_TIMEOUT)
            async with self._http.get(url, timeout=timeout) as response:
                if response.status != 200:
                    return download_failed
                if (response.content_length or 0) > IMAGE_MAX_BYTES:
                    return too_large
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > IMAGE_MAX_BYTES:
                        return too_large
        except (aiohttp.ClientError, TimeoutError):
            return download_failed
        if sniff_image(bytes(data[:SNIFF_BYTES])) is None:
            return ("ImageFormatIncorrect", f"Input image format is not accepted: {url}")
        return None

    async def _clip_for(self, task: SimTask) -> Path:
        if self._video == "shared":
            clip = self._shared_clips.get(task.aspect_ratio)
            if clip is None or (clip.done() and (clip.cancelled() or clip.exception())):
                clip = asyncio.create_task(self._render_shared(task.aspect_ratio))
                self._shared_clips[task.aspect_ratio] = clip
            return await asyncio.shield(clip)
        assert self._media_dir is not None
        path = self._media_dir / f"{task.task_id}.mp4"
        caption = f"{task.model} \u00b7 {task.mode} \u00b7 {task.aspect_ratio}"
        if task.source_task_id:
            caption += f" \u00b7 extends {task.source_task_id}"
        await self._render_clip(path, task.aspect_ratio, task.prompt, task.task_id, caption)
        return path

    async def _render_shared(self, aspect_ratio: str) -> Path:
        assert self._media_dir is not None
        path = self._media_dir / f"shared-{aspect_ratio.replace(':', 'x')}.mp4"
        await self._render_clip(
            path,
            aspect_ratio,
            "Shared clip: every task of this aspect ratio plays this video (video=shared)",
            f"shared {aspect_ratio}",
            f"{GENERATE_MODEL} \u00b7 shared \u00b7 {aspect_ratio}",
        )
        return path

    async def _render_clip(
        self, path: Path, aspect_ratio: str, prompt: str, label: str, caption: str
    ) -> None:
        if self._render is None:
            raise RenderError("the simulator is not running")
        width, height = FRAME_SIZES[aspect_ratio]
        await self._render.render(
            RenderJob(
                path=str(path),
                width=width,
                height=height,
                seconds=self._clip_seconds,
                fps=FPS,
                prompt=prompt,
                task_id=label,
                caption=caption,
            )
        )

    # ----------------------------------------------------------- control API

    async def _on_health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "base_url": self.base_url})

    async def _on_get_requests(self, request: web.Request) -> web.Response:
        return web.json_response([record.to_json() for record in self.requests])

    async def _on_clear_requests(self, request: web.Request) -> web.Response:
        self.clear_requests()
        return web.json_response({"ok": True})

    async def _on_get_faults(self, request: web.Request) -> web.Response:
        return web.json_response([fault.to_json() for fault in self._faults.snapshot()])

    async def _on_add_faults(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            items = payload if isinstance(payload, list) else [payload]
            faults = [Fault.from_json(item) for item in items]
        except ValueError as exc:
            return _control_error(400, str(exc))
        for fault in faults:
            self.add_fault(fault)
        return web.json_response({"added": len(faults)})

    async def _on_clear_faults(self, request: web.Request) -> web.Response:
        self.clear_faults()
        return web.json_response({"ok": True})

    async def _on_get_tasks(self, request: web.Request) -> web.Response:
        return web.json_response(
            {task_id: _info_json(info) for task_id, info in self.tasks.items()}
        )

    async def _on_age_task(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            seconds = float(payload["seconds"])
        except (ValueError, KeyError, TypeError):
            return _control_error(400, 'expected {"seconds": NUMBER}')
        try:
            self.age_task(request.match_info["task_id"], seconds)
        except KeyError:
            return _control_error(404, "unknown task")
        return web.json_response({"ok": True})

    async def _on_forget_task(self, request: web.Request) -> web.Response:
        try:
            self.forget_task(request.match_info["task_id"])
        except KeyError:
            return _control_error(404, "unknown task")
        return web.json_response({"ok": True})

    async def _on_get_balance(self, request: web.Request) -> web.Response:
        return web.json_response({"balance": self.balance})

    async def _on_set_balance(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            self.balance = float(payload["balance"])
        except (ValueError, KeyError, TypeError):
            return _control_error(400, 'expected {"balance": NUMBER}')
        return web.json_response({"balance": self.balance})

    async def _on_upload(self, request: web.Request) -> web.Response:
        """Store an image (demo mode's stand-in for image hosting); answer its URL.

        The body is the raw image (any Content-Type), or ``multipart/form-data`` whose first
        file part is the image.
        """
        try:
            data = await _read_upload(request)
        except _UploadTooLarge:
            return _control_error(413, "image larger than 10 MB")
        if not data:
            return _control_error(400, "empty upload")
        kind = sniff_image(data[:SNIFF_BYTES])
        if kind is None:
            return _control_error(415, "not a JPEG, PNG or WebP image")
        assert self._media_dir is not None
        name = f"{hashlib.sha256(data).hexdigest()}.{kind.extension}"
        path = self._media_dir / "uploads" / name
        if not path.exists():
            await asyncio.to_thread(_write_atomically, path, data)
        return web.json_response(
            {
                "url": f"{self.origin}/sim/files/{name}",
                "content_type": kind.content_type,
                "size": len(data),
            }
        )

    async def _on_file(self, request: web.Request) -> web.StreamResponse:
        assert self._media_dir is not None
        name = request.match_info["name"]
        path = self._media_dir / "uploads" / name
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": _kind_from_extension(name)})


class _UploadTooLarge(Exception):
    pass


class _CloseDelimitedResponse(web.StreamResponse):
    """A body with neither Content-Length nor chunking: it ends when the connection closes."""

    _length_check = False


@dataclass(frozen=True)
class _ByteRange:
    """The part of a file a media GET asked for, with the headers of its answer (no length)."""

    start: int
    end: int
    status: int
    headers: dict[str, str]

    @property
    def length(self) -> int:
        return self.end - self.start


def _byte_range(request: web.Request, size: int, media_type: str) -> _ByteRange | None:
    """The whole file (200) or the requested range (206); None when the range is unsatisfiable.

    A malformed Range header is ignored, as the real file answer ignores it.
    """
    start, end, status = 0, size, 200
    with contextlib.suppress(ValueError):
        wanted = request.http_range
        if wanted.start is not None or wanted.stop is not None:
            start, end, _ = wanted.indices(size)
            status = 206
            if end <= start:
                return None
    headers = {"Content-Type": media_type, "Accept-Ranges": "bytes"}
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    return _ByteRange(start, end, status, headers)


def _gzip_file(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), mtime=0)


def _raw_json(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json")


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
    return _json(payload)


async def _read_upload(request: web.Request) -> bytes:
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, aiohttp.BodyPartReader) and part.filename is not None:
                return await _read_limited(part.read_chunk)
        return b""
    return await _read_limited(request.content.read)


async def _read_limited(read: Callable[[int], Awaitable[bytes]]) -> bytes:
    data = bytearray()
    while chunk := await read(64 * 1024):
        data += chunk
        if len(data) > IMAGE_MAX_BYTES:
            raise _UploadTooLarge
    return bytes(data)


def _kind_from_extension(name: str) -> str:
    extension = name.rsplit(".", 1)[-1]
    return {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}[extension]


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(path)


def _read_range(path: Path, start: int, length: int) -> bytes:
    with path.open("rb") as file:
        file.seek(start)
        return file.read(length)


def _json_body(request: web.Request) -> Any:
    """The request's JSON body, or the 400 APIXO answers for a body that is not JSON."""
    if request.content_type != "application/json":
        raise _ApiError(400, "Invalid request", "Content-Type must be application/json")
    exchange = _exchange.get()
    try:
        return json.loads(exchange.raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _ApiError(400, "Invalid request", "Request body must be valid JSON") from exc


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status)


def _api_error_response(
    status: int, message: str, detail: str | None, headers: Mapping[str, str] | None = None
) -> web.Response:
    body = error_envelope(status, message, detail)
    return web.json_response(body, status=status, headers=headers)


def _control_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _info_json(info: TaskInfo) -> dict[str, Any]:
    return asdict(info)


def _to_cents(usd: float) -> int:
    if usd < 0:
        raise ValueError("balance must not be negative")
    return round(usd * 100)
