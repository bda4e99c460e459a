"""Downloads: names from our own data, resumable .part files, checks, and disk trouble."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fixtures.core import EngineKit, wait_until
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core import downloads
from veo_desktop.core.downloads import (
    DownloadCorruptError,
    Downloader,
    DownloadRefusedError,
    DownloadTooLargeError,
    slugify,
    unique_path,
    video_file_name,
)
from veo_desktop.core.lifecycle import TaskState
from veo_desktop.core.records import TaskRecord

NAME = re.compile(r"^\d{4}-\d{2}-\d{2}_[a-z0-9]+(-[a-z0-9]+)*_[0-9a-f]{8}(-\d+)?(_\d+)?\.mp4$")


def record_for(prompt: str, created_at: float | None = None) -> TaskRecord:
    now = created_at or time.time()
    return TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request={"request_type": "async", "input": {"prompt": prompt, "mode": "fast"}},
        state=TaskState.DOWNLOADING,
        created_at=now,
        updated_at=now,
        price=Decimal("0.20"),
    )


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "slug"),
    [
        ("A calm ocean at dawn", "a-calm-ocean-at-dawn"),
        ("Crème brûlée, São Paulo!", "creme-brulee-sao-paulo"),
        ("../../etc/passwd", "etc-passwd"),
        ("CON", "con"),
        ("日本の桜", "video"),
        ("", "video"),
        ("word " * 30, "word-word-word-word-word-word-word-word"),
        ("a" * 80, "a" * 40),
    ],
)
def test_a_slug_is_short_ascii_and_safe(prompt, slug):
    assert slugify(prompt) == slug


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_prompt_gives_a_portable_file_name(prompt):
    record = record_for(prompt)
    for index in (0, 1):
        name = video_file_name(record, index)
        assert NAME.match(name), name
        assert len(name) <= 80
        assert record.short_id in name


def test_the_name_has_the_local_date_and_a_suffix_for_extra_results():
    record = record_for("Fox", created_at=time.mktime((2026, 3, 9, 12, 0, 0, 0, 0, -1)))
    assert video_file_name(record, 0) == f"2026-03-09_fox_{record.short_id}.mp4"
    assert video_file_name(record, 1) == f"2026-03-09_fox_{record.short_id}-2.mp4"


def test_a_taken_name_is_never_reused(tmp_path):
    record = record_for("Fox")
    first = tmp_path / video_file_name(record, 0)
    first.write_bytes(b"someone else's file")
    second = unique_path(tmp_path, record, 0, set())
    assert second != first and NAME.match(second.name)
    assert unique_path(tmp_path, record, 0, {str(second)}) not in (first, second)


# -- the downloader on its own -----------------------------------------------------------------


@pytest.fixture
def clip(sim, tmp_path) -> tuple[str, bytes]:
    """A real mp4 served by the simulator, with Range support."""
    from tests.fixtures.sim import SIM_API_KEY
    from veo_desktop.api.client import ApixoClient

    async def make() -> str:
        async with ApixoClient(SIM_API_KEY, base_url=sim.base_url) as client:
            task_id = await client.submit(GenerationRequest(prompt="a clip"))
            for _ in range(400):
                status = await client.status(task_id)
                if status.state == "success":
                    return status.result_urls[0]
                await asyncio.sleep(0.02)
        raise AssertionError("the simulator did not finish")

    url = asyncio.run(make())
    return url, httpx.get(url).content


def fetch(url: str, part: Path, **kwargs) -> downloads.FetchResult:
    async def go() -> downloads.FetchResult:
        async with httpx.AsyncClient() as http:
            return await Downloader(http, **kwargs).fetch(url, part)

    return asyncio.run(go())


def test_a_partial_file_is_resumed_with_a_range_request(sim, clip, tmp_path):
    url, data = clip
    part = tmp_path / "v.mp4.part"
    part.write_bytes(data[:1000])
    result = fetch(url, part)
    assert result.resumed_from == 1000 and result.size == len(data)
    assert part.read_bytes() == data
    assert [r.status for r in sim.requests if r.endpoint == "media"][-1] == 206


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise here")
def test_a_download_is_written_back_to_disk_as_it_arrives(sim, tmp_path, monkeypatch):
    """So the final fsync does not flush the whole video at once, stalling other writes."""
    video = tmp_path / "big.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(3 * 1024 * 1024))
    advised: list[tuple[int, int, int]] = []
    real_advise = os.posix_fadvise

    def advise(fd: int, offset: int, length: int, advice: int) -> None:
        advised.append((offset, length, advice))
        real_advise(fd, offset, length, advice)

    monkeypatch.setattr(downloads, "WRITE_BACK_BYTES", 1024 * 1024)
    monkeypatch.setattr(os, "posix_fadvise", advise)
    part = tmp_path / "v.mp4.part"
    result = fetch(sim.add_media_file(video), part)
    assert part.read_bytes() == video.read_bytes() and result.size == video.stat().st_size
    spans = [(offset, length) for offset, length, advice in advised]
    assert all(advice == os.POSIX_FADV_DONTNEED for _, _, advice in advised)
    # Contiguous spans of at least 1 MB from the start; the rest is left to the fsync.
    assert [offset for offset, _ in spans] == [0, *(o + n for o, n in spans[:-1])]
    assert all(length >= 1024 * 1024 for _, length in spans)
    assert sum(length for _, length in spans) > result.size - 1024 * 1024


def test_a_complete_part_file_is_not_downloaded_again(sim, clip, tmp_path):
    url, data = clip
    part = tmp_path / "v.mp4.part"
    part.write_bytes(data)
    assert fetch(url, part).size == len(data)
    assert [r.status for r in sim.requests if r.endpoint == "media"][-1] == 416
    assert part.read_bytes() == data


def test_an_oversized_stale_part_file_is_discarded_and_the_video_fetched_whole(sim, clip, tmp_path):
    url, data = clip
    part = tmp_path / "v.mp4.part"
    part.write_bytes(b"x" * (len(data) + 500))
    assert fetch(url, part).size == len(data)
    assert part.read_bytes() == data


def test_a_video_over_the_size_limit_is_refused(clip, tmp_path):
    url, data = clip
    part = tmp_path / "v.mp4.part"
    with pytest.raises(DownloadTooLargeError, match="download limit"):
        fetch(url, part, max_bytes=len(data) - 1)
    assert not part.exists() or part.stat().st_size == 0


def test_something_that_is_not_an_mp4_is_rejected_and_discarded(sim, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html>" + "not a video " * 100 + "</html>")
    url = sim.add_media_file(page)
    part = tmp_path / "v.mp4.part"
    with pytest.raises(DownloadCorruptError, match="not an mp4"):
        fetch(url, part)
    assert not part.exists()


@pytest.mark.parametrize(
    "url",
    ["http://cdn.example.com/v.mp4", "ftp://example.com/v.mp4", "file:///etc/passwd", ""],
)
def test_only_https_or_loopback_urls_are_fetched(url, tmp_path):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be requested")

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
            await Downloader(http).fetch(url, tmp_path / "v.mp4.part")

    with pytest.raises(DownloadRefusedError):
        asyncio.run(go())


def test_a_redirect_to_plain_http_elsewhere_is_refused(tmp_path):
    # No other host is reachable here, so this one case uses httpx's mock transport.
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://evil.example.com/v.mp4"})

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            await Downloader(http).fetch("https://r2.example.com/v.mp4", tmp_path / "v.part")

    with pytest.raises(DownloadRefusedError, match="redirects"):
        asyncio.run(go())
    assert seen == ["https://r2.example.com/v.mp4"]


# -- the engine when the disk is in the way ------------------------------------------------------


def run_until_note(kit: EngineKit, note_part: str, fix) -> TaskRecord:
    notes: list[str] = []

    async def scenario() -> TaskRecord:
        engine = kit.engine()
        engine.subscribe(lambda r: notes.append(r.note or ""))
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="stubborn disk"))
        await wait_until(lambda: any(note_part in n for n in notes), message=note_part)
        assert engine.get(record.local_id).state is TaskState.DOWNLOADING
        fix()
        return await engine.wait(record.local_id)

    done = kit.run(scenario)
    assert any(note_part in n for n in notes)
    return done


def test_an_unwritable_library_is_a_clear_note_and_the_download_resumes_when_fixed(sim, engine_kit):
    blocker = engine_kit.library
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the library folder should be")

    def fix() -> None:
        blocker.unlink()

    done = run_until_note(engine_kit, f"Cannot write to {blocker}", fix)
    assert done.state is TaskState.SUCCEEDED and done.note is None
    assert Path(done.files[0]).parent == blocker


@pytest.fixture
def full_disk(tmp_path) -> Iterator[Path]:
    """A real, tiny file system, filled up (needs mount rights; skipped without them)."""
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        filler = mount / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as handle:
            while True:
                handle.write(b"\0" * 4096)
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_a_clear_note_and_the_download_resumes_when_space_is_freed(
    sim, engine_kit, full_disk
):
    kit = engine_kit
    library = full_disk / "videos"
    library.mkdir()

    def make_room() -> None:
        (full_disk / "filler").unlink()

    async def scenario() -> TaskRecord:
        notes: list[str] = []
        engine = kit.engine()
        engine.library_dir = library
        engine.subscribe(lambda r: notes.append(r.note or ""))
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="big one"))
        expected = f"Disk full: free space in {library}; the download resumes automatically."
        await wait_until(lambda: expected in notes, message="the disk-full note")
        make_room()
        return await engine.wait(record.local_id)

    done = kit.run(scenario)
    assert done.state is TaskState.SUCCEEDED
    assert os.path.getsize(done.files[0]) > 1000
    assert not list(library.glob("*.part"))


def test_a_video_above_the_limit_waits_with_a_note(sim, engine_kit):
    async def scenario() -> None:
        engine = engine_kit.engine(max_download_bytes=1000)
        await engine.start()
        record = await engine.submit(GenerationRequest(prompt="too big"))
        await wait_until(lambda: "download limit" in (engine.get(record.local_id).note or ""))
        assert engine.get(record.local_id).state is TaskState.DOWNLOADING

    engine_kit.run(scenario)
