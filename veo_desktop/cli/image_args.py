"""``generate --image`` values checked as a person typed them, before anything is built or sent.

The request's own rules (:meth:`GenerationRequest.validated`) speak of ``image_urls`` and
counts; a person at the command line typed ``--type`` and ``--image``, so the mistakes they
can make there are told in those words first: how many images a type takes, an empty value,
and an address of a kind APIXO cannot fetch (``javascript:``, ``data:``, ``ftp:``,
``file:``), which is not a local file either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from veo_desktop.safe_text import printable

#: What an ``--image`` value may be, in the words every message uses.
ACCEPTED = "give an https:// URL or the path of an image file"
#: ``scheme:`` at the start of a value; one letter is a Windows drive (``C:\\fox.png``).
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_WEB_SCHEMES = frozenset({"http", "https"})
_VALUE_LIMIT = 60


def image_count_problem(kind: str, count: int) -> str | None:
    """Why ``count`` images do not suit ``--type kind`` (text, frames, reference), else None."""
    if kind == "text" and count:
        return (
            "A video from the prompt alone takes no images: add --type frames or "
            "--type reference to use them."
        )
    if kind == "frames" and count == 0:
        return (
            "First/last-frame video needs a first frame: add --image with an https:// URL "
            "or an image file (a second --image is the last frame)."
        )
    if kind == "frames" and count > 2:
        return (
            "First/last-frame video takes a first and a last frame: at most 2 images, "
            f"and {count} were given."
        )
    if kind == "reference" and count == 0:
        return "Reference video needs 1 to 3 reference images: add an --image for each."
    if kind == "reference" and count > 3:
        return f"Reference video takes at most 3 reference images, and {count} were given."
    return None


def image_value_problems(values: Sequence[str]) -> list[str]:
    """What is wrong with each unusable ``--image`` value, numbered as given (1 is the first).

    An empty value is called empty (not "the current folder"); a value that starts with an
    address scheme other than http(s) is refused as such, not looked for as a file.
    """
    problems: list[str] = []
    for number, value in enumerate(values, start=1):
        text = value.strip()
        if not text:
            problems.append(f"--image {number} is empty: {ACCEPTED}")
            continue
        scheme = _SCHEME.match(text)
        if (
            scheme is not None
            and scheme.group(1).lower() not in _WEB_SCHEMES
            and not Path(text).expanduser().exists()  # a file named "a:b.png" is a file
        ):
            shown = printable(text, _VALUE_LIMIT)
            name = printable(scheme.group(1).lower(), 20)
            problems.append(
                f"--image {number} ({shown}): {name}: addresses are not supported; {ACCEPTED}"
            )
    return problems


def sentence(parts: Sequence[str]) -> str:
    """``parts`` joined with "; " as one sentence ending in exactly one full stop."""
    return "; ".join(part.rstrip().rstrip(".") for part in parts) + "."
