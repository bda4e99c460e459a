"""The composer's form and slot models, without Qt: fields, request in and out, problems, cost.

Nothing here imports PySide6; the last test proves the models load with Qt absent.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal

import pytest

from veo_desktop.api.models import MAX_SEED, GenerationRequest
from veo_desktop.ui.compose.form import (
    FIELDS,
    ComposeForm,
    Message,
    format_money,
    seed_from_text,
    slot_for_field,
)
from veo_desktop.ui.compose.observable import Notifier, Subscriptions
from veo_desktop.ui.compose.slot_model import NOTHING_SENT, SlotModel, SlotState
from veo_desktop.ui.compose.tone import Tone

FRAMES = "FIRST_AND_LAST_FRAMES_2_VIDEO"
REFERENCE = "REFERENCE_2_VIDEO"


@dataclass(frozen=True)
class Preview:
    name: str = "frame.png"
    size: int | None = 2048
    width: int | None = 320
    height: int | None = 180
    summary: str = "PNG · 2 KB"


@dataclass(frozen=True)
class Image:
    url: str
    preview: Preview = Preview()
    notes: tuple[str, ...] = ()


def fill(slot: SlotModel, url: str, *, notes: tuple[str, ...] = ()) -> None:
    """Put a ready image in ``slot``, as a finished upload would."""
    generation = slot.start("Preparing…", url)
    slot.succeed(generation, Image(url, notes=notes), url)


class Counter:
    def __init__(self, notifier: Notifier) -> None:
        self.count = 0
        notifier.connect(self)

    def __call__(self) -> None:
        self.count += 1


# -- fields and the request they make -------------------------------------------------------


def test_a_new_form_is_a_text_video_waiting_for_its_prompt() -> None:
    form = ComposeForm()
    assert form.request == GenerationRequest(prompt="")
    assert not form.valid
    assert [p.field for p in form.problems] == ["prompt"]
    assert form.field_messages()["prompt"] == Message(None, Tone.HINT)
    assert form.generate_hint() == Message("Write a prompt to generate.", Tone.HINT)
    assert form.counter_texts() == ("0 / 10,000", "0 of 10000 characters")
    assert form.visible_slots() == []
    assert form.type_explanation == "The prompt alone describes the video."


def test_an_emptied_prompt_says_what_to_write_once_touched() -> None:
    form = ComposeForm()
    form.set_prompt("x")
    form.set_prompt("")
    assert form.field_messages()["prompt"] == Message(
        "Write a prompt: describe the video you want.", Tone.HINT
    )


def test_every_edit_rebuilds_the_request_and_tells_the_listeners() -> None:
    form = ComposeForm()
    changed = Counter(form.changed)
    form.set_prompt("waves")
    form.set_mode("quality")
    form.set_aspect_ratio("9:16")
    form.set_seed_text("42")
    form.set_watermark("studio")
    form.set_provider("official")
    form.set_enable_translation(False)
    assert changed.count == 7
    form.set_mode("quality")  # no change, no news
    assert changed.count == 7
    assert form.valid
    body = form.request.to_payload()
    assert body["provider"] == "official"
    assert body["input"] == {
        "mode": "quality",
        "prompt": "waves",
        "generationType": "TEXT_2_VIDEO",
        "aspect_ratio": "9:16",
        "seed": 42,
        "watermark": "studio",
        "enableTranslation": False,
    }
    form.set_watermark("   ")
    assert form.request.watermark is None


def test_a_long_prompt_is_refused_with_how_much_to_cut() -> None:
    form = ComposeForm()
    form.set_prompt("x" * 10_003)
    assert not form.valid
    message = form.field_messages()["prompt"]
    assert message.tone is Tone.PROBLEM
    assert message.text is not None
    assert "limit is 10,000" in message.text and "Shorten it by 3" in message.text
    assert form.prompt_over_limit
    assert form.counter_texts() == (
        "10,003 / 10,000",
        "10003 of 10000 characters, 3 over the limit",
    )
    assert form.generate_hint() == Message("Fix the problem above to generate.", Tone.HINT)


def test_a_seed_that_is_no_number_is_refused() -> None:
    assert seed_from_text("") is None
    assert seed_from_text("7") == 7
    assert seed_from_text("seven") == -1
    assert seed_from_text("٣") == -1  # a digit, but not one APIXO reads
    form = ComposeForm()
    form.set_prompt("p")
    for text in ("seven", str(MAX_SEED + 1)):
        form.set_seed_text(text)
        assert form.field_messages()["seed"] == Message(
            f"The seed must be a whole number from 0 to {MAX_SEED}.", Tone.PROBLEM
        )
    form.set_seed_text("")
    assert form.valid and form.request.seed is None


def test_reference_images_switch_to_fast_and_16_9() -> None:
    form = ComposeForm()
    form.set_mode("quality")
    form.set_aspect_ratio("9:16")
    form.set_generation_type(REFERENCE)
    assert (form.mode, form.aspect_ratio) == ("fast", "16:9")
    assert form.reference_only
    assert "fast mode and 16:9" in form.type_explanation
    assert form.visible_slots() == list(form.reference_slots)
    form.set_prompt("a cat")
    assert form.field_messages()["image_urls"] == Message(
        "Reference video needs a reference image (up to 3).", Tone.HINT
    )


def test_a_loaded_request_keeps_what_the_rules_refuse_and_says_so() -> None:
    form = ComposeForm()
    form.set_prompt("old")
    form.set_server_problem("prompt", "APIXO did not like it.")
    targets = form.load_request(
        GenerationRequest(
            prompt="p", mode="quality", generation_type=REFERENCE, aspect_ratio="auto"
        )
    )
    assert targets == []
    assert form.server_problem is None
    messages = form.field_messages()
    assert messages["mode"].text == "Reference images work only in fast mode. Choose fast."
    assert messages["aspect_ratio"].text == "Reference images work only with 16:9. Choose 16:9."
    assert not form.valid


def test_a_request_goes_in_and_comes_back_out_with_its_images() -> None:
    request = GenerationRequest(
        prompt="again",
        mode="quality",
        generation_type=FRAMES,
        aspect_ratio="9:16",
        image_urls=("https://img.example/a.png", "https://img.example/b.png"),
        seed=7,
        watermark="w",
        provider="value",
        enable_translation=True,
    )
    form = ComposeForm()
    targets = form.load_request(request)
    assert targets == [
        (form.first_slot, "https://img.example/a.png"),
        (form.last_slot, "https://img.example/b.png"),
    ]
    assert form.prompt_touched
    for slot, url in targets:
        fill(slot, url)
    assert form.request == request
    assert form.valid


def test_start_new_keeps_the_options() -> None:
    form = ComposeForm()
    form.set_prompt("p")
    form.set_mode("quality")
    form.set_seed_text("5")
    form.set_watermark("w")
    form.start_new()
    assert (form.seed_text, form.watermark, form.mode) == ("", "", "quality")
    assert not form.prompt_touched


# -- the image slots -----------------------------------------------------------------------


def test_frames_need_a_first_frame_and_a_last_alone_is_not_enough() -> None:
    form = ComposeForm()
    form.set_prompt("the sun sets")
    form.set_generation_type(FRAMES)
    message = form.field_messages()["image_urls"]
    assert message.text is not None and "needs a first frame" in message.text
    assert message.tone is Tone.HINT
    assert not form.swap_enabled

    fill(form.last_slot, "https://img.example/last.png")
    assert form.field_messages()["image_urls"].text == (
        "Add a first frame: a last frame alone is not enough."
    )
    assert form.swap_enabled
    form.first_slot.swap_with(form.last_slot)
    assert form.first_slot.state is SlotState.READY
    assert form.last_slot.state is SlotState.EMPTY
    assert form.valid
    assert form.request.image_urls == ("https://img.example/last.png",)
    assert form.image_sources() == [(form.first_slot, "https://img.example/last.png")]


def test_a_busy_slot_holds_generate_and_says_what_it_waits_for() -> None:
    form = ComposeForm()
    form.set_prompt("a kite")
    form.set_generation_type(FRAMES)
    slot = form.first_slot
    generation = slot.start("Preparing…", "/tmp/start.png")
    assert slot.problem == "Wait for the first frame: preparing…"
    assert [p.field for p in form.problems] == ["image_urls", "firstFrameSlot"]
    assert form.generate_hint() == Message("Waiting for the images to finish uploading…", Tone.HINT)
    assert form.field_messages()["image_urls"] == Message(None, Tone.PROBLEM)
    assert not form.swap_enabled

    progressed = Counter(slot.progress_changed)
    assert slot.report_progress(generation, 40, 100)
    assert (slot.busy_text, slot.busy_progress) == ("Uploading… 40%", 0.4)
    assert not slot.report_progress(generation - 1, 90, 100), "an older piece of work"
    assert progressed.count == 1

    slot.succeed(generation, Image("https://img.example/start.png", notes=("Shrunk.",)), "x")
    assert slot.busy_progress is None
    assert slot.notes == "Shrunk."
    assert form.valid


def test_late_results_of_replaced_or_cleared_work_are_ignored() -> None:
    slot = SlotModel("Reference 1", "referenceSlot1")
    first = slot.start("Checking…", "https://img.example/one.png")
    second = slot.start("Checking…", "https://img.example/two.png")
    slot.succeed(first, Image("https://img.example/one.png"), "one")
    assert slot.state is SlotState.BUSY
    slot.clear()
    slot.fail(second, "gone", "two")
    assert slot.state is SlotState.EMPTY and slot.message is None


def test_a_failed_slot_says_why_and_offers_to_try_again() -> None:
    slot = SlotModel("Last frame", "lastFrameSlot")
    generation = slot.start("Checking…", "https://img.example/x.png")
    slot.fail(generation, "The server answered 404: the image is not there.", "x")
    assert slot.state is SlotState.ERROR
    assert slot.message == slot.problem == "The server answered 404: the image is not there."
    assert slot.retry_offered
    generation = slot.start("Preparing…", "notes.txt")
    slot.fail(generation, "notes.txt is a text file, not an image.", "notes.txt", retryable=False)
    assert not slot.retry_offered


def test_the_check_before_sending_marks_its_slot_and_nothing_is_sent() -> None:
    form = ComposeForm()
    form.set_prompt("p")
    form.set_generation_type(REFERENCE)
    one, two, _three = form.reference_slots
    fill(one, "https://img.example/1.png")
    fill(two, "https://img.example/2.png")
    sent = form.image_sources()
    assert slot_for_field("image_urls[1]", sent) is two
    assert slot_for_field("image_urls[5]", sent) is None
    assert slot_for_field("prompt", sent) is None
    two.show_submit_problem("The server answered 404: the image is not there.")
    assert two.message == f"The server answered 404: the image is not there. {NOTHING_SENT}"
    assert not form.valid
    assert slot_for_field("image_urls[1]", sent) is None, "no longer the image that was sent"
    fill(one, "https://img.example/other.png")
    assert slot_for_field("image_urls[0]", sent) is None


def test_the_rules_problem_with_an_image_is_shown_on_its_slot() -> None:
    form = ComposeForm()
    form.set_prompt("p")
    form.set_generation_type(FRAMES)
    shown = Counter(form.first_slot.external_changed)
    fill(form.first_slot, "http://img.example/plain.png")
    problem = form.first_slot.external_problem
    assert problem is not None and "https://" in problem
    assert form.first_slot.message == problem
    assert shown.count == 1
    form.first_slot.clear()
    assert form.first_slot.external_problem is None


def test_frames_know_the_shape_of_the_video() -> None:
    form = ComposeForm()
    aspect = Counter(form.first_slot.aspect_changed)
    assert form.first_slot.frame_aspect == "16:9"
    form.set_aspect_ratio("9:16")
    assert (form.first_slot.frame_aspect, form.last_slot.frame_aspect) == ("9:16", "9:16")
    assert form.reference_slots[0].frame_aspect is None
    assert aspect.count == 1


# -- what APIXO said, and the cost ---------------------------------------------------------------


def test_a_server_problem_is_shown_by_its_field_until_the_form_changes() -> None:
    form = ComposeForm()
    form.set_prompt("p")
    form.set_server_problem("prompt", "Rejected by the content filter.")
    assert form.field_messages()["prompt"] == Message(
        "Rejected by the content filter.", Tone.PROBLEM
    )
    form.set_prompt("q")
    assert form.server_problem is None

    form.set_server_problem("", "Your balance is too low.")
    assert form.server_problem_elsewhere == "Your balance is too low."
    assert form.generate_hint() is None, "the server's word stays under Generate"
    assert all(message.text is None for message in form.field_messages().values())
    assert set(form.field_messages()) == set(FIELDS)
    form.clear_server_problem()
    assert form.generate_hint() == Message(None)


def test_the_cost_line_multiplies_the_price_and_weighs_the_balance() -> None:
    form = ComposeForm()
    cost = Counter(form.cost_changed)
    assert form.cost_line().texts == ("Generate · $0.20 · balance …", "$0.20 · balance …")
    form.set_balance(Decimal("100"))
    assert form.cost_line().texts[0] == "Generate · $0.20 · balance $100.00"
    assert form.cost_line().tooltip == "This video costs $0.20 when APIXO accepts it."
    assert form.generate_label()[0] == "Generate"

    form.set_variations(4)
    form.set_mode("quality")
    line = form.cost_line()
    assert line.texts == (
        "Generate 4 variations · $6.00 · balance $100.00",
        "4 variations · $6.00 · balance $100.00",
        "4 videos · $6.00 · balance $100.00",
        "$6.00 · balance $100.00",
    )
    assert line.tooltip == "4 videos of $1.50 each cost $6.00 when APIXO accepts them."
    assert not line.low
    assert form.generate_label()[:2] == ("Generate…", "Generate 4 variations")

    form.set_balance(Decimal("5"))
    line = form.cost_line()
    assert line.low and line.texts[0].endswith("balance $5.00 (not enough)")
    assert line.tooltip.endswith(" The balance is lower than that.")
    form.set_balance(None)
    assert form.cost_line().texts[-1] == "$6.00 · balance unknown"

    form.set_variations(20)
    assert form.variations == 8
    form.set_variations(0)
    assert form.variations == 1
    assert cost.count == 6
    assert format_money(Decimal("1234.5")) == "$1,234.50"


# -- no Qt ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        "veo_desktop.ui.compose.form",
        "veo_desktop.ui.compose.slot_model",
        "veo_desktop.ui.compose.observable",
        "veo_desktop.ui.compose.tone",
    ],
)
def test_the_models_load_without_qt(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "qt = ('PySide6', 'qasync', 'shiboken6')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in qt)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} pulled in Qt: {result.stdout.strip()}"


def test_subscriptions_disconnect_everything_at_once() -> None:
    form = ComposeForm()
    subscriptions = Subscriptions()
    changed = Counter(Notifier())
    subscriptions.add(form.changed, changed)
    subscriptions.add(form.cost_changed, changed)
    form.set_prompt("p")
    form.set_variations(2)
    assert changed.count == 2
    subscriptions.close()
    form.set_prompt("q")
    form.set_variations(3)
    assert changed.count == 2
