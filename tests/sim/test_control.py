"""The request log, the control API, the thread wrapper, the command line and Qt isolation."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import selectors
import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import httpx
import pytest

from tests.fixtures.sim import SIM_API_KEY, SimFactory
from tests.sim.conftest import Apixo, text_body
from veo_desktop.sim import Fault, Simulator, SimulatorThread


def test_request_log(api: Apixo) -> None:
    started = time.time()
    task_id = api.create(text_body("log me"))
    api.status(task_id)
    api.balance()
    with httpx.Client() as anonymous:
        anonymous.get(f"{api.sim.base_url}/apikeys/current-balance")
    submit, status, balance, refused = api.sim.requests
    assert (submit.method, submit.path, submit.endpoint) == (
        "POST",
        "/api/v1/generateTask/veo-3-1",
        "submit",
    )
    assert submit.body == text_body("log me")
    assert submit.task_id == task_id
    assert submit.key_ok
    assert submit.status == 200
    assert started <= submit.time <= time.time()
    assert (status.endpoint, status.query, status.body, status.task_id) == (
        "status",
        {"taskId": task_id},
        None,
        None,
    )
    assert balance.endpoint == "balance"
    assert (refused.key_ok, refused.status) == (False, 401)
    assert SIM_API_KEY not in repr(api.sim.requests)
    assert task_id in api.sim.created_task_ids


def test_requests_are_logged_on_arrival(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="balance", kind="delay", delay=0.3))
    url = f"{api.sim.base_url}/apikeys/current-balance"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answer = pool.submit(api.web.get, url)
        deadline = time.monotonic() + 10
        while not api.sim.requests:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert (api.sim.requests[0].status, api.sim.requests[0].fault) == (None, "delay")
        assert answer.result().status_code == 401
    assert api.sim.requests[0].status == 401


def test_request_log_over_http(api: Apixo) -> None:
    api.create()
    with httpx.Client(base_url=api.sim.origin) as control:
        logged = control.get("/sim/requests").json()
        assert [entry["endpoint"] for entry in logged] == ["submit"]
        assert set(logged[0]) == {
            "method",
            "path",
            "query",
            "body",
            "key_ok",
            "time",
            "endpoint",
            "status",
            "fault",
            "task_id",
        }
        assert control.delete("/sim/requests").status_code == 200
    assert api.sim.requests == []


def test_tasks_and_balance_over_http(api: Apixo) -> None:
    done = api.finished()
    task_id = done["taskId"]
    with httpx.Client(base_url=api.sim.origin) as control:
        tasks = control.get("/sim/tasks").json()
        assert tasks[task_id]["state"] == "success"
        assert tasks[task_id]["request"] == text_body()
        assert control.post(f"/sim/tasks/{task_id}/age", json={"seconds": 10}).status_code == 200
        assert api.status(task_id).json()["data"]["createTime"] == done["createTime"] - 10_000
        assert control.post("/sim/tasks/task_nope/age", json={"seconds": 1}).status_code == 404
        assert control.post(f"/sim/tasks/{task_id}/age", json={}).status_code == 400
        assert control.put("/sim/balance", json={"balance": 3.5}).json() == {"balance": 3.5}
        assert control.get("/sim/balance").json() == {"balance": 3.5}
        assert api.balance().json()["data"] == 3.5
        assert control.delete(f"/sim/tasks/{task_id}").status_code == 200
        assert control.delete(f"/sim/tasks/{task_id}").status_code == 404
        assert control.get("/sim/health").json()["base_url"] == api.sim.base_url
    assert api.status(task_id).status_code == 404


def test_task_info(api: Apixo) -> None:
    task_id = api.create(text_body("info", mode="quality", aspect_ratio="9:16"))
    info = api.sim.tasks[task_id]
    assert (info.model, info.mode, info.aspect_ratio, info.prompt, info.price) == (
        "veo-3-1",
        "quality",
        "9:16",
        "info",
        1.5,
    )
    assert info.state in ("pending", "processing")
    with pytest.raises(KeyError):
        api.sim.age_task("task_nope", 1)
    with pytest.raises(KeyError):
        api.sim.forget_task("task_nope")


def test_fixture_defaults(sim: SimulatorThread) -> None:
    assert sim.base_url == f"{sim.origin}/api/v1"
    assert sim.origin == f"http://127.0.0.1:{sim.port}"
    client = Apixo(sim)
    try:
        assert client.balance().status_code == 200
    finally:
        client.close()
    assert sim.balance == 100.0


def test_thread_methods_are_thread_safe(sim: SimulatorThread) -> None:
    def add_some() -> None:
        for _ in range(50):
            sim.add_fault(Fault(endpoint="balance", kind="http_error"))

    workers = [threading.Thread(target=add_some) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(sim.faults) == 200


def test_thread_stop_is_idempotent_and_frees_the_port(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    origin = sim.origin
    sim.stop()
    sim.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{origin}/sim/health")
    with pytest.raises(RuntimeError):
        _ = sim.base_url


def test_port_in_use(sim: SimulatorThread) -> None:
    with pytest.raises(OSError):
        SimulatorThread(port=sim.port).start()


def test_simulator_on_a_plain_asyncio_loop() -> None:
    async def scenario() -> Any:
        simulator = Simulator(api_key="k", duration=0.0, balance=1.0)
        base_url = await simulator.start()
        try:
            async with httpx.AsyncClient(headers={"Authorization": "Bearer k"}) as http:
                return (await http.get(f"{base_url}/apikeys/current-balance")).json()
        finally:
            await simulator.stop()

    assert asyncio.run(scenario()) == {"code": 200, "message": "success", "data": 1.0}


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError, match="duration"):
        Simulator(duration=-1)
    with pytest.raises(ValueError, match="clip_seconds"):
        Simulator(clip_seconds=0)
    with pytest.raises(ValueError, match="video"):
        Simulator(video="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="api_key"):
        Simulator(api_key=" ")


def _python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_simulator_never_imports_qt() -> None:
    """Qt lives only in the render worker, so the simulator runs beside any QApplication."""
    result = _python(
        """
        import asyncio, json, sys, time, urllib.request
        from veo_desktop.sim import Simulator

        async def main():
            sim = Simulator(duration=0.0, clip_seconds=0.2)
            base = await sim.start()
            def call(path, body=None):
                request = urllib.request.Request(
                    base + path,
                    data=None if body is None else json.dumps(body).encode(),
                    headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
                )
                with urllib.request.urlopen(request) as answer:
                    return json.load(answer)["data"]
            body = {"request_type": "async", "input": {"mode": "fast", "prompt": "p",
                    "generationType": "TEXT_2_VIDEO", "aspect_ratio": "16:9"}}
            task_id = (await asyncio.to_thread(call, "/generateTask/veo-3-1", body))["taskId"]
            deadline = time.monotonic() + 30
            while (await asyncio.to_thread(
                    call, "/statusTask/veo-3-1?taskId=" + task_id))["state"] != "success":
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
            await sim.stop()
            print("qt" if any(name.startswith("PySide6") for name in sys.modules) else "clean")

        asyncio.run(main())
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


