"""Parsing of APIXO's answers: the ``{code, message, data}`` envelope and the task status.

Anything that does not match the documented contract raises :class:`ResponseFormatError`
with a message that says what was wrong; never a bare ``KeyError`` or ``JSONDecodeError``.
Extra fields are tolerated.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from veo_desktop.api.errors import (
    ForeignTaskError,
    ResponseFormatError,
    TooManyResultsError,
    UnknownStateError,
    UnusableResultError,
    UnusableTaskIdError,
    error_for_status,
)
from veo_desktop.safe_text import is_printable, safe


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


#: The largest answer to a submit, status or balance request accepted. APIXO's answers are
#: a few hundred bytes; the largest legitimate one echoes a 10,000-character prompt (at most
#: 60 kB once JSON-escaped), so 1 MiB leaves a wide margin while keeping a hostile answer
#: from costing memory and parse time.
MAX_ANSWER_BYTES = 1024 * 1024
#: APIXO's answers are three levels deep; a JSON document nested deeper is not APIXO's (and
#: one nested ~100,000 deep makes Python's json raise ``RecursionError``).
MAX_DEPTH = 32
#: Veo makes 1 to 4 videos per task; a success listing more than this is refused.
MAX_RESULT_URLS = 8
#: Signed storage URLs run to a couple of thousand characters; this is double that.
MAX_URL_LENGTH = 4096
#: The longest task id accepted. The page's ids look like ``task_12345678``.
MAX_TASK_ID_LENGTH = 128
#: What a task id may hold: letters, digits and ``_ - . :`` (nothing a URL, log or file
#: name would treat specially).
_TASK_ID = re.compile(r"[A-Za-z0-9_.:-]+")
#: A balance in USD at or above this is not a key's balance.
MAX_BALANCE = Decimal(10**9)
#: A number as JSON or text writes it (``inf`` and ``nan`` are not numbers here).
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
#: A number short enough to be money: at most 15 digits before the point, 18 after, and
#: an exponent of at most two digits (``1e99999999`` is refused before it is built).
_BALANCE_TEXT = re.compile(
    r"-?(?:\d{1,15}(?:\.\d{0,18})?|\.\d{1,18})(?:[eE][+-]?\d{1,2})?", re.ASCII
)
_BALANCE_TEXT_LIMIT = 40
#: How much of a field an error message quotes.
_SHOW_LIMIT = 80
_FAIL_CODE_LIMIT = 100
_FAIL_MSG_LIMIT = 1000
_STATES = "pending, processing, success or failed"
_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = _SHOW_LIMIT


def _show(value: object, limit: int = _SHOW_LIMIT) -> str:
    """Any value from an answer, as an error message may quote it (no quotes added)."""
    text = value if isinstance(value, str) else _repr.repr(value)
    return safe(text, limit)


def is_sane_task_id(task_id: str) -> bool:
    """Whether ``task_id`` is a token an APIXO task id can be (length and characters)."""
    return 0 < len(task_id) <= MAX_TASK_ID_LENGTH and _TASK_ID.fullmatch(task_id) is not None


def unusable_task_id(task_id: str, *, context: str) -> UnusableTaskIdError:
    """The error for an id that is not a sane token; ``context`` starts the message."""
    shown = _show(task_id, 200)
    return UnusableTaskIdError(
        f"{context} an unusable taskId '{shown}' ({len(task_id)} characters; an id is at most "
        f"{MAX_TASK_ID_LENGTH} letters, digits, '_', '-', '.' or ':').",
        task_id=shown,
    )


def _describe(body: bytes) -> str:
    head = body[:200].decode("utf-8", "replace").strip()
    if head.lower().startswith(("<!doctype", "<html")) or "<html" in head.lower():
        return "an HTML page (probably a proxy or gateway error page)"
    if not head:
        return "an empty body"
    return f"'{safe(head, _SHOW_LIMIT)}'"


def _too_deep(doc: Any) -> bool:
    """Whether ``doc`` nests lists and objects more than :data:`MAX_DEPTH` deep."""
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


class _TooDeepError(ValueError):
    """A JSON document nested deeper than :data:`MAX_DEPTH`."""


def _loads(text: str | bytes) -> Any:
    """``json.loads`` that raises :class:`_TooDeepError` for an over-deep document."""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise _TooDeepError from None
    if _too_deep(doc):
        raise _TooDeepError
    return doc


def load_json(body: bytes, *, what: str) -> Any:
    """Decode a JSON body or raise a descriptive :class:`ResponseFormatError`.

    Bodies larger than :data:`MAX_ANSWER_BYTES` or nested deeper than :data:`MAX_DEPTH`
    are refused before (or instead of) being built.
    """
    if len(body) > MAX_ANSWER_BYTES:
        raise ResponseFormatError(
            f"APIXO's answer to {what} is larger than 1 MiB ({len(body):,} bytes); "
            "APIXO's answers are a few hundred bytes."
        )
    try:
        return _loads(body)
    except _TooDeepError:
        raise ResponseFormatError(
            f"APIXO's answer to {what} is nested too deeply to be APIXO's."
        ) from None
    except ValueError:  # UnicodeDecodeError included
        raise ResponseFormatError(
            f"APIXO's answer to {what} was not JSON: it was {_describe(body)}."
        ) from None


def envelope_data(body: bytes, *, what: str) -> Any:
    """Return ``data`` from a successful ``{code, message, data}`` envelope.

    A body whose ``code`` is an error (4xx, 5xx) raises the typed error for that code, even
    when the HTTP status was 200 (some gateways report errors only in the envelope); any
    other code but 200 is not the contract's and raises :class:`ResponseFormatError`.
    """
    return _data_of(load_json(body, what=what), what=what)


def _data_of(doc: Any, *, what: str) -> Any:
    if not isinstance(doc, dict):
        raise ResponseFormatError(f"APIXO's answer to {what} was not a JSON object.")
    code = doc.get("code")
    if code is None:
        raise ResponseFormatError(f"APIXO's answer to {what} has no 'code' field.")
    if code != 200:
        if isinstance(code, bool) or not isinstance(code, int):
            raise ResponseFormatError(
                f"APIXO's answer to {what} has a non-numeric code '{_show(code)}'."
            )
        if not 400 <= code <= 599:
            raise ResponseFormatError(
                f"APIXO's answer to {what} has the code {code}, which is neither success "
                "(200) nor an error."
            )
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
    """The ``taskId`` of an accepted submission.

    Raises:
        UnusableTaskIdError: the answer's ``taskId`` is not a sane token (the caller must
            treat the submission as uncertain: APIXO may have taken and charged it).
        ResponseFormatError: any other break of the contract.
        ApiStatusError: the envelope reports an error code.
    """
    doc = load_json(body, what="the submission")
    named = doc.get("data") if isinstance(doc, dict) else None
    if isinstance(named, dict) and "taskId" in named and doc.get("code") != 200:
        # An error code beside a task id contradicts itself: APIXO may have taken it.
        raise ResponseFormatError(
            f"APIXO's answer to the submission has the code '{_show(doc.get('code'))}' but "
            f"names a task ('{_show(named.get('taskId'))}')."
        )
    data = _data_of(doc, what="the submission")
    task_id = data.get("taskId") if isinstance(data, dict) else None
    if not isinstance(task_id, str) or not task_id:
        raise ResponseFormatError("APIXO accepted the submission but its answer has no taskId.")
    if not is_sane_task_id(task_id):
        raise unusable_task_id(task_id, context="APIXO's answer had")
    return task_id


def parse_balance(body: bytes) -> Decimal:
    """The remaining balance in USD: a finite amount from 0 up to :data:`MAX_BALANCE`.

    Text is checked for length and shape before a :class:`~decimal.Decimal` is built from
    it, so ``"1e99999999"`` costs nothing (and is refused).
    """
    data = envelope_data(body, what="the balance request")
    if isinstance(data, bool) or not isinstance(data, int | float | str):
        raise _balance_error(data, "not a number")
    if isinstance(data, int):
        if not 0 <= data < MAX_BALANCE:
            raise _balance_error(data, "not a sane amount")
        return Decimal(data)
    if isinstance(data, float) and math.isinf(data):
        raise _balance_error(data, "not a sane amount")
    text = data if isinstance(data, str) else repr(data)
    if not _NUMBER_TEXT.fullmatch(text):
        raise _balance_error(data, "not a number")
    if len(text) > _BALANCE_TEXT_LIMIT or not _BALANCE_TEXT.fullmatch(text):
        raise _balance_error(data, "not a sane amount")
    value = Decimal(text)
    if not 0 <= value < MAX_BALANCE:
        raise _balance_error(data, "not a sane amount")
    return value.copy_abs()  # -0 is 0


def _balance_error(data: object, what: str) -> ResponseFormatError:
    return ResponseFormatError(f"APIXO's balance is {what}: '{_show(data)}'.")


def _int_field(data: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ResponseFormatError(f"APIXO's task status has no '{name}' field.")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResponseFormatError(
            f"APIXO's task status has a non-integer '{name}': '{_show(value)}'."
        )
    return value


def _str_field(data: Mapping[str, Any], name: str, limit: int) -> str | None:
    """A text field made safe (redacted, escaped, clipped): it goes to the store and screens."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ResponseFormatError(f"APIXO's task status has a non-text '{name}': '{_show(value)}'.")
    return safe(value, limit)


