"""Which image hosting is used, and how it is reached. The S3 secret is never part of it.

The window keeps a :class:`HostingConfig` in :class:`~veo_desktop.core.settings.Settings`
(under ``extra["hosting"]``); the command line can configure S3 from the environment alone
(:meth:`HostingConfig.from_env`). The secret access key lives in the keyring, under the
account ``s3:<access key id>`` (:class:`S3Secrets`), or comes from ``AWS_SECRET_ACCESS_KEY``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from veo_desktop.api.urls import url_problem
from veo_desktop.core.secrets import SERVICE, KeyringUnavailableError, KeyStore
from veo_desktop.core.settings import Settings
from veo_desktop.hosting.model import HostingError

if TYPE_CHECKING:
    import keyring.backend

log = logging.getLogger(__name__)

MIN_PRESIGN_HOURS = 1
MAX_PRESIGN_HOURS = 7 * 24
DEFAULT_PRESIGN_HOURS = 24
DEFAULT_REGION = "us-east-1"
#: Where :meth:`HostingConfig.store_in` keeps the configuration inside the settings file.
SETTINGS_KEY = "hosting"

ENV_ENDPOINT = "VEO_S3_ENDPOINT"
ENV_BUCKET = "VEO_S3_BUCKET"
ENV_REGION = "VEO_S3_REGION"
ENV_PREFIX = "VEO_S3_PREFIX"
ENV_PUBLIC_BASE_URL = "VEO_S3_PUBLIC_BASE_URL"
ENV_PRESIGN_HOURS = "VEO_S3_PRESIGN_HOURS"
ENV_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
ENV_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"

_REGION_IN_HOST = (
    re.compile(r"^s3[.-]([a-z0-9-]+)\.amazonaws\.com$"),
    re.compile(r"^s3\.([a-z0-9-]+)\.backblazeb2\.com$"),
)


class ProviderKind(StrEnum):
    """Where local images go."""

    URL = "url"
    """Nowhere: only URLs the person pastes are used."""
    S3 = "s3"
    """An S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO)."""
    DEMO = "demo"
    """The simulator's upload endpoint (demo mode)."""


class ConfigProblem(NamedTuple):
    """One thing to fix in the hosting settings, tied to its field."""

    field: str
    message: str


