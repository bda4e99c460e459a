"""Saved prompts with {placeholders}: parsing, filling, and the JSON file in the config dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veo_desktop.core.paths import AppPaths
from veo_desktop.core.templates import (
    TEMPLATES_FILE,
    MissingValuesError,
    Template,
    TemplateError,
    TemplateStore,
    TemplateSyntaxError,
    escape,
)


def test_placeholders_in_order_each_once() -> None:
    template = Template("Chase", "A {animal} chases a {prey} through {place}; the {animal} wins.")
    assert template.placeholders() == ["animal", "prey", "place"]
    assert template.problems() == []


def test_fill_replaces_every_placeholder_literally() -> None:
    template = Template("Shot", "{subject} at {time of day}, {{cinematic}} {camera-move}")
    text = template.fill(
        {"subject": " A red fox ", "time of day": "dawn", "camera-move": "{slow} dolly"}
    )
    assert text == "A red fox at dawn, {cinematic} {slow} dolly"


def test_missing_values_are_named_clearly() -> None:
    template = Template("Shot", "A {animal} in {place} with {light}")
    with pytest.raises(MissingValuesError) as caught:
        template.fill({"animal": "fox", "place": "   "})
    assert caught.value.missing == ["place", "light"]
    assert str(caught.value) == "Fill in {place}, {light} before using this prompt."
    assert template.preview({"animal": "fox"}) == "A fox in {place} with {light}"


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("A {fox", 2),
        ("A fox}", 5),
        ("A {} fox", 2),
        ("A {1st} fox", 2),
        ("A {a{b}} fox", 2),
        ("A {fox!} fox", 2),
    ],
)
def test_syntax_errors_point_at_the_brace(text: str, position: int) -> None:
    template = Template("Bad", text)
    with pytest.raises(TemplateSyntaxError) as caught:
        template.placeholders()
    assert caught.value.position == position
    assert f"character {position + 1}" in str(caught.value)
    assert template.problems() == [str(caught.value)]
    assert template.preview({}) == text


def test_escape_round_trips_literal_braces() -> None:
    literal = "Logo {brand} and }{ braces"
    template = Template("Lit", escape(literal))
    assert template.placeholders() == []
    assert template.fill({}) == literal


def test_store_saves_atomically_in_the_config_dir(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "data")
    store = TemplateStore.in_config_dir(paths.config_dir)
    assert len(store) == 0
    store.put(Template("  Fox chase ", "A {animal} runs"))
    store.put(Template("alpha", "first {thing}"))
    file = paths.config_dir / TEMPLATES_FILE
    data = json.loads(file.read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert [t["name"] for t in data["templates"]] == ["alpha", "Fox chase"]
    again = TemplateStore.in_config_dir(paths.config_dir)
    assert [t.name for t in again] == ["alpha", "Fox chase"]
    assert again.get("FOX CHASE") == Template("Fox chase", "A {animal} runs")
    # Same name (any case) replaces; renaming onto another name is refused.
    again.put(Template("fox chase", "A {animal} sprints"))
    assert [t.text for t in again if t.name.lower() == "fox chase"] == ["A {animal} sprints"]
    with pytest.raises(TemplateError, match="already called 'alpha'"):
        again.put(Template("Alpha", "x"), replace="fox chase")
    again.put(Template("Wolf chase", "A {animal} hunts"), replace="fox chase")
    assert [t.name for t in TemplateStore.load(file)] == ["alpha", "Wolf chase"]
    assert again.remove("ALPHA") and not again.remove("alpha")
    assert [t.name for t in TemplateStore.load(file)] == ["Wolf chase"]
    assert not list(file.parent.glob("*.tmp"))


def test_store_refuses_broken_templates(tmp_path: Path) -> None:
    store = TemplateStore(tmp_path / "t.json")
    with pytest.raises(TemplateError, match="opens no placeholder"):
        store.put(Template("Bad", "A {fox"))
    with pytest.raises(TemplateError, match="Give the prompt a name"):
        store.put(Template("  ", "text"))
    with pytest.raises(TemplateError, match="Write the prompt text"):
        store.put(Template("Empty", "  "))
    assert not (tmp_path / "t.json").exists()


def test_a_damaged_file_is_kept_aside_not_overwritten(tmp_path: Path) -> None:
    file = tmp_path / TEMPLATES_FILE
    file.write_text('{"templates": [{"name": "x"', encoding="utf-8")
    store = TemplateStore.load(file)
    assert len(store) == 0
    assert (tmp_path / (TEMPLATES_FILE + ".broken")).read_text(encoding="utf-8").startswith("{")
    store.put(Template("New", "text"))
    assert [t.name for t in TemplateStore.load(file)] == ["New"]


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be", encoding="utf-8")
    store = TemplateStore(blocker / "t.json", [Template("Kept", "text")])
    with pytest.raises(OSError):
        store.put(Template("Lost", "text"))
    assert [t.name for t in store] == ["Kept"]
    with pytest.raises(OSError):
        store.remove("Kept")
    assert [t.name for t in store] == ["Kept"]
