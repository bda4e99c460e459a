"""APIXO's endpoints under ``/api/v1``, as the published Veo 3.1 page documents them.

Submit (generate and extend) validates the body by the page's rules, charges the price and
creates the task; status reports a task's state from the clock; balance answers what is left.
The key check, the request log and scripted faults are the gateway's job; the handlers here
only shape a status answer when the current fault asks for odd result JSON.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any, Final

from aiohttp import web

from veo_desktop.sim.contract import (
    EXTEND_MODEL,
    GENERATE_MODEL,
    ExtendRequest,
    GenerateRequest,
    RequestError,
    envelope,
    taskid_error,
    validate_extend,
    validate_generate,
)
from veo_desktop.sim.exchange import (
    API_PREFIX,
    ROUTE_ENDPOINTS,
    ApiError,
    current_exchange,
    json_answer,
    json_body,
)
from veo_desktop.sim.faults import EXTRA_RESULT_URLS, Fault
from veo_desktop.sim.state import SimState
from veo_desktop.sim.studio import Studio
from veo_desktop.sim.tasks import SimTask

logger = logging.getLogger(__name__)

#: A result URL that answers 404 (no task id looks like this): ``extra_result_urls``'s default.
MISSING_MEDIA_PATH: Final = "/media/expired-result.mp4"


class ApiRoutes:
    """The APIXO endpoints; tasks they accept are handed to the :class:`Studio`."""

    def __init__(self, state: SimState, studio: Studio) -> None:
        self._state = state
        self._studio = studio

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Register the endpoints (named as ``ROUTE_ENDPOINTS`` knows them) and a catch-all."""
        api = API_PREFIX
        router.add_post(f"{api}/generateTask/{GENERATE_MODEL}", self._on_submit, name="submit")
        router.add_get(
            f"{api}/statusTask/{GENERATE_MODEL}", self._on_generate_status, name="status"
        )
        router.add_post(
            f"{api}/generateTask/{EXTEND_MODEL}", self._on_extend_submit, name="extend_submit"
        )
        router.add_get(
            f"{api}/statusTask/{EXTEND_MODEL}", self._on_extend_status, name="extend_status"
        )
        router.add_get(f"{api}/apikeys/current-balance", self._on_balance, name="balance")
        router.add_route("*", api + "/{tail:.*}", self._on_unknown_api)

    # ------------------------------------------------------------------ handlers

    async def _on_submit(self, request: web.Request) -> web.Response:
        body = json_body(request)
        try:
            generate = validate_generate(body)
        except RequestError as exc:
            raise ApiError(400, exc.message, exc.detail) from exc
        task = self._accept(generate, body, GENERATE_MODEL, generate.aspect_ratio)
        self._studio.prepare_later(task, generate.image_urls)
        return json_answer(envelope(200, "success", {"taskId": task.task_id}))

    async def _on_extend_submit(self, request: web.Request) -> web.Response:
        body = json_body(request)
        try:
            extend = validate_extend(body)
            source = self._extend_source(extend.source_task_id)
        except RequestError as exc:
            raise ApiError(400, exc.message, exc.detail) from exc
        task = self._accept(extend, body, EXTEND_MODEL, source.aspect_ratio, source=source)
        self._studio.prepare_later(task, ())
        return json_answer(envelope(200, "success", {"taskId": task.task_id}))

    async def _on_generate_status(self, request: web.Request) -> web.Response:
        return self._status(request, GENERATE_MODEL)

    async def _on_extend_status(self, request: web.Request) -> web.Response:
        return self._status(request, EXTEND_MODEL)

    async def _on_balance(self, request: web.Request) -> web.Response:
        return json_answer(envelope(200, "success", self._state.balance))

    async def _on_unknown_api(self, request: web.Request) -> web.Response:
        known = {
            route.resource.canonical
            for route in request.app.router.routes()
            if route.name in ROUTE_ENDPOINTS and route.resource is not None
        }
        if request.path in known:
            raise ApiError(405, "Method Not Allowed", f"{request.method} is not allowed here")
        raise ApiError(404, "Not found", f"Unknown endpoint: {request.method} {request.path}")

    # ------------------------------------------------------------------- status

    def _status(self, request: web.Request, model: str) -> web.Response:
        task_id = request.query.get("taskId", "")
        if not task_id.strip():
            raise ApiError(400, "Invalid request", "Missing required field: taskId")
        task = self._state.tasks.get(task_id)
        if task is None or task.model != model:
            raise ApiError(404, "Task not found", f"Task not found: {task_id}")
        self._state.settled(task)
        result_json: str | None = None
        fault = current_exchange().fault
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
        return json_answer(envelope(200, "success", task.status_data(result_json)))

    def _extra_urls(self, fault: Fault) -> list[str]:
        base = self._state.origin + MISSING_MEDIA_PATH if fault.value is None else fault.value
        separator = "&" if "?" in base else "?"
        return [f"{base}{separator}n={index}" for index in range(fault.count or EXTRA_RESULT_URLS)]

    # ------------------------------------------------------------------- submit

    def _extend_source(self, task_id: str) -> SimTask:
        source = self._state.tasks.get(task_id)
        if source is None:
            raise taskid_error(f"task {task_id} not found")
        if source.model != GENERATE_MODEL:
            raise taskid_error(f"task {task_id} is not a {GENERATE_MODEL} task")
        state = self._state.settled(source, time.time()).state
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
        state = self._state
        price = request.price_cents
        if state.balance_cents < price:
            raise ApiError(
                402,
                "Insufficient balance",
                f"Insufficient balance: {state.balance:.2f} USD left, "
                f"this {request.mode} task costs {price / 100:.2f} USD",
            )
        state.balance_cents -= price
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
            duration=state.duration,
            result_url=f"{state.origin}/media/{task_id}.mp4",
            source_task_id=source.task_id if source else None,
            planned_failure=state.trigger_failure(request.prompt),
        )
        state.tasks[task_id] = task
        state.created.append(task_id)
        current_exchange().created_task_id = task_id
        logger.info("accepted %s task %s (%s)", model, task_id, request.mode)
        return task
