"""Shared parts of the composer tests: a running session on the simulator and a shown
:class:`ComposePanel` on it, whose daily cap the test sets through :class:`CapHolder`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import running_session
from veo_desktop.core.spending import SpendingCap
from veo_desktop.ui.compose.panel import ComposePanel
from veo_desktop.ui.session import Session


@pytest.fixture(name="session")
def session_fixture(sim: Any, tmp_path: Path, arun: Any) -> Iterator[Session]:
    with running_session(sim, tmp_path / "data", arun) as opened:
        yield opened


class CapHolder:
    """What the panel asks for the cap at each Generate (the test changes it)."""

    def __init__(self) -> None:
        self.cap: SpendingCap | None = None

    def __call__(self) -> SpendingCap | None:
        return self.cap


@pytest.fixture(name="cap")
def cap_fixture() -> CapHolder:
    return CapHolder()


@pytest.fixture(name="panel")
def panel_fixture(
    session: Session, qtbot: Any, tmp_path: Path, cap: CapHolder
) -> Iterator[ComposePanel]:
    widget = ComposePanel(
        session.controller, session.uploader, spending_cap=cap, journal_dir=tmp_path / "batches"
    )
    qtbot.addWidget(widget)
    widget.resize(380, 760)
    widget.show()
    qtbot.waitUntil(lambda: "balance $100.00" in widget.cost_line.text())
    yield widget
    widget.cancel()
