"""Downloads: names from our own data, resumable .part files, checks, and disk trouble."""

from __future__ import annotations

import asyncio
import contextlib
import json
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
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.fixtures.core import EngineKit, wait_until
from tests.fixtures.mp4 import encoded_clip, sized_mp4
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core import downloads
from veo_desktop.core.downloads import (
    DownloadCorruptError,
    Downloader,
    DownloadError,
    DownloadNetworkError,
    DownloadRefusedError,
    DownloadTooLargeError,
)
from veo_desktop.core.sidecar import (
    NotOurFileError,
    read_sidecar,
    sidecar_path,
    sidecar_text,
    write_sidecar,
)
from veo_desktop.core.video_names import slugify, unique_path, video_file_name
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import forget_secrets, is_printable, redact, register_secret
from veo_desktop.sim.faults import Fault

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
    sized_mp4(video, 3 * 1024 * 1024, packet_bytes=64 * 1024)
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
    page = tmp_path / "page.mp4"  # served as video/mp4, but a web page inside
    page.write_text("<html>" + "not a video " * 100 + "</html>")
    url = sim.add_media_file(page)
    part = tmp_path / "v.mp4.part"
    with pytest.raises(DownloadCorruptError, match="not an MP4 video") as caught:
        fetch(url, part)
    assert caught.value.permanent
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


# -- a video only counts when it is whole (issue 12, #2) -----------------------------------------


def media_statuses(sim) -> list[int]:
    return [r.status for r in sim.requests if r.endpoint == "media"]


def test_a_video_cut_short_is_discarded_and_never_called_complete(sim, clip, tmp_path):
    _, data = clip
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    part = tmp_path / "v.mp4.part"
    with pytest.raises(DownloadCorruptError, match="incomplete or damaged") as caught:
        fetch(sim.add_media_file(cut), part)
    assert not caught.value.permanent  # downloaded again, never a success
    assert not part.exists()


def test_a_close_delimited_body_cut_halfway_is_rejected_then_downloaded_again(sim, clip, tmp_path):
    url, data = clip
    sim.add_fault(Fault(endpoint="media", kind="media_close_cut"))
    part = tmp_path / "v.mp4.part"
    with pytest.raises(DownloadCorruptError, match="incomplete or damaged") as caught:
        fetch(url, part)
    assert not caught.value.permanent
    assert not part.exists()
    assert fetch(url, part).size == len(data)
    assert part.read_bytes() == data


def test_a_resumed_download_is_checked_like_a_fresh_one(sim, clip, tmp_path):
    _, data = clip
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    served = sim.add_media_file(cut)
    part = tmp_path / "v.mp4.part"
    part.write_bytes(data[:1000])
    with pytest.raises(DownloadCorruptError, match="incomplete or damaged"):
        fetch(served, part)  # the rest arrives with a 206, and the whole is still cut short
    assert media_statuses(sim)[-1] == 206 and not part.exists()
    part.write_bytes(data[: len(data) // 2])
    with pytest.raises(DownloadCorruptError, match="incomplete or damaged"):
        fetch(served, part)  # "nothing more to send" (416) does not make it whole either
    assert media_statuses(sim)[-1] == 416 and not part.exists()


# -- permanent and transient failures (issue 12, #6) --------------------------------------------


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            Fault(endpoint="media", kind="http_error", status=404),
            "The video server answered HTTP 404 (the link may have expired).",
        ),
        (
            Fault(endpoint="media", kind="http_error", status=410),
            "The video server answered HTTP 410 (the link may have expired).",
        ),
        (
            Fault(endpoint="media", kind="http_error", status=403),
            "The video server refused the download (HTTP 403); the link may have expired.",
        ),
        (
            Fault(endpoint="media", kind="media_html"),
            "The video server sent a web page instead of the video.",
        ),
        (Fault(endpoint="media", kind="media_gzip"), "compressed (Content-Encoding: gzip)"),
        (Fault(endpoint="media", kind="media_huge"), "5,120 MB, above the 2,048 MB download limit"),
        (Fault(endpoint="media", kind="redirect_loop"), "redirects too many times"),
    ],
    ids=["404", "410", "403", "html", "gzip", "huge", "redirect-loop"],
)
def test_a_permanent_failure_says_so_plainly(sim, clip, tmp_path, fault, message):
    url, _ = clip
    sim.add_fault(fault)
    part = tmp_path / "v.mp4.part"
    with pytest.raises(DownloadError) as caught:
        fetch(url, part)
    assert caught.value.permanent, caught.value
    assert caught.value.retry
    assert message in str(caught.value)
    assert is_printable(str(caught.value))
    assert not part.exists() or part.stat().st_size == 0


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault(endpoint="media", kind="http_error", status=503), "busy (HTTP 503)"),
        (Fault(endpoint="media", kind="http_error", status=500), "busy (HTTP 500)"),
        (Fault(endpoint="media", kind="http_error", status=429), "busy (HTTP 429)"),
        (Fault(endpoint="media", kind="html", status=502), "busy (HTTP 502)"),
        (Fault(endpoint="media", kind="reset"), "interrupted"),
        (Fault(endpoint="media", kind="cut_media"), "it resumes automatically"),
    ],
    ids=["503", "500", "429", "html-502", "reset", "short-body"],
)
def test_a_transient_failure_is_retried_and_then_succeeds(sim, clip, tmp_path, fault, message):
    url, data = clip
    sim.add_fault(fault)
    part = tmp_path / "v.mp4.part"
    with pytest.raises(DownloadError) as caught:
        fetch(url, part)
    assert not caught.value.permanent and caught.value.retry
    assert message in str(caught.value)
    assert fetch(url, part).size == len(data)
    assert part.read_bytes() == data


