"""Request images: ``--image`` values become URLs, and every URL is checked before the POST."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.fixtures.s3 import ImageServer, S3Bucket
from tests.fixtures.sim import SIM_API_KEY
from tests.imaging import samples
from veo_desktop.api.client import ApixoClient
from veo_desktop.api.models import GenerationRequest, Problem, RequestInvalidError
from veo_desktop.hosting import (
    DemoProvider,
    HostingProvider,
    ImageHost,
    ImageInputsError,
    S3Provider,
    UrlChecker,
    UrlOnlyProvider,
    check_before_submit,
    describe_slot,
    ensure_images_reachable,
    resolve_image_inputs,
)
from veo_desktop.runtime import prepare_local_image
from veo_desktop.sim import SimulatorThread

PNG = samples.encode(samples.two_tone(64, 36), "PNG")


def resolve(values: list[str], provider: HostingProvider) -> list[str]:
    async def run() -> list[str]:
        async with UrlChecker() as checker:
            return await resolve_image_inputs(
                values, provider, checker, prepare=prepare_local_image
            )

    return asyncio.run(run())


def test_urls_and_local_files_become_urls_in_order(
    s3_bucket: S3Bucket, image_server: ImageServer, tmp_path: Path
) -> None:
    web = image_server.add("/first.png", body=PNG, content_type="image/png")
    local = samples.write(tmp_path, "last.webp", samples.encode(samples.two_tone(64, 36), "WEBP"))
    host = ImageHost(S3Provider(s3_bucket.config(), s3_bucket.secret))

    urls = resolve([web, str(local)], host)

    assert urls[0] == web
    assert urls[1].startswith(f"{s3_bucket.endpoint}/{s3_bucket.name}/veo-inputs/")
    fetched = httpx.get(urls[1])
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.content.startswith(b"\x89PNG")
    assert host.uploads == 1


def test_each_failing_value_is_named_and_nothing_is_uploaded(
    s3_bucket: S3Bucket, image_server: ImageServer, tmp_path: Path
) -> None:
    good = samples.write(tmp_path, "good.png", PNG)
    notes = samples.write(tmp_path, "notes.txt", b"not a picture\n")
    host = ImageHost(S3Provider(s3_bucket.config(), s3_bucket.secret))

    with pytest.raises(ImageInputsError) as caught:
        resolve([str(good), image_server.url("/gone.png"), str(notes)], host)

    lines = str(caught.value).splitlines()
    assert lines[0] == (
        f"--image 2 ({image_server.url('/gone.png')}): The server answered 404: the image is "
        "not there."
    )
    assert lines[1].startswith("--image 3 (")
    assert lines[1].endswith(
        "/notes.txt): notes.txt is a text file, not an image Veo Desktop can use; "
        "use a JPEG or PNG image."
    )
    assert len(lines) == 2
    assert [problem.index for problem in caught.value.problems] == [1, 2]
    assert host.uploads == 0
    assert s3_bucket.object_keys() == []


def test_local_file_without_hosting_says_how_to_set_it_up(tmp_path: Path) -> None:
    path = samples.write(tmp_path, "frame.png", PNG)
    with pytest.raises(ImageInputsError) as caught:
        resolve([str(path)], UrlOnlyProvider())
    message = str(caught.value)
    assert message.startswith("--image 1 (")
    assert message.endswith(
        "/frame.png): Local files need image hosting: choose S3-compatible storage in "
        "Settings > Image hosting, or paste a public image URL instead."
    )


def test_demo_mode_uploads_to_the_simulator(sim: SimulatorThread, tmp_path: Path) -> None:
    path = samples.write(tmp_path, "frame.bmp", samples.encode(samples.two_tone(64, 36), "BMP"))

    async def run() -> list[str]:
        async with DemoProvider(sim.origin) as provider, UrlChecker() as checker:
            return await resolve_image_inputs(
                [str(path)], provider, checker, prepare=prepare_local_image
            )

    (url,) = asyncio.run(run())
    assert url.startswith(f"{sim.origin}/sim/files/")
    assert url.endswith(".png")


def test_check_before_submit_names_the_slot_at_fault(image_server: ImageServer) -> None:
    good = image_server.add("/ok.png", body=PNG, content_type="image/png")
    dead = image_server.url("/expired.png")

    problems = asyncio.run(check_before_submit([good, dead]))

    assert len(problems) == 1
    assert problems[0].index == 1
    assert problems[0].field == "image_urls[1]"
    assert problems[0].to_problem() == Problem(
        "image_urls[1]", "The server answered 404: the image is not there."
    )
    assert describe_slot("FIRST_AND_LAST_FRAMES_2_VIDEO", 1) == "Last frame"
    assert describe_slot("REFERENCE_2_VIDEO", 2) == "Reference 3"
    assert asyncio.run(check_before_submit([])) == []


def test_an_unreachable_image_blocks_the_submit_and_nothing_is_charged(
    sim: SimulatorThread, image_server: ImageServer
) -> None:
    good = image_server.add("/first.png", body=PNG, content_type="image/png")
    request = GenerationRequest(
        prompt="A paper boat drifts down a rain gutter",
        generation_type="FIRST_AND_LAST_FRAMES_2_VIDEO",
        image_urls=(good, image_server.url("/last-frame-deleted.png")),
    )
    balance_before = sim.balance

    async def submit_checked() -> str:
        client = ApixoClient(SIM_API_KEY, base_url=sim.base_url)
        try:
            await ensure_images_reachable(request)
            return await client.submit(request)
        finally:
            await client.aclose()

    with pytest.raises(RequestInvalidError) as caught:
        asyncio.run(submit_checked())

    assert caught.value.problems == [
        Problem("image_urls[1]", "The server answered 404: the image is not there.")
    ]
    assert sim.balance == balance_before
    assert not [r for r in sim.requests if r.method == "POST"]


def test_reachable_images_go_through(sim: SimulatorThread, image_server: ImageServer) -> None:
    good = image_server.add("/first.png", body=PNG, content_type="image/png")
    request = GenerationRequest(
        prompt="A paper boat drifts down a rain gutter",
        generation_type="FIRST_AND_LAST_FRAMES_2_VIDEO",
        image_urls=(good,),
    )

    async def submit_checked() -> str:
        client = ApixoClient(SIM_API_KEY, base_url=sim.base_url)
        try:
            await ensure_images_reachable(request)
            return await client.submit(request)
        finally:
            await client.aclose()

    assert asyncio.run(submit_checked())
