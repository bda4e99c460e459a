"""The settings window's General sections on their own: each shows its own problem and hands
back the value it holds (no dialog, no window)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from veo_desktop.core.timing import PollTiming
from veo_desktop.ui.settings.general import (
    CAP_HINT,
    CAP_PROBLEM,
    AdvancedSection,
    LibrarySection,
    PollingSection,
    SpendingSection,
)


def test_the_library_section_wants_a_full_path(qtbot: Any, tmp_path: Path) -> None:
    section = LibrarySection(tmp_path)
    qtbot.addWidget(section)
    assert section.validate() and section.folder() == tmp_path
    section.library_edit.setText("videos/here")
    assert not section.validate()
    assert "full path" in section.library_message.text()
    section.library_edit.setText("~/Videos")
    assert section.validate() and section.folder() == Path.home() / "Videos"


def test_the_polling_section_refuses_a_longest_gap_below_the_shortest(qtbot: Any) -> None:
    timing = PollTiming(first_poll_fast=20, first_poll_quality=40, interval_min=5, interval_max=15)
    section = PollingSection(timing, notifications=True)
    qtbot.addWidget(section)
    assert section.validate() and section.timing() == timing and section.notifications()
    section.interval_max.setValue(2)
    assert section.timing() is None and not section.validate()
    assert "must not be shorter" in section.timing_message.text()
    section.interval_max.setValue(30)
    section.notifications_check.setChecked(False)
    changed = section.timing()
    assert changed is not None and changed.interval_max == 30 and not section.notifications()
    assert section.validate() and section.timing_message.isHidden()


def test_the_spending_section_reads_dollars_or_no_cap(qtbot: Any) -> None:
    section = SpendingSection(Decimal("12.50"))
    qtbot.addWidget(section)
    assert section.spending_cap() == (True, Decimal("12.50"))
    assert section.cap_hint.text() == CAP_HINT
    section.show_spent_today("$3.00")
    assert section.cap_hint.text() == f"{CAP_HINT} Spent today: $3.00."
    section.cap_edit.setText("lots")
    assert not section.validate() and section.cap_message.text() == CAP_PROBLEM
    section.cap_edit.clear()
    assert section.validate() and section.spending_cap() == (True, None)


def test_the_advanced_section_checks_the_base_url_and_resets_it(qtbot: Any) -> None:
    section = AdvancedSection("https://api.example.com/api/v1/")
    qtbot.addWidget(section)
    assert section.validate() and section.base_url() == "https://api.example.com/api/v1"
    section.base_url_edit.setText("http://api.example.com/api/v1")
    assert not section.validate() and section.base_url_message.text()
    section.base_url_reset.click()
    assert section.validate() and section.base_url() == "https://api.apixo.ai/api/v1"
