"""APIXO's published Veo 3.1 contract: request validation, prices and response envelopes.

Everything here is pure (no I/O) so the rules can be tested directly. The messages are the
simulator's own wording: APIXO documents the rules, not the exact text of each message, so the
app must show ``data.error`` as it comes rather than match on it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

GENERATE_MODEL: Final = "veo-3-1"
EXTEND_MODEL: Final = "veo-3-1-extend"
MODELS: Final = (GENERATE_MODEL, EXTEND_MODEL)

REQUEST_TYPES: Final = ("async", "callback")
PROVIDERS: Final = ("auto", "value", "official")
MODES: Final = ("quality", "fast")
GENERATION_TYPES: Final = (
    "TEXT_2_VIDEO",
    "FIRST_AND_LAST_FRAMES_2_VIDEO",
    "REFERENCE_2_VIDEO",
)
ASPECT_RATIOS: Final = ("16:9", "9:16", "auto")
PROMPT_MAX_CHARS: Final = 10_000
FIRST_LAST_MAX_IMAGES: Final = 2
REFERENCE_MAX_IMAGES: Final = 3
IMAGE_MAX_BYTES: Final = 10 * 1024 * 1024

#: Price per accepted task, in US cents (the page's Billing table; extend is billed by its mode).
PRICE_CENTS: Final[dict[str, int]] = {"fast": 20, "quality": 150}
EXTEND_DEFAULT_MODE: Final = "fast"

#: How long a finished task's result URLs (and the task, as an extend source) stay valid.
RESULT_TTL_SECONDS: Final = 24 * 60 * 60

TASKID_ERROR: Final = "TASKID_ERROR"

#: Default trigger words: a prompt containing one fails with (failCode, failMsg).
DEFAULT_TRIGGERS: Final[dict[str, tuple[str, str]]] = {
    "#sensitive": (
        "SensitiveContent",
        "Content violates safety policy, please adjust the prompt",
    ),
    "#invalid": ("PromptInvalid", "Prompt is invalid or rejected upstream"),
    "#timeout": ("Timeout", "Upstream service timed out"),
}


class RequestError(ValueError):
    """A request the API rejects with HTTP 400 before any task exists.

    Attributes:
        message: the envelope's ``message`` ("Invalid request" or "TASKID_ERROR").
        detail: the specific reason, sent as ``data.error``.
    """

    def __init__(self, detail: str, message: str = "Invalid request") -> None:
        super().__init__(detail)
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class GenerateRequest:
    """A validated ``generateTask/veo-3-1`` body."""

    request_type: str
    callback_url: str | None
    mode: str
    prompt: str
    generation_type: str
    aspect_ratio: str
    image_urls: tuple[str, ...]

    @property
    def price_cents(self) -> int:
        return PRICE_CENTS[self.mode]


@dataclass(frozen=True)
class ExtendRequest:
    """A validated ``generateTask/veo-3-1-extend`` body (the source task is checked later)."""

    request_type: str
    callback_url: str | None
    source_task_id: str
    mode: str
    prompt: str

    @property
    def price_cents(self) -> int:
        return PRICE_CENTS[self.mode]


def envelope(code: int, message: str, data: Any) -> dict[str, Any]:
    """APIXO's response envelope, keys in the documented order."""
    return {"code": code, "message": message, "data": data}


def error_envelope(code: int, message: str, detail: str | None) -> dict[str, Any]:
    """The documented error body: ``data.error`` carries the specific reason."""
    return envelope(code, message, None if detail is None else {"error": detail})


def validate_generate(body: object) -> GenerateRequest:
    """Check a veo-3-1 submit body against every rule the Veo 3.1 page states.

    Raises:
        RequestError: the first rule the body breaks.
    """
    request_type, callback_url, data = _validate_outer(body)
    mode = _required_choice(data, "mode", MODES)
    prompt = _validate_prompt(data)
    generation_type = _required_choice(data, "generationType", GENERATION_TYPES)
    aspect_ratio = _optional_choice(data, "aspect_ratio", ASPECT_RATIOS)
    image_urls = _validate_image_urls(data)
    _validate_optional_extras(data, allow_translation=True)

    if generation_type == "FIRST_AND_LAST_FRAMES_2_VIDEO":
        _check_image_count(generation_type, image_urls, FIRST_LAST_MAX_IMAGES)
    elif generation_type == "REFERENCE_2_VIDEO":
        if mode != "fast":
            raise RequestError('REFERENCE_2_VIDEO requires input.mode "fast"')
        if aspect_ratio != "16:9":
            raise RequestError('REFERENCE_2_VIDEO requires input.aspect_ratio "16:9"')
        _check_image_count(generation_type, image_urls, REFERENCE_MAX_IMAGES)

    return GenerateRequest(
        request_type=request_type,
        callback_url=callback_url,
        mode=mode,
        prompt=prompt,
        generation_type=generation_type,
        aspect_ratio=aspect_ratio or "16:9",
        image_urls=image_urls,
    )


