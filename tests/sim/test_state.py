"""The simulator's shared state, and its split by job (API routes, media, control plane)."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

import veo_desktop.sim
from tests.sim.conftest import Apixo, text_body
from veo_desktop.sim.contract import DEFAULT_TRIGGERS
from veo_desktop.sim.state import SimState, to_cents

SIM_DIR = Path(veo_desktop.sim.__file__).parent


def state(api_key: str | None = "key-1", **changes: object) -> SimState:
    settings: dict[str, object] = {
        "api_key": api_key,
        "duration": 0.0,
        "balance": 1.0,
        "clip_seconds": 1.0,
        "video": "per_task",
        "triggers": DEFAULT_TRIGGERS,
    }
    settings.update(changes)
    return SimState(**settings)  # type: ignore[arg-type]


def test_the_key_check_takes_only_a_bearer_key() -> None:
    strict = state("key-1")
    assert strict.key_ok("Bearer key-1")
    assert strict.key_ok("bearer  key-1 ")
    assert not strict.key_ok("Bearer key-2")
    assert not strict.key_ok("Basic key-1")
    assert not strict.key_ok("Bearer ")
    assert not strict.key_ok("")
    any_key = state(None)
    assert any_key.key_ok("Bearer whatever")
    assert not any_key.key_ok("Bearer")


def test_money_is_whole_cents_and_never_negative() -> None:
    held = state(balance=1.005)
    assert held.balance_cents == 100
    held.balance = 2.5
    assert (held.balance_cents, held.balance) == (250, 2.5)
    with pytest.raises(ValueError, match="balance must not be negative"):
        held.balance = -0.01
    assert to_cents(0) == 0


def test_trigger_words_match_case_insensitively() -> None:
    held = state(triggers={"#Boom": ("Exploded", "It blew up")})
    assert held.trigger_failure("a quiet #BOOM here") == ("Exploded", "It blew up")
    assert held.trigger_failure("a quiet day") is None


def test_origin_and_media_need_a_running_simulator() -> None:
    held = state()
    with pytest.raises(RuntimeError, match="not running"):
        _ = held.origin
    held.serve_at("http://127.0.0.1:1")
    assert held.origin == "http://127.0.0.1:1"
    held.serve_at(None)
    with pytest.raises(RuntimeError, match="not running"):
        _ = held.origin


def test_unknown_tasks_are_key_errors() -> None:
    held = state()
    with pytest.raises(KeyError):
        held.age_task("task_missing", 1.0)
    with pytest.raises(KeyError):
        held.forget_task("task_missing")


def test_the_control_plane_and_the_python_api_see_one_state(api: Apixo) -> None:
    task_id = api.create(text_body("one state"))
    over_http = api.web.get(f"{api.sim.origin}/sim/tasks").json()
    assert task_id in over_http
    assert over_http[task_id]["prompt"] == api.sim.tasks[task_id].prompt == "one state"
    answer = api.web.put(f"{api.sim.origin}/sim/balance", json={"balance": 3.5})
    assert answer.json() == {"balance": 3.5}
    assert api.sim.balance == 3.5
    created = api.sim.tasks[task_id].create_time
    api.sim.age_task(task_id, 60.0)
    assert abs(api.sim.tasks[task_id].create_time - (created - 60.0)) < 1e-6
    assert api.sim.tasks[task_id].create_time < time.time() - 59


@pytest.mark.parametrize(
    ("module", "job"),
    [
        ("api_routes.py", "ApiRoutes"),
        ("media.py", "MediaRoutes"),
        ("control.py", "ControlRoutes"),
        ("gateway.py", "Gateway"),
        ("studio.py", "Studio"),
        ("state.py", "SimState"),
        ("server.py", "Simulator"),
    ],
)
def test_each_job_has_its_own_small_module(module: str, job: str) -> None:
    source = (SIM_DIR / module).read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert ast.get_docstring(tree), f"{module} says what it is for"
    assert job in {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    assert len(source.splitlines()) <= 450
