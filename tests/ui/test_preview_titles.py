"""Titles keep their ellipsis (issue 14, item 7): the preview's and the compare window's.

The preview title was elided to the panel's width, but the workspace gives the panel
contents margins, so the label is narrower and the text was cut without its "…"; the compare
titles were not elided at all. Each title must show text that ends in "…" and fits its own
label at a narrow width, again after a resize, with the whole prompt in its tooltip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from tests.fixtures.contrast import assert_legible
from tests.fixtures.mp4 import encoded_clip
from tests.fixtures.screenshots import save_screenshot
from tests.ui.tasks_support import make_record
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.compare import CompareWindow
from veo_desktop.ui.preview.panel import PreviewPanel

LONG = (
    "A lighthouse on a rocky coast at dusk, waves breaking on the rocks below, gulls "
    "circling in the last orange light, a slow aerial push-in towards the lamp"
)


def clip_task(folder: Path, prompt: str, name: str = "clip.mp4") -> TaskRecord:
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / name
    encoded_clip(video, frames=12, width=64, height=36)
    return make_record(prompt=prompt, files=(str(video),))


def assert_elided_to_fit(title: QLabel) -> str:
    """The title shows a shortened text ending in "…" that fits inside the label."""
    shown = title.text()
    assert shown.endswith("\u2026"), shown
    assert len(shown) > 5, shown
    assert LONG.startswith(shown[:-1].rstrip())
    advance = title.fontMetrics().horizontalAdvance(shown)
    assert advance <= title.contentsRect().width(), (advance, title.contentsRect().width())
    assert title.contentsRect().right() <= title.parentWidget().rect().right()
    return shown


@pytest.fixture
def preview(qtbot: Any, tmp_path: Path) -> Iterator[PreviewPanel]:
    panel = PreviewPanel(frames_dir=tmp_path / "frames")
    panel.audio.setMuted(True)
    panel.setContentsMargins(8, 8, 10, 6)  # as the workspace places it in its splitter
    qtbot.addWidget(panel)
    panel.resize(300, 300)  # as narrow as it goes (its controls' minimum, ~465 px)
    panel.show()
    qtbot.waitExposed(panel)
    yield panel
    panel.shutdown()


def test_the_preview_title_ends_in_an_ellipsis_and_fits_its_label(
    preview: PreviewPanel, qtbot: Any, tmp_path: Path
) -> None:
    preview.show_task(clip_task(tmp_path / "library", LONG))
    qtbot.waitUntil(lambda: preview.title.text().endswith("\u2026"))
    narrow = assert_elided_to_fit(preview.title)
    assert LONG in preview.title.toolTip()
    save_screenshot(preview.grab(), tmp_path, "preview_title_narrow")
    assert_legible(preview, preview.grab(), "preview_title_narrow")

    preview.resize(760, 300)
    qtbot.waitUntil(lambda: len(preview.title.text()) > len(narrow))
    wider = assert_elided_to_fit(preview.title)

    preview.resize(300, 300)
    qtbot.waitUntil(lambda: len(preview.title.text()) < len(wider))
    assert assert_elided_to_fit(preview.title) == narrow

    preview.resize(1800, 300)
    qtbot.waitUntil(lambda: preview.title.text() == LONG)
    assert preview.title.fontMetrics().horizontalAdvance(LONG) <= (
        preview.title.contentsRect().width()
    )


def test_compare_titles_end_in_an_ellipsis_and_fit(qtbot: Any, tmp_path: Path) -> None:
    left = clip_task(tmp_path / "left", LONG)
    right = clip_task(tmp_path / "right", LONG.replace("dusk", "dawn"), "right.mp4")
    window = CompareWindow(left, right)
    qtbot.addWidget(window)
    window.audio_selector.setCurrentIndex(window.audio_selector.findData(""))
    window.resize(640, 480)
    window.show()
    qtbot.waitExposed(window)
    try:
        for side, task in ((window.left, left), (window.right, right)):
            qtbot.waitUntil(lambda side=side: side.title.text().endswith("\u2026"))
            shown = side.title.text()
            assert task.prompt.startswith(shown[:-1].rstrip())
            advance = side.title.fontMetrics().horizontalAdvance(shown)
            assert advance <= side.title.contentsRect().width()
            assert side.title.toolTip() == task.prompt
        save_screenshot(window.grab(), tmp_path, "compare_titles_narrow")
        assert_legible(window, window.grab(), "compare_titles_narrow")
        before = window.left.title.text()
        window.resize(1000, 480)
        qtbot.waitUntil(lambda: len(window.left.title.text()) > len(before))
        assert window.left.title.fontMetrics().horizontalAdvance(window.left.title.text()) <= (
            window.left.title.contentsRect().width()
        )
    finally:
        window.shutdown()
