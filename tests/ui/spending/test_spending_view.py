"""The Spending tab on a real engine and sqlite store: the chart's series are the records'
spending per day and per week (uncertain apart, the cap drawn), the CSV has one row per day,
the library's size is measured, and Clean up says what it frees and then frees exactly that.
Screenshots light and dark at both sizes, with the chart's own text measured from pixels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QToolTip, QVBoxLayout, QWidget

from tests.fixtures.contrast import MIN_RATIO, ratio
from tests.fixtures.screenshots import check_and_save
from tests.ui.spending.seed import Library, library_records, spending_records
from tests.ui.tasks_support import FAST_TIMING, QUICK_RETRY, SIM_KEY
from veo_desktop.api.client import ApixoClient
from veo_desktop.core.cleanup import folder_size, size_text
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.spending import SpendingCap
from veo_desktop.core.spending_history import Period, csv_text, spend_history
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.spending.chart import UNCERTAIN_NAME
from veo_desktop.ui.spending.view import SpendingView
from veo_desktop.ui.thumbnails import ThumbnailCache

CAP = Decimal("3.00")


@dataclass
class Scene:
    view: SpendingView
    window: QWidget
    controller: EngineController
    library: Library
    folder: Path


@pytest.fixture
def scene(sim: Any, tmp_path: Path, arun: Callable[..., Any], qtbot: Any) -> Iterator[Scene]:
    data = tmp_path / "data"
    today = dt.date.today()
    store = TaskStore.open(data / "tasks.sqlite3")
    library = library_records(data / "videos", today)
    for record in [*spending_records(today), *library.records]:
        store.insert(record)
    client = ApixoClient(SIM_KEY, base_url=sim.base_url, read_retry=QUICK_RETRY)
    engine = TaskEngine(client=client, store=store, library_dir=data / "videos", timing=FAST_TIMING)
    arun(engine.start(resume=False))
    controller = EngineController(engine)
    thumbnails = ThumbnailCache(data / "cache" / "thumbnails")
    window = QWidget()
    window.setObjectName("spendingWindow")
    view = SpendingView(
        controller,
        spending_cap=lambda: SpendingCap(CAP, controller),
        library=lambda: data / "videos",
        thumbnails=thumbnails,
        frames_dir=data / "cache" / "frames",
        parent=window,
    )
    layout = QVBoxLayout(window)
    layout.setContentsMargins(12, 4, 12, 8)
    layout.addWidget(view)
    qtbot.addWidget(window)
    yield Scene(view, window, controller, library, data / "videos")
    view.shutdown()
    thumbnails.close()
    arun(controller.aclose())
    arun(engine.aclose())
    arun(client.aclose())
    store.close()


def values(bar_set: Any) -> list[float]:
    return [bar_set.at(index) for index in range(bar_set.count())]


def test_the_chart_shows_the_records_per_day_and_per_week(scene: Scene, qtbot: Any) -> None:
    view, chart = scene.view, scene.view.chart
    scene.window.resize(900, 600)
    scene.window.show()
    qtbot.waitExposed(scene.window)
    records = scene.controller.tasks(include_hidden=True)
    today = dt.date.today()
    expected = spend_history(records, first=today - dt.timedelta(days=13), last=today)
    assert view.rows == expected and len(expected) == 14
    assert values(chart.fast) == [float(row.fast) for row in expected]
    assert values(chart.quality) == [float(row.quality) for row in expected]
    assert values(chart.uncertain) == [float(row.uncertain) for row in expected]
    assert any(row.uncertain for row in expected) and chart.uncertain.label() == UNCERTAIN_NAME
    assert chart.uncertain.brush().style() == Qt.BrushStyle.BDiagPattern  # hatched apart
    assert chart.cap_value() == 3.0 and chart.cap_line.name() == "Daily cap $3.00"
    assert chart.y_axis.max() >= max(float(row.total) for row in expected)
    labels = [text for text in chart.x_axis.categories() if text.strip()]
    first = expected[chart.x_axis.categories().index(labels[0])].start
    assert labels[0] == f"{first:%b} {first.day}" and len(labels) >= 4  # the month comes first
    total = sum(row.charged for row in expected)
    assert view.totals_label.text().startswith(f"Last 14 days: ${total:.2f} on ")

    last = expected[-1]
    chart.on_bars_hovered(True, len(expected) - 1, chart.fast)  # the pointer over today's bar
    assert QToolTip.text().startswith(
        f"{last.start:%a %b} {last.start.day}: ${last.charged:.2f} on {last.count} video"
    )
    chart.on_bars_hovered(False, len(expected) - 1, chart.fast)

    view.range_combo.setCurrentIndex(3)  # the last 12 weeks
    weekly = spend_history(
        records, first=today - dt.timedelta(days=83), last=today, period=Period.WEEK
    )
    assert view.rows == weekly and all(row.period is Period.WEEK for row in weekly)
    assert values(chart.quality) == [float(row.quality) for row in weekly]
    assert chart.cap_value() == 21.0 and chart.cap_line.name() == "Cap $21.00/week"
    assert view.totals_label.text().startswith("Last 12 weeks: $")


def test_csv_export_writes_one_row_per_day(scene: Scene, tmp_path: Path, qtbot: Any) -> None:
    view = scene.view
    view.refresh()
    path = view.export_to(tmp_path / "spending.csv")
    assert path is not None
    assert path.read_text(encoding="utf-8") == csv_text(view.rows)
    view.export_button.click()  # the Save dialog suggests a name; choosing a file writes it
    dialog = view.dialog
    assert dialog is not None and dialog.objectName() == "spendingExportDialog"
    first, last = view.span()
    assert dialog.selectedFiles()[0].endswith(f"veo-spending-{first}-to-{last}.csv")
    with qtbot.waitSignal(view.exported) as exported:
        dialog.fileSelected.emit(str(tmp_path / "chosen.csv"))
    assert exported.args[0].read_text(encoding="utf-8") == csv_text(view.rows)
    dialog.reject()
    view.range_combo.setCurrentIndex(3)
    weeks = view.export_to(tmp_path / "weeks.csv")
    assert weeks is not None
    lines = weeks.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "date,fast,quality,uncertain,total" and len(lines) == 1 + 84
    assert lines[-1].startswith(dt.date.today().isoformat() + ",")
    with qtbot.waitSignal(scene.controller.action_failed) as failed:
        assert view.export_to(tmp_path / "missing" / "x.csv") is None
    title, message = failed.args
    assert title == "Not exported"
    assert message == (
        f"The spending was not saved as \u201cx.csv\u201d in {tmp_path / 'missing'}: "
        "No such file or directory."
    )


def test_clean_up_says_what_it_frees_then_frees_it(scene: Scene, qtbot: Any) -> None:
    disk = scene.view.disk
    assert disk is not None
    scene.window.show()
    measuring = disk.measure()
    assert measuring is not None
    qtbot.waitUntil(measuring.done)
    assert disk.use is not None and disk.use.videos == folder_size(scene.folder)
    assert disk.size_label.text() == disk.use.text()
    # A thumbnail of a kept video, and one of a video long gone.
    thumbnails = scene.view.disk._thumbnails
    assert thumbnails is not None and thumbnails.cache_dir is not None
    kept_video = scene.library.kept.files[0]
    with qtbot.waitSignal(thumbnails.thumbnail_ready):
        thumbnails.get(kept_video)
    (kept_png,) = thumbnails.cache_dir.glob("*.png")
    orphan = thumbnails.cache_dir / ("0" * 32 + ".png")
    orphan.write_bytes(b"\x89PNG" + b"\0" * 2000)
    plain, wider = disk.plans()
    disk.clean_button.click()
    box = disk.dialog
    assert box is not None and box.text() == plain.question()
    assert box.text() == f"Remove 1 task and {size_text(plain.bytes)} of files?"
    check = box.checkBox()
    assert check is not None and size_text(wider.bytes - plain.bytes) in check.text()
    check.setChecked(True)
    assert box.text() == wider.question()
    check.setChecked(False)
    kept = [Path(name) for name in scene.library.kept.files]
    done: list[Any] = []
    disk.cleaned.connect(done.append)
    with qtbot.waitSignal(disk.thumbnails_cleaned) as tidied:
        next(b for b in box.buttons() if b.objectName() == "confirmCleanUpButton").click()
    (freed,) = done
    assert tidied.args == [2004]
    assert not orphan.exists() and kept_png.exists()
    assert freed.bytes == plain.bytes and freed.tasks == 1
    assert disk.result_label.text() == (
        f"Removed 1 task and freed {size_text(plain.bytes)}. Old thumbnails: 2.0 KB deleted."
    )
    assert all(path.exists() for path in kept)
    assert scene.controller.get(scene.library.old_failed.local_id).hidden
    qtbot.waitUntil(lambda: folder_size(scene.folder) == disk.use.videos if disk.use else False)


def chart_text_ratio(view: SpendingView, picture: QImage) -> float:
    """The contrast of the x axis labels, measured on the chart's pixels (QtCharts draws its
    own text, which the widget walk cannot find)."""
    chart = view.chart
    area = chart.chart_.plotArea().toRect()
    origin = chart.mapTo(view.window(), chart.viewport().pos())
    strip = QRect(area.left(), area.bottom() + 4, area.width(), 14).translated(origin)
    image = picture.convertToFormat(QImage.Format.Format_RGB32)
    counts: dict[int, int] = {}
    for y in range(strip.top(), strip.bottom()):
        for x in range(strip.left(), strip.right()):
            pixel = image.pixel(x, y)
            counts[pixel] = counts.get(pixel, 0) + 1
    background = QColor.fromRgb(max(counts, key=lambda p: counts[p]))
    return max(ratio(QColor.fromRgb(pixel), background) for pixel in counts)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots_are_legible(
    scene: Scene, qtbot: Any, themed: Callable[[bool], None], tmp_path: Path, dark: bool
) -> None:
    themed(dark)
    for width, height in ((1024, 640), (1600, 1000)):
        scene.window.resize(width, height)
        scene.window.show()
        qtbot.waitExposed(scene.window)
        scene.view.refresh()
        if scene.view.disk is not None and scene.view.disk.use is None:
            measuring = scene.view.disk.measure()
            assert measuring is not None
            qtbot.waitUntil(measuring.done)
        picture = scene.window.grab()
        name = f"spending-{'dark' if dark else 'light'}-{width}x{height}"
        check_and_save(scene.window, tmp_path, name, picture)
        assert chart_text_ratio(scene.view, picture.toImage()) >= MIN_RATIO, name
