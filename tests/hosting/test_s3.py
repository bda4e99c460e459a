"""S3-compatible hosting against a real S3 server on loopback (moto's threaded server).

moto does not check presigned signatures or expiry, so expiry is read off the URL itself
(``X-Amz-Expires``, ``X-Amz-Algorithm``); fetching through the link proves the key, bytes and
content type are right.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fixtures.s3 import IamKey, S3Bucket
from tests.imaging import samples
from veo_desktop.hosting import (
    HostingError,
    PreparedImage,
    S3Provider,
    UploadCancelledError,
)

NOW = 1_900_000_000.0
T = TypeVar("T")


def png_image(width: int = 64, height: int = 36, *, seed: int = 0) -> PreparedImage:
    data = samples.encode(samples.two_tone(width + seed, height), "PNG")
    return PreparedImage(
        data=data,
        mime="image/png",
        width=width + seed,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        source=Path("frame.png"),
    )


def noisy_jpeg(megapixels: float = 3.0) -> PreparedImage:
    side = int((megapixels * 1e6) ** 0.5)
    data = samples.encode(samples.noise(side, side, seed=7), "JPEG", 100)
    return PreparedImage(
        data=data,
        mime="image/jpeg",
        width=side,
        height=side,
        sha256=hashlib.sha256(data).hexdigest(),
        source=Path("noise.jpg"),
    )


def provider(where: S3Bucket, secret: str | None = None, **changes: object) -> S3Provider:
    return S3Provider(where.config(**changes), secret or where.secret, clock=lambda: NOW)


def run(host: S3Provider, action: Callable[[S3Provider], Awaitable[T]]) -> T:
    """Run one action on ``host`` in a fresh event loop, closing the provider after."""

    async def go() -> T:
        async with host:
            return await action(host)

    return asyncio.run(go())


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_upload_stores_by_hash_with_its_type_and_returns_a_presigned_sigv4_link(
    s3_bucket: S3Bucket,
) -> None:
    image = png_image()
    host = provider(s3_bucket)

    async def upload_and_fetch(h: S3Provider) -> tuple[str, float | None, httpx.Response]:
        hosted = await h.upload(image)
        async with httpx.AsyncClient() as http:
            fetched = await http.get(hosted.url)
        return hosted.url, hosted.expires_at, fetched

    url, expires_at, fetched = run(host, upload_and_fetch)

    key = f"veo-inputs/{image.sha256}.png"
    assert s3_bucket.object_keys() == [key]
    assert urlsplit(url).path == f"/{s3_bucket.name}/{key}"
    params = query(url)
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-Expires"] == str(24 * 3600)
    assert params["X-Amz-Credential"].startswith(f"{s3_bucket.access_key_id}/")
    assert s3_bucket.secret not in url
    assert expires_at == NOW + 24 * 3600
    assert fetched.status_code == 200
    assert fetched.content == image.data
    assert fetched.headers["content-type"] == "image/png"


@pytest.mark.parametrize(("hours", "seconds"), [(1, 3600), (72, 259200), (168, 604800)])
def test_presigned_lifetime_follows_the_setting(
    s3_bucket: S3Bucket, hours: int, seconds: int
) -> None:
    host = provider(s3_bucket, presign_hours=hours)
    hosted = run(host, lambda h: h.upload(png_image()))
    assert query(hosted.url)["X-Amz-Expires"] == str(seconds)
    assert hosted.expires_at == NOW + seconds
    assert host.url_lifetime == seconds


def test_a_public_bucket_gets_a_plain_lasting_url(s3_bucket: S3Bucket) -> None:
    base = s3_bucket.make_public()
    host = provider(s3_bucket, public_base_url=base + "/", prefix="")
    image = png_image()

    hosted = run(host, lambda h: h.upload(image))

    assert hosted.url == f"{base}/{image.sha256}.png"
    assert hosted.expires_at is None
    assert host.url_lifetime is None
    assert httpx.get(hosted.url).content == image.data


def test_the_same_content_is_not_uploaded_twice(s3_bucket: S3Bucket) -> None:
    image = png_image()
    host = provider(s3_bucket)
    key = host.key_for(image)
    run(host, lambda h: h.upload(image))
    # Mark the stored object; a second PUT would replace it and lose the mark.
    s3_bucket.client.copy_object(
        Bucket=s3_bucket.name,
        Key=key,
        CopySource={"Bucket": s3_bucket.name, "Key": key},
        Metadata={"sha256": image.sha256, "mark": "first"},
        MetadataDirective="REPLACE",
        ContentType="image/png",
    )
    reports: list[tuple[int, int]] = []

    hosted = run(
        provider(s3_bucket), lambda h: h.upload(image, progress=lambda s, t: reports.append((s, t)))
    )

    head = s3_bucket.head(key)
    assert head is not None
    assert head["Metadata"]["mark"] == "first"
    assert reports == [(0, image.size), (image.size, image.size)]
    assert hosted.url.startswith(f"{s3_bucket.endpoint}/{s3_bucket.name}/{key}?")


def test_progress_reaches_the_total_on_the_loop_thread(s3_bucket: S3Bucket) -> None:
    image = noisy_jpeg(1.0)
    threads: set[int] = set()
    reports: list[tuple[int, int]] = []

    def on_progress(sent: int, total: int) -> None:
        threads.add(threading.get_ident())
        reports.append((sent, total))

    run(provider(s3_bucket), lambda h: h.upload(image, progress=on_progress))

    assert threads == {threading.get_ident()}
    sent = [s for s, _ in reports]
    assert sent == sorted(sent)
    assert len(reports) > 3
    assert reports[-1] == (image.size, image.size)


def test_cancel_stops_the_upload_and_leaves_nothing(s3_bucket: S3Bucket) -> None:
    image = noisy_jpeg(3.0)
    host = provider(s3_bucket)

    async def cancel_midway(h: S3Provider) -> list[tuple[int, int]]:
        cancel = asyncio.Event()
        reports: list[tuple[int, int]] = []

        def on_progress(sent: int, total: int) -> None:
            reports.append((sent, total))
            if sent > 0:
                cancel.set()

        with pytest.raises(UploadCancelledError):
            await h.upload(image, progress=on_progress, cancel=cancel)
        return reports

    reports = run(host, cancel_midway)
    assert reports[-1][0] < image.size
    assert s3_bucket.object_keys() == []


def test_cancelled_before_it_starts(s3_bucket: S3Bucket) -> None:
    async def cancelled_first() -> None:
        cancel = asyncio.Event()
        cancel.set()
        async with provider(s3_bucket) as host:
            with pytest.raises(UploadCancelledError, match="cancelled"):
                await host.upload(png_image(), cancel=cancel)

    asyncio.run(cancelled_first())
    assert s3_bucket.object_keys() == []


def test_cancelling_the_task_stops_the_transfer(s3_bucket: S3Bucket) -> None:
    image = noisy_jpeg(3.0)

    async def cancel_task() -> None:
        started = asyncio.Event()
        async with provider(s3_bucket) as host:
            task = asyncio.create_task(
                host.upload(image, progress=lambda s, _t: s and started.set())
            )
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(cancel_task())
    assert s3_bucket.object_keys() == []


# -- test connection -------------------------------------------------------------------------


def test_test_connection_uploads_fetches_and_deletes_a_probe(s3_bucket: S3Bucket) -> None:
    message = run(provider(s3_bucket), lambda h: h.test_connection())
    assert message == (
        f"Connected to bucket '{s3_bucket.name}' at {s3_bucket.endpoint}: a test file was "
        "uploaded, fetched through a presigned link (valid 24 h) and deleted."
    )
    assert s3_bucket.object_keys() == []


def test_test_connection_with_a_working_public_base_url(s3_bucket: S3Bucket) -> None:
    base = s3_bucket.make_public()
    message = run(provider(s3_bucket, public_base_url=base), lambda h: h.test_connection())
    assert f"fetched through the public address {base}/…" in message
    assert s3_bucket.object_keys() == []


def test_test_connection_catches_a_public_base_url_that_is_not_public(
    s3_bucket: S3Bucket,
) -> None:
    wrong = f"{s3_bucket.endpoint}/{s3_bucket.name}"  # right place, but the bucket is private
    with pytest.raises(HostingError) as caught:
        run(provider(s3_bucket, public_base_url=wrong), lambda h: h.test_connection())
    assert str(caught.value).startswith(
        "The test file was uploaded, but the public address answered 403 instead of the file"
    )
    assert "Check the public base URL" in str(caught.value)
    assert s3_bucket.object_keys() == []


def test_missing_bucket_is_named(s3_bucket: S3Bucket) -> None:
    with pytest.raises(HostingError) as caught:
        run(provider(s3_bucket, bucket="no-such-bucket-here"), lambda h: h.test_connection())
    assert str(caught.value) == (
        f"The bucket 'no-such-bucket-here' does not exist at {s3_bucket.endpoint}. Check its "
        "name (and the endpoint or region)."
    )


def test_dead_endpoint(s3_bucket: S3Bucket, dead_endpoint: str) -> None:
    host = S3Provider(s3_bucket.config(endpoint=dead_endpoint), s3_bucket.secret, max_attempts=1)
    with pytest.raises(HostingError) as caught:
        run(host, lambda h: h.test_connection())
    assert str(caught.value) == (
        f"Cannot reach the storage server at {dead_endpoint}. Check the endpoint address and "
        "your internet connection."
    )


def test_unknown_access_key(s3_bucket: S3Bucket, moto_auth: IamKey) -> None:
    host = S3Provider(s3_bucket.config(access_key_id="AKIANOTAREALKEY00000"), "whatever")
    with pytest.raises(HostingError) as caught:
        run(host, lambda h: h.upload(png_image()))
    assert str(caught.value).startswith(
        f"The access key id AKIANOTAREALKEY00000 is not known at {s3_bucket.endpoint}."
    )


def test_wrong_secret(s3_bucket: S3Bucket, moto_auth: IamKey) -> None:
    wrong = "wrong-secret-value-123"
    host = S3Provider(s3_bucket.config(access_key_id=moto_auth.access_key_id), wrong)
    with pytest.raises(HostingError) as caught:
        run(host, lambda h: h.test_connection())
    message = str(caught.value)
    assert message == (
        f"The secret access key does not match access key id {moto_auth.access_key_id}. "
        "Enter the secret again."
    )
    assert wrong not in message
    assert wrong not in repr(host)


def test_right_key_with_checks_on(s3_bucket: S3Bucket, moto_auth: IamKey) -> None:
    # (moto cannot serve presigned GETs while it checks credentials, so no test_connection.)
    host = S3Provider(s3_bucket.config(access_key_id=moto_auth.access_key_id), moto_auth.secret)
    image = png_image()
    run(host, lambda h: h.upload(image))
    moto_auth.stop_checking()
    assert s3_bucket.object_keys() == [host.key_for(image)]


def test_incomplete_settings_are_refused_before_any_request(s3_bucket: S3Bucket) -> None:
    with pytest.raises(HostingError, match="Enter the bucket's name"):
        S3Provider(s3_bucket.config(bucket=""), "secret")
    with pytest.raises(HostingError, match="No secret access key"):
        S3Provider(s3_bucket.config(), " ")
    with pytest.raises(HostingError, match="must use https"):
        S3Provider(s3_bucket.config(endpoint="http://minio.example.com"), "secret")
