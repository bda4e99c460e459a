"""EngineController: the real engine against the simulator, seen through Qt signals."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import write_image
from tests.fixtures.qt import settle_controller
from tests.fixtures.recipe import assert_carries_recipe
from tests.fixtures.s3 import Route
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.api.errors import InsufficientBalanceError, SubmissionUncertainError
from veo_desktop.api.models import GenerationRequest, RequestInvalidError
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.sim.faults import Fault
from veo_desktop.ui.controller import EngineController

engine_env = tasks_support.engine_env


class Recorder:
    """Collects what a signal emitted."""

    def __init__(self, signal: Any) -> None:
        self.calls: list[tuple[Any, ...]] = []
        signal.connect(lambda *args: self.calls.append(args))

    @property
    def last(self) -> tuple[Any, ...]:
        return self.calls[-1]


def test_submit_emits_the_new_task_and_refreshes_the_balance(engine_env: EngineEnv) -> None:
    changes = Recorder(engine_env.controller.task_changed)
    balances = Recorder(engine_env.controller.balance_changed)
    health = Recorder(engine_env.controller.api_health_changed)

    task = engine_env.submit("A paper boat drifts down a rainy street")

    assert task.state == TaskState.PENDING
    assert task.apixo_task_id
    assert [c[0].state for c in changes.calls][:2] == [TaskState.SUBMITTING, TaskState.PENDING]
    engine_env.qtbot.waitUntil(lambda: bool(balances.calls))
    assert balances.last == (Decimal("99.80"),)
    assert engine_env.controller.balance == Decimal("99.80")
    assert health.calls[0] == (True, "APIXO answers")
    assert engine_env.posts() == 1


def test_download_progress_and_the_finished_task_reach_the_signals(engine_env: EngineEnv) -> None:
    progress = Recorder(engine_env.controller.task_progress)
    task = engine_env.finished()
    assert task.files and Path(task.files[0]).is_file()
    assert progress.calls, "no progress was reported while downloading"
    local_id, done, total = progress.last
    assert local_id == task.local_id
    assert total == -1 or done == total == Path(task.files[0]).stat().st_size


def test_an_invalid_request_names_the_field_and_sends_nothing(engine_env: EngineEnv) -> None:
    failures = Recorder(engine_env.controller.submit_failed)
    result = engine_env.arun(engine_env.controller.submit(GenerationRequest(prompt="  ")))
    assert result is None
    assert failures.calls and failures.calls[0][0] == "prompt"
    assert "prompt" in failures.calls[0][1].lower()
    assert engine_env.posts() == 0
    assert engine_env.controller.tasks() == []


def test_a_rejected_submission_reports_apixos_reason(engine_env: EngineEnv) -> None:
    engine_env.sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402))
    failures = Recorder(engine_env.controller.submit_failed)
    result = engine_env.arun(engine_env.controller.submit(GenerationRequest(prompt="A cat")))
    assert result is None
    assert failures.last[0] == ""
    assert "balance" in failures.last[1].lower()
    [task] = engine_env.controller.tasks()
    assert task.state == TaskState.REJECTED
    assert not task.charged


def test_a_lost_answer_becomes_uncertain_and_is_never_sent_again(engine_env: EngineEnv) -> None:
    engine_env.sim.add_fault(
        Fault(endpoint="submit", kind="http_error", status=500, accept_first=True)
    )
    failures = Recorder(engine_env.controller.submit_failed)
    result = engine_env.arun(engine_env.controller.submit(GenerationRequest(prompt="A cat")))
    assert result is None
    assert "not sent again" in failures.last[1]
    [task] = engine_env.controller.tasks()
    assert task.state == TaskState.UNCERTAIN
    settle_controller(engine_env.arun, engine_env.controller)
    assert engine_env.posts() == 1


def test_failing_polls_report_the_api_unreachable_then_recovered(engine_env: EngineEnv) -> None:
    health = Recorder(engine_env.controller.api_health_changed)
    engine_env.sim.add_fault(Fault(endpoint="status", kind="http_error", status=502, times=-1))
    task = engine_env.submit()
    engine_env.qtbot.waitUntil(lambda: health.calls and health.last[0] is False, timeout=10_000)
    assert "502" in health.last[1] or "server" in health.last[1].lower()
    engine_env.sim.clear_faults()
    engine_env.wait_state(task.local_id, TaskState.SUCCEEDED, timeout=30)
    assert health.last == (True, "APIXO answers")


def test_a_rejected_key_makes_the_balance_unknown(engine_env: EngineEnv) -> None:
    engine_env.sim.add_fault(Fault(endpoint="balance", kind="http_error", status=401))
    balances = Recorder(engine_env.controller.balance_changed)
    health = Recorder(engine_env.controller.api_health_changed)
    engine_env.arun(engine_env.controller.refresh_balance())
    assert balances.last == (None,)
    assert health.last == (False, "APIXO does not accept the API key")
    engine_env.arun(engine_env.controller.refresh_balance())
    assert balances.last == (Decimal("100"),)
    assert health.last == (True, "APIXO answers")


def test_spend_today_counts_charged_tasks(engine_env: EngineEnv) -> None:
    engine_env.submit("one", mode="fast")
    engine_env.submit("two", mode="quality")
    assert engine_env.controller.spend_today() == Decimal("1.70")


def test_save_copy_copies_the_video_with_its_recipe(engine_env: EngineEnv, tmp_path: Path) -> None:
    task = engine_env.finished()
    target = tmp_path / "out" / "copy.mp4"
    target.parent.mkdir()
    saved = engine_env.arun(engine_env.controller.save_copy(task.local_id, target))
    assert saved == target
    assert_carries_recipe(target, Path(task.files[0]), task)
    assert not list(target.parent.glob("*.part"))


def test_save_copy_into_a_missing_folder_reports_it(engine_env: EngineEnv, tmp_path: Path) -> None:
    task = engine_env.finished()
    failures = Recorder(engine_env.controller.action_failed)
    target = tmp_path / "nowhere" / "copy.mp4"
    assert engine_env.arun(engine_env.controller.save_copy(task.local_id, target)) is None
    assert failures.last[0] == "Could not save the video"


def test_remove_of_a_running_task_is_refused_with_a_message(engine_env: EngineEnv) -> None:
    task = engine_env.submit()
    failures = Recorder(engine_env.controller.action_failed)
    engine_env.controller.remove(task.local_id, delete_files=False)
    assert failures.last[0] == "Could not remove the task"
    assert "running" in failures.last[1]


def test_aclose_cancels_running_jobs_and_stops_listening(engine_env: EngineEnv) -> None:
    controller = EngineController(engine_env.engine)
    changes = Recorder(controller.task_changed)

    async def forever() -> None:
        await asyncio.sleep(3600)

    job = controller.run(forever(), name="waiting")
    assert job in controller.jobs
    engine_env.arun(controller.aclose())
    assert job.cancelled()
    assert not controller.jobs
    engine_env.submit()
    assert changes.calls == []


# -- the quiet path (dialogs that show their own errors) --------------------------------------


def frames_request(url: str, prompt: str = "A kite rises from the dunes") -> GenerationRequest:
    return GenerationRequest(
        prompt=prompt, generation_type="FIRST_AND_LAST_FRAMES_2_VIDEO", image_urls=(url,)
    )


def png_route(tmp_path: Path) -> Route:
    return Route(body=write_image(tmp_path / "frame.png").read_bytes(), content_type="image/png")


def test_submit_quietly_returns_the_task_and_refreshes_the_balance(engine_env: EngineEnv) -> None:
    failures = Recorder(engine_env.controller.submit_failed)
    balances = Recorder(engine_env.controller.balance_changed)
    request = GenerationRequest(prompt="A heron lands on a misty pond")
    task = engine_env.arun(engine_env.controller.submit_quietly(request))
    assert task.request_model == request and task.apixo_task_id
    engine_env.qtbot.waitUntil(lambda: balances.calls == [(Decimal("99.80"),)])
    assert engine_env.controller.api_health == (True, "APIXO answers")
    assert failures.calls == []


def test_submit_quietly_raises_the_typed_error_and_tells_the_composer_nothing(
    engine_env: EngineEnv,
) -> None:
    failures = Recorder(engine_env.controller.submit_failed)
    with pytest.raises(RequestInvalidError) as invalid:
        engine_env.arun(engine_env.controller.submit_quietly(GenerationRequest(prompt=" ")))
    assert [p.field for p in invalid.value.problems] == ["prompt"]
    assert engine_env.posts() == 0

    engine_env.sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402))
    with pytest.raises(InsufficientBalanceError):
        engine_env.arun(engine_env.controller.submit_quietly(GenerationRequest(prompt="A cat")))
    [rejected] = engine_env.controller.tasks()
    assert rejected.state == TaskState.REJECTED and not rejected.charged

    engine_env.sim.add_fault(
        Fault(endpoint="submit", kind="http_error", status=500, accept_first=True)
    )
    balances = Recorder(engine_env.controller.balance_changed)
    with pytest.raises(SubmissionUncertainError):
        engine_env.arun(engine_env.controller.submit_quietly(GenerationRequest(prompt="A dog")))
    engine_env.qtbot.waitUntil(lambda: bool(balances.calls))  # the charge shows at once
    assert failures.calls == [], "the composer heard nothing of the dialog's submissions"
    assert engine_env.posts() == 2


def test_submit_quietly_checks_the_images_first(
    engine_env: EngineEnv, image_server: Any, tmp_path: Path
) -> None:
    url = image_server.add("/gone.png", status=404, body=b"gone", content_type="text/plain")
    failures = Recorder(engine_env.controller.submit_failed)
    with pytest.raises(RequestInvalidError) as blocked:
        engine_env.arun(engine_env.controller.submit_quietly(frames_request(url)))
    [problem] = blocked.value.problems
    assert problem.field == "image_urls[0]"
    assert problem.message == "The server answered 404: the image is not there."
    assert engine_env.posts() == 0 and failures.calls == []
    assert engine_env.controller.tasks() == []


def test_resubmit_checks_the_images_and_an_expired_link_blocks_it(
    engine_env: EngineEnv, image_server: Any, tmp_path: Path
) -> None:
    url = image_server.add("/frame.png", png_route(tmp_path))
    engine_env.sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402))
    assert engine_env.arun(engine_env.controller.submit(frames_request(url))) is None
    [refused] = engine_env.controller.tasks()
    assert refused.state == TaskState.REJECTED
    balance = engine_env.sim.balance

    # The presigned link expired since: the storage answers 403 (as S3 does).
    image_server.add("/frame.png", status=403, body=b"expired", content_type="application/xml")
    failures = Recorder(engine_env.controller.action_failed)
    assert engine_env.arun(engine_env.controller.resubmit(refused.local_id)) is None
    assert failures.last == (
        "Could not submit again",
        "First frame: The server answered 403: the image is not public (access denied). "
        "A presigned link may have expired. Nothing was sent.",
    )
    assert engine_env.posts() == 1, "nothing was sent"
    assert engine_env.sim.balance == balance, "nothing was charged"
    assert [t.local_id for t in engine_env.controller.tasks()] == [refused.local_id]

    image_server.add("/frame.png", png_route(tmp_path))
    again = engine_env.arun(engine_env.controller.resubmit(refused.local_id))
    assert again is not None and again.resubmit_of == refused.local_id
    assert again.request_model.image_urls == (url,)
    assert engine_env.posts() == 2
