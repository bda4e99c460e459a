"""The runtime: one shared ``httpx.AsyncClient`` for every part, and closing in order.

Real parts only: the simulator on loopback, a real sqlite store, real downloads, a real
upload to the simulator's image endpoint and a real URL check of the uploaded image.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.core import FAST_TIMING, count_http_clients
from tests.fixtures.sim import SIM_API_KEY, SimFactory
from tests.hosting.test_s3 import png_image
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.hosting import DemoProvider, HostingConfig
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.runtime import Runtime, open_demo_runtime, open_runtime
from veo_desktop.runtime.demo import DEMO_TIMING, start_demo_simulator
from veo_desktop.sim import SimulatorThread


def runtime_on(sim: SimulatorThread, root: Path, **kwargs: Any) -> Runtime:
    return open_runtime(
        paths=AppPaths.resolve(root),
        settings=Settings(timing=FAST_TIMING),
        base_url=sim.base_url,
        api_key=SIM_API_KEY,
        **kwargs,
    )


def test_polls_downloads_uploads_and_url_checks_share_one_http_client(
    sim: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = count_http_clients(monkeypatch)

    async def scenario() -> dict[str, Any]:
        runtime = runtime_on(sim, tmp_path / "data")
        try:
            await runtime.engine.start()
            record = await runtime.engine.submit(GenerationRequest(prompt="one client"))
            done = await runtime.engine.wait(record.local_id)
            # The simulator is on loopback, so the hosting is the simulator's upload endpoint.
            host = await runtime.open_image_host(HostingConfig.from_settings(runtime.settings))
            hosted = await host.upload(png_image())
            check = await runtime.checker.check(hosted.url)
            balance = await runtime.client.balance()
        finally:
            await runtime.aclose()
        return {
            "done": done,
            "provider": host.provider,
            "check": check,
            "balance": balance,
            "runtime": runtime,
        }

    result = asyncio.run(scenario())

    assert result["done"].state is TaskState.SUCCEEDED
    assert all(Path(f).stat().st_size > 0 for f in result["done"].files)
    assert isinstance(result["provider"], DemoProvider)
    assert result["check"].ok
    assert result["balance"] > 0
    runtime = result["runtime"]
    assert made == [runtime.http]  # the one client, built once
    assert runtime.client.shares_http
    assert runtime.http.is_closed
    assert "authorization" not in runtime.http.headers  # the key goes with each request only
    statuses = [r for r in sim.requests if r.endpoint == "status"]
    assert statuses, "the engine polled"


def test_closing_stops_the_engine_then_hosts_then_store_then_http_then_simulator(
    sim_factory: SimFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator = sim_factory()
    order: list[str] = []

    def record(name: str, close: Callable[[], Any]) -> Callable[[], Any]:
        if asyncio.iscoroutinefunction(close):

            async def async_step() -> None:
                order.append(name)
                await close()

            return async_step

        def step() -> None:
            order.append(name)
            close()

        return step

    async def scenario() -> Runtime:
        runtime = runtime_on(simulator, tmp_path / "data", simulator=simulator)
        await runtime.engine.start()
        host = await runtime.open_image_host(HostingConfig.from_settings(runtime.settings))
        for name, part, method in [
            ("engine", runtime.engine, "aclose"),
            ("host", host, "aclose"),
            ("store", runtime.store, "close"),
            ("client", runtime.client, "aclose"),
            ("http", runtime.http, "aclose"),
            ("simulator", simulator, "stop"),
        ]:
            monkeypatch.setattr(part, method, record(name, getattr(part, method)))
        await runtime.aclose()
        await runtime.aclose()  # a second close does nothing
        return runtime

    runtime = asyncio.run(scenario())

    assert order == ["engine", "host", "store", "client", "http", "simulator"]
    assert runtime.closed and runtime.http.is_closed and runtime.client.is_closed
    assert not runtime.engine.started
    with pytest.raises(RuntimeError):
        simulator.base_url  # noqa: B018 - a stopped simulator has no address


def test_a_failing_engine_close_still_closes_the_store_and_the_http_client(
    sim: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> Runtime:
        runtime = runtime_on(sim, tmp_path / "data")
        await runtime.engine.start()
        await runtime.client.balance()  # the shared client is made with a first request
        real_close = runtime.engine.aclose

        async def broken() -> None:
            await real_close()
            raise OSError("disk gone")

        monkeypatch.setattr(runtime.engine, "aclose", broken)
        with pytest.raises(OSError, match="disk gone"):
            await runtime.aclose()
        return runtime

    runtime = asyncio.run(scenario())
    assert runtime.http.is_closed
    with pytest.raises(Exception, match="closed"):
        runtime.store.load_all()


def test_the_demo_runtime_chooses_the_simulator_its_folder_and_its_timing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = count_http_clients(monkeypatch)
    paths = AppPaths.resolve(tmp_path / "data")

    async def scenario() -> tuple[Runtime, str]:
        runtime = open_demo_runtime(paths, Settings(library_dir=tmp_path / "paid-videos"))
        try:
            simulator = runtime.simulator
            assert simulator is not None
            address = simulator.base_url
            await runtime.engine.start()
            await runtime.client.balance()
        finally:
            await runtime.aclose()
        return runtime, address

    runtime, address = asyncio.run(scenario())

    demo = paths.demo()
    assert runtime.is_demo
    assert runtime.paths == demo
    assert runtime.base_url == address
    assert runtime.engine.library_dir == demo.library_dir  # never the paid library
    assert runtime.engine.timing == DEMO_TIMING
    assert runtime.store.path == demo.store_path
    assert made == [runtime.http]
    assert not runtime.http._trust_env  # no proxy from the environment for loopback
    assert runtime.simulator is not None
    with pytest.raises(RuntimeError):
        runtime.simulator.base_url  # noqa: B018 - stopped with the runtime


def test_parts_are_refused_before_they_are_opened_and_after_closing(tmp_path: Path) -> None:
    async def scenario() -> None:
        runtime = Runtime(
            paths=AppPaths.resolve(tmp_path / "data").ensure(),
            settings=Settings(),
            base_url="https://api.apixo.ai/api/v1",
        )
        with pytest.raises(RuntimeError, match="connect"):
            runtime.client  # noqa: B018
        with pytest.raises(RuntimeError, match="open_engine"):
            runtime.engine  # noqa: B018
        with pytest.raises(RuntimeError, match="connect"):
            runtime.open_engine()
        await runtime.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            runtime.connect("a-key")

    asyncio.run(scenario())


def test_a_runtime_closed_before_any_request_never_made_an_http_client(
    sim: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = count_http_clients(monkeypatch)

    async def scenario() -> Runtime:
        runtime = runtime_on(sim, tmp_path / "data")
        await runtime.engine.start()  # no tasks: nothing to poll or download
        await runtime.aclose()
        return runtime

    runtime = asyncio.run(scenario())
    assert made == []
    assert runtime.closed and runtime.shared_http.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        runtime.http  # noqa: B018 - not made now that the runtime is closed


OPEN_THEN_ASK = """
import asyncio, json, sys
from pathlib import Path
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.runtime import open_runtime