def parse_result_json(result_json: Any) -> tuple[str, ...]:
    """The ``resultUrls`` inside a success's ``resultJson`` string.

    At most :data:`MAX_RESULT_URLS` URLs of at most :data:`MAX_URL_LENGTH` printable
    characters each; anything else raises :class:`UnusableResultError`.
    """
    if not isinstance(result_json, str):
        raise UnusableResultError(
            "APIXO reported success, but its resultJson is not the documented JSON string."
        )
    try:
        payload = _loads(result_json)
    except _TooDeepError:
        raise UnusableResultError(
            "APIXO reported success, but its resultJson is nested too deeply."
        ) from None
    except ValueError:
        raise UnusableResultError(
            f"APIXO reported success, but its resultJson is not valid JSON: '{_show(result_json)}'."
        ) from None
    urls = payload.get("resultUrls") if isinstance(payload, dict) else None
    if not isinstance(urls, list) or not urls:
        raise UnusableResultError(
            "APIXO reported success, but resultJson lists no video URLs (resultUrls)."
        )
    if len(urls) > MAX_RESULT_URLS:
        raise TooManyResultsError(
            f"APIXO reported success with {len(urls)} video URLs; a Veo task makes 1 to 4, "
            f"so an answer listing more than {MAX_RESULT_URLS} is not used.",
            count=len(urls),
        )
    if not all(isinstance(u, str) and u.strip() for u in urls):
        raise UnusableResultError("APIXO reported success, but a result URL is empty.")
    for url in urls:
        if len(url) > MAX_URL_LENGTH:
            raise UnusableResultError(
                f"APIXO reported success, but a result URL is {len(url):,} characters long "
                f"(at most {MAX_URL_LENGTH:,} are accepted): '{_show(url)}'."
            )
        if not is_printable(url):
            raise UnusableResultError(
                "APIXO reported success, but a result URL holds control characters: "
                f"'{_show(url)}'."
            )
    return tuple(urls)


