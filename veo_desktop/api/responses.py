"""Parsing of APIXO's answers: the ``{code, message, data}`` envelope and the task status.

Anything that does not match the documented contract raises :class:`ResponseFormatError`
with a message that says what was wrong; never a bare ``KeyError`` or ``JSONDecodeError``.
Extra fields are tolerated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from veo_desktop.api.errors import ResponseFormatError, UnusableResultError, error_for_status


class ApixoState(StrEnum):
    """The four task states APIXO documents."""

    PENDING = "pending"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (ApixoState.SUCCESS, ApixoState.FAILED)


@dataclass(frozen=True)
class TaskStatus:
    """One status answer for a task, times in Unix milliseconds."""

    task_id: str
    state: ApixoState
    create_time: int | None = None
    complete_time: int | None = None
    cost_time: int | None = None
    result_urls: tuple[str, ...] = ()
    fail_code: str | None = None
    fail_msg: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_final(self) -> bool:
        return self.state.is_final


def _describe(body: bytes) -> str:
    head = body[:200].decode("utf-8", "replace").strip()
    if head.lower().startswith(("<!doctype", "<html")) or "<html" in head.lower():
        return "an HTML page (probably a proxy or gateway error page)"
    if not head:
        return "an empty body"
    return f"{head[:80]!r}"


def load_json(body: bytes, *, what: str) -> Any:
    """Decode a JSON body or raise a descriptive :class:`ResponseFormatError`."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ResponseFormatError(
            f"APIXO's answer to {what} was not JSON: it was {_describe(body)}."
        ) from None


def envelope_data(body: bytes, *, what: str) -> Any:
    """Return ``data`` from a successful ``{code, message, data}`` envelope.

    A body whose ``code`` is not 200 raises the typed error for that code, even when the
    HTTP status was 200 (some gateways report errors only in the envelope).
    """
    doc = load_json(body, what=what)
    if not isinstance(doc, dict):
        raise ResponseFormatError(f"APIXO's answer to {what} was not a JSON object.")
    code = doc.get("code")
    if code is None:
        raise ResponseFormatError(f"APIXO's answer to {what} has no 'code' field.")
    if code != 200:
        if not isinstance(code, int):
            raise ResponseFormatError(f"APIXO's answer to {what} has a non-numeric code {code!r}.")
        message, detail = error_text(doc)
        raise error_for_status(code, message, detail)
    if "data" not in doc:
        raise ResponseFormatError(f"APIXO's answer to {what} has no 'data' field.")
    return doc["data"]


def error_text(doc: Any) -> tuple[str, str]:
    """The ``message`` and ``data.error`` of an error envelope, when present."""
    if not isinstance(doc, dict):
        return "", ""
    message = doc.get("message")
    data = doc.get("data")
    detail = data.get("error") if isinstance(data, dict) else None
    return (
        message if isinstance(message, str) else "",
        detail if isinstance(detail, str) else "",
    )


def parse_submit(body: bytes) -> str:
    """The ``taskId`` of an accepted submission."""
    data = envelope_data(body, what="the submission")
    task_id = data.get("taskId") if isinstance(data, dict) else None
    if not isinstance(task_id, str) or not task_id:
        raise ResponseFormatError("APIXO accepted the submission but its answer has no taskId.")
    return task_id


def parse_balance(body: bytes) -> Decimal:
    """The remaining balance in USD."""
    data = envelope_data(body, what="the balance request")
    if isinstance(data, bool) or not isinstance(data, int | float | str):
        raise ResponseFormatError(f"APIXO's balance is not a number: {data!r}.")
    try:
        value = Decimal(str(data))
    except InvalidOperation:
        raise ResponseFormatError(f"APIXO's balance is not a number: {data!r}.") from None
    if not value.is_finite():
        raise ResponseFormatError(f"APIXO's balance is not a number: {data!r}.")
    return value


def _int_field(data: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ResponseFormatError(f"APIXO's task status has no '{name}' field.")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResponseFormatError(f"APIXO's task status has a non-integer '{name}': {value!r}.")
    return value


def _str_field(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ResponseFormatError(f"APIXO's task status has a non-text '{name}': {value!r}.")
    return value


def parse_result_json(result_json: Any) -> tuple[str, ...]:
    """The ``resultUrls`` inside a success's ``resultJson`` string."""
    if not isinstance(result_json, str):
        raise UnusableResultError(
            "APIXO reported success, but its resultJson is not the documented JSON string."
        )
    try:
        payload = json.loads(result_json)
    except ValueError:
        raise UnusableResultError(
            f"APIXO reported success, but its resultJson is not valid JSON: {result_json[:80]!r}."
        ) from None
    urls = payload.get("resultUrls") if isinstance(payload, dict) else None
    if not isinstance(urls, list) or not urls:
        raise UnusableResultError(
            "APIXO reported success, but resultJson lists no video URLs (resultUrls)."
        )
    if not all(isinstance(u, str) and u.strip() for u in urls):
        raise UnusableResultError("APIXO reported success, but a result URL is empty.")
    return tuple(urls)


def parse_status(body: bytes, *, expected_task_id: str | None = None) -> TaskStatus:
    """Parse a ``statusTask`` answer.

    Raises:
        ResponseFormatError: the answer breaks the contract (unknown state, a missing
            field, non-JSON, or a success whose ``resultJson`` is unusable).
        ApiStatusError: the envelope reports an error code.
    """
    data = envelope_data(body, what="the status request")
    if not isinstance(data, dict):
        raise ResponseFormatError("APIXO's task status has no data object.")
    task_id = data.get("taskId")
    if not isinstance(task_id, str) or not task_id:
        raise ResponseFormatError("APIXO's task status has no 'taskId' field.")
    if expected_task_id is not None and task_id != expected_task_id:
        raise ResponseFormatError(
            f"APIXO answered about task {task_id!r} when asked about {expected_task_id!r}."
        )
    raw_state = data.get("state")
    if raw_state is None:
        raise ResponseFormatError("APIXO's task status has no 'state' field.")
    try:
        state = ApixoState(raw_state)
    except ValueError:
        raise ResponseFormatError(
            f"APIXO reported an unknown task state {raw_state!r} "
            "(expected pending, processing, success or failed)."
        ) from None
    urls: tuple[str, ...] = ()
    if state is ApixoState.SUCCESS:
        urls = parse_result_json(data.get("resultJson"))
    return TaskStatus(
        task_id=task_id,
        state=state,
        create_time=_int_field(data, "createTime", required=True),
        complete_time=_int_field(data, "completeTime", required=False),
        cost_time=_int_field(data, "costTime", required=False),
        result_urls=urls,
        fail_code=_str_field(data, "failCode"),
        fail_msg=_str_field(data, "failMsg"),
        raw=data,
    )
