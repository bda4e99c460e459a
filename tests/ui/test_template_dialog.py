"""Saved prompts: the fill form and the editor, against a real templates file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit

from tests.ui.test_extend_dialog import (
    SIZES,
    assert_accessible,
    assert_fits,
    dialog_screenshot,
)
from veo_desktop.core.templates import TEMPLATES_FILE, Template, TemplateStore
from veo_desktop.ui.template_dialog import TemplateEditorDialog, TemplateFillDialog

CHASE = Template("Chase", "A {animal} chases a {prey} through {place}; the {animal} wins")


@pytest.fixture
def store(tmp_path: Path) -> TemplateStore:
    return TemplateStore.load(tmp_path / "config" / TEMPLATES_FILE)


def fill_dialog(qtbot: Any, template: Template = CHASE) -> TemplateFillDialog:
    dialog = TemplateFillDialog(template)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_one_field_per_blank_and_a_live_preview(qtbot: Any) -> None:
    dialog = fill_dialog(qtbot)
    assert dialog.placeholder_names() == ["animal", "prey", "place"]
    fields = dialog.findChildren(QLineEdit)
    assert [f.accessibleName() for f in fields] == ["animal", "prey", "place"]
    assert not dialog.use_button.isEnabled()
    assert dialog.message.text() == "Still to fill: {animal}, {prey}, {place}"
    qtbot.keyClicks(dialog.edits["animal"], "fox")
    assert dialog.preview.text() == "A fox chases a {prey} through {place}; the fox wins"
    dialog.set_value("prey", "hare")
    dialog.set_value("place", "fresh snow")
    assert dialog.use_button.isEnabled() and not dialog.message.isVisible()
    with qtbot.waitSignal(dialog.filled) as filled:
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert filled.args == ["A fox chases a hare through fresh snow; the fox wins"]
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_use_with_blanks_left_says_which(qtbot: Any) -> None:
    dialog = fill_dialog(qtbot)
    dialog.set_value("animal", "owl")
    with qtbot.assertNotEmitted(dialog.filled):
        assert not dialog.use()
    assert dialog.message.text() == "Fill in {prey}, {place} before using this prompt."
    assert dialog.isVisible()


def test_the_editor_saves_to_the_config_file(store: TemplateStore, qtbot: Any) -> None:
    dialog = TemplateEditorDialog(store, initial_text="A red fox in {{brackets}}")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.placeholders_label.text() == "No blanks: the prompt is used as it is."
    assert not dialog.save_button.isEnabled(), "no name yet"
    qtbot.keyClicks(dialog.name_edit, "Fox")
    dialog.text_edit.setPlainText("A {colour} fox in {place}")
    assert dialog.placeholders_label.text() == "Blanks to fill in: {colour}, {place}"
    with qtbot.waitSignal(dialog.saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert saved.args == [Template("Fox", "A {colour} fox in {place}")]
    data = json.loads(store.path.read_text(encoding="utf-8"))
    assert data["templates"] == [{"name": "Fox", "text": "A {colour} fox in {place}"}]


def test_the_editor_shows_problems_inline(store: TemplateStore, qtbot: Any) -> None:
    store.put(Template("Taken", "x"))
    dialog = TemplateEditorDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name_edit.setText("taken")
    dialog.text_edit.setPlainText("A {fox")
    text = dialog.message.text()
    assert "opens no placeholder" in text and "already called \u201cTaken\u201d" in text
    assert not dialog.save_button.isEnabled()
    assert not dialog.save()
    dialog.name_edit.setText("Fresh")
    dialog.text_edit.setPlainText("A {fox}")
    assert dialog.save()
    assert [t.name for t in TemplateStore.load(store.path)] == ["Fresh", "Taken"]


def test_editing_renames_and_keeps_one_copy(store: TemplateStore, qtbot: Any) -> None:
    store.put(CHASE)
    dialog = TemplateEditorDialog(store, CHASE)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "Edit saved prompt"
    dialog.name_edit.setText("Hunt")
    assert dialog.save()
    assert [t.name for t in TemplateStore.load(store.path)] == ["Hunt"]


def test_a_write_failure_is_said_and_the_dialog_stays(tmp_path: Path, qtbot: Any) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    store = TemplateStore(blocker / TEMPLATES_FILE)
    dialog = TemplateEditorDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name_edit.setText("Doomed")
    dialog.text_edit.setPlainText("text")
    assert not dialog.save()
    assert dialog.message.text().startswith("Not saved:")
    assert dialog.isVisible()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots(
    store: TemplateStore,
    qtbot: Any,
    tmp_path: Path,
    themed: Callable[[bool], None],
    dark: bool,
) -> None:
    themed(dark)
    theme = "dark" if dark else "light"
    fill = fill_dialog(qtbot)
    fill.set_value("animal", "red fox")
    assert_accessible(fill)
    for size in SIZES:
        dialog_screenshot(fill, size, f"template-fill-{size[0]}x{size[1]}-{theme}", tmp_path)
        assert_fits(fill)
    editor = TemplateEditorDialog(store, initial_text="A {animal} at {time of day}, {{logo}}")
    qtbot.addWidget(editor)
    editor.show()
    editor.name_edit.setText("Wildlife")
    assert_accessible(editor)
    for size in SIZES:
        dialog_screenshot(editor, size, f"template-editor-{size[0]}x{size[1]}-{theme}", tmp_path)
        assert_fits(editor)


def test_save_prompt_opens_without_a_red_error(store: TemplateStore, qtbot: Any) -> None:
    """Issue 14: opened from the composer (its prompt, no name yet), the dialog said what is
    missing in red before anything was typed. It is a hint until a field is edited."""
    from veo_desktop.ui import style

    dialog = TemplateEditorDialog(store, initial_text="A lighthouse at dusk")
    qtbot.addWidget(dialog)
    dialog.show()
    shown = dialog.message.palette().color(dialog.message.foregroundRole()).name()
    assert dialog.message.isVisible() and dialog.message.text()
    assert shown != style.problem_color(dialog).name()
    assert shown == style.hint_color(dialog).name()
    assert not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "x")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Backspace)
    shown = dialog.message.palette().color(dialog.message.foregroundRole()).name()
    assert shown == style.problem_color(dialog).name(), "after editing, what is missing is red"
