"""The app's own colours against the surfaces they are drawn on, light and dark (WCAG 4.5:1).

The screenshot tests measure the grabbed pixels of every screen; this test names the
colour that fails, so a palette change is caught where it is made.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget

from tests.fixtures.contrast import ratio
from veo_desktop.ui import style

AA = 4.5


@pytest.fixture(params=["light", "dark"])
def themed_widget(request: pytest.FixtureRequest, qapp: QApplication) -> QWidget:
    palette = style.dark_palette() if request.param == "dark" else style.light_palette()
    widget = QWidget()
    widget.setPalette(palette)
    return widget


def test_message_colours_are_legible_on_the_window_and_a_group_box(themed_widget: QWidget) -> None:
    palette = themed_widget.palette()
    window = palette.color(QPalette.ColorRole.Window)
    group_box = window.darker(102)  # Fusion draws a group box's frame a shade darker (#ececec)
    for name, colour in {
        "problem": style.problem_color(themed_widget),
        "warning": style.warning_color(themed_widget),
        "ok": style.ok_color(themed_widget),
        "accent": style.accent_color(themed_widget),
        "hint": style.hint_color(themed_widget),
    }.items():
        for surface in (window, group_box):
            measured = ratio(colour, surface)
            assert measured >= AA, f"{name} {colour.name()} on {surface.name()} is {measured:.2f}:1"


def test_placeholder_and_selected_text_are_legible(themed_widget: QWidget) -> None:
    palette = themed_widget.palette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        placeholder = palette.color(group, QPalette.ColorRole.PlaceholderText)
        base = palette.color(group, QPalette.ColorRole.Base)
        assert ratio(placeholder, base) >= AA, f"placeholder {placeholder.name()} on {base.name()}"
        selected = palette.color(group, QPalette.ColorRole.HighlightedText)
        highlight = palette.color(group, QPalette.ColorRole.Highlight)
        assert ratio(selected, highlight) >= AA, f"{selected.name()} on {highlight.name()}"


def test_a_hint_label_follows_a_theme_change_after_it_was_built(qapp: QApplication) -> None:
    """Built in the light theme, then the window turns dark: the hint is mixed again from
    the dark palette it now inherits (it kept the light mix before: 2.5:1 on dark)."""
    from PySide6.QtWidgets import QLabel

    window = QWidget()
    window.setPalette(style.light_palette())
    label = QLabel("0:02", window)
    style.follow_hint_color(label)
    window.setPalette(style.dark_palette())
    shown = label.palette().color(QPalette.ColorRole.WindowText)
    background = window.palette().color(QPalette.ColorRole.Window)
    assert shown.name() == style.hint_color(window).name()
    assert ratio(shown, background) >= AA
    window.setPalette(style.light_palette())
    assert label.palette().color(QPalette.ColorRole.WindowText).name() == (
        style.hint_color(window).name()
    )
