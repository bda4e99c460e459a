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
]
Endpoint = Literal["submit", "status", "balance", "media", "extend_submit", "extend_status"]

ENDPOINTS: Final[tuple[str, ...]] = get_args(FaultEndpoint)
KINDS: Final[tuple[str, ...]] = get_args(FaultKind)
SUBMIT_ENDPOINTS: Final = ("submit", "extend_submit")
STATUS_ENDPOINTS: Final = ("status", "extend_status")
_RESULT_KINDS: Final = ("bad_result_json", "no_result_urls")


@dataclass
class Fault:
    """One scripted misbehaviour.

    Attributes:
        endpoint: which requests it matches; ``"any"`` matches every APIXO and media request
            (never the ``/sim/`` control API).
        kind: what goes wrong (see the package docs for the table).
        status: the HTTP status of ``http_error`` and ``html`` answers.
        retry_after: sent as the ``Retry-After`` header when set (seconds or an HTTP date).
        delay: seconds to wait before answering (the whole point of ``kind="delay"``).
        accept_first: the request is processed for real first (a submit creates and charges
            its task), then the fault's answer replaces the real one.
        times: how many matching requests it applies to; -1 means forever.
        task_id: only requests about this task match (status: ``taskId``; media: the clip's
            task; extend submit: ``input.taskId``). A plain submit never names a task.
    """

    endpoint: FaultEndpoint
    kind: FaultKind
    status: int = 500
    retry_after: int | str | None = None
    delay: float = 0.0
    accept_first: bool = False
    times: int = 1
    task_id: str | None = None

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
        if self.kind in ("http_error", "html") and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.kind in _RESULT_KINDS and self.endpoint not in (*STATUS_ENDPOINTS, "any"):
            raise ValueError(f"{self.kind} only applies to status endpoints")
        if self.kind == "cut_media" and self.endpoint not in ("media", "any"):
            raise ValueError("cut_media only applies to the media endpoint")
        if self.kind == "malformed_json" and self.endpoint == "media":
            raise ValueError("malformed_json does not apply to media downloads")

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
        if self.kind in _RESULT_KINDS:
            return endpoint in STATUS_ENDPOINTS and success
        if self.kind == "cut_media":
            return endpoint == "media" and method == "GET"
        if self.kind == "malformed_json":
            return endpoint != "media"
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
