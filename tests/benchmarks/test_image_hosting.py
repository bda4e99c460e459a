"""Image preparation and hosting, against baselines measured in the same run.

- prepare_image on a 12 MP JPEG within the limit, against a bare ``QImage(path)`` decode.
- prepare_image on an 11 MB PNG (must shrink), against one decode + one JPEG save.
- The event loop's longest stall while a 12 MP photo is prepared in a worker thread.
- S3Provider.upload (worker thread, progress callbacks) against boto3 ``put_object`` alone,
  20 images of ~1 MB on the loopback S3 server; and a cache hit through ImageHost.
- UrlChecker.check against a bare ``httpx`` HEAD.

Run with ``pytest -m benchmark -s tests/benchmarks/test_image_hosting.py``; figures are
printed, nothing is asserted about speed.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtGui import QImage

from tests.fixtures.s3 import ImageServer, S3Bucket
from tests.imaging import samples
from veo_desktop.hosting import HostedImageCache, ImageHost, PreparedImage, S3Provider, UrlChecker
from veo_desktop.imaging import prepare_image

pytestmark = pytest.mark.benchmark


def best_of(runs: int, action: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def report(name: str, ours: float, baseline: float, unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1
    print(
        f"\n{name}: {ours * scale:.1f} {unit} vs baseline {baseline * scale:.1f} {unit} "
        f"= {ours / baseline:.2f}x"
    )


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "photo.jpg"
    path.write_bytes(samples.encode(samples.noise(4000, 3000), "JPEG", 75))
    return path


def test_prepare_a_photo_within_the_limit(photo: Path) -> None:
    assert photo.stat().st_size < 10 * 1024 * 1024
    baseline = best_of(3, lambda: QImage(str(photo)))
    ours = best_of(3, lambda: prepare_image(photo))
    report("prepare_image, 12 MP JPEG as it is", ours, baseline)


def test_prepare_an_oversized_png(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(samples.encode(samples.noise(2100, 1800), "PNG"))

    def baseline() -> None:
        samples.encode(QImage(str(path)), "JPEG", 92)

    report(
        "prepare_image, 11 MB PNG shrunk to JPEG",
        best_of(3, lambda: prepare_image(path)),
        best_of(3, baseline),
    )


def test_event_loop_stall_while_preparing(photo: Path) -> None:
    async def measure() -> tuple[float, float]:
        lateness: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            while not done.is_set():
                started = time.perf_counter()
                await asyncio.sleep(0.01)
                lateness.append(time.perf_counter() - started - 0.01)

        tick = asyncio.create_task(ticker())
        started = time.perf_counter()
        await asyncio.to_thread(prepare_image, photo, aspect="16:9")
        elapsed = time.perf_counter() - started
        done.set()
        await tick
        return elapsed, max(lateness)

    elapsed, stall = asyncio.run(measure())
    print(
        f"\nlongest event-loop stall while cropping a 12 MP photo in a worker thread: "
        f"{stall * 1000:.1f} ms (the work took {elapsed * 1000:.0f} ms)"
    )


def _images(count: int) -> list[PreparedImage]:
    images = []
    for seed in range(count):
        data = samples.encode(samples.noise(700, 700, seed=seed), "JPEG", 95)
        images.append(
            PreparedImage(
                data=data,
                mime="image/jpeg",
                width=700,
                height=700,
                sha256=hashlib.sha256(data).hexdigest(),
                source=Path(f"{seed}.jpg"),
            )
        )
    return images


def test_s3_uploads_against_bare_boto3(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    images = _images(20)
    size = statistics.mean(image.size for image in images)

    started = time.perf_counter()
    for image in images:
        s3_bucket.client.put_object(
            Bucket=s3_bucket.name,
            Key=f"baseline/{image.sha256}.jpg",
            Body=image.data,
            ContentType=image.mime,
        )
    baseline = time.perf_counter() - started

    async def ours() -> tuple[float, float]:
        provider = S3Provider(s3_bucket.config(prefix="ours/"), s3_bucket.secret)
        async with ImageHost(provider, HostedImageCache(tmp_path / "c.json")) as host:
            await host.upload(images[0])  # the client is made once, outside the timing
            started = time.perf_counter()
            for image in images[1:]:
                await host.upload(image, progress=lambda _s, _t: None)
            elapsed = time.perf_counter() - started
            started = time.perf_counter()
            for image in images[1:]:
                await host.upload(image)
            return elapsed, time.perf_counter() - started

    elapsed, cached = asyncio.run(ours())
    per_baseline = baseline / len(images)
    per_ours = elapsed / (len(images) - 1)
    report(f"S3 upload of one {size / 1e6:.1f} MB image", per_ours, per_baseline)
    print(f"cache hit through ImageHost: {cached / (len(images) - 1) * 1000:.2f} ms per image")


def test_url_check_against_a_bare_head(image_server: ImageServer) -> None:
    url = image_server.add("/a.png", body=b"\x89PNG" + bytes(1000), content_type="image/png")

    async def measure() -> tuple[float, float]:
        async with httpx.AsyncClient() as http, UrlChecker(http) as checker:
            await http.head(url)
            await checker.check(url)
            started = time.perf_counter()
            for _ in range(50):
                await http.head(url)
            bare = time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(50):
                await checker.check(url)
            return time.perf_counter() - started, bare

    ours, bare = asyncio.run(measure())
    report("URL check (HEAD, loopback)", ours / 50, bare / 50)
