"""Demo hosting: the simulator's upload endpoint, over loopback."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
import pytest

from tests.hosting.test_s3 import png_image
from veo_desktop.hosting import (
    DemoProvider,
    HostingError,
    PreparedImage,
    UploadCancelledError,
    UrlChecker,
)
from veo_desktop.sim import SimulatorThread


def test_upload_gives_a_url_that_serves_the_same_bytes(sim: SimulatorThread) -> None:
    image = png_image()
    reports: list[tuple[int, int]] = []

    async def run() -> tuple[str, bytes, bool]:
        provider = DemoProvider(sim.base_url)
        hosted = await provider.upload(image, progress=lambda s, t: reports.append((s, t)))
        await provider.aclose()
        async with httpx.AsyncClient() as http, UrlChecker() as checker:
            body = (await http.get(hosted.url)).content
            check = await checker.check(hosted.url)
        return hosted.url, body, check.ok

    url, body, reachable = asyncio.run(run())

    assert url == f"{sim.origin}/sim/files/{image.sha256}.png"
    assert body == image.data
    assert reachable
    assert reports[0] == (0, image.size)
    assert reports[-1] == (image.size, image.size)


def test_the_simulator_refuses_what_is_not_an_image(sim: SimulatorThread) -> None:
    data = b"just text"
    fake = PreparedImage(
        data=data,
        mime="image/png",
        width=1,
        height=1,
        sha256=hashlib.sha256(data).hexdigest(),
        source=Path("x.png"),
    )

    async def run() -> None:
        async with DemoProvider(sim.origin) as provider:
            await provider.upload(fake)

    with pytest.raises(HostingError) as caught:
        asyncio.run(run())
    assert str(caught.value) == (
        "The demo server refused the image (415: not a JPEG, PNG or WebP image)."
    )


def test_cancelled_upload(sim: SimulatorThread) -> None:
    async def run() -> None:
        cancel = asyncio.Event()
        cancel.set()
        async with DemoProvider(sim.origin) as provider:
            with pytest.raises(UploadCancelledError):
                await provider.upload(png_image(), cancel=cancel)

    asyncio.run(run())


async def _test_connection(origin: str) -> str:
    async with DemoProvider(origin) as provider:
        return await provider.test_connection()


def test_connection_check(sim: SimulatorThread, dead_endpoint: str) -> None:
    assert asyncio.run(_test_connection(sim.origin)) == (
        f"The demo server at {sim.origin} takes uploads (no charges, nothing public)."
    )
    with pytest.raises(HostingError, match="cannot be reached; is the demo running"):
        asyncio.run(_test_connection(dead_endpoint))


def test_only_this_computer() -> None:
    with pytest.raises(HostingError, match="only works with the simulator on this computer"):
        DemoProvider("https://demo.example.com")