@dataclass(frozen=True)
class HostingConfig:
    """The image hosting settings.

    Attributes:
        provider: which kind of hosting.
        endpoint: the S3 API address; empty for AWS S3.
        region: the bucket's region; empty guesses it from the endpoint (else us-east-1).
        bucket: the bucket name.
        prefix: put before every object key (``veo-inputs/``).
        access_key_id: the S3 access key id (not secret; the secret is in the keyring).
        public_base_url: when the bucket is public, ``<this>/<key>`` is handed to APIXO
            instead of a presigned link.
        presign_hours: how long presigned links live (1 h to 7 days).
        path_style: address buckets as ``endpoint/bucket/key`` (works everywhere, including
            MinIO and buckets with dots in their names).
    """

    provider: ProviderKind = ProviderKind.URL
    endpoint: str = ""
    region: str = ""
    bucket: str = ""
    prefix: str = ""
    access_key_id: str = ""
    public_base_url: str = ""
    presign_hours: int = DEFAULT_PRESIGN_HOURS
    path_style: bool = True

    # -- derived values ----------------------------------------------------------------

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint without a trailing slash, None for AWS S3's own."""
        return self.endpoint.strip().rstrip("/") or None

    @property
    def effective_region(self) -> str:
        """The region to sign with: as set, else read from the endpoint, else us-east-1."""
        if self.region.strip():
            return self.region.strip()
        host = (urlsplit(self.endpoint_url or "").hostname or "").lower()
        if host.endswith(".r2.cloudflarestorage.com"):
            return "auto"
        for pattern in _REGION_IN_HOST:
            match = pattern.match(host)
            if match:
                return match.group(1)
        return DEFAULT_REGION

    @property
    def key_prefix(self) -> str:
        """The prefix as used in keys (no leading slash)."""
        return self.prefix.strip().lstrip("/")

    @property
    def presign_seconds(self) -> int:
        return clamp_presign_hours(self.presign_hours) * 3600

    @property
    def secret_account(self) -> str:
        """The keyring account holding this access key's secret."""
        return secret_account(self.access_key_id)

    @property
    def endpoint_label(self) -> str:
        """The endpoint as messages name it."""
        return self.endpoint_url or f"AWS S3 ({self.effective_region})"

    def replace(self, **changes: Any) -> HostingConfig:
        return replace(self, **changes)

    # -- checks ----------------------------------------------------------------------------

    def problems(self) -> list[ConfigProblem]:
        """What must be fixed before this configuration can upload (empty when fine)."""
        if self.provider is not ProviderKind.S3:
            return []
        found: list[ConfigProblem] = []
        if self.endpoint_url is not None:
            problem = url_problem(self.endpoint_url, what="The endpoint")
            if problem:
                found.append(ConfigProblem("endpoint", problem))
        bucket = self.bucket.strip()
        if not bucket:
            found.append(ConfigProblem("bucket", "Enter the bucket's name."))
        elif not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]", bucket):
            found.append(
                ConfigProblem(
                    "bucket",
                    f"{bucket!r} is not a bucket name (letters, digits, dots and dashes; "
                    "3 characters or more).",
                )
            )
        if not self.access_key_id.strip():
            found.append(ConfigProblem("access_key_id", "Enter the access key id."))
        elif re.search(r"\s", self.access_key_id.strip()):
            found.append(ConfigProblem("access_key_id", "The access key id contains spaces."))
        if ".." in self.key_prefix.split("/"):
            found.append(ConfigProblem("prefix", "The key prefix cannot contain '..'."))
        if self.public_base_url.strip():
            problem = url_problem(self.public_base_url.strip(), what="The public base URL")
            if problem:
                found.append(ConfigProblem("public_base_url", problem))
        if not MIN_PRESIGN_HOURS <= self.presign_hours <= MAX_PRESIGN_HOURS:
            found.append(
                ConfigProblem(
                    "presign_hours",
                    f"Links must live between {MIN_PRESIGN_HOURS} hour and "
                    f"{MAX_PRESIGN_HOURS // 24} days.",
                )
            )
        return found

    # -- persistence -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (never holds the secret)."""
        return {
            "provider": self.provider.value,
            "endpoint": self.endpoint.strip(),
            "region": self.region.strip(),
            "bucket": self.bucket.strip(),
            "prefix": self.prefix.strip(),
            "access_key_id": self.access_key_id.strip(),
            "public_base_url": self.public_base_url.strip(),
            "presign_hours": self.presign_hours,
            "path_style": self.path_style,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HostingConfig:
        """Read :meth:`to_dict`'s output; unknown or bad values fall back to defaults."""
        defaults = cls()
        try:
            provider = ProviderKind(data.get("provider", defaults.provider.value))
        except ValueError:
            log.warning("hosting settings: unknown provider %r", data.get("provider"))
            provider = defaults.provider

        def text(name: str) -> str:
            value = data.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        hours = data.get("presign_hours", defaults.presign_hours)
        if not isinstance(hours, int) or isinstance(hours, bool):
            hours = defaults.presign_hours
        path_style = data.get("path_style", defaults.path_style)
        return cls(
            provider=provider,
            endpoint=text("endpoint"),
            region=text("region"),
            bucket=text("bucket"),
            prefix=text("prefix"),
            access_key_id=text("access_key_id"),
            public_base_url=text("public_base_url"),
            presign_hours=clamp_presign_hours(hours),
            path_style=path_style if isinstance(path_style, bool) else defaults.path_style,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> HostingConfig:
        """The configuration kept in the settings file (URL only when none is)."""
        data = settings.extra.get(SETTINGS_KEY)
        return cls.from_dict(data) if isinstance(data, Mapping) else cls()

    def store_in(self, settings: Settings) -> None:
        """Keep this configuration in ``settings`` (saved with the settings file)."""
        settings.extra[SETTINGS_KEY] = self.to_dict()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HostingConfig | None:
        """S3 hosting from ``VEO_S3_*`` and ``AWS_ACCESS_KEY_ID``; None without ``VEO_S3_BUCKET``.

        The secret comes from :func:`secret_from_env`.
        """
        env = os.environ if env is None else env
        bucket = env.get(ENV_BUCKET, "").strip()
        if not bucket:
            return None
        hours_text = env.get(ENV_PRESIGN_HOURS, "").strip()
        hours = int(hours_text) if hours_text.isdigit() else DEFAULT_PRESIGN_HOURS
        region = env.get(ENV_REGION) or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        return cls(
            provider=ProviderKind.S3,
            endpoint=env.get(ENV_ENDPOINT, "").strip(),
            region=(region or "").strip(),
            bucket=bucket,
            prefix=env.get(ENV_PREFIX, "").strip(),
            access_key_id=env.get(ENV_ACCESS_KEY_ID, "").strip(),
            public_base_url=env.get(ENV_PUBLIC_BASE_URL, "").strip(),
            presign_hours=clamp_presign_hours(hours),
        )


def clamp_presign_hours(hours: int) -> int:
    return max(MIN_PRESIGN_HOURS, min(MAX_PRESIGN_HOURS, hours))


def secret_account(access_key_id: str) -> str:
    """The keyring account name for an access key's secret: ``s3:<access key id>``."""
    return f"s3:{access_key_id.strip()}"


def secret_from_env(config: HostingConfig, env: Mapping[str, str] | None = None) -> str | None:
    """``AWS_SECRET_ACCESS_KEY`` when it belongs to ``config``'s access key id."""
    env = os.environ if env is None else env
    secret = env.get(ENV_SECRET_ACCESS_KEY, "").strip()
    if not secret:
        return None
    key_id = env.get(ENV_ACCESS_KEY_ID, "").strip()
    if key_id and key_id != config.access_key_id.strip():
        return None
    return secret


class S3Secrets:
    """S3 secret access keys in the system keyring, one account per access key id.

    When the system has no usable keyring, a secret is kept in memory for this session only
    (the person is told), never written anywhere. Keyring calls run in worker threads with a
    timeout (through :class:`~veo_desktop.core.secrets.KeyStore`).

    Args:
        backend: a specific keyring backend (tests); default is keyring's choice.
        timeout: seconds to wait for the keyring.
    """

    def __init__(
        self,
        *,
        backend: keyring.backend.KeyringBackend | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._backend = backend
        self._timeout = timeout
        self._session: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"S3Secrets(backend={self._store('-').backend_name!r})"

    def _store(self, access_key_id: str) -> KeyStore:
        return KeyStore(
            service=SERVICE,
            username=secret_account(access_key_id),
            timeout=self._timeout,
            backend=self._backend,
        )

    @property
    def keyring_available(self) -> bool:
        """Whether secrets survive a restart (a real keyring backend is configured)."""
        return self._store("-").available

    @property
    def backend_name(self) -> str:
        return self._store("-").backend_name

    async def get(self, access_key_id: str) -> str | None:
        """The stored secret for ``access_key_id``, or None.

        Raises:
            HostingError: the keyring cannot be read.
        """
        key_id = access_key_id.strip()
        if not key_id:
            return None
        if key_id in self._session:
            return self._session[key_id]
        try:
            return await self._store(key_id).aget()
        except KeyringUnavailableError as error:
            raise HostingError(_keyring_message(error)) from None

    async def has(self, access_key_id: str) -> bool:
        """Whether a secret is stored for ``access_key_id`` (never returns it)."""
        return bool(await self.get(access_key_id))

    async def set(self, access_key_id: str, secret: str) -> bool:
        """Store ``secret``; True when it went to the keyring, False when kept in memory.

        Raises:
            ValueError: the access key id or the secret is empty.
            HostingError: the keyring refused it.
        """
        key_id = access_key_id.strip()
        secret = secret.strip()
        if not key_id:
            raise ValueError("Enter the access key id before its secret.")
        if not secret:
            raise ValueError("The secret access key is empty.")
        store = self._store(key_id)
        if not store.available:
            log.info("no usable keyring (%s): S3 secret kept for this session", store.backend_name)
            self._session[key_id] = secret
            return False
        try:
            await store.aset(secret)
        except KeyringUnavailableError as error:
            raise HostingError(_keyring_message(error)) from None
        self._session.pop(key_id, None)
        return True

    async def delete(self, access_key_id: str) -> None:
        """Forget the secret for ``access_key_id`` (in the keyring and in memory)."""
        key_id = access_key_id.strip()
        if not key_id:
            return
        self._session.pop(key_id, None)
        try:
            await self._store(key_id).adelete()
        except KeyringUnavailableError as error:
            raise HostingError(_keyring_message(error)) from None


def _keyring_message(error: KeyringUnavailableError) -> str:
    detail = str(error).split(". ", 1)[0]
    return (
        f"{detail}. The S3 secret access key cannot be read or saved there; unlock the keyring, "
        f"or set {ENV_SECRET_ACCESS_KEY} for the command line."
    )
