"""Video file names in the library, made from our own data only (never from the URL).

``YYYY-MM-DD_<prompt-slug>_<short id>[-<n>].mp4``: the day the task was sent, a short
ASCII slug of the prompt, our task's short id, and the result's number when a task made
several. A download is written to ``<video>.part`` first and renamed once it is checked;
its sidecar is ``<video>.json`` (:mod:`veo_desktop.core.sidecar`).
"""

from __future__ import annotations

import re
import time
import unicodedata
from pathlib import Path

from veo_desktop.core.sidecar import sidecar_path
from veo_desktop.records.task import TaskRecord

PART_SUFFIX = ".part"
_SLUG_LENGTH = 40


def slugify(text: str, limit: int = _SLUG_LENGTH) -> str:
    """A short, file-name-safe ASCII slug of a prompt ("a-calm-ocean-turning")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            if not slug:
                slug = word[:limit]
            break
        slug = candidate
    return slug or "video"


def video_file_name(record: TaskRecord, index: int, *, extra: int = 0) -> str:
    """``YYYY-MM-DD_<prompt-slug>_<short id>[-<n>].mp4``, from our own data only."""
    day = time.strftime("%Y-%m-%d", time.localtime(record.created_at))
    suffix = f"-{index + 1}" if index else ""
    if extra:
        suffix += f"_{extra}"
    return f"{day}_{slugify(record.prompt)}_{record.short_id}{suffix}.mp4"


def unique_path(folder: Path, record: TaskRecord, index: int, taken: set[str]) -> Path:
    """A path in ``folder`` that no file and no other planned download uses."""
    extra = 0
    while True:
        path = folder / video_file_name(record, index, extra=extra)
        if (
            str(path) not in taken
            and not path.exists()
            and not part_path(path).exists()
            and not sidecar_path(path).exists()
        ):
            return path
        extra += 1


def part_path(path: Path) -> Path:
    return path.with_name(path.name + PART_SUFFIX)