def test_a_full_disk_is_not_permanent():
    assert not downloads.disk_error(OSError(28, "No space left on device"), Path("/x")).permanent


def test_server_text_in_an_encoding_is_escaped(tmp_path):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Encoding": "br\x1b[31m", "Content-Type": "video/mp4"}
        )

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            await Downloader(http).fetch("https://r2.example.com/v.mp4", tmp_path / "v.part")

    with pytest.raises(DownloadError) as caught:
        asyncio.run(go())
    assert caught.value.permanent and is_printable(str(caught.value))
    assert "br\\x1b[31m" in str(caught.value)


def test_a_content_type_decides_only_when_it_cannot_be_a_video(sim, clip, tmp_path):
    _, data = clip
    labelled = tmp_path / "clip.txt"  # served as text/plain: the content decides
    labelled.write_bytes(data)
    assert fetch(sim.add_media_file(labelled), tmp_path / "a.mp4.part").size == len(data)
    answer = tmp_path / "answer.json"
    answer.write_text('{"code": 404, "msg": "not found"}')
    with pytest.raises(DownloadCorruptError) as caught:
        fetch(sim.add_media_file(answer), tmp_path / "b.mp4.part")
    assert caught.value.permanent
    assert str(caught.value) == "The video server sent application/json instead of the video."


# -- a stalled download is cut and resumed (issue 12, #10) ---------------------------------------


def test_a_trickling_download_is_cut_then_resumed(sim, clip, tmp_path, monkeypatch):
    url, data = clip
    monkeypatch.setattr(downloads, "STALL_SECONDS", 1.0, raising=False)
    sim.add_fault(Fault(endpoint="media", kind="trickle", delay=0.01))
    part = tmp_path / "v.mp4.part"

    async def go() -> tuple[int, downloads.FetchResult]:
        async with httpx.AsyncClient() as http:
            downloader = Downloader(http)
            started = time.monotonic()
            with pytest.raises(DownloadNetworkError, match="stalled") as caught:
                await asyncio.wait_for(downloader.fetch(url, part), 30)
            assert time.monotonic() - started < 25
            assert not caught.value.permanent
            kept = part.stat().st_size
            return kept, await asyncio.wait_for(downloader.fetch(url, part), 30)

    kept, result = asyncio.run(go())
    assert 0 < kept < len(data)
    assert result.resumed_from == kept and result.size == len(data)
    assert part.read_bytes() == data
    assert media_statuses(sim)[-1] == 206


def test_a_slow_but_steady_download_is_not_cut(sim, tmp_path):
    """Each window sees its bytes (at least one per second here), so the watch re-arms."""
    video = tmp_path / "tiny.mp4"
    encoded_clip(video, frames=1, width=16, height=16)
    sim.add_fault(Fault(endpoint="media", kind="trickle", delay=0.002))
    part = tmp_path / "v.mp4.part"

    async def go() -> downloads.FetchResult:
        async with httpx.AsyncClient() as http:
            downloader = Downloader(http, stall_seconds=1.0, stall_bytes=1)
            return await downloader.fetch(sim.add_media_file(video), part)

    result = asyncio.run(go())
    assert result.resumed_from == 0 and part.read_bytes() == video.read_bytes()


def test_a_server_that_never_answers_is_cut(sim, clip, tmp_path, monkeypatch):
    url, _ = clip
    monkeypatch.setattr(downloads, "STALL_SECONDS", 0.5, raising=False)
    sim.add_fault(Fault(endpoint="media", kind="delay", delay=5.0))

    async def go() -> None:
        async with httpx.AsyncClient() as http:
            await asyncio.wait_for(Downloader(http).fetch(url, tmp_path / "v.mp4.part"), 4)

    with pytest.raises(DownloadNetworkError, match="stalled"):
        asyncio.run(go())