# ------------------------------------------------------------------ command line


def _read_first_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), "the CLI printed nothing"
    return process.stdout.readline().strip()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_the_base_url_first_and_exits_on_signal(signum: int) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "veo_desktop.sim",
            "--port",
            "0",
            "--api-key",
            "cli-key",
            "--duration",
            "0.05",
            "--clip-seconds",
            "0.2",
            "--balance",
            "12.5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "0"},
    )
    try:
        base_url = _read_first_line(process, timeout=30)
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/api/v1")
        with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer cli-key"}) as http:
            assert http.get("/apikeys/current-balance").json()["data"] == 12.5
            task_id = http.post("/generateTask/veo-3-1", json=text_body()).json()["data"]["taskId"]
            deadline = time.monotonic() + 30
            while (
                http.get("/statusTask/veo-3-1", params={"taskId": task_id}).json()["data"]["state"]
                != "success"
            ):
                assert time.monotonic() < deadline
                time.sleep(0.02)
        process.send_signal(signum)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        stdout, stderr = process.communicate()
    assert stdout == "", "only the URL line goes to stdout"
    assert "Traceback" not in stderr


def test_cli_fails_cleanly_on_a_busy_port(sim: SimulatorThread) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "veo_desktop.sim", "--port", str(sim.port)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "cannot serve" in result.stderr
