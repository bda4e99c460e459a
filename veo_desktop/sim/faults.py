"""Scripted faults: what can go wrong between the app and APIXO, one switch at a time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Final, Literal, get_args

FaultEndpoint = Literal[
    "submit", "status", "balance", "media", "extend_submit", "extend_status", "any"
]
FaultKind = Literal[
    "http_error",
    "html",
    "reset",
    "delay",
    "malformed_json",
    "bad_result_json",
    "no_result_urls",
    "cut_media",
    "nested_json",
    "odd_task_id",
    "odd_state",
    "extra_result_urls",
    "echo_key",
    "trickle",
    "media_close_cut",
    "media_html",
    "media_gzip",
    "media_huge",
    "redirect_loop",
    "odd_balance",
]
Endpoint = Literal["submit", "status", "balance", "media", "extend_submit", "extend_status"]

ENDPOINTS: Final[tuple[str, ...]] = get_args(FaultEndpoint)
KINDS: Final[tuple[str, ...]] = get_args(FaultKind)
SUBMIT_ENDPOINTS: Final = ("submit", "extend_submit")
STATUS_ENDPOINTS: Final = ("status", "extend_status")
API_ENDPOINTS: Final = ("submit", "status", "balance", "extend_submit", "extend_status")
_RESULT_KINDS: Final = ("bad_result_json", "no_result_urls", "extra_result_urls")
#: Media faults that shape the body: they answer GET only (HEAD gets the real headers).
_MEDIA_BODY_KINDS: Final = ("cut_media", "media_close_cut", "media_gzip", "media_huge")
#: The endpoints each kind can apply to; kinds not listed apply to every endpoint.
_KIND_ENDPOINTS: Final[dict[str, tuple[str, ...]]] = {
    "bad_result_json": STATUS_ENDPOINTS,
    "no_result_urls": STATUS_ENDPOINTS,
    "extra_result_urls": STATUS_ENDPOINTS,
    "odd_state": STATUS_ENDPOINTS,
    "odd_task_id": (*SUBMIT_ENDPOINTS, *STATUS_ENDPOINTS),
    "malformed_json": API_ENDPOINTS,
    "nested_json": API_ENDPOINTS,
    "odd_balance": ("balance",),
    "cut_media": ("media",),
    "media_close_cut": ("media",),
    "media_html": ("media",),
    "media_gzip": ("media",),
    "media_huge": ("media",),
    "redirect_loop": ("media",),
}
_VALUE_KINDS: Final = ("odd_task_id", "odd_state", "extra_result_urls", "odd_balance")
_COUNT_KINDS: Final = ("nested_json", "extra_result_urls")
_ERROR_KINDS: Final = ("http_error", "html", "echo_key")

#: Defaults of ``count`` and ``value`` when a fault leaves them unset.
NESTED_JSON_DEPTH: Final = 100_000
EXTRA_RESULT_URLS: Final = 10_000
ODD_TASK_ID: Final = "x" * 200_000
ODD_STATE: Final = "queued"
ODD_BALANCE: Final = "1e99999999"
#: Seconds between the bytes of a ``trickle`` answer when ``delay`` is left at 0.
TRICKLE_DELAY: Final = 2.0


@dataclass
class Fault:
    """One scripted misbehaviour.

    Attributes:
        endpoint: which requests it matches; ``"any"`` matches every APIXO and media request
            (never the ``/sim/`` control API).
        kind: what goes wrong (see the package docs for the table).
        status: the HTTP status of ``http_error``, ``html`` and ``echo_key`` answers.
        retry_after: sent as the ``Retry-After`` header when set (seconds or an HTTP date).
        delay: seconds to wait before answering (the whole point of ``kind="delay"``); for
            ``trickle``, the seconds between two bytes (0 means :data:`TRICKLE_DELAY`).
        accept_first: the request is processed for real first (a submit creates and charges
            its task), then the fault's answer replaces the real one.
        times: how many matching requests it applies to; -1 means forever (a
            ``redirect_loop`` is always forever).
        task_id: only requests about this task match (status: ``taskId``; media: the clip's
            task; extend submit: ``input.taskId``). A plain submit never names a task.
        value: the odd text of ``odd_task_id``, ``odd_state``, ``extra_result_urls`` (the
            extra URL) and ``odd_balance`` (JSON text, sent as is, or a plain string).
        count: the nesting depth of ``nested_json``; how many URLs ``extra_result_urls`` adds.
    """

    endpoint: FaultEndpoint
    kind: FaultKind
    status: int = 500
    retry_after: int | str | None = None
    delay: float = 0.0
    accept_first: bool = False
    times: int = 1
    task_id: str | None = None
    value: str | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.endpoint not in ENDPOINTS:
            raise ValueError(f"unknown fault endpoint {self.endpoint!r}; one of {ENDPOINTS}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {KINDS}")
        if self.times == 0 or self.times < -1:
            raise ValueError("times must be a positive count, or -1 for forever")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.kind == "delay" and self.delay <= 0:
            raise ValueError("a delay fault needs delay > 0")
        if self.kind in _ERROR_KINDS and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        allowed = _KIND_ENDPOINTS.get(self.kind)
        if allowed is not None and self.endpoint not in (*allowed, "any"):
            raise ValueError(f"{self.kind} only applies to {', '.join(allowed)}")
        if self.value is not None:
            if self.kind not in _VALUE_KINDS:
                raise ValueError(f"value only applies to {', '.join(_VALUE_KINDS)}")
            if not isinstance(self.value, str):
                raise ValueError("value must be a string")
        if self.count is not None:
            if self.kind not in _COUNT_KINDS:
                raise ValueError(f"count only applies to {', '.join(_COUNT_KINDS)}")
            if isinstance(self.count, bool) or not isinstance(self.count, int):
                raise ValueError("count must be a whole number")
            if self.count < 1:
                raise ValueError("count must be at least 1")
        if self.kind == "trickle" and self.delay == 0:
            self.delay = TRICKLE_DELAY
        if self.kind == "redirect_loop":
            if self.times not in (1, -1):
                raise ValueError("a redirect loop lasts until cleared: leave times unset")
            self.times = -1

    def applies_to(
        self, endpoint: Endpoint, method: str, task_id: str | None, success: bool
    ) -> bool:
        """Whether this fault matches one request.

        Args:
            endpoint: the request's endpoint.
            method: the HTTP method.
            task_id: the task the request is about, if any.
            success: for status requests, whether the real answer is ``state: success``.
        """
        if self.endpoint not in ("any", endpoint):
            return False
        if self.task_id is not None and self.task_id != task_id:
            return False
        allowed = _KIND_ENDPOINTS.get(self.kind)
        if allowed is not None and endpoint not in allowed:
            return False
        if self.kind in _RESULT_KINDS:
            return success
        if self.kind in _MEDIA_BODY_KINDS:
            return method == "GET"
        return True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Fault:
        """Build a fault from the control API's JSON object.

        Raises:
            ValueError: unknown fields or values.
        """
        if not isinstance(data, Mapping):
            raise ValueError("a fault must be a JSON object")  # noqa: TRY004 - a 400, not a bug
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(map(str, unknown))}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(str(exc)) from exc


class FaultBook:
    """The scripted faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._entries: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a copy of ``fault`` (the caller's object is never mutated)."""
        self._entries.append(Fault(**asdict(fault)))

    def clear(self) -> None:
        self._entries.clear()

    def snapshot(self) -> list[Fault]:
        """Copies of the pending faults; ``times`` is what remains of each."""
        return [Fault(**asdict(fault)) for fault in self._entries]

    def take(
        self, endpoint: Endpoint, method: str, task_id: str | None, *, success: bool = False
    ) -> Fault | None:
        """The first fault matching a request, used up by one application."""
        for index, fault in enumerate(self._entries):
            if not fault.applies_to(endpoint, method, task_id, success):
                continue
            if fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    del self._entries[index]
            return fault
        return None
