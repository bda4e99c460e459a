"""Request validation: every rule of the Veo 3.1 page, all problems at once, exact payloads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veo_desktop.api.models import (
    MAX_PROMPT_LENGTH,
    ExtendRequest,
    GenerationRequest,
    Problem,
    RequestInvalidError,
    price_of,
    request_from_payload,
)

TYPES = ["TEXT_2_VIDEO", "FIRST_AND_LAST_FRAMES_2_VIDEO", "REFERENCE_2_VIDEO"]
MODES = ["fast", "quality"]
ASPECTS = ["16:9", "9:16", "auto"]
IMAGE = "https://example.com/frame.jpg"


def fields(problems: list[Problem]) -> set[str]:
    return {p.field for p in problems}


# -- the page's own request bodies ------------------------------------------------------


def test_text_to_video_payload_is_the_documented_body() -> None:
    request = GenerationRequest(
        prompt="a cinematic flyover of a futuristic city at sunrise",
        mode="quality",
        generation_type="TEXT_2_VIDEO",
        aspect_ratio="16:9",
    )
    assert request.problems() == []
    assert request.to_payload() == {
        "request_type": "async",
        "input": {
            "mode": "quality",
            "prompt": "a cinematic flyover of a futuristic city at sunrise",
            "generationType": "TEXT_2_VIDEO",
            "aspect_ratio": "16:9",
        },
    }


def test_payload_serialises_to_plain_json_strings() -> None:
    body = GenerationRequest(prompt="waves").to_payload()
    assert json.dumps(body) == (
        '{"request_type": "async", "input": {"mode": "fast", "prompt": "waves", '
        '"generationType": "TEXT_2_VIDEO", "aspect_ratio": "16:9"}}'
    )


def test_first_last_frames_payload() -> None:
    request = GenerationRequest(
        prompt="a calm ocean turning into a storm",
        mode="quality",
        generation_type="FIRST_AND_LAST_FRAMES_2_VIDEO",
        image_urls=("https://example.com/frame_start.jpg", "https://example.com/frame_end.jpg"),
        aspect_ratio="9:16",
    )
    assert request.problems() == []
    assert request.to_payload()["input"] == {
        "mode": "quality",
        "prompt": "a calm ocean turning into a storm",
        "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO",
        "aspect_ratio": "9:16",
        "image_urls": [
            "https://example.com/frame_start.jpg",
            "https://example.com/frame_end.jpg",
        ],
    }


def test_callback_payload_carries_the_url_at_top_level() -> None:
    request = GenerationRequest(
        prompt="a product reveal shot",
        request_type="callback",
        callback_url="https://your-server.com/webhooks/apixo",
    )
    body = request.to_payload()
    assert request.problems() == []
    assert list(body) == ["request_type", "callback_url", "input"]
    assert body["callback_url"] == "https://your-server.com/webhooks/apixo"


def test_optional_fields_are_sent_only_when_set() -> None:
    request = GenerationRequest(
        prompt="p", seed=42, watermark="studio", enable_translation=False, provider="official"
    )
    body = request.to_payload()
    assert body["provider"] == "official"
    assert body["input"]["seed"] == 42
    assert body["input"]["watermark"] == "studio"
    assert body["input"]["enableTranslation"] is False
    assert "image_urls" not in body["input"]


def test_extend_payload() -> None:
    request = ExtendRequest(task_id="task_12345678", prompt="the camera keeps rising", seed=7)
    assert request.problems() == []
    assert request.to_payload() == {
        "request_type": "async",
        "input": {
            "taskId": "task_12345678",
            "mode": "fast",
            "prompt": "the camera keeps rising",
            "seed": 7,
        },
    }


def test_round_trip_through_the_payload() -> None:
    request = GenerationRequest(
        prompt="refs",
        generation_type="REFERENCE_2_VIDEO",
        image_urls=(IMAGE, "https://example.com/b.png"),
        seed=3,
        watermark="w",
        enable_translation=True,
        provider="value",
    )
    assert request_from_payload("veo-3-1", request.to_payload()) == request
    extend = ExtendRequest(task_id="t", prompt="p", mode="quality")
    assert request_from_payload("veo-3-1-extend", extend.to_payload()) == extend


# -- the rules ------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t "])
def test_empty_or_whitespace_prompt_is_rejected(prompt: str) -> None:
    problems = GenerationRequest(prompt=prompt).problems()
    assert problems == [Problem("prompt", "Write a prompt: describe the video you want.")]


def test_prompt_length_limit_counts_characters_and_says_how_much_to_cut() -> None:
    assert GenerationRequest(prompt="é" * MAX_PROMPT_LENGTH).problems() == []
    (problem,) = GenerationRequest(prompt="x" * (MAX_PROMPT_LENGTH + 5)).problems()
    assert problem.field == "prompt"
    assert "10,005" in problem.message
    assert "Shorten it by 5" in problem.message


@given(length=st.integers(min_value=1, max_value=MAX_PROMPT_LENGTH + 50))
def test_prompt_length_boundary(length: int) -> None:
    ok = GenerationRequest(prompt="a" * length).problems() == []
    assert ok == (length <= MAX_PROMPT_LENGTH)


def test_reference_needs_fast_and_16_9_and_says_so_per_field() -> None:
    problems = GenerationRequest(
        prompt="p",
        generation_type="REFERENCE_2_VIDEO",
        mode="quality",
        aspect_ratio="9:16",
        image_urls=(IMAGE,),
    ).problems()
    assert fields(problems) == {"mode", "aspect_ratio"}
    assert any("fast" in p.message for p in problems if p.field == "mode")
    assert any("16:9" in p.message for p in problems if p.field == "aspect_ratio")


@pytest.mark.parametrize("aspect", ["9:16", "auto"])
def test_reference_rejects_other_aspects(aspect: str) -> None:
    problems = GenerationRequest(
        prompt="p", generation_type="REFERENCE_2_VIDEO", aspect_ratio=aspect, image_urls=(IMAGE,)
    ).problems()
    assert fields(problems) == {"aspect_ratio"}


@given(
    generation_type=st.sampled_from(TYPES),
    mode=st.sampled_from(MODES),
    aspect=st.sampled_from(ASPECTS),
    count=st.integers(min_value=0, max_value=5),
)
def test_image_counts_and_combinations(
    generation_type: str, mode: str, aspect: str, count: int
) -> None:
    request = GenerationRequest(
        prompt="p",
        generation_type=generation_type,
        mode=mode,
        aspect_ratio=aspect,
        image_urls=tuple(f"https://example.com/{i}.png" for i in range(count)),
    )
    limits = {
        "TEXT_2_VIDEO": (0, 0),
        "FIRST_AND_LAST_FRAMES_2_VIDEO": (1, 2),
        "REFERENCE_2_VIDEO": (1, 3),
    }
    low, high = limits[generation_type]
    expected: set[str] = set()
    if not low <= count <= high:
        expected.add("image_urls")
    if generation_type == "REFERENCE_2_VIDEO":
        if mode != "fast":
            expected.add("mode")
        if aspect != "16:9":
            expected.add("aspect_ratio")
    assert fields(request.problems()) == expected
    if not expected:
        assert request.validated() is request


def test_every_problem_is_reported_at_once() -> None:
    request = GenerationRequest(
        prompt=" ",
        mode="turbo",
        generation_type="FIRST_AND_LAST_FRAMES_2_VIDEO",
        aspect_ratio="4:3",
        image_urls=("", "ftp://x/y.png", "http://example.com/a.png"),
        seed=-1,
        provider="cheapest",
        request_type="callback",
        callback_url="http://example.com/hook",
    )
    with pytest.raises(RequestInvalidError) as caught:
        request.validated()
    assert fields(caught.value.problems) == {
        "prompt",
        "mode",
        "aspect_ratio",
        "image_urls",
        "image_urls[0]",
        "image_urls[1]",
        "image_urls[2]",
        "seed",
        "provider",
        "callback_url",
    }
    assert "Image URL 1 is empty." in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        (" https://example.com/a.png", "spaces"),
        ("http://example.com/a.png", "must use https://"),
        ("example.com/a.png", "full https:// address"),
        ("file:///tmp/a.png", "full https:// address"),
        ("https://", "full https:// address"),
        ("https://example.com:99999/a.png", "not a valid URL"),
    ],
)
def test_bad_image_urls(url: str, message: str) -> None:
    (problem,) = GenerationRequest(
        prompt="p", generation_type="FIRST_AND_LAST_FRAMES_2_VIDEO", image_urls=(url,)
    ).problems()
    assert problem.field == "image_urls[0]"
    assert message in problem.message


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8787/a.png", "http://localhost/a.png", "http://[::1]:9/a.png"]
)
def test_plain_http_is_allowed_for_loopback_images(url: str) -> None:
    request = GenerationRequest(
        prompt="p", generation_type="FIRST_AND_LAST_FRAMES_2_VIDEO", image_urls=(url,)
    )
    assert request.problems() == []


def test_text_to_video_takes_no_images() -> None:
    (problem,) = GenerationRequest(prompt="p", image_urls=(IMAGE,)).problems()
    assert problem.field == "image_urls"


def test_callback_rules() -> None:
    assert fields(GenerationRequest(prompt="p", request_type="callback").problems()) == {
        "callback_url"
    }
    loopback = GenerationRequest(
        prompt="p", request_type="callback", callback_url="http://127.0.0.1/hook"
    )
    assert fields(loopback.problems()) == {"callback_url"}
    stray = GenerationRequest(prompt="p", callback_url="https://example.com/hook")
    assert fields(stray.problems()) == {"callback_url"}


@pytest.mark.parametrize("seed", [-1, 2**32, True, 1.5, "7"])
def test_seed_must_be_a_whole_number_in_range(seed: object) -> None:
    request = GenerationRequest(prompt="p", seed=seed)  # type: ignore[arg-type]
    assert fields(request.problems()) == {"seed"}


def test_values_from_files_are_type_checked() -> None:
    body = {
        "request_type": "async",
        "input": {
            "prompt": "p",
            "mode": "fast",
            "generationType": "TEXT_2_VIDEO",
            "aspect_ratio": "16:9",
            "watermark": 5,
            "enableTranslation": "yes",
        },
    }
    problems = GenerationRequest.from_payload(body).problems()
    assert fields(problems) == {"watermark", "enableTranslation"}


def test_extend_rules() -> None:
    problems = ExtendRequest(task_id=" ", prompt="", mode="quality!").problems()
    assert fields(problems) == {"taskId", "prompt", "mode"}


def test_prices() -> None:
    assert str(price_of("fast")) == "0.20"
    assert str(price_of("quality")) == "1.50"
    assert GenerationRequest(prompt="p", mode="quality").price == price_of("quality")
    assert ExtendRequest(task_id="t", prompt="p").price == price_of("fast")
    with pytest.raises(ValueError, match="unknown mode"):
        price_of("turbo")


# -- the two requests share one base --------------------------------------------------


SHARED_BAD = {
    "prompt": " ",
    "mode": "turbo",
    "seed": -1,
    "watermark": 5,
    "provider": "cheapest",
    "request_type": "callback",
    "callback_url": "http://example.com/hook",
}


def test_both_requests_give_the_same_messages_for_the_fields_they_share() -> None:
    generation = GenerationRequest(**SHARED_BAD).problems()  # type: ignore[arg-type]
    extend = ExtendRequest(task_id="task_1", **SHARED_BAD).problems()  # type: ignore[arg-type]
    assert [str(problem) for problem in extend] == [str(problem) for problem in generation]
    assert [problem.field for problem in extend] == [
        "prompt",
        "mode",
        "seed",
        "watermark",
        "provider",
        "callback_url",
    ]


def test_both_requests_build_the_top_level_the_same_way() -> None:
    shared = {
        "prompt": "p",
        "seed": 7,
        "watermark": "me",
        "provider": "value",
        "request_type": "callback",
        "callback_url": "https://example.com/hook",
    }
    generation = GenerationRequest(**shared).to_payload()  # type: ignore[arg-type]
    extend = ExtendRequest(task_id="task_1", **shared).to_payload()  # type: ignore[arg-type]
    assert list(extend) == list(generation) == ["request_type", "callback_url", "provider", "input"]
    assert {k: v for k, v in extend.items() if k != "input"} == {
        k: v for k, v in generation.items() if k != "input"
    }
    assert list(extend["input"]) == ["taskId", "mode", "prompt", "seed", "watermark"]
    assert ExtendRequest.from_payload(extend) == ExtendRequest(task_id="task_1", **shared)  # type: ignore[arg-type]
    assert GenerationRequest.from_payload(generation) == GenerationRequest(**shared)  # type: ignore[arg-type]


def test_replace_keeps_the_class_and_validated_returns_the_request() -> None:
    extend = ExtendRequest(task_id="task_1", prompt="p").replace(mode="quality")
    assert isinstance(extend, ExtendRequest)
    assert extend.validated() is extend
    generation = GenerationRequest(prompt="p").replace(aspect_ratio="9:16")
    assert isinstance(generation, GenerationRequest)
    assert generation.validated() is generation
    with pytest.raises(RequestInvalidError, match=r"taskId: Choose the finished task to extend\."):
        extend.replace(task_id="").validated()


@pytest.mark.parametrize(
    ("generation_type", "count", "message"),
    [
        (
            "FIRST_AND_LAST_FRAMES_2_VIDEO",
            0,
            "First/last-frame video needs a first frame (and, if you like, a last frame).",
        ),
        (
            "FIRST_AND_LAST_FRAMES_2_VIDEO",
            3,
            "First/last-frame video takes a first and a last frame: 3 images are too many.",
        ),
        ("REFERENCE_2_VIDEO", 0, "Reference video needs a reference image (up to 3)."),
        ("REFERENCE_2_VIDEO", 4, "Reference video takes up to 3 reference images: 4 are too many."),
    ],
)
def test_image_counts_are_said_as_a_person_would(
    generation_type: str, count: int, message: str
) -> None:
    """Issue 14: "(1 or 2 images; got 0)" read like a developer's note."""
    problems = GenerationRequest(
        prompt="p", generation_type=generation_type, image_urls=(IMAGE,) * count
    ).problems()
    assert [p.message for p in problems if p.field == "image_urls"] == [message]