def parse_state(raw_state: object) -> ApixoState:
    """A documented state, read case-insensitively and without surrounding white space.

    Raises:
        UnknownStateError: anything else (``queued``, ``SUCCEEDED``, a number...).
    """
    if isinstance(raw_state, str) and raw_state.isascii():
        with contextlib.suppress(ValueError):
            return ApixoState(raw_state.strip(" \t\r\n").lower())
    shown = _show(raw_state, 40)
    raise UnknownStateError(
        f"APIXO answered an unknown task state '{shown}' (expected {_STATES}).", state=shown
    )


def parse_status(body: bytes, *, expected_task_id: str | None = None) -> TaskStatus:
    """Parse a ``statusTask`` answer.

    ``failCode`` and ``failMsg`` are made safe (redacted, escaped, clipped) here: they go
    to the store, the task table and terminals.

    Raises:
        ForeignTaskError: the answer is about another task than ``expected_task_id``.
        UnknownStateError: the state is none of the four documented ones.
        UnusableResultError: a success whose ``resultJson`` is unusable (or lists too many
            URLs: :class:`TooManyResultsError`).
        ResponseFormatError: any other break of the contract (a missing field, non-JSON,
            too large or too deep).
        ApiStatusError: the envelope reports an error code.
    """
    data = envelope_data(body, what="the status request")
    if not isinstance(data, dict):
        raise ResponseFormatError("APIXO's task status has no data object.")
    task_id = data.get("taskId")
    if not isinstance(task_id, str) or not task_id:
        raise ResponseFormatError("APIXO's task status has no 'taskId' field.")
    if expected_task_id is not None and task_id != expected_task_id:
        shown = _show(task_id, 200)
        raise ForeignTaskError(
            f"APIXO answered about task '{shown}' when asked about "
            f"'{_show(expected_task_id, 200)}'.",
            answered_id=shown,
        )
    if not is_sane_task_id(task_id):
        raise unusable_task_id(task_id, context="APIXO's task status has")
    raw_state = data.get("state")
    if raw_state is None:
        raise ResponseFormatError("APIXO's task status has no 'state' field.")
    state = parse_state(raw_state)
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
        fail_code=_str_field(data, "failCode", _FAIL_CODE_LIMIT),
        fail_msg=_str_field(data, "failMsg", _FAIL_MSG_LIMIT),
        raw=data,
    )
