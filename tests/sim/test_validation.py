"""Every request rule of the Veo 3.1 page, answered with HTTP 400 and the documented envelope."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sim.conftest import EXTEND, Apixo, text_body
from veo_desktop.sim.contract import RequestError, validate_extend, validate_generate

IMG = "https://example.com/frame.jpg"


def with_input(**changes: Any) -> dict[str, Any]:
    """A valid body with input fields changed; a value of ``...`` removes the field."""
    body = text_body()
    for key, value in changes.items():
        if value is ...:
            body["input"].pop(key, None)
        else:
            body["input"][key] = value
    return body


def with_outer(**changes: Any) -> dict[str, Any]:
    body = text_body()
    for key, value in changes.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


REJECTED: list[tuple[str, Any, str]] = [
    ("body is an array", [], "Request body must be a JSON object"),
    ("no request_type", with_outer(request_type=...), "Missing required field: request_type"),
    ("bad request_type", with_outer(request_type="sync"), "Invalid request_type"),
    (
        "callback without url",
        with_outer(request_type="callback"),
        "Missing required field: callback_url",
    ),
    (
        "callback over http",
        with_outer(request_type="callback", callback_url="http://example.com/hook"),
        "Invalid callback_url: must be a public HTTPS URL",
    ),
    (
        "callback to loopback",
        with_outer(request_type="callback", callback_url="https://127.0.0.1/hook"),
        "Invalid callback_url: must be a public HTTPS URL",
    ),
    ("bad provider", with_outer(provider="cheapest"), "Invalid provider"),
    ("no input", with_outer(input=...), "Missing required field: input"),
    ("input not object", with_outer(input="fast"), "Invalid input: must be an object"),
    ("no mode", with_input(mode=...), "Missing required field: input.mode"),
    ("bad mode", with_input(mode="turbo"), "Invalid input.mode: must be one of quality, fast"),
    ("no prompt", with_input(prompt=...), "Missing required field: input.prompt"),
    ("null prompt", with_input(prompt=None), "Missing required field: input.prompt"),
    ("prompt not text", with_input(prompt=42), "Invalid input.prompt: must be a string"),
    ("empty prompt", with_input(prompt=""), "Invalid input.prompt: must not be empty"),
    ("blank prompt", with_input(prompt=" \n\t "), "Invalid input.prompt: must not be empty"),
    (
        "prompt too long",
        with_input(prompt="x" * 10_001),
        "Invalid input.prompt: must be at most 10000 characters (got 10001)",
    ),
    (
        "no generationType",
        with_input(generationType=...),
        "Missing required field: input.generationType",
    ),
    (
        "bad generationType",
        with_input(generationType="IMAGE_2_VIDEO"),
        "Invalid input.generationType",
    ),
    ("bad aspect_ratio", with_input(aspect_ratio="4:3"), "Invalid input.aspect_ratio"),
    (
        "first/last without images",
        with_input(generationType="FIRST_AND_LAST_FRAMES_2_VIDEO"),
        "Missing required field: input.image_urls",
    ),
    (
        "first/last with 3 images",
        with_input(generationType="FIRST_AND_LAST_FRAMES_2_VIDEO", image_urls=[IMG] * 3),
        "Too many images: FIRST_AND_LAST_FRAMES_2_VIDEO accepts up to 2 image_urls (got 3)",
    ),
    (
        "reference without images",
        with_input(generationType="REFERENCE_2_VIDEO", image_urls=[]),
        "Missing required field: input.image_urls",
    ),
    (
        "reference with 4 images",
        with_input(generationType="REFERENCE_2_VIDEO", image_urls=[IMG] * 4),
        "Too many images: REFERENCE_2_VIDEO accepts up to 3 image_urls (got 4)",
    ),
    (
        "reference in quality",
        with_input(generationType="REFERENCE_2_VIDEO", mode="quality", image_urls=[IMG]),
        'REFERENCE_2_VIDEO requires input.mode "fast"',
    ),
    (
        "reference in 9:16",
        with_input(generationType="REFERENCE_2_VIDEO", aspect_ratio="9:16", image_urls=[IMG]),
        'REFERENCE_2_VIDEO requires input.aspect_ratio "16:9"',
    ),
    (
        "reference in auto",
        with_input(generationType="REFERENCE_2_VIDEO", aspect_ratio="auto", image_urls=[IMG]),
        'REFERENCE_2_VIDEO requires input.aspect_ratio "16:9"',
    ),
    (
        "reference without aspect_ratio",
        with_input(generationType="REFERENCE_2_VIDEO", aspect_ratio=..., image_urls=[IMG]),
        'REFERENCE_2_VIDEO requires input.aspect_ratio "16:9"',
    ),
    ("image_urls not a list", with_input(image_urls=IMG), "Invalid input.image_urls"),
    ("image url not text", with_input(image_urls=[7]), "Invalid input.image_urls"),
    (
        "empty image url",
        with_input(generationType="FIRST_AND_LAST_FRAMES_2_VIDEO", image_urls=[IMG, ""]),
        "Invalid input.image_urls: image URL must not be empty",
    ),
    (
        "blank image url",
        with_input(generationType="REFERENCE_2_VIDEO", image_urls=["  "]),
        "Invalid input.image_urls: image URL must not be empty",
    ),
    (
        "image url not http",
        with_input(generationType="REFERENCE_2_VIDEO", image_urls=["file:///etc/passwd"]),
        "Invalid input.image_urls: not an http(s) URL",
    ),
    ("seed as text", with_input(seed="42"), "Invalid input.seed: must be an integer"),
    ("seed as float", with_input(seed=4.5), "Invalid input.seed: must be an integer"),
    ("seed as bool", with_input(seed=True), "Invalid input.seed: must be an integer"),
    ("watermark not text", with_input(watermark=1), "Invalid input.watermark: must be a string"),
    (
        "enableTranslation not bool",
        with_input(enableTranslation="yes"),
        "Invalid input.enableTranslation: must be a boolean",
    ),
]

ACCEPTED: list[tuple[str, Any]] = [
    ("the page's text example", text_body()),
    ("quality, auto, no aspect_ratio", with_input(mode="quality", aspect_ratio=...)),
    ("one-character prompt", with_input(prompt="x")),
    ("10000-character prompt", with_input(prompt="y" * 10_000)),
    (
        "first frame only",
        with_input(generationType="FIRST_AND_LAST_FRAMES_2_VIDEO", image_urls=[IMG]),
    ),
    (
        "first and last frame, 9:16",
        with_input(
            generationType="FIRST_AND_LAST_FRAMES_2_VIDEO",
            image_urls=[IMG, IMG],
            aspect_ratio="9:16",
            mode="quality",
        ),
    ),
    (
        "three references",
        with_input(generationType="REFERENCE_2_VIDEO", image_urls=[IMG] * 3),
    ),
    (
        "every optional field",
        with_outer(
            provider="official",
            input={
                **text_body()["input"],
                "seed": 7,
                "watermark": "mine",
                "enableTranslation": False,
            },
        ),
    ),
    (
        "callback mode",
        with_outer(request_type="callback", callback_url="https://example.com/hooks/apixo"),
    ),
]


def assert_invalid(response: Any, detail: str, message: str = "Invalid request") -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert list(body) == ["code", "message", "data"]
    assert body["code"] == 400
    assert body["message"] == message
    assert list(body["data"]) == ["error"]
    assert body["data"]["error"].startswith(detail), body["data"]["error"]


@pytest.mark.parametrize(
    ("body", "detail"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED]
)
def test_rejected_with_400(api: Apixo, body: Any, detail: str) -> None:
    before = api.sim.balance
    assert_invalid(api.submit(body), detail)
    assert api.sim.requests[-1].task_id is None, "a rejected request must not create a task"
    assert api.sim.balance == before


@pytest.mark.parametrize("body", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted(api: Apixo, body: Any) -> None:
    response = api.submit(body)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["taskId"].startswith("task_")


def test_body_that_is_not_json(api: Apixo) -> None:
    response = api.http.post(
        "/generateTask/veo-3-1",
        content=b'{"request_type": "async", "input": {',
        headers={"Content-Type": "application/json"},
    )
    assert_invalid(response, "Request body must be valid JSON")
    assert api.sim.requests[-1].body == '{"request_type": "async", "input": {'


def test_empty_body(api: Apixo) -> None:
    response = api.http.post(
        "/generateTask/veo-3-1", content=b"", headers={"Content-Type": "application/json"}
    )
    assert_invalid(response, "Request body must be valid JSON")


def test_body_too_large(api: Apixo) -> None:
    response = api.submit(text_body("z" * (2 * 1024 * 1024)))
    assert response.status_code == 413
    assert response.json()["data"]["error"] == "Request body is too large"
    assert api.sim.requests[-1].status == 413


def test_submit_needs_json_content_type(api: Apixo) -> None:
    response = api.http.post(
        "/generateTask/veo-3-1",
        content=b'{"request_type": "async"}',
        headers={"Content-Type": "text/plain"},
    )
    assert_invalid(response, "Content-Type must be application/json")


EXTEND_REJECTED: list[tuple[str, Any, str]] = [
    (
        "no taskId",
        {"request_type": "async", "input": {"prompt": "more"}},
        "Missing required field: input.taskId",
    ),
    (
        "empty taskId",
        {"request_type": "async", "input": {"taskId": " ", "prompt": "more"}},
        "Invalid input.taskId",
    ),
    (
        "no prompt",
        {"request_type": "async", "input": {"taskId": "task_x"}},
        "Missing required field: input.prompt",
    ),
    (
        "bad mode",
        {"request_type": "async", "input": {"taskId": "task_x", "prompt": "p", "mode": "slow"}},
        "Invalid input.mode",
    ),
    ("no request_type", {"input": {"taskId": "task_x", "prompt": "p"}}, "Missing required field"),
]


@pytest.mark.parametrize(
    ("body", "detail"), [c[1:] for c in EXTEND_REJECTED], ids=[c[0] for c in EXTEND_REJECTED]
)
def test_extend_rejected_with_400(api: Apixo, body: Any, detail: str) -> None:
    assert_invalid(api.submit(body, EXTEND), detail)


def test_extend_mode_defaults_to_fast() -> None:
    request = validate_extend({"request_type": "async", "input": {"taskId": "t", "prompt": "p"}})
    assert request.mode == "fast"
    assert request.price_cents == 20


def test_auto_and_missing_aspect_ratio() -> None:
    assert validate_generate(with_input(aspect_ratio="auto")).aspect_ratio == "auto"
    assert validate_generate(with_input(aspect_ratio=...)).aspect_ratio == "16:9"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
input_keys = st.sampled_from(
    [
        "mode",
        "prompt",
        "generationType",
        "aspect_ratio",
        "image_urls",
        "seed",
        "watermark",
        "taskId",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    changes=st.dictionaries(input_keys, json_values, max_size=4),
    outer=st.dictionaries(
        st.sampled_from(["request_type", "callback_url", "provider", "input"]),
        json_values,
        max_size=2,
    ),
)
def test_validation_never_crashes(changes: dict[str, Any], outer: dict[str, Any]) -> None:
    """Any JSON is either accepted or rejected with a RequestError, never anything else."""
    body = copy.deepcopy(text_body())
    body["input"].update(changes)
    body.update(outer)
    for validate in (validate_generate, validate_extend):
        try:
            validate(body)
        except RequestError as exc:
            assert exc.detail
            assert exc.message == "Invalid request"
