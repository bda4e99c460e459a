"""Image inputs of a request: from what a person typed to URLs APIXO can fetch.

- :func:`resolve_image_inputs`: the command line's ``generate --image`` values (URLs or local
  paths) become checked URLs; local files are prepared and uploaded.
- :func:`check_before_submit`: every image URL of a request is checked just before the POST;
  a problem blocks the submit (nothing is charged) and names the slot at fault.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from veo_desktop.api.models import (
    GenerationRequest,
    GenerationType,
    Problem,
    RequestInvalidError,
)
from veo_desktop.hosting.checker import UrlChecker
from veo_desktop.hosting.model import (
    HostingError,
    HostingProvider,
    ImageError,
    PreparedImage,
    UploadCancelledError,
)

log = logging.getLogger(__name__)

#: Turns a local file into an image ready to upload (the imaging layer's, passed in from
#: above: hosting never imports the Qt imaging package).
PrepareFn = Callable[[Path], Awaitable[PreparedImage]]


@dataclass(frozen=True)
class ImageUrlProblem:
    """An image URL APIXO could not fetch: which one, and why.

    Attributes:
        index: its position in ``image_urls`` (0 is the first frame or first reference).
        url: the URL.
        message: what is wrong, in plain words.
    """

    index: int
    url: str
    message: str

    @property
    def field(self) -> str:
        """The request field it belongs to, as :class:`~veo_desktop.api.models.Problem` names it."""
        return f"image_urls[{self.index}]"

    def to_problem(self) -> Problem:
        return Problem(self.field, self.message)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def describe_slot(generation_type: str, index: int) -> str:
    """The slot a person sees for ``image_urls[index]``: "First frame", "Reference 2"."""
    if generation_type == GenerationType.FRAMES.value:
        return ("First frame", "Last frame")[index] if index < 2 else f"Image {index + 1}"
    if generation_type == GenerationType.REFERENCE.value:
        return f"Reference {index + 1}"
    return f"Image {index + 1}"


async def check_before_submit(
    urls: Sequence[str], checker: UrlChecker | None = None
) -> list[ImageUrlProblem]:
    """Check every image URL just before the POST; the problems that block the submit.

    Each distinct URL is checked once, all at once. An empty list means go ahead.

    Args:
        urls: the request's ``image_urls``, in order.
        checker: the checker to use (default: a new one, closed afterwards).
    """
    if not urls:
        return []
    own = checker is None
    active = checker if checker is not None else UrlChecker()
    try:
        results = await active.check_many(list(urls))
    finally:
        if own:
            await active.aclose()
    problems = [
        ImageUrlProblem(index, url, result.message)
        for index, (url, result) in enumerate(zip(urls, results, strict=True))
        if not result.ok
    ]
    for problem in problems:
        log.info("image %s failed its check before submit", problem.field)
    return problems


def submit_blocked_error(problems: Sequence[ImageUrlProblem]) -> RequestInvalidError:
    """The error to raise when :func:`check_before_submit` found problems (nothing sent)."""
    return RequestInvalidError([problem.to_problem() for problem in problems])


async def ensure_images_reachable(
    request: GenerationRequest, checker: UrlChecker | None = None
) -> None:
    """Call right before submitting ``request``: every image URL must be fetchable.

    Raises:
        RequestInvalidError: one :class:`~veo_desktop.api.models.Problem` per failing URL,
            with field ``image_urls[i]`` (the slot at fault); the request must not be sent.
    """
    problems = await check_before_submit(request.image_urls, checker)
    if problems:
        raise submit_blocked_error(problems)


@dataclass(frozen=True)
class InputProblem:
    """One ``--image`` value that cannot be used.

    Attributes:
        index: 0-based position among the ``--image`` values.
        value: what was given.
        message: why it cannot be used.
    """

    index: int
    value: str
    message: str

    def __str__(self) -> str:
        return f"--image {self.index + 1} ({_short(self.value)}): {self.message}"


class ImageInputsError(ValueError):
    """Some ``--image`` values cannot be used; ``str()`` lists each with its reason."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def looks_like_url(value: str) -> bool:
    """Whether an ``--image`` value is meant as an address rather than a local path."""
    lowered = value.strip().lower()
    return "://" in lowered or lowered.startswith(("http:", "https:", "www."))


async def resolve_image_inputs(
    values: Sequence[str],
    provider: HostingProvider,
    checker: UrlChecker,
    *,
    prepare: PrepareFn,
    cancel: asyncio.Event | None = None,
) -> list[str]:
    """Turn ``--image`` values into image URLs APIXO can fetch, in the same order.

    A URL is checked (https, reachable, JPEG/PNG/WebP, at most 10 MB). A local path is
    prepared (converted, oriented, shrunk to fit) by ``prepare`` and uploaded through
    ``provider``. Nothing is uploaded unless every value is usable.

    Args:
        values: the ``--image`` values, in order.
        provider: where local files go (an :class:`~veo_desktop.hosting.cache.ImageHost`
            re-uses earlier uploads).
        checker: checks the URLs.
        prepare: turns a path into a :class:`PreparedImage` without blocking the loop
            (the runtime's :func:`~veo_desktop.runtime.prepare_local_image` runs the imaging
            layer's ``prepare_image`` in the imaging thread).
        cancel: set to stop the uploads.

    Raises:
        ImageInputsError: which values failed and why.
        UploadCancelledError: ``cancel`` was set.
    """
    problems: list[InputProblem] = []
    prepared: dict[int, PreparedImage] = {}
    urls: dict[int, str] = {}
    checks = [(index, value.strip()) for index, value in enumerate(values) if looks_like_url(value)]
    results = await checker.check_many([value for _, value in checks])
    for (index, value), result in zip(checks, results, strict=True):
        if result.ok:
            urls[index] = value
        else:
            problems.append(InputProblem(index, value, result.message))
    for index, value in enumerate(values):
        if index in urls or looks_like_url(value):
            continue
        try:
            prepared[index] = await prepare(_local_path(value))
        except ImageError as error:
            problems.append(InputProblem(index, value, str(error)))
    if problems:
        raise ImageInputsError(sorted(problems, key=lambda problem: problem.index))
    for index, image in prepared.items():
        try:
            hosted = await provider.upload(image, cancel=cancel)
        except UploadCancelledError:
            raise
        except HostingError as error:
            problems.append(InputProblem(index, values[index], str(error)))
            continue
        urls[index] = hosted.url
    if problems:
        raise ImageInputsError(problems)
    return [urls[index] for index in range(len(values))]


def _local_path(value: str) -> Path:
    return Path(value.strip()).expanduser()


def _short(value: str, limit: int = 60) -> str:
    """``value`` cut to ``limit`` characters: a URL keeps its start, a path its end."""
    value = value.strip()
    if len(value) <= limit:
        return value
    if looks_like_url(value):
        return value[: limit - 1] + "…"
    return "…" + value[-(limit - 1) :]
