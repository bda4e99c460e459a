"""The thumbnail cache stays within its byte cap on disk, deleting the least recently used
PNG files first (real clips decoded, real files written)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fixtures.mp4 import encoded_clip
from veo_desktop.ui.thumbnails import TRIM_TO, ThumbnailCache


def make_thumbnail(cache: ThumbnailCache, video: Path, qtbot: Any) -> None:
    with qtbot.waitSignal(cache.thumbnail_ready, check_params_cb=lambda v: v == str(video)):
        assert cache.get(str(video)) is None


def pngs(folder: Path) -> set[Path]:
    return set(folder.glob("*.png"))


def test_the_cache_keeps_within_its_cap_least_recently_used_first(
    tmp_path: Path, qtbot: Any
) -> None:
    videos = []
    for number in range(7):
        video = tmp_path / f"clip{number}.mp4"
        encoded_clip(video, frames=1, width=32 + 16 * number, height=32)
        videos.append(video)
    folder = tmp_path / "thumbnails"
    first = ThumbnailCache(folder)
    try:
        made: dict[Path, Path] = {}
        for video in videos[:3]:
            before = pngs(folder)
            make_thumbnail(first, video, qtbot)
            (made[video],) = pngs(folder) - before
    finally:
        first.close()
    sizes = {video: png.stat().st_size for video, png in made.items()}
    assert first.disk_bytes() == sum(sizes.values())

    # Another run: the oldest thumbnail is used again (read from disk), then more are made
    # than the cap holds.
    cap = sum(sizes.values()) + min(sizes.values()) // 2  # a fourth file passes it
    cache = ThumbnailCache(folder, max_bytes=cap)
    try:
        make_thumbnail(cache, videos[0], qtbot)
        assert pngs(folder) == set(made.values())  # read back, not made again
        make_thumbnail(cache, videos[3], qtbot)  # passes the cap: trimmed
        kept = pngs(folder)
        assert made[videos[0]] in kept  # used most recently of the three
        assert made[videos[1]] not in kept  # the least recently used went first
        for video in videos[4:]:
            make_thumbnail(cache, video, qtbot)
            assert cache.disk_bytes() <= cap
            assert sum(p.stat().st_size for p in pngs(folder)) == cache.disk_bytes()
        freed = cache.trim(0)
        assert freed > 0 and pngs(folder) == set() and cache.disk_bytes() == 0
    finally:
        cache.close()
    assert 0 < TRIM_TO < 1


def test_thumbnails_of_videos_gone_are_deleted(tmp_path: Path, qtbot: Any) -> None:
    kept, gone = tmp_path / "kept.mp4", tmp_path / "gone.mp4"
    encoded_clip(kept, frames=1)
    encoded_clip(gone, frames=1, width=48)
    folder = tmp_path / "thumbnails"
    cache = ThumbnailCache(folder)
    try:
        make_thumbnail(cache, kept, qtbot)
        (kept_png,) = pngs(folder)
        make_thumbnail(cache, gone, qtbot)
        (gone_png,) = pngs(folder) - {kept_png}
        size = gone_png.stat().st_size
        gone.unlink()
        assert cache.drop_orphans([kept, gone]) == size
        assert pngs(folder) == {kept_png}
        assert cache.disk_bytes() == kept_png.stat().st_size
    finally:
        cache.close()
