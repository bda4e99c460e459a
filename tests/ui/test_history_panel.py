"""HistoryPanel: recent prompts from the real store, saved prompts from a real file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from tests.ui.test_extend_dialog import assert_accessible, dialog_screenshot
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.templates import TEMPLATES_FILE, Template, TemplateStore
from veo_desktop.ui.history_panel import HistoryPanel
from veo_desktop.ui.template_dialog import TemplateEditorDialog, TemplateFillDialog

engine_env = tasks_support.engine_env


@pytest.fixture
def store(tmp_path: Path) -> TemplateStore:
    templates = TemplateStore.load(tmp_path / "config" / TEMPLATES_FILE)
    templates.put(Template("Product shot", "A {product} on a {surface}, soft studio light"))
    templates.put(Template("Plain", "Slow aerial over a pine forest at dawn"))
    return templates


@pytest.fixture
def panel(engine_env: EngineEnv, store: TemplateStore, qtbot: Any) -> Iterator[HistoryPanel]:
    engine_env.submit("A red fox trots through fresh snow", seed=5)
    engine_env.submit("Rain slides down a neon-lit window", aspect_ratio="9:16")
    engine_env.submit("A red fox trots through fresh snow", seed=9, mode="quality")
    widget = HistoryPanel(engine_env.controller, store)
    qtbot.addWidget(widget)
    widget.resize(420, 560)
    widget.show()
    yield widget
    widget.shutdown()
    settle(engine_env, qtbot)


def settle(env: EngineEnv, qtbot: Any) -> None:
    """Let the tasks finish, so the engine closes with nothing in flight."""
    qtbot.waitUntil(lambda: not any(t.is_active for t in env.engine.tasks()), timeout=30_000)


def prompts(panel: HistoryPanel) -> list[str]:
    return [entry.prompt for entry in panel.recent_items()]


def test_recent_prompts_are_distinct_and_newest_first(panel: HistoryPanel) -> None:
    assert prompts(panel) == [
        "A red fox trots through fresh snow",
        "Rain slides down a neon-lit window",
    ]
    assert panel.recent_list.item(0).data(Qt.ItemDataRole.UserRole + 1).endswith("used 2\u00d7")
    assert panel.tabs.tabText(0) == "&Recent (2)"
    assert panel.current_recent() is not None
    assert [t.name for t in panel.saved_items()] == ["Plain", "Product shot"]
    assert panel.saved_list.item(1).data(Qt.ItemDataRole.UserRole + 1) == (
        "Blanks: {product}, {surface}"
    )


def test_search_filters_both_lists(panel: HistoryPanel) -> None:
    panel.set_query("NEON")
    assert prompts(panel) == ["Rain slides down a neon-lit window"]
    assert panel.saved_items() == []
    assert panel.saved_empty.text() == "No saved prompt matches the search."
    panel.set_query("studio")
    assert prompts(panel) == []
    assert panel.recent_empty.text() == "No prompt matches the search."
    assert not panel.use_button.isEnabled()
    assert [t.name for t in panel.saved_items()] == ["Product shot"]


def test_use_a_prompt_or_all_its_settings(panel: HistoryPanel, qtbot: Any) -> None:
    assert panel.select_recent("A red fox trots through fresh snow")
    with qtbot.waitSignal(panel.prompt_chosen) as chosen:
        qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    assert chosen.args == ["A red fox trots through fresh snow"]
    with qtbot.waitSignal(panel.request_chosen) as reused:
        panel.reuse_button.click()
    assert reused.args == [
        GenerationRequest(prompt="A red fox trots through fresh snow", seed=9, mode="quality")
    ]
    item = panel.recent_list.item(1)
    with qtbot.waitSignal(panel.prompt_chosen) as chosen:
        panel.recent_list.itemDoubleClicked.emit(item)
    assert chosen.args == ["Rain slides down a neon-lit window"]


def test_new_tasks_appear_shortly_after(
    panel: HistoryPanel, engine_env: EngineEnv, qtbot: Any
) -> None:
    engine_env.submit("A lighthouse beam sweeps a stormy sea")
    qtbot.waitUntil(
        lambda: prompts(panel)[:1] == ["A lighthouse beam sweeps a stormy sea"], timeout=5000
    )


def test_saving_a_recent_prompt_keeps_its_braces(
    panel: HistoryPanel, engine_env: EngineEnv, store: TemplateStore, qtbot: Any
) -> None:
    engine_env.submit("Logo {brand} fades in")
    panel.refresh_recent()
    assert panel.select_recent("Logo {brand} fades in")
    panel.save_button.click()
    editor = panel.dialog
    assert isinstance(editor, TemplateEditorDialog)
    assert editor.text_edit.toPlainText() == "Logo {{brand}} fades in"
    editor.name_edit.setText("Logo")
    assert editor.save()
    assert panel.dialog is None
    assert panel.current_saved() == Template("Logo", "Logo {{brand}} fades in")
    assert panel.tabs.currentIndex() == 1
    with qtbot.waitSignal(panel.prompt_chosen) as chosen:
        panel.use_saved("Logo")
    assert chosen.args == ["Logo {brand} fades in"]
    assert TemplateStore.load(store.path).get("logo") is not None


def test_a_saved_prompt_with_blanks_is_filled_first(panel: HistoryPanel, qtbot: Any) -> None:
    panel.tabs.setCurrentIndex(1)
    assert panel.select_saved("product shot")
    panel.saved_use_button.click()
    form = panel.dialog
    assert isinstance(form, TemplateFillDialog)
    form.set_value("product", "a glass bottle")
    form.set_value("surface", "wet slate")
    with qtbot.waitSignal(panel.prompt_chosen) as chosen:
        form.use_button.click()
    assert chosen.args == ["A a glass bottle on a wet slate, soft studio light"]
    with qtbot.waitSignal(panel.prompt_chosen) as chosen:
        panel.use_saved("Plain")
    assert chosen.args == ["Slow aerial over a pine forest at dawn"]


def test_edit_and_delete_a_saved_prompt(
    panel: HistoryPanel, store: TemplateStore, qtbot: Any
) -> None:
    editor = panel.edit_template("Plain")
    assert isinstance(editor, TemplateEditorDialog)
    editor.text_edit.setPlainText("Slow aerial over a {forest} at dawn")
    assert editor.save()
    assert panel.saved_list.item(0).data(Qt.ItemDataRole.UserRole + 1) == "Blanks: {forest}"
    question = panel.delete_template("Plain")
    assert isinstance(question, QMessageBox)
    question.button(QMessageBox.StandardButton.Cancel).click()
    assert [t.name for t in panel.saved_items()] == ["Plain", "Product shot"]
    question = panel.delete_template("Plain")
    assert question is not None
    question.findChild(QWidget, "confirmDeleteTemplateButton").click()  # type: ignore[union-attr]
    assert [t.name for t in panel.saved_items()] == ["Product shot"]
    assert [t.name for t in TemplateStore.load(store.path)] == ["Product shot"]


def test_an_empty_history_says_what_will_appear(
    engine_env: EngineEnv, tmp_path: Path, qtbot: Any
) -> None:
    widget = HistoryPanel(engine_env.controller, TemplateStore(tmp_path / "t.json"))
    qtbot.addWidget(widget)
    widget.show()
    assert widget.recent_empty.text() == "Prompts you generate appear here."
    assert widget.saved_empty.text().startswith("Save a prompt to use it again")
    assert not widget.use_button.isEnabled() and not widget.saved_use_button.isEnabled()
    widget.shutdown()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots(
    panel: HistoryPanel,
    engine_env: EngineEnv,
    qtbot: Any,
    tmp_path: Path,
    themed: Callable[[bool], None],
    dark: bool,
) -> None:
    themed(dark)
    theme = "dark" if dark else "light"
    for n in range(12):
        engine_env.submit(f"Shot {n}: a drone glides over terraced rice fields, golden hour")
    panel.refresh()
    assert_accessible(panel)
    for size, panel_size in (((1024, 640), (380, 600)), ((1600, 1000), (480, 940))):
        panel.resize(*panel_size)
        panel.tabs.setCurrentIndex(0)
        dialog_screenshot(panel, size, f"history-recent-{size[0]}x{size[1]}-{theme}", tmp_path)
        panel.tabs.setCurrentIndex(1)
        dialog_screenshot(panel, size, f"history-saved-{size[0]}x{size[1]}-{theme}", tmp_path)
        for button in panel.findChildren(QWidget):
            if button.isVisible() and button.inherits("QPushButton"):
                assert button.width() >= button.sizeHint().width() - 1, button.objectName()
