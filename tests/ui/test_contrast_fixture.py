"""The contrast check of tests/fixtures/contrast.py measures what is drawn, and fails what a
person cannot read (WCAG 2.x AA: 4.5:1, 3:1 for large text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, QStringListModel, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tests.fixtures.contrast import (
    assert_legible,
    contrast_failures,
    is_large,
    measure,
    ratio,
)
from tests.fixtures.screenshots import save_screenshot


def page(qtbot: Any, style: str) -> tuple[QWidget, QLabel]:
    """A window on ``style``'s background holding one label; shown and laid out."""
    host = QWidget()
    qtbot.addWidget(host)
    host.setObjectName("page")
    host.setStyleSheet(style)
    layout = QVBoxLayout(host)
    label = QLabel("Write a prompt to generate.")
    label.setObjectName("hint")
    layout.addWidget(label)
    host.resize(320, 80)
    host.show()
    qtbot.waitExposed(host)
    return host, label


def test_the_ratio_is_wcags() -> None:
    assert ratio(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert ratio(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)
    assert ratio(QColor("#EDEDED"), QColor("#EFEFEF")) == pytest.approx(1.02, abs=0.01)


def test_near_invisible_hint_text_fails(qtbot: Any, tmp_path: Path) -> None:
    host, _ = page(qtbot, "#page { background: #EFEFEF; } QLabel { color: #EDEDED; }")
    picture = host.grab()
    save_screenshot(picture, tmp_path, "contrast-invisible-hint")
    failures = contrast_failures(host, picture)
    assert [(f.widget, f.text) for f in failures] == [
        ("QLabel#hint", "Write a prompt to generate.")
    ]
    assert failures[0].ratio < 1.1
    assert failures[0].background == "#efefef"
    assert failures[0].text_colour == "#ededed"
    with pytest.raises(AssertionError, match=r"QLabel#hint 'Write a prompt to generate.': 1.0"):
        assert_legible(host, picture, "invisible hint")


def test_black_on_white_passes(qtbot: Any) -> None:
    host, _ = page(qtbot, "#page { background: white; } QLabel { color: black; }")
    picture = host.grab()
    (measured,) = measure(host, picture)
    assert measured.ratio == pytest.approx(21.0, abs=0.5)
    assert_legible(host, picture, "black on white")


def test_grey_that_fails_small_passes_large(qtbot: Any) -> None:
    """#8a8a8a on white is about 3.4:1: too faint for body text, enough for large text."""
    host, label = page(qtbot, "#page { background: white; } QLabel { color: #8a8a8a; }")
    assert not is_large(label.font())
    assert [f.widget for f in contrast_failures(host, host.grab())] == ["QLabel#hint"]
    large = QFont(label.font())
    large.setPixelSize(26)
    label.setFont(large)
    assert is_large(label.font())
    qtbot.waitUntil(lambda: label.height() >= 26)
    assert contrast_failures(host, host.grab()) == []
    bold = QFont(label.font())
    bold.setPixelSize(19)
    bold.setBold(True)
    label.setFont(bold)
    assert is_large(label.font())
    assert contrast_failures(host, host.grab()) == []
    bold.setBold(False)
    label.setFont(bold)
    assert not is_large(label.font())
    assert contrast_failures(host, host.grab()) != []


def test_buttons_fields_titles_and_tabs_are_measured_and_disabled_ones_skipped(
    qtbot: Any,
) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    host.setStyleSheet("color: #e8e8e8; background: #f0f0f0;")
    layout = QVBoxLayout(host)
    button = QPushButton("Generate")
    check = QCheckBox("Loop")
    field = QLineEdit()
    field.setPlaceholderText("Search prompts")
    group = QGroupBox("Seed")
    QVBoxLayout(group).addWidget(QLabel("inside"))
    tabs = QTabWidget()
    tabs.addTab(QWidget(), "History")
    off = QPushButton("Off")
    off.setEnabled(False)
    for widget in (button, check, field, group, tabs, off):
        layout.addWidget(widget)
    host.resize(400, 400)
    host.show()
    qtbot.waitExposed(host)
    texts = sorted(f.text for f in contrast_failures(host, host.grab()))
    assert "Off" not in texts, "a disabled widget is exempt"
    assert {"Generate", "Loop", "Seed", "History", "inside"} <= set(texts)


def test_a_hidden_label_is_not_measured(qtbot: Any) -> None:
    host, label = page(qtbot, "#page { background: #EFEFEF; } QLabel { color: #EDEDED; }")
    label.hide()
    assert contrast_failures(host, host.grab()) == []


def test_a_text_edit_is_measured_on_its_lines_and_its_placeholder(qtbot: Any) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    host.setStyleSheet("QPlainTextEdit { background: white; color: black; }")
    edit = QPlainTextEdit(host)
    edit.setObjectName("prompt")
    edit.setPlaceholderText("Describe the video")
    palette = edit.palette()
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#dddddd"))
    edit.setPalette(palette)
    QVBoxLayout(host).addWidget(edit)
    host.resize(300, 300)
    host.show()
    qtbot.waitExposed(host)
    (failure,) = contrast_failures(host, host.grab())
    assert (failure.widget, failure.text) == ("QPlainTextEdit#prompt", "Describe the video")
    edit.setPlainText("A lighthouse at dusk")
    (measured,) = measure(host, host.grab())
    assert measured.text == "A lighthouse at dusk"
    assert measured.ratio > 15


def test_a_fields_icon_is_not_taken_for_its_text(qtbot: Any) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    host.setStyleSheet("QLineEdit { background: white; color: black; }")
    field = QLineEdit(host)
    field.setObjectName("search")
    field.setPlaceholderText("Search prompts")
    palette = field.palette()
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#dddddd"))
    field.setPalette(palette)
    icon = QPixmap(16, 16)
    icon.fill(QColor("black"))
    field.addAction(QIcon(icon), QLineEdit.ActionPosition.LeadingPosition)
    QVBoxLayout(host).addWidget(field)
    host.resize(300, 60)
    host.show()
    qtbot.waitExposed(host)
    assert [f.widget for f in contrast_failures(host, host.grab())] == ["QLineEdit#search"]


class _TwoLineDelegate(QStyledItemDelegate):
    """Draws each row as a delegate does: a prompt line, and a second line in ``second``."""

    def __init__(self, second: str) -> None:
        super().__init__()
        self.second = QColor(second)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        painter.save()
        painter.fillRect(option.rect, QColor("#FFFFFF"))
        top = option.rect.adjusted(6, 4, -6, -option.rect.height() // 2)
        bottom = option.rect.adjusted(6, option.rect.height() // 2, -6, -4)
        painter.setPen(QColor("#111111"))
        painter.drawText(top, int(Qt.AlignmentFlag.AlignLeft), str(index.data()))
        painter.setPen(self.second)
        painter.drawText(bottom, int(Qt.AlignmentFlag.AlignLeft), "Take 2/4 \u00b7 seed 17")
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        return QSize(200, option.fontMetrics.height() * 2 + 12)


@pytest.mark.parametrize(("second", "fails"), [("#F2F2F2", True), ("#595959", False)])
def test_a_faint_second_line_drawn_by_a_delegate_fails(
    qtbot: Any, second: str, fails: bool
) -> None:
    # The first line is legible either way: each line of a cell is measured on its own.
    view = QListView()
    qtbot.addWidget(view)
    view.setObjectName("rows")
    view.setModel(QStringListModel(["A lighthouse at dusk", "A harbour at night"]))
    delegate = _TwoLineDelegate(second)
    view.setItemDelegate(delegate)
    view.resize(320, 200)
    view.show()
    qtbot.waitExposed(view)
    picture = view.grab()
    bands = [m for m in measure(view, picture) if m.text == "A lighthouse at dusk"]
    assert len(bands) == 2
    failures = contrast_failures(view, picture)
    if fails:
        assert {f.text for f in failures} == {"A lighthouse at dusk", "A harbour at night"}
        assert all(f.text_colour == "#f2f2f2" for f in failures)
    else:
        assert failures == []


def test_an_empty_lists_text_is_measured(qtbot: Any) -> None:
    from veo_desktop.ui.tasks.view import TaskView

    view = TaskView()
    qtbot.addWidget(view)
    view.setModel(QStringListModel([]))
    view.set_empty_text("No videos yet")
    view.setStyleSheet("QTableView { background: #FFFFFF; }")
    view.resize(400, 200)
    view.show()
    qtbot.waitExposed(view)
    (measured,) = [m for m in measure(view, view.grab()) if m.text == "No videos yet"]
    assert measured.ratio >= 4.5