def test_a_cancelled_download_is_cancelled_not_stalled(sim, clip, tmp_path, monkeypatch):
    url, _ = clip
    monkeypatch.setattr(downloads, "STALL_SECONDS", 30.0, raising=False)
    sim.add_fault(Fault(endpoint="media", kind="trickle", delay=0.01))

    async def go() -> None:
        async with httpx.AsyncClient() as http:
            task = asyncio.create_task(Downloader(http).fetch(url, tmp_path / "v.mp4.part"))
            await wait_until(lambda: (tmp_path / "v.mp4.part").exists())
            task.cancel()
            await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(go())


# -- sidecars (issue 12, #3 and #4) and names (#7) -----------------------------------------------


def test_a_sidecar_keeps_its_own_url_not_every_url(tmp_path):
    urls = tuple(f"https://cdn.example.com/v.mp4?n={i}" for i in range(10_000))
    record = record_for("many results").evolve(result_urls=urls, apixo_task_id="abc123")
    video = tmp_path / "v-4.mp4"
    write_sidecar(record, 3, video)
    text = sidecar_path(video).read_text(encoding="utf-8")
    meta = json.loads(text)
    assert meta["result_url"] == urls[3]
    assert meta["result_count"] == 10_000
    assert "result_urls" not in meta
    assert len(text.encode()) < 5_000


def test_an_oversized_sidecar_is_not_read(tmp_path):
    video = tmp_path / "v.mp4"
    big = {"app": "Veo Desktop", "result_urls": ["https://cdn.example.com/v.mp4"] * 40_000}
    sidecar_path(video).write_text(json.dumps(big))
    with pytest.raises(NotOurFileError, match="too large"):
        read_sidecar(sidecar_path(video))
    sidecar_path(video).write_text(json.dumps({"app": "Veo Desktop"}))
    assert read_sidecar(sidecar_path(video)) == {"app": "Veo Desktop"}


def test_no_secret_reaches_a_sidecar_and_server_text_stays_data(tmp_path):
    key = "vk-Zq9LmT4pXw2Rb7Nc5Hd8Jf3Gs6Ky1Ua"
    register_secret(key)
    try:
        url = (
            f"https://cdn.example.com/v.mp4?X-Amz-Signature=0123456789abcdef&echo={key}"
            "&odd=\n\x1b[2J\x9b\u202e"
        )
        record = record_for(f"a fox ({key})").evolve(
            result_urls=(url,), apixo_task_id="id\r\n\x1b]0;x\x07"
        )
        video = tmp_path / "v.mp4"
        write_sidecar(record, 0, video)
        text = sidecar_path(video).read_text(encoding="utf-8")
    finally:
        forget_secrets()
    assert key not in text and "0123456789abcdef" not in text
    assert is_printable(text.replace("\n", ""))  # no raw control character, bidi or C1
    meta = json.loads(text)
    assert meta["result_url"] == redact(url).replace(key, "[REDACTED]")
    assert meta["result_url"].endswith("&odd=\n\x1b[2J\x9b\u202e")  # kept as data
    assert meta["apixo_task_id"] == "id\r\n\x1b]0;x\x07"
    assert meta["prompt"] == "a fox ([REDACTED])"


@settings(max_examples=200, deadline=None)
@given(server_text=st.text(st.characters(exclude_categories=())), prompt=st.text(max_size=50))
@example(server_text="id\ud800\x9b\u202e\x1b[2J", prompt="two\nlines")
def test_any_server_text_is_kept_as_data_in_a_sidecar_that_shows_safely(server_text, prompt):
    """Lone surrogates, C1 controls, bidi marks: all escaped in the file, all read back."""
    record = record_for(prompt).evolve(
        apixo_task_id=server_text, result_urls=(f"https://cdn.example.com/{server_text}",)
    )
    text = sidecar_text(record, 0, Path("v.mp4"))
    text.encode("utf-8")  # writable as it is
    assert is_printable(text.replace("\n", ""))
    meta = json.loads(text)
    assert meta["apixo_task_id"] == redact(server_text)
    assert meta["result_url"] == redact(f"https://cdn.example.com/{server_text}")
    assert meta["prompt"] == redact(prompt)


def test_a_file_name_never_comes_from_the_server(tmp_path):
    record = record_for("../../etc/passwd\n\x1b[31m").evolve(
        apixo_task_id="../../evil\n\x1b.mp4",
        result_urls=("https://cdn.example.com/../../evil name.exe?x=\n",),
    )
    for index in (0, 1):
        name = video_file_name(record, index)
        assert NAME.match(name) and "evil" not in name, name
    path = unique_path(tmp_path, record, 0, set())
    assert path.parent == tmp_path and "evil" not in path.name


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
