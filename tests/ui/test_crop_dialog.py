"""The crop dialog: a frame locked to 16:9 or 9:16 over the picture, with a live preview."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialogButtonBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.imaging import samples
from veo_desktop.imaging import CropRect, ImageError, crop_image
from veo_desktop.ui.crop_dialog import CropDialog, ask_crop

FULL = QSize(4000, 3000)


def make_dialog(qtbot: QtBot, aspect: str = "16:9", **kwargs: Any) -> CropDialog:
    shown = samples.bands(400, 300, [samples.RED, samples.GREEN, samples.BLUE])
    dialog = CropDialog(shown, full_size=FULL, aspect=aspect, name="holiday.jpg", **kwargs)
    qtbot.addWidget(dialog)
    dialog.resize(900, 600)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def centre(dialog: CropDialog) -> QPoint:
    return dialog.canvas.frame_in_view().center().toPoint()


def test_opens_without_blocking_with_the_largest_centred_frame(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    assert dialog.isVisible()
    assert dialog.windowTitle() == "Crop holiday.jpg"
    assert dialog.crop_rect() == CropRect(0, 375, 4000, 2250)
    assert "4000 \N{MULTIPLICATION SIGN} 2250 px" in dialog.size_label.text()
    preview = dialog.preview.pixmap()
    assert abs(preview.width() / preview.height() - 16 / 9) < 0.02


def test_set_crop_rect_keeps_the_shape_and_stays_inside(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, aspect="9:16")
    dialog.set_crop_rect(CropRect(3900, 100, 900, 900))
    rect = dialog.crop_rect()
    assert rect.right <= 4000
    assert rect.bottom <= 3000
    assert abs(rect.width / rect.height - 9 / 16) < 0.01


def test_dragging_the_frame_moves_it(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, aspect="9:16")
    before = dialog.crop_rect()
    start = centre(dialog)
    canvas = dialog.canvas

    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, start + QPoint(60, 0))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=start + QPoint(60, 0))

    after = dialog.crop_rect()
    assert after.x > before.x
    assert (after.width, after.height) == (before.width, before.height)
    assert after.y == before.y


def test_dragging_a_corner_resizes_around_the_opposite_corner(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.set_crop_rect(CropRect(1000, 1000, 1600, 900))
    before = dialog.crop_rect()
    frame = dialog.canvas.frame_in_view()
    corner = frame.bottomRight().toPoint()
    canvas = dialog.canvas

    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=corner)
    qtbot.mouseMove(canvas, corner + QPoint(-40, -40))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=corner + QPoint(-40, -40))

    after = dialog.crop_rect()
    assert (after.x, after.y) == (before.x, before.y)
    assert after.width < before.width
    assert abs(after.width / after.height - 16 / 9) < 0.01


def test_keyboard_moves_and_resizes(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.set_crop_rect(CropRect(1000, 1000, 1600, 900))
    canvas = dialog.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    assert dialog.crop_rect().x == 1040
    qtbot.keyClick(canvas, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert dialog.crop_rect().y == 600
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert dialog.crop_rect().width < 1600


def test_reset_centres_and_fills(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.set_crop_rect(CropRect(0, 0, 800, 450))
    qtbot.mouseClick(dialog.reset_button, Qt.MouseButton.LeftButton)
    assert dialog.crop_rect() == CropRect(0, 375, 4000, 2250)


def test_accept_reports_the_crop(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.set_crop_rect(CropRect(0, 0, 1600, 900))
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    with qtbot.waitSignal(dialog.crop_chosen) as chosen:
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert chosen.args == [CropRect(0, 0, 1600, 900)]
    assert not dialog.isVisible()


def test_aspect_can_be_switched_when_allowed(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, allow_aspect_change=True)
    portrait = dialog.findChild(QAbstractButton, "cropAspect9x16")
    assert portrait is not None and portrait.isVisible()
    qtbot.mouseClick(portrait, Qt.MouseButton.LeftButton)
    assert dialog.aspect == "9:16"
    assert dialog.crop_rect() == CropRect(1156, 0, 1688, 3000)
    fixed = make_dialog(qtbot)
    hidden = fixed.findChild(QAbstractButton, "cropAspect9x16")
    assert hidden is not None and not hidden.isVisible()


def test_every_control_has_an_accessible_name(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    controls = [
        w
        for w in dialog.findChildren(QWidget)
        if w.isVisible() and w.focusPolicy() != Qt.FocusPolicy.NoFocus
    ]
    assert controls
    unnamed = [w.objectName() or type(w).__name__ for w in controls if not w.accessibleName()]
    assert unnamed == []


# -- ask_crop: the whole flow inside the event loop ------------------------------------------


def _open_dialog() -> CropDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, CropDialog) and widget.isVisible():
            return widget
    return None


def test_ask_crop_returns_the_choice_and_the_crop_applies_it(
    qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path
) -> None:
    stored = samples.encode(samples.two_tone(640, 360), "JPEG", 95)
    path = samples.write(tmp_path, "phone.jpg", samples.with_exif_orientation(stored, 6))
    task = qloop.create_task(ask_crop(None, path, "16:9"))

    qtbot.waitUntil(lambda: _open_dialog() is not None)
    dialog = _open_dialog()
    assert dialog is not None
    assert dialog.canvas.full_size == QSize(360, 640)  # upright
    dialog.set_crop_rect(CropRect(0, 0, 360, 203))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(task.done)

    result = task.result()
    assert result == (CropRect(0, 0, 360, 202), "16:9")
    prepared = crop_image(path, "16:9", result[0])
    assert (prepared.width, prepared.height) == (360, 202)
    assert samples.near(samples.colour_at(samples.decode(prepared.data), 180, 100), samples.RED)


def test_ask_crop_cancelled(qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    path = samples.write(tmp_path, "a.png", samples.encode(samples.two_tone(300, 300), "PNG"))
    task = qloop.create_task(ask_crop(None, path, "9:16"))
    qtbot.waitUntil(lambda: _open_dialog() is not None)
    dialog = _open_dialog()
    assert dialog is not None
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    qtbot.waitUntil(task.done)
    assert task.result() is None


def test_ask_crop_on_a_non_image(qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    path = samples.write(tmp_path, "notes.txt", b"hello\n")
    task = qloop.create_task(ask_crop(None, path, "16:9"))
    qtbot.waitUntil(task.done)
    with pytest.raises(ImageError, match=r"notes\.txt is a text file"):
        task.result()
    assert _open_dialog() is None
    assert isinstance(task, asyncio.Task)
