"""The composer's draft on disk, so the prompt, options and images survive a restart (Qt-free).

:func:`draft_of` reads the whole form (prompt, options, variations, and where each slot's image
came from: a file or a URL) into a small JSON-able dict; :func:`save_draft` writes it
atomically; :func:`load_draft` reads it back (None when there is none or it is damaged);
:func:`apply_draft` puts it into a form and says which slots should take which image: a file
only while it still exists; a URL as a pasted one, and :func:`forget_if_unreachable` empties
its slot again when the check finds it gone.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from veo_desktop.core.batch import MAX_VARIATIONS, MIN_VARIATIONS
from veo_desktop.ui.compose.form import ComposeForm
from veo_desktop.ui.compose.slot_model import SlotModel, SlotState

log = logging.getLogger(__name__)

#: The draft's file name, beside the batch journals in the data folder.
DRAFT_FILE = "compose-draft.json"
_VERSION = 1
_TEXT_FIELDS = ("prompt", "mode", "generation_type", "aspect_ratio", "seed_text", "watermark")


def draft_of(form: ComposeForm) -> dict[str, Any]:
    """Everything a person set in ``form``; images as ``{"file": path}`` or ``{"url": url}``."""
    images: dict[str, dict[str, str]] = {}
    for slot in form.all_slots:
        source = slot.content.source
        if slot.state is SlotState.EMPTY:
            continue
        if isinstance(source, Path):
            images[slot.name] = {"file": str(source)}
        elif isinstance(source, str) and source:
            images[slot.name] = {"url": source}
    data: dict[str, Any] = {"version": _VERSION}
    for name in _TEXT_FIELDS:
        data[name] = getattr(form, name)
    data["provider"] = form.provider
    data["enable_translation"] = form.enable_translation
    data["variations"] = form.variations
    data["images"] = images
    return data


def is_empty(data: dict[str, Any]) -> bool:
    """Whether a draft holds nothing worth restoring (no prompt, no image, the defaults)."""
    return draft_of(ComposeForm()) == data


def save_draft(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (a crash never leaves half a draft)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(part, path)


def load_draft(path: Path) -> dict[str, Any] | None:
    """The draft saved at ``path``; None when there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("The composer's draft %s could not be read: %s", path, error)
        return None
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return None
    return data


def apply_draft(form: ComposeForm, data: dict[str, Any]) -> list[tuple[SlotModel, Path | str]]:
    """Put ``data`` into ``form``; returns the slots to fill, each with its file or URL.

    Values of the wrong kind are skipped (the form keeps its own); files that no longer
    exist are left out.
    """
    texts = {name: data.get(name) for name in _TEXT_FIELDS}
    if isinstance(texts["generation_type"], str):
        form.set_generation_type(texts["generation_type"])
    if isinstance(texts["mode"], str):
        form.set_mode(texts["mode"])
    if isinstance(texts["aspect_ratio"], str):
        form.set_aspect_ratio(texts["aspect_ratio"])
    if isinstance(texts["seed_text"], str):
        form.set_seed_text(texts["seed_text"])
    if isinstance(texts["watermark"], str):
        form.set_watermark(texts["watermark"])
    provider = data.get("provider")
    if provider is None or isinstance(provider, str):
        form.set_provider(provider)
    translation = data.get("enable_translation")
    if translation is None or isinstance(translation, bool):
        form.set_enable_translation(translation)
    variations = data.get("variations")
    if isinstance(variations, int) and MIN_VARIATIONS <= variations <= MAX_VARIATIONS:
        form.set_variations(variations)
    prompt = texts["prompt"]
    if isinstance(prompt, str) and prompt:
        form.set_prompt(prompt)
    images = data.get("images")
    targets: list[tuple[SlotModel, Path | str]] = []
    if isinstance(images, dict):
        for slot in form.all_slots:
            entry = images.get(slot.name)
            if not isinstance(entry, dict):
                continue
            file, url = entry.get("file"), entry.get("url")
            if isinstance(file, str) and Path(file).is_file():
                targets.append((slot, Path(file)))
            elif isinstance(url, str) and url:
                targets.append((slot, url))
    return targets


def forget_if_unreachable(slot: SlotModel) -> None:
    """Once ``slot`` (taking a restored image) settles: empty it again if it failed.

    An image from the last session that is no longer there is simply not restored, rather
    than greeting the person with a problem about something they did not just do.
    """

    def settled() -> None:
        if slot.state is SlotState.BUSY:
            return
        slot.changed.disconnect(settled)
        if slot.state is SlotState.ERROR:
            log.info("A restored image is no longer reachable; its slot stays empty")
            slot.clear()

    slot.changed.connect(settled)
    settled()