def validate_extend(body: object) -> ExtendRequest:
    """Check a veo-3-1-extend submit body (shape only; the source task is checked by the caller).

    Raises:
        RequestError: the first rule the body breaks.
    """
    request_type, callback_url, data = _validate_outer(body)
    task_id = data.get("taskId")
    if task_id is None:
        raise RequestError("Missing required field: input.taskId")
    if not isinstance(task_id, str) or not task_id.strip():
        raise RequestError("Invalid input.taskId: must be a non-empty string")
    mode = _optional_choice(data, "mode", MODES) or EXTEND_DEFAULT_MODE
    prompt = _validate_prompt(data)
    _validate_optional_extras(data, allow_translation=False)
    return ExtendRequest(
        request_type=request_type,
        callback_url=callback_url,
        source_task_id=task_id,
        mode=mode,
        prompt=prompt,
    )


def taskid_error(reason: str) -> RequestError:
    """The rejection of an extend whose ``input.taskId`` is not a usable veo-3-1 task."""
    return RequestError(f"{TASKID_ERROR}: {reason}", message=TASKID_ERROR)


def is_loopback_host(host: str | None) -> bool:
    """Whether a URL host names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _validate_outer(body: object) -> tuple[str, str | None, dict[str, Any]]:
    if not isinstance(body, dict):
        raise RequestError("Request body must be a JSON object")
    request_type = _required_choice(body, "request_type", REQUEST_TYPES, prefix="")
    callback_url = body.get("callback_url")
    if request_type == "callback":
        if callback_url is None or callback_url == "":
            raise RequestError(
                "Missing required field: callback_url (required when request_type is callback)"
            )
        if not isinstance(callback_url, str) or not _is_public_https_url(callback_url):
            raise RequestError("Invalid callback_url: must be a public HTTPS URL")
    elif callback_url is not None and not isinstance(callback_url, str):
        raise RequestError("Invalid callback_url: must be a string")
    _optional_choice(body, "provider", PROVIDERS, prefix="")
    data = body.get("input")
    if data is None:
        raise RequestError("Missing required field: input")
    if not isinstance(data, dict):
        raise RequestError("Invalid input: must be an object")
    return request_type, callback_url if request_type == "callback" else None, data


def _required_choice(
    data: dict[str, Any], key: str, choices: tuple[str, ...], prefix: str = "input."
) -> str:
    value = data.get(key)
    if value is None:
        raise RequestError(f"Missing required field: {prefix}{key}")
    return _choice(value, prefix + key, choices)


def _optional_choice(
    data: dict[str, Any], key: str, choices: tuple[str, ...], prefix: str = "input."
) -> str | None:
    value = data.get(key)
    return None if value is None else _choice(value, prefix + key, choices)


def _choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise RequestError(f"Invalid {name}: must be one of {', '.join(choices)}")
    return value


def _validate_prompt(data: dict[str, Any]) -> str:
    prompt = data.get("prompt")
    if prompt is None:
        raise RequestError("Missing required field: input.prompt")
    if not isinstance(prompt, str):
        raise RequestError("Invalid input.prompt: must be a string")
    if not prompt.strip():
        raise RequestError("Invalid input.prompt: must not be empty")
    if len(prompt) > PROMPT_MAX_CHARS:
        raise RequestError(
            f"Invalid input.prompt: must be at most {PROMPT_MAX_CHARS} characters "
            f"(got {len(prompt)})"
        )
    return prompt


def _validate_image_urls(data: dict[str, Any]) -> tuple[str, ...]:
    urls = data.get("image_urls")
    if urls is None:
        return ()
    if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
        raise RequestError("Invalid input.image_urls: must be an array of strings")
    for url in urls:
        if not url.strip():
            raise RequestError("Invalid input.image_urls: image URL must not be empty")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RequestError(f"Invalid input.image_urls: not an http(s) URL: {url}")
    return tuple(urls)


def _check_image_count(generation_type: str, urls: tuple[str, ...], most: int) -> None:
    if not urls:
        raise RequestError(
            f"Missing required field: input.image_urls ({generation_type} needs 1 to {most} images)"
        )
    if len(urls) > most:
        raise RequestError(
            f"Too many images: {generation_type} accepts up to {most} image_urls (got {len(urls)})"
        )


def _validate_optional_extras(data: dict[str, Any], *, allow_translation: bool) -> None:
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise RequestError("Invalid input.seed: must be an integer")
    watermark = data.get("watermark")
    if watermark is not None and not isinstance(watermark, str):
        raise RequestError("Invalid input.watermark: must be a string")
    translation = data.get("enableTranslation")
    if allow_translation and translation is not None and not isinstance(translation, bool):
        raise RequestError("Invalid input.enableTranslation: must be a boolean")


def _is_public_https_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return False
    if is_loopback_host(parts.hostname):
        return False
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return True
    return address.is_global
