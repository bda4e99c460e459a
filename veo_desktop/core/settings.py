"""The person's settings, as a JSON file in the config directory. Never holds the API key."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from veo_desktop.api.urls import DEFAULT_BASE_URL, normalize_base_url
from veo_desktop.core.fsutil import atomic_write_text
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.timing import PollTiming

log = logging.getLogger(__name__)

DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024**3
#: 2: the daily spending cap became a field of its own. Version 1 files kept it as an
#: unknown key under the same name (in ``extra``) and the same text; it is read as the field.
SETTINGS_VERSION = 2
#: The settings file's key for the daily spending cap (text such as ``"20.00"``).
CAP_KEY = "daily_spending_cap"
_CENT = Decimal("0.01")
#: Keys that look like a secret are never read from or written to the settings file.
_SECRET_KEY = re.compile(r"(api_?key|secret|token|password|authorization)", re.IGNORECASE)


@dataclass
class Settings:
    """What the person can change. The API key lives in the keyring, never here.

    Attributes:
        library_dir: where videos go; None means the default (``AppPaths.library_dir``).
        base_url: the APIXO API root.
        timing: the poll cadence.
        notifications: show a desktop notification when a video is ready.
        max_download_bytes: a result larger than this is not downloaded.
        max_polls_in_flight: how many status requests may run at once.
        daily_spending_cap: a submission that would bring the day's spending past this many
            dollars asks first; None means no cap.
        embed_recipe: copies of videos that leave the library (Save as, drag out, the command
            line's ``--output``) carry their recipe in their own metadata.
        extra: keys written by newer versions, kept as they are.
    """

    library_dir: Path | None = None
    base_url: str = DEFAULT_BASE_URL
    timing: PollTiming = field(default_factory=PollTiming)
    notifications: bool = True
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    max_polls_in_flight: int = 8
    daily_spending_cap: Decimal | None = None
    embed_recipe: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def library(self, paths: AppPaths) -> Path:
        """The library folder in effect."""
        return self.library_dir or paths.library_dir

    def spending_cap(self) -> Decimal | None:
        """The daily cap in effect.

        :attr:`daily_spending_cap`, or else a cap that older code kept in ``extra`` under
        :data:`CAP_KEY` (it becomes the field when the file is written and read again).
        """
        if self.daily_spending_cap is not None:
            return parse_cap(self.daily_spending_cap)
        return parse_cap(self.extra.get(CAP_KEY))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            k: v for k, v in self.extra.items() if not _SECRET_KEY.search(str(k))
        }
        cap = self.spending_cap()
        data.update(
            version=SETTINGS_VERSION,
            library_dir=None if self.library_dir is None else str(self.library_dir),
            base_url=self.base_url,
            timing=self.timing.to_json(),
            notifications=self.notifications,
            max_download_bytes=self.max_download_bytes,
            max_polls_in_flight=self.max_polls_in_flight,
            embed_recipe=self.embed_recipe,
        )
        data[CAP_KEY] = None if cap is None else str(cap)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Settings:
        """Build settings from a file's content; a bad value falls back to its default."""
        defaults = cls()
        settings = cls()
        known = {
            "version",
            "library_dir",
            "base_url",
            "timing",
            "notifications",
            "max_download_bytes",
            "max_polls_in_flight",
            "embed_recipe",
            CAP_KEY,
        }
        settings.extra = {
            k: v for k, v in data.items() if k not in known and not _SECRET_KEY.search(str(k))
        }
        library = data.get("library_dir")
        if isinstance(library, str) and library.strip():
            settings.library_dir = Path(library).expanduser()
        base_url = data.get("base_url")
        if isinstance(base_url, str):
            try:
                settings.base_url = normalize_base_url(base_url)
            except ValueError as error:
                log.warning("settings: ignoring base_url: %s", error)
        timing = data.get("timing")
        if isinstance(timing, Mapping):
            try:
                settings.timing = PollTiming.from_json(timing)
            except (TypeError, ValueError) as error:
                log.warning("settings: ignoring timing: %s", error)
        notifications = data.get("notifications")
        if isinstance(notifications, bool):
            settings.notifications = notifications
        embed_recipe = data.get("embed_recipe")
        if isinstance(embed_recipe, bool):
            settings.embed_recipe = embed_recipe
        settings.max_download_bytes = _positive_int(
            data.get("max_download_bytes"), defaults.max_download_bytes
        )
        settings.max_polls_in_flight = _positive_int(
            data.get("max_polls_in_flight"), defaults.max_polls_in_flight
        )
        raw_cap = data.get(CAP_KEY)
        settings.daily_spending_cap = parse_cap(raw_cap)
        if raw_cap is not None and settings.daily_spending_cap is None:
            log.warning("settings: ignoring daily_spending_cap %r (not an amount)", raw_cap)
        return settings

    @classmethod
    def load(cls, paths: AppPaths) -> Settings:
        """Read the settings file; a missing or broken file gives the defaults."""
        return load(paths)

    def save(self, paths: AppPaths) -> None:
        save(self, paths)


def parse_cap(value: object) -> Decimal | None:
    """A spending cap from text or a number: ``"20"``, ``"$20.00"``, ``"1,000"``, ``20``.

    Returns the amount in whole cents, or None when ``value`` is empty or not a usable
    amount (negative, not finite, not a number).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().lstrip("$").replace(",", "").strip()
        if not text:
            return None
    else:
        return None
    try:
        amount = Decimal(text)
        if not amount.is_finite() or amount < 0:
            return None
        return amount.quantize(_CENT).copy_abs()  # (-0 is 0)
    except InvalidOperation:
        return None


def _positive_int(value: object, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if value is not None:
        log.warning("settings: ignoring %r (a positive whole number is needed)", value)
    return default


def load(paths: AppPaths) -> Settings:
    """Read ``settings.json`` from the config directory (defaults when missing or broken)."""
    path = paths.settings_path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as error:
        log.warning("cannot read settings %s: %s; using defaults", path, error)
        return Settings()
    try:
        data = json.loads(text)
    except ValueError:
        log.warning("settings file %s is not valid JSON; using defaults", path)
        return Settings()
    if not isinstance(data, dict):
        log.warning("settings file %s is not a JSON object; using defaults", path)
        return Settings()
    return Settings.from_json(data)


def save(settings: Settings, paths: AppPaths) -> Path:
    """Write ``settings.json`` atomically; returns its path."""
    path = paths.settings_path
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(settings.to_json(), indent=2, sort_keys=True) + "\n")
    return path
