"""Result clips (real H.264), their URLs (Range, HEAD, expiry), input images and uploads."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import shutil
import signal
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from tests.fixtures.sim import SimFactory
from tests.sim.conftest import Apixo, text_body
from veo_desktop.sim.renderer import RenderError, RenderJob, RenderWorker

DAY = 24 * 60 * 60


def result_url(data: Any) -> str:
    url: str = json.loads(data["resultJson"])["resultUrls"][0]
    return url


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A small, valid PNG."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def decode(data: bytes) -> tuple[Any, list[bytes]]:
    """The video stream's codec context and the luma plane of every frame."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        codec = stream.codec_context
        info = (codec.name, codec.width, codec.height, codec.pix_fmt)
        lumas = [bytes(frame.planes[0]) for frame in container.decode(stream)]
    return info, lumas


@pytest.fixture
def clip(api: Apixo) -> tuple[str, bytes]:
    url = result_url(api.finished())
    response = api.web.get(url)
    assert response.status_code == 200
    return url, response.content


# ------------------------------------------------------------------- the clips


@pytest.mark.parametrize(
    ("aspect", "size"), [("16:9", (640, 360)), ("9:16", (360, 640)), ("auto", (640, 360))]
)
def test_clip_is_h264_in_the_requested_shape(
    api: Apixo, aspect: str, size: tuple[int, int]
) -> None:
    data = api.web.get(result_url(api.finished(text_body(aspect_ratio=aspect)))).content
    (codec, width, height, pix_fmt), lumas = decode(data)
    assert (codec, pix_fmt) == ("h264", "yuv420p")
    assert (width, height) == size
    assert len(lumas) == 24  # clip_seconds=1 at 24 fps
    assert lumas[0] != lumas[-1], "something must move"


def test_clip_is_faststart(clip: tuple[str, bytes]) -> None:
    _, data = clip
    assert data.index(b"moov") < data.index(b"mdat")


def test_clips_differ_between_tasks(api: Apixo, clip: tuple[str, bytes]) -> None:
    _, first = clip
    second = api.web.get(result_url(api.finished())).content
    assert decode(first)[1][0] != decode(second)[1][0]


def test_shared_video_serves_one_clip(sim_factory: SimFactory) -> None:
    sim = sim_factory(video="shared")
    client = Apixo(sim)
    try:
        urls = [result_url(client.finished()) for _ in range(3)]
        portrait = result_url(client.finished(text_body(aspect_ratio="9:16")))
        assert len(set(urls)) == 3, "each task keeps its own URL"
        bodies = {client.web.get(url).content for url in urls}
        assert len(bodies) == 1
        assert decode(client.web.get(portrait).content)[0][1:3] == (360, 640)
    finally:
        client.close()


# ------------------------------------------------------------------ the URLs


def test_head_and_whole_get(api: Apixo, clip: tuple[str, bytes]) -> None:
    url, data = clip
    head = api.web.head(url)
    assert head.status_code == 200
    assert head.headers["content-type"] == "video/mp4"
    assert head.headers["accept-ranges"] == "bytes"
    assert int(head.headers["content-length"]) == len(data)
    assert head.content == b""