LATER = ("httpx", "httpcore", "veo_desktop.storyboard", "veo_desktop.hosting.providers",
         "veo_desktop.hosting.checker", "veo_desktop.hosting.config")
paths = AppPaths.resolve(Path(sys.argv[1]))
runtime = open_runtime(paths=paths, settings=Settings(), base_url=sys.argv[2], api_key=sys.argv[3])
runtime.engine.loaded_tasks()
opened = [name for name in LATER if name in sys.modules]

async def ask():
    try:
        return str(await runtime.client.balance()), runtime.storyboards.boards()
    finally:
        await runtime.aclose()

balance, boards = asyncio.run(ask())
print(json.dumps({"opened": opened, "balance": balance, "boards": len(boards),
                  "asked": [name for name in LATER if name in sys.modules]}))
"""


def test_an_open_runtime_loads_httpx_with_its_first_request_and_storyboards_when_used(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", OPEN_THEN_ASK, str(tmp_path / "data"), sim.base_url, SIM_API_KEY],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout)
    assert answer["opened"] == []
    assert Decimal(answer["balance"]) > 0
    assert answer["boards"] == 0
    assert {"httpx", "httpcore", "veo_desktop.storyboard"} <= set(answer["asked"])


def test_the_runtime_and_the_command_line_load_without_qt_or_the_simulator() -> None:
    code = (
        "import sys\n"
        "import veo_desktop.runtime, veo_desktop.runtime.demo, veo_desktop.cli.commands\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync')\n"
        "             or m.startswith(('veo_desktop.sim', 'veo_desktop.imaging')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_the_demo_runtime_takes_a_simulator_started_elsewhere_and_stops_it(
    tmp_path: Path,
) -> None:
    simulator = start_demo_simulator(duration=0.2)
    address = simulator.base_url

    async def scenario() -> Runtime:
        runtime = open_demo_runtime(
            AppPaths.resolve(tmp_path / "data"), Settings(), simulator=simulator
        )
        try:
            assert runtime.simulator is simulator
            assert runtime.base_url == address
            await runtime.client.balance()
        finally:
            await runtime.aclose()
        return runtime

    asyncio.run(scenario())
    with pytest.raises(RuntimeError):
        simulator.base_url  # noqa: B018 - stopped with the runtime


def test_the_demo_balance_is_what_the_demo_tasks_left_after_a_restart(tmp_path: Path) -> None:
    """Issue 14 item 12: a restarted demo (a new simulator) no longer shows $100.00 beside
    what its tasks cost; the window's session and the command line seed it the same way."""
    paths = AppPaths.resolve(tmp_path / "data")

    async def first_run() -> list[str]:
        runtime = open_demo_runtime(paths, Settings())
        try:
            await runtime.engine.start()
            assert await runtime.client.balance() == 100
            fast = await runtime.engine.submit(GenerationRequest(prompt="A red fox"))
            quality = await runtime.engine.submit(
                GenerationRequest(prompt="A blue fox", mode="quality")
            )
            assert await runtime.client.balance() == Decimal("98.30")
            return [fast.local_id, quality.local_id]
        finally:
            await runtime.aclose()

    async def restart(simulator: SimulatorThread | None) -> tuple[Decimal, Decimal]:
        runtime = open_demo_runtime(paths, Settings(), simulator=simulator)
        try:
            await runtime.engine.start()
            return await runtime.client.balance(), runtime.engine.spend(0)
        finally:
            await runtime.aclose()

    submitted = asyncio.run(first_run())
    assert len(submitted) == 2
    # The window starts its simulator in a worker thread and hands it over; else one starts here.
    assert asyncio.run(restart(start_demo_simulator(duration=0.2))) == (
        Decimal("98.30"),
        Decimal("1.70"),
    )
    assert asyncio.run(restart(None)) == (Decimal("98.30"), Decimal("1.70"))
