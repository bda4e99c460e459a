"""The window's session wraps the runtime: one ``httpx.AsyncClient`` for its whole life.

Before issue 13 a session opened three clients before any image was checked and four after
(the APIXO client's, the engine's downloads', the session's, the URL checker's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e import helpers
from tests.fixtures.core import count_http_clients
from tests.fixtures.s3 import MemoryKeyring
from tests.fixtures.sim import SIM_API_KEY
from tests.hosting.test_s3 import png_image
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.paths import AppPaths
from veo_desktop.hosting import DemoProvider, S3Secrets
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.sim import SimulatorThread
from veo_desktop.ui.session import open_session


def test_a_session_polls_downloads_checks_uploads_and_fetches_thumbnails_over_one_client(
    sim: SimulatorThread,
    tmp_path: Path,
    arun: Any,
    qloop: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = count_http_clients(monkeypatch)

    session = open_session(
        paths=AppPaths.resolve(tmp_path / "data"),
        settings=helpers.test_settings(),
        base_url=sim.base_url,
        api_key=SIM_API_KEY,
        secrets=S3Secrets(backend=MemoryKeyring()),
    )
    try:
        arun(session.start())
        record = arun(session.engine.submit(GenerationRequest(prompt="one client")))
        done = arun(session.engine.wait(record.local_id), timeout=20)
        host = session.uploader.host
        assert host is not None and isinstance(host.provider, DemoProvider)
        hosted = arun(host.upload(png_image()))
        image = arun(session.uploader.from_url(hosted.url))  # URL check and thumbnail
    finally:
        arun(session.aclose(), timeout=20)

    assert done.state is TaskState.SUCCEEDED and done.files
    assert not image.preview.thumbnail.isNull()
    assert made == [session.http]
    assert session.client.shares_http
    assert session.http.is_closed
    assert session.runtime.closed
