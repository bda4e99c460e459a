"""Request models for ``veo-3-1`` and ``veo-3-1-extend``, validated before anything is sent.

Every rule the published Veo 3.1 page states is checked here, so a request APIXO would
reject (and a person would wait for, or pay for) never leaves the machine. Validation
returns every problem at once, each tied to the field a person would fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Self

from veo_desktop.api.urls import url_problem

MAX_PROMPT_LENGTH = 10_000
MAX_SEED = 2**32 - 1


class Model(StrEnum):
    VEO = "veo-3-1"
    EXTEND = "veo-3-1-extend"


class Mode(StrEnum):
    FAST = "fast"
    QUALITY = "quality"


class GenerationType(StrEnum):
    TEXT = "TEXT_2_VIDEO"
    FRAMES = "FIRST_AND_LAST_FRAMES_2_VIDEO"
    REFERENCE = "REFERENCE_2_VIDEO"


class AspectRatio(StrEnum):
    LANDSCAPE = "16:9"
    PORTRAIT = "9:16"
    AUTO = "auto"


class Provider(StrEnum):
    AUTO = "auto"
    VALUE = "value"
    OFFICIAL = "official"


class RequestType(StrEnum):
    ASYNC = "async"
    CALLBACK = "callback"


PRICES: Mapping[str, Decimal] = {Mode.FAST: Decimal("0.20"), Mode.QUALITY: Decimal("1.50")}

#: How many image URLs each generation type takes (inclusive bounds).
IMAGE_COUNTS: Mapping[str, tuple[int, int]] = {
    GenerationType.TEXT: (0, 0),
    GenerationType.FRAMES: (1, 2),
    GenerationType.REFERENCE: (1, 3),
}


def price_of(mode: str) -> Decimal:
    """The price of one video in ``mode`` (extends are billed by their mode too)."""
    try:
        return PRICES[mode]
    except KeyError:
        raise ValueError(f"unknown mode {mode!r}") from None


@dataclass(frozen=True)
class Problem:
    """One reason a request cannot be sent, tied to the field a person would fix.

    ``field`` is the API's name for it (``prompt``, ``image_urls[1]``, ...).
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RequestInvalidError(ValueError):
    """A request broke the documented rules; nothing was sent."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(" ".join(_sentence(str(p)) for p in problems))


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _one_of(value: str, allowed: type[StrEnum], what: str) -> str | None:
    if value in {m.value for m in allowed}:
        return None
    choices = ", ".join(m.value for m in allowed)
    return f"Choose a {what}: {choices} (got {value!r})."


def _prompt_problems(prompt: str) -> list[Problem]:
    if not prompt.strip():
        return [Problem("prompt", "Write a prompt: describe the video you want.")]
    if len(prompt) > MAX_PROMPT_LENGTH:
        over = len(prompt) - MAX_PROMPT_LENGTH
        return [
            Problem(
                "prompt",
                f"The prompt is {len(prompt):,} characters; the limit is "
                f"{MAX_PROMPT_LENGTH:,}. Shorten it by {over:,}.",
            )
        ]
    return []


def _check(problems: list[Problem]) -> None:
    if problems:
        raise RequestInvalidError(problems)


class _PaidRequest:
    """What a generation and an extend share: the fields, checks and body parts of a paid POST.

    The dataclasses below declare the fields themselves (each in its own order, so their
    constructors stay as they were); this base gives them the price, the checks every request
    needs, the body's top level and the way back from a stored body.
    """

    #: Set by @dataclass on each subclass; declared so :meth:`replace` type-checks.
    __dataclass_fields__: ClassVar[dict[str, Any]]

    prompt: str
    mode: str
    seed: int | None
    watermark: str | None
    provider: str | None
    request_type: str
    callback_url: str | None
    model: Model

    @property
    def price(self) -> Decimal:
        return price_of(self.mode)

    def problems(self) -> list[Problem]:
        """Every reason APIXO's documented rules would reject this request."""
        raise NotImplementedError

    def validated(self) -> Self:
        """Return self, or raise :class:`RequestInvalidError` listing every problem."""
        _check(self.problems())
        return self

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)

    def _shared_problems(self) -> list[Problem]:
        """The prompt, mode, seed, watermark, provider and delivery checks, in that order."""
        problems = _prompt_problems(self.prompt)
        if message := _one_of(self.mode, Mode, "mode"):
            problems.append(Problem("mode", message))
        seed = self.seed
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED
        ):
            problems.append(
                Problem("seed", f"The seed must be a whole number from 0 to {MAX_SEED}.")
            )
        if not _is_optional(self.watermark, str):
            problems.append(Problem("watermark", "The watermark must be text."))
        if self.provider is not None and (
            message := _one_of(self.provider, Provider, "provider route")
        ):
            problems.append(Problem("provider", message))
        return problems + self._delivery_problems()

    def _delivery_problems(self) -> list[Problem]:
        request_type, callback_url = self.request_type, self.callback_url
        if message := _one_of(request_type, RequestType, "request type"):
            return [Problem("request_type", message)]
        if request_type == RequestType.CALLBACK:
            if not callback_url:
                return [
                    Problem("callback_url", "Callback delivery needs a public https callback URL.")
                ]
            if message := url_problem(
                callback_url, what="The callback URL", allow_loopback_http=False
            ):
                return [Problem("callback_url", message)]
        elif callback_url:
            return [
                Problem("callback_url", "A callback URL is only used with request type 'callback'.")
            ]
        return []

    def _body(self, first: dict[str, Any], last: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON body: ``first``, the seed and watermark when set, ``last``, under ``input``."""
        payload = dict(first)
        if self.seed is not None:
            payload["seed"] = self.seed
        if self.watermark:
            payload["watermark"] = self.watermark
        payload.update(last or {})
        body: dict[str, Any] = {"request_type": str(self.request_type)}
        if self.request_type == RequestType.CALLBACK and self.callback_url:
            body["callback_url"] = self.callback_url
        if self.provider is not None:
            body["provider"] = str(self.provider)
        body["input"] = _plain(payload)
        return body

    @staticmethod
    def _shared_fields(body: Mapping[str, Any]) -> dict[str, Any]:
        """The shared fields of a body made by ``to_payload`` (store, sidecar files)."""
        data = body.get("input") or {}
        return {
            "prompt": str(data.get("prompt", "")),
            "mode": str(data.get("mode", Mode.FAST)),
            "seed": data.get("seed"),
            "watermark": data.get("watermark"),
            "provider": body.get("provider"),
            "request_type": str(body.get("request_type", RequestType.ASYNC)),
            "callback_url": body.get("callback_url"),
        }


@dataclass(frozen=True)
class GenerationRequest(_PaidRequest):
    """A ``veo-3-1`` generation, as a person composed it.

    Choice fields hold the API's string values (``"fast"``, ``"TEXT_2_VIDEO"``, ``"16:9"``);
    :meth:`problems` checks them, so input from a file or the command line is checked the
    same way as input from the window.
    """

    prompt: str
    mode: str = Mode.FAST
    generation_type: str = GenerationType.TEXT
    aspect_ratio: str = AspectRatio.LANDSCAPE
    image_urls: tuple[str, ...] = ()
    seed: int | None = None
    watermark: str | None = None
    enable_translation: bool | None = None
    provider: str | None = None
    request_type: str = RequestType.ASYNC
    callback_url: str | None = None

    model: Model = field(default=Model.VEO, init=False)

    def problems(self) -> list[Problem]:
        """Every reason APIXO's documented rules would reject this request."""
        problems = self._shared_problems()
        if message := _one_of(self.aspect_ratio, AspectRatio, "aspect ratio"):
            problems.append(Problem("aspect_ratio", message))
        if not _is_optional(self.enable_translation, bool):
            problems.append(Problem("enableTranslation", "Translation is either on or off."))
        if message := _one_of(self.generation_type, GenerationType, "generation type"):
            problems.append(Problem("generationType", message))
        else:
            problems += self._image_problems()
        return problems

    def _image_problems(self) -> list[Problem]:
        problems: list[Problem] = []
        low, high = IMAGE_COUNTS[self.generation_type]
        count = len(self.image_urls)
        if self.generation_type == GenerationType.TEXT and count:
            problems.append(
                Problem(
                    "image_urls",
                    "Text-to-video takes no images. Remove them, or choose first/last "
                    "frames or reference images.",
                )
            )
        elif self.generation_type == GenerationType.FRAMES and not low <= count <= high:
            problems.append(
                Problem(
                    "image_urls",
                    "First/last-frame video needs a first frame (and, if you like, a last frame)."
                    if count < low
                    else f"First/last-frame video takes a first and a last frame: {count} "
                    "images are too many.",
                )
            )
        elif self.generation_type == GenerationType.REFERENCE:
            if not low <= count <= high:
                problems.append(
                    Problem(
                        "image_urls",
                        "Reference video needs a reference image (up to 3)."
                        if count < low
                        else f"Reference video takes up to 3 reference images: {count} are "
                        "too many.",
                    )
                )
            if self.mode != Mode.FAST:
                problems.append(
                    Problem("mode", "Reference images work only in fast mode. Choose fast.")
                )
            if self.aspect_ratio != AspectRatio.LANDSCAPE:
                problems.append(
                    Problem(
                        "aspect_ratio",
                        "Reference images work only with 16:9. Choose 16:9.",
                    )
                )
        for index, url in enumerate(self.image_urls):
            what = "The image URL" if count == 1 else f"Image URL {index + 1}"
            if message := url_problem(url, what=what):
                problems.append(Problem(f"image_urls[{index}]", message))
        return problems

    def to_payload(self) -> dict[str, Any]:
        """The exact JSON body for ``POST /generateTask/veo-3-1``."""
        first: dict[str, Any] = {
            "mode": self.mode,
            "prompt": self.prompt,
            "generationType": self.generation_type,
            "aspect_ratio": self.aspect_ratio,
        }
        if self.image_urls:
            first["image_urls"] = list(self.image_urls)
        last = {}
        if self.enable_translation is not None:
            last["enableTranslation"] = self.enable_translation
        return self._body(first, last)

    @classmethod
    def from_payload(cls, body: Mapping[str, Any]) -> GenerationRequest:
        """Rebuild a request from a body made by :meth:`to_payload` (store, sidecar files)."""
        data = body.get("input") or {}
        return cls(
            generation_type=str(data.get("generationType", GenerationType.TEXT)),
            aspect_ratio=str(data.get("aspect_ratio", AspectRatio.LANDSCAPE)),
            image_urls=tuple(str(u) for u in data.get("image_urls") or ()),
            enable_translation=data.get("enableTranslation"),
            **cls._shared_fields(body),
        )


@dataclass(frozen=True)
class ExtendRequest(_PaidRequest):
    """A ``veo-3-1-extend``: continue a finished ``veo-3-1`` task with a new prompt."""

    task_id: str
    prompt: str
    mode: str = Mode.FAST
    seed: int | None = None
    watermark: str | None = None
    provider: str | None = None
    request_type: str = RequestType.ASYNC
    callback_url: str | None = None

    model: Model = field(default=Model.EXTEND, init=False)

    def problems(self) -> list[Problem]:
        """Every reason APIXO's documented rules would reject this extend."""
        problems: list[Problem] = []
        if not self.task_id or not self.task_id.strip():
            problems.append(Problem("taskId", "Choose the finished task to extend."))
        return problems + self._shared_problems()

    def to_payload(self) -> dict[str, Any]:
        """The exact JSON body for ``POST /generateTask/veo-3-1-extend``."""
        return self._body({"taskId": self.task_id, "mode": self.mode, "prompt": self.prompt})

    @classmethod
    def from_payload(cls, body: Mapping[str, Any]) -> ExtendRequest:
        """Rebuild an extend from a body made by :meth:`to_payload`."""
        data = body.get("input") or {}
        return cls(task_id=str(data.get("taskId", "")), **cls._shared_fields(body))


AnyRequest = GenerationRequest | ExtendRequest


def request_from_payload(model: str, body: Mapping[str, Any]) -> AnyRequest:
    """Rebuild the request a stored body was made from, by its model name."""
    if model == Model.EXTEND:
        return ExtendRequest.from_payload(body)
    if model == Model.VEO:
        return GenerationRequest.from_payload(body)
    raise ValueError(f"unknown model {model!r}")


def _is_optional(value: object, kind: type) -> bool:
    """Type check for values rebuilt from files, where annotations do not hold."""
    return value is None or isinstance(value, kind)


def _plain(payload: dict[str, Any]) -> dict[str, Any]:
    """Turn StrEnum members into plain str so the JSON is exactly the documented one."""
    return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in payload.items()}
