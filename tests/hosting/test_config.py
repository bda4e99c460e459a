"""Hosting settings: a JSON-able dict without the secret, the environment, the keyring."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.fixtures.s3 import MemoryKeyring, S3Bucket
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.hosting import (
    DemoProvider,
    HostingConfig,
    HostingError,
    HostingNotConfiguredError,
    ProviderKind,
    S3Provider,
    S3Secrets,
    UrlOnlyProvider,
    create_provider,
    provider_for_cli,
    secret_from_env,
)

S3 = HostingConfig(
    provider=ProviderKind.S3,
    endpoint="https://abc123.r2.cloudflarestorage.com",
    bucket="veo-frames",
    prefix="inputs/",
    access_key_id="R2KEYID",
    presign_hours=48,
)


def test_dict_round_trip_and_no_secret_inside() -> None:
    data = S3.to_dict()
    assert HostingConfig.from_dict(json.loads(json.dumps(data))) == S3
    assert not any("secret" in key for key in data)


def test_from_dict_falls_back_on_bad_values() -> None:
    config = HostingConfig.from_dict(
        {"provider": "ftp", "presign_hours": 10_000, "bucket": 7, "path_style": "yes"}
    )
    assert config.provider is ProviderKind.URL
    assert config.presign_hours == 168
    assert config.bucket == ""
    assert config.path_style is True


def test_settings_file_keeps_the_hosting_config_but_never_a_secret(tmp_path: object) -> None:
    paths = AppPaths.resolve(str(tmp_path)).ensure()
    settings = Settings()
    S3.store_in(settings)
    settings.save(paths)

    loaded = HostingConfig.from_settings(Settings.load(paths))

    assert loaded == S3
    assert "secret" not in paths.settings_path.read_text().lower()
    assert HostingConfig.from_settings(Settings()) == HostingConfig()


def test_from_env() -> None:
    env = {
        "VEO_S3_ENDPOINT": "https://s3.us-west-004.backblazeb2.com",
        "VEO_S3_BUCKET": "my-b2-bucket",
        "VEO_S3_PREFIX": "veo/",
        "VEO_S3_PUBLIC_BASE_URL": "https://f004.backblazeb2.com/file/my-b2-bucket",
        "AWS_ACCESS_KEY_ID": "004keyid",
        "AWS_SECRET_ACCESS_KEY": "s3cr3t",
    }
    config = HostingConfig.from_env(env)
    assert config is not None
    assert config.provider is ProviderKind.S3
    assert config.bucket == "my-b2-bucket"
    assert config.effective_region == "us-west-004"
    assert config.public_base_url == "https://f004.backblazeb2.com/file/my-b2-bucket"
    assert config.problems() == []
    assert secret_from_env(config, env) == "s3cr3t"
    assert "s3cr3t" not in json.dumps(config.to_dict())
    assert HostingConfig.from_env({"AWS_ACCESS_KEY_ID": "x"}) is None


def test_secret_from_env_only_for_its_own_key() -> None:
    env = {"AWS_ACCESS_KEY_ID": "OTHER", "AWS_SECRET_ACCESS_KEY": "s3cr3t"}
    assert secret_from_env(S3, env) is None


@pytest.mark.parametrize(
    ("endpoint", "region", "expected"),
    [
        ("", "", "us-east-1"),
        ("", "eu-west-3", "eu-west-3"),
        ("https://abc.r2.cloudflarestorage.com", "", "auto"),
        ("https://s3.eu-central-003.backblazeb2.com", "", "eu-central-003"),
        ("https://s3.ap-south-1.amazonaws.com", "", "ap-south-1"),
        ("http://127.0.0.1:9000", "", "us-east-1"),
    ],
)
def test_region_is_guessed_from_the_endpoint(endpoint: str, region: str, expected: str) -> None:
    assert S3.replace(endpoint=endpoint, region=region).effective_region == expected


def test_problems_name_the_field() -> None:
    bad = S3.replace(
        endpoint="http://minio.example.com",
        bucket="",
        access_key_id="",
        public_base_url="ftp://cdn",
        presign_hours=0,
        prefix="../up",
    )
    fields = [problem.field for problem in bad.problems()]
    assert fields == [
        "endpoint",
        "bucket",
        "access_key_id",
        "prefix",
        "public_base_url",
        "presign_hours",
    ]
    assert S3.replace(endpoint="http://localhost:9000").problems() == []
    assert HostingConfig().problems() == []


# -- secrets ---------------------------------------------------------------------------------


def test_secret_is_stored_in_the_keyring_under_its_access_key(
    memory_keyring: MemoryKeyring,
) -> None:
    secrets = S3Secrets(backend=memory_keyring)

    async def run() -> tuple[bool, str | None, bool]:
        stored = await secrets.set("R2KEYID", "  the-secret  ")
        value = await secrets.get("R2KEYID")
        await secrets.delete("R2KEYID")
        return stored, value, await secrets.has("R2KEYID")

    stored, value, still_there = asyncio.run(run())
    assert stored is True
    assert value == "the-secret"
    assert still_there is False
    assert memory_keyring.passwords == {}


def test_account_name(memory_keyring: MemoryKeyring) -> None:
    asyncio.run(S3Secrets(backend=memory_keyring).set("R2KEYID", "x"))
    assert list(memory_keyring.passwords) == [("Veo Desktop", "s3:R2KEYID")]


def test_without_a_keyring_the_secret_lives_for_the_session_only() -> None:
    secrets = S3Secrets()  # the null backend (tests/conftest.py)

    async def run() -> tuple[bool, str | None]:
        return await secrets.set("KEY", "abc"), await secrets.get("KEY")

    assert secrets.keyring_available is False
    assert asyncio.run(run()) == (False, "abc")
    assert asyncio.run(S3Secrets().get("KEY")) is None


def test_a_locked_keyring_gives_a_clear_message(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.fail = True
    with pytest.raises(HostingError) as caught:
        asyncio.run(S3Secrets(backend=memory_keyring).set("KEY", "topsecret"))
    assert "keyring" in str(caught.value)
    assert "S3 secret access key" in str(caught.value)
    assert "topsecret" not in str(caught.value)


# -- building the provider -------------------------------------------------------------------


def test_create_provider_for_each_kind(memory_keyring: MemoryKeyring, s3_bucket: S3Bucket) -> None:
    secrets = S3Secrets(backend=memory_keyring)

    async def run() -> None:
        assert isinstance(await create_provider(HostingConfig()), UrlOnlyProvider)
        demo = await create_provider(
            HostingConfig(provider=ProviderKind.DEMO), demo_origin="http://127.0.0.1:9"
        )
        assert isinstance(demo, DemoProvider)
        with pytest.raises(HostingNotConfiguredError, match="only works in demo mode"):
            await create_provider(HostingConfig(provider=ProviderKind.DEMO))
        with pytest.raises(HostingError, match="No secret access key is stored for"):
            await create_provider(s3_bucket.config(), secrets=secrets)
        await secrets.set(s3_bucket.access_key_id, s3_bucket.secret)
        made = await create_provider(s3_bucket.config(), secrets=secrets)
        assert isinstance(made, S3Provider)
        await made.aclose()
        with pytest.raises(HostingError, match="Image hosting is not set up: Enter the bucket"):
            await create_provider(s3_bucket.config(bucket=""), secrets=secrets)

    asyncio.run(run())


def test_provider_for_cli_prefers_the_environment(s3_bucket: S3Bucket) -> None:
    env = {
        "VEO_S3_ENDPOINT": s3_bucket.endpoint,
        "VEO_S3_BUCKET": s3_bucket.name,
        "VEO_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": s3_bucket.access_key_id,
        "AWS_SECRET_ACCESS_KEY": s3_bucket.secret,
    }
    settings = Settings()
    HostingConfig().store_in(settings)

    async def run() -> str:
        made = await provider_for_cli(settings, env=env)
        assert isinstance(made, S3Provider)
        assert made.config.bucket == s3_bucket.name
        async with made:
            return await made.test_connection()

    assert asyncio.run(run()).startswith("Connected to bucket")


def test_provider_for_cli_in_demo_mode_uses_the_simulator() -> None:
    made = asyncio.run(provider_for_cli(Settings(), env={}, demo_origin="http://127.0.0.1:5"))
    assert isinstance(made, DemoProvider)
    assert isinstance(asyncio.run(provider_for_cli(Settings(), env={})), UrlOnlyProvider)