def test_range_requests(api: Apixo, clip: tuple[str, bytes]) -> None:
    url, data = clip
    first = api.web.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-99/{len(data)}"
    assert first.content == data[:100]
    assert api.sim.requests[-1].status == 206
    tail = api.web.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206
    assert tail.content == data[-50:]
    resume = api.web.get(url, headers={"Range": f"bytes={len(data) - 10}-"})
    assert resume.content == data[-10:]
    beyond = api.web.get(url, headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"


def test_result_url_expires_after_a_day(api: Apixo, clip: tuple[str, bytes]) -> None:
    url, _ = clip
    task_id = url.rsplit("/", 1)[1].removesuffix(".mp4")
    api.sim.age_task(task_id, DAY - 60)
    assert api.web.head(url).status_code == 200
    api.sim.age_task(task_id, 120)
    assert api.web.get(url).status_code == 404
    assert api.web.head(url).status_code == 404
    assert api.status(task_id).json()["data"]["state"] == "success", "the task itself remains"


def test_media_404s(api: Apixo, clip: tuple[str, bytes]) -> None:
    url, _ = clip
    assert api.web.get(f"{api.sim.origin}/media/task_unknown.mp4").status_code == 404
    unfinished = api.create()
    assert api.web.get(f"{api.sim.origin}/media/{unfinished}.mp4").status_code == 404
    failed = api.finished(text_body("#sensitive"))
    assert api.web.get(f"{api.sim.origin}/media/{failed['taskId']}.mp4").status_code == 404
    api.sim.forget_task(url.rsplit("/", 1)[1].removesuffix(".mp4"))
    assert api.web.get(url).status_code == 404
    logged = api.sim.requests[-1]
    assert (logged.endpoint, logged.status, logged.key_ok) == ("media", 404, False)


def test_render_failure_fails_the_task(sim_factory: SimFactory, tmp_path: Path) -> None:
    media = tmp_path / "media"
    sim = sim_factory(media_dir=media)
    shutil.rmtree(media)
    client = Apixo(sim)
    try:
        data = client.finished()
    finally:
        client.close()
    assert (data["state"], data["failCode"]) == ("failed", "GENERATION_FAILED")


def test_render_worker_that_cannot_start() -> None:
    async def scenario() -> None:
        worker = RenderWorker(command=[sys.executable + "-missing"])
        try:
            with pytest.raises(RenderError, match="cannot start"):
                await worker.render(JOB)
        finally:
            await worker.close()

    asyncio.run(scenario())


def test_render_worker_that_dies() -> None:
    async def scenario() -> None:
        worker = RenderWorker(command=[sys.executable, "-c", "pass"])
        try:
            with pytest.raises(RenderError):
                await worker.render(JOB)
        finally:
            await worker.close()

    asyncio.run(scenario())


def test_render_worker_is_stopped_at_once_with_clips_still_queued() -> None:
    """Stopping the simulator drops queued clips instead of rendering them all first."""
    slow_worker = "import sys, time\nfor line in sys.stdin:\n    time.sleep(1)\n"

    async def scenario() -> int | None:
        worker = RenderWorker(command=[sys.executable, "-c", slow_worker])
        process = await worker._ensure_started()
        renders = [asyncio.ensure_future(worker.render(JOB)) for _ in range(400)]
        for _ in range(10_000):  # let every render queue its job (they need a few turns)
            if worker._next_id == len(renders):
                break
            await asyncio.sleep(0)
        assert worker._next_id == len(renders)
        for render in renders:
            render.cancel()
        await asyncio.gather(*renders, return_exceptions=True)
        # 400 queued jobs fill the pipe: draining it would take this worker minutes.
        await asyncio.wait_for(worker.close(), 30)
        return process.returncode

    assert asyncio.run(asyncio.wait_for(scenario(), 60)) == -signal.SIGTERM


JOB = RenderJob(
    path="/nonexistent/clip.mp4",
    width=64,
    height=36,
    seconds=0.1,
    fps=24,
    prompt="p",
    task_id="t",
    caption="c",
)


def test_add_media_file(api: Apixo, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 40
    path = tmp_path / "big file.bin"
    path.write_bytes(payload)
    url = api.sim.add_media_file(path)
    assert url.startswith(f"{api.sim.origin}/media/files/")
    assert api.web.get(url).content == payload
    ranged = api.web.get(url, headers={"Range": "bytes=1000-1999"})
    assert ranged.status_code == 206
    assert ranged.content == payload[1000:2000]
    assert api.web.head(url).headers["content-length"] == str(len(payload))
    assert api.web.get(url + "x").status_code == 404
    with pytest.raises(FileNotFoundError):
        api.sim.add_media_file(tmp_path / "missing")


# ----------------------------------------------------------- uploads and inputs


def upload(api: Apixo, data: bytes, content_type: str = "image/png") -> httpx.Response:
    return api.web.post(
        f"{api.sim.origin}/sim/upload", content=data, headers={"Content-Type": content_type}
    )


@pytest.mark.parametrize(
    ("data", "content_type", "extension"),
    [(png_bytes(), "image/png", "png"), (JPEG, "image/jpeg", "jpg"), (WEBP, "image/webp", "webp")],
)
def test_upload_and_serve(api: Apixo, data: bytes, content_type: str, extension: str) -> None:
    answer = upload(api, data, "application/octet-stream")
    assert answer.status_code == 200
    url = answer.json()["url"]
    digest = hashlib.sha256(data).hexdigest()
    assert url == f"{api.sim.origin}/sim/files/{digest}.{extension}"
    served = api.web.get(url)
    assert served.content == data
    assert served.headers["content-type"] == content_type
    head = api.web.head(url)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(data))
    assert upload(api, data).json()["url"] == url, "same bytes, same URL"


def test_upload_multipart(api: Apixo) -> None:
    answer = api.web.post(
        f"{api.sim.origin}/sim/upload",
        data={"note": "ignored"},
        files={"file": ("photo.jpg", JPEG, "image/jpeg")},
    )
    assert answer.status_code == 200
    assert api.web.get(answer.json()["url"]).content == JPEG


def test_upload_rejections(api: Apixo) -> None:
    assert upload(api, b"GIF89a" + b"\0" * 20, "image/gif").status_code == 415
    assert upload(api, b"").status_code == 400
    too_big = b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024)
    assert upload(api, too_big).status_code == 413
    missing = f"{api.sim.origin}/sim/files/{'0' * 64}.png"
    assert api.web.get(missing).status_code == 404


def first_frame_body(*urls: str) -> Any:
    return text_body(generationType="FIRST_AND_LAST_FRAMES_2_VIDEO", image_urls=list(urls))


def test_loopback_images_are_fetched(api: Apixo) -> None:
    url = upload(api, png_bytes()).json()["url"]
    data = api.finished(first_frame_body(url, url))
    assert data["state"] == "success"
    remote = api.finished(first_frame_body("https://images.example.com/never-fetched.png"))
    assert remote["state"] == "success"


def test_unreachable_image_fails_the_task(api: Apixo) -> None:
    missing = f"{api.sim.origin}/sim/files/{'0' * 64}.png"
    data = api.finished(first_frame_body(missing))
    assert (data["state"], data["failCode"]) == ("failed", "IMAGE_DOWNLOAD_FAILED")
    closed_port = api.finished(first_frame_body("http://127.0.0.1:9/x.png"))
    assert closed_port["failCode"] == "IMAGE_DOWNLOAD_FAILED"


def test_image_that_is_not_an_image(api: Apixo, tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    data = api.finished(first_frame_body(api.sim.add_media_file(path)))
    assert (data["state"], data["failCode"]) == ("failed", "ImageFormatIncorrect")


def test_image_over_10_mb(api: Apixo, tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(png_bytes() + b"\0" * (10 * 1024 * 1024))
    data = api.finished(first_frame_body(api.sim.add_media_file(path)))
    assert (data["state"], data["failCode"]) == ("failed", "IMAGE_TOO_LARGE")
