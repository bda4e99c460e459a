"""Identical content is uploaded once, and its URL re-used while it stays valid long enough."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from tests.fixtures.s3 import S3Bucket
from tests.hosting.test_s3 import png_image
from veo_desktop.hosting import (
    HostedImage,
    HostedImageCache,
    ImageHost,
    S3Provider,
    UploadCancelledError,
    UrlChecker,
)

HOUR = 3600.0


class Clock:
    def __init__(self, now: float = 1_900_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_cache_round_trips_through_its_file(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "cache" / "hosted-images.json"
    cache = HostedImageCache(path, clock=clock)
    cache.put("abc", HostedImage("https://x/abc.png", clock.now + 24 * HOUR, "s3|one"))
    cache.put("def", HostedImage("https://x/def.png", None, "demo|two"))

    again = HostedImageCache(path, clock=clock)

    assert again.get("s3|one", "abc") == HostedImage(
        "https://x/abc.png", clock.now + 24 * HOUR, "s3|one"
    )
    assert again.get("demo|two", "def", min_validity=10 * 24 * HOUR) is not None
    assert again.get("s3|other", "abc") is None
    assert len(again) == 2


def test_a_url_about_to_expire_is_not_reused(tmp_path: Path) -> None:
    clock = Clock()
    cache = HostedImageCache(tmp_path / "c.json", clock=clock)
    cache.put("abc", HostedImage("https://x/a", clock.now + 3 * HOUR, "p"))
    assert cache.get("p", "abc", min_validity=2 * HOUR) is not None
    clock.now += 1.5 * HOUR
    assert cache.get("p", "abc", min_validity=2 * HOUR) is None


def test_expired_entries_are_dropped_when_saving(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "c.json"
    cache = HostedImageCache(path, clock=clock)
    cache.put("old", HostedImage("https://x/old", clock.now + HOUR, "p"))
    clock.now += 2 * HOUR
    cache.put("new", HostedImage("https://x/new", clock.now + HOUR, "p"))
    stored = json.loads(path.read_text())
    assert [entry["sha256"] for entry in stored["entries"]] == ["new"]


def test_a_broken_cache_file_is_an_empty_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.json"
    path.write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert HostedImageCache(path).get("p", "abc") is None
    assert "ignoring the hosted-image cache" in caplog.text


def test_forget_url(tmp_path: Path) -> None:
    cache = HostedImageCache(tmp_path / "c.json")
    cache.put("abc", HostedImage("https://x/a", None, "p"))
    assert cache.forget_url("https://x/a") == 1
    assert cache.get("p", "abc") is None


# -- ImageHost in front of a real bucket -----------------------------------------------------


def make_host(bucket: S3Bucket, path: Path, clock: Clock, **changes: object) -> ImageHost:
    provider = S3Provider(bucket.config(**changes), bucket.secret, clock=clock)
    return ImageHost(provider, HostedImageCache(path, clock=clock))


def test_the_same_picture_is_uploaded_once_even_after_a_restart(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    clock = Clock()
    path = tmp_path / "hosted-images.json"
    image = png_image()

    async def run() -> tuple[ImageHost, ImageHost, list[HostedImage]]:
        async with make_host(s3_bucket, path, clock) as first_host:
            first = await first_host.upload(image)
            second = await first_host.upload(image)
        async with make_host(s3_bucket, path, clock) as restarted:
            third = await restarted.upload(image)
        return first_host, restarted, [first, second, third]

    first_host, restarted, hosted = asyncio.run(run())

    assert first_host.uploads == 1
    assert restarted.uploads == 0
    assert hosted[0] == hosted[1] == hosted[2]


def test_an_aging_link_is_replaced_by_a_fresh_upload(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    clock = Clock()
    image = png_image()

    async def run() -> tuple[ImageHost, HostedImage]:
        async with make_host(s3_bucket, tmp_path / "c.json", clock) as host:
            await host.upload(image)
            clock.now += 23 * HOUR  # one hour left of 24: less than the 2 h a task may need
            return host, await host.upload(image)

    host, second = asyncio.run(run())
    assert host.uploads == 2
    assert second.expires_at == clock.now + 24 * HOUR


def test_short_lived_links_are_still_reused_for_half_their_life(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    clock = Clock()
    image = png_image()

    async def run() -> ImageHost:
        async with make_host(s3_bucket, tmp_path / "c.json", clock, presign_hours=1) as host:
            assert host.needed_validity == 0.5 * HOUR
            await host.upload(image)
            clock.now += 0.25 * HOUR
            await host.upload(image)
            return host

    assert asyncio.run(run()).uploads == 1


def test_a_cached_url_that_stopped_working_is_uploaded_again(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    clock = Clock()
    provider = S3Provider(s3_bucket.config(), s3_bucket.secret, clock=clock)
    image = png_image()

    async def run() -> ImageHost:
        async with (
            UrlChecker() as checker,
            ImageHost(
                provider, HostedImageCache(tmp_path / "c.json", clock=clock), checker=checker
            ) as host,
        ):
            await host.upload(image)
            s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key=provider.key_for(image))
            await host.upload(image)
            return host

    host = asyncio.run(run())
    assert host.uploads == 2
    assert s3_bucket.object_keys() == [provider.key_for(image)]


def test_two_slots_uploading_the_same_picture_share_one_upload(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    host = make_host(s3_bucket, tmp_path / "c.json", Clock())
    image = png_image()

    async def run() -> list[HostedImage]:
        async with host:
            return list(await asyncio.gather(host.upload(image), host.upload(image)))

    first, second = asyncio.run(run())
    assert first == second
    assert host.uploads == 1


def test_cancel_while_waiting_for_the_same_picture(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    host = make_host(s3_bucket, tmp_path / "c.json", Clock())
    image = png_image()

    async def run() -> None:
        async with host:
            await cancel_second(host)

    async def cancel_second(host: ImageHost) -> None:
        cancel = asyncio.Event()
        first = asyncio.create_task(host.upload(image))
        await asyncio.sleep(0)
        second = asyncio.create_task(host.upload(image, cancel=cancel))
        await asyncio.sleep(0)
        cancel.set()
        with pytest.raises(UploadCancelledError):
            await second
        await first

    asyncio.run(run())
    assert host.uploads == 1
