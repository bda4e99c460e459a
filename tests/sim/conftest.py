"""Helpers for the simulator's own tests: an HTTP client speaking APIXO, and a shared server.

Most tests share one simulator per module (starting its render worker costs ~0.4 s); an
autouse fixture resets its faults, balance and request log between tests. Tests that need a
differently configured simulator use ``sim_factory``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.sim import SIM_API_KEY, SIM_DEFAULTS
from veo_desktop.sim import SimulatorThread

GENERATE = "veo-3-1"
EXTEND = "veo-3-1-extend"
TERMINAL = ("success", "failed")


def text_body(prompt: str = "a red fox running through snow", **input_extra: Any) -> dict[str, Any]:
    """A valid TEXT_2_VIDEO submit body; ``input_extra`` overrides input fields."""
    data: dict[str, Any] = {
        "mode": "fast",
        "prompt": prompt,
        "generationType": "TEXT_2_VIDEO",
        "aspect_ratio": "16:9",
    }
    data.update(input_extra)
    return {"request_type": "async", "input": data}


class Apixo:
    """A thin APIXO client over a real loopback socket."""

    def __init__(self, sim: SimulatorThread, key: str | None = SIM_API_KEY) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.sim = sim
        self.http = httpx.Client(base_url=sim.base_url, headers=headers, timeout=10.0)
        #: for everything outside the API: media, uploads, the control API
        self.web = httpx.Client(timeout=10.0)

    def close(self) -> None:
        self.http.close()
        self.web.close()

    def submit(self, body: Any, model: str = GENERATE) -> httpx.Response:
        return self.http.post(f"/generateTask/{model}", json=body)

    def status(self, task_id: str, model: str = GENERATE) -> httpx.Response:
        return self.http.get(f"/statusTask/{model}", params={"taskId": task_id})

    def balance(self) -> httpx.Response:
        return self.http.get("/apikeys/current-balance")

    def create(self, body: Any | None = None, model: str = GENERATE) -> str:
        """Submit and return the new task id (asserting it was accepted)."""
        response = self.submit(text_body() if body is None else body, model)
        assert response.status_code == 200, response.text
        task_id: str = response.json()["data"]["taskId"]
        return task_id

    def wait_done(self, task_id: str, model: str = GENERATE, timeout: float = 20.0) -> Any:
        """Poll until the task is success or failed; returns the status ``data``."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.status(task_id, model)
            assert response.status_code == 200, response.text
            data = response.json()["data"]
            if data["state"] in TERMINAL:
                return data
            assert time.monotonic() < deadline, f"{task_id} still {data['state']}"
            time.sleep(0.02)

    def finished(self, body: Any | None = None, model: str = GENERATE) -> Any:
        return self.wait_done(self.create(body, model), model)


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[SimulatorThread]:
    with SimulatorThread(**{**SIM_DEFAULTS, "duration": 0.1}) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _reset_shared_sim(request: pytest.FixtureRequest) -> None:
    if "shared_sim" in request.fixturenames:
        simulator: SimulatorThread = request.getfixturevalue("shared_sim")
        simulator.clear_faults()
        simulator.clear_requests()
        simulator.balance = 100.0


@pytest.fixture(scope="module")
def api(shared_sim: SimulatorThread) -> Iterator[Apixo]:
    client = Apixo(shared_sim)
    yield client
    client.close()
