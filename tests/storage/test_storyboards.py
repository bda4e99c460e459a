"""Storyboards in the task store (schema 4): saved whole and read back, across a reopen, from
a store made before storyboards existed, and removed without touching their tasks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from veo_desktop.api.models import GenerationRequest, GenerationType
from veo_desktop.records.storyboard import SendMark, Shot, ShotStart, Storyboard
from veo_desktop.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from veo_desktop.storage.store import TaskStore


def sample() -> Storyboard:
    return Storyboard(
        name="Fox at dawn",
        shots=(
            Shot(request=GenerationRequest(prompt="A fox wakes", seed=7, watermark="me")),
            Shot(
                request=GenerationRequest(
                    prompt="It runs",
                    mode="quality",
                    generation_type=GenerationType.FRAMES,
                    aspect_ratio="9:16",
                    image_urls=("https://example.com/last.png",),
                ),
                start=ShotStart.CONTINUE,
                takes=("a" * 32, "b" * 32),
                chosen="b" * 32,
                trim=(0.25, 1.5),
            ),
            Shot(takes=("c" * 32,), chosen="c" * 32, sending=SendMark("key", ("d" * 32,), 5.0)),
        ),
        crossfade_frames=6,
        letterbox=True,
        created_at=100.0,
        updated_at=200.0,
    )


def test_a_storyboard_is_kept_whole_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    board = sample()
    with TaskStore.open(path) as store:
        store.save_storyboard(board, durable=True)
        moved = board.replace(shots=(board.shots[2], board.shots[0]), name="Renamed")
        store.save_storyboard(moved)
    with TaskStore.open(path) as store:
        assert store.load_storyboards() == [moved]
        store.delete_storyboard(board.id)
        assert store.load_storyboards() == []
        rows = store._read("SELECT count(*) FROM shots")[0][0]
        takes = store._read("SELECT count(*) FROM takes")[0][0]
        assert (rows, takes) == (0, 0)


def test_a_store_from_before_storyboards_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:3]:
        migration(db)
    db.execute("PRAGMA user_version = 3")
    db.close()
    with TaskStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.load_storyboards() == []
        board = sample()
        store.save_storyboard(board)
        assert store.load_storyboards() == [board]
