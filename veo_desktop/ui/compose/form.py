"""The composer's form, without Qt: the fields, the request they make, its problems, the cost.

:class:`ComposeForm` is what the Compose section edits. Its fields hold API values
(``"fast"``, ``"TEXT_2_VIDEO"``, ``"16:9"``); each image slot is a
:class:`~veo_desktop.ui.compose.slot_model.SlotModel`. After every change it builds the
:class:`GenerationRequest` the fields describe (:attr:`~ComposeForm.request`), asks it for its
problems, adds the slots' own (an image still uploading, a last frame without a first) and
tells its listeners (:attr:`~ComposeForm.changed`); the view writes each problem next to the
field at fault (:meth:`~ComposeForm.field_messages`). A request comes in with
:meth:`~ComposeForm.load_request`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from veo_desktop.api.models import (
    MAX_PROMPT_LENGTH,
    PRICES,
    AspectRatio,
    GenerationRequest,
    GenerationType,
    Mode,
    Problem,
    Provider,
)
from veo_desktop.core.batch import MAX_VARIATIONS, MIN_VARIATIONS
from veo_desktop.ui.compose.observable import Notifier
from veo_desktop.ui.compose.slot_model import SlotModel, SlotState
from veo_desktop.ui.compose.tone import Tone

TYPE_LABELS: dict[str, str] = {
    GenerationType.TEXT: "Text to video",
    GenerationType.FRAMES: "First and last frames",
    GenerationType.REFERENCE: "Reference images",
}
TYPE_EXPLANATIONS: dict[str, str] = {
    GenerationType.TEXT: "The prompt alone describes the video.",
    GenerationType.FRAMES: "Animates from a first frame, optionally ending on a last frame.",
    GenerationType.REFERENCE: "Up to three images guide the subjects and style.",
}
ASPECT_LABELS: dict[str, str] = {
    AspectRatio.LANDSCAPE: "16:9 landscape",
    AspectRatio.PORTRAIT: "9:16 portrait",
    AspectRatio.AUTO: "Auto",
}
PROVIDER_CHOICES: Sequence[tuple[str, str | None, str]] = (
    ("Account default", None, "Use the routing set for this key in the APIXO dashboard."),
    ("Auto", Provider.AUTO, "APIXO picks the route."),
    ("Value", Provider.VALUE, "Prefer the lower-cost route."),
    ("Official", Provider.OFFICIAL, "Use Google's official route."),
)
TRANSLATION_CHOICES: Sequence[tuple[str, bool | None]] = (
    ("Default (translate)", None),
    ("Translate to English", True),
    ("Send as written", False),
)
REFERENCE_MODE_TIP = "Reference images work only in fast mode."
REFERENCE_ASPECT_TIP = "Reference images work only with 16:9."
REFERENCE_NOTE = "Reference images use fast mode and 16:9: Veo 3.1 supports them only there."
#: The fields a problem is shown next to (API names); a server problem about anything else
#: is shown under Generate.
FIELDS = (
    "prompt",
    "mode",
    "aspect_ratio",
    "generationType",
    "image_urls",
    "seed",
    "watermark",
    "provider",
    "enableTranslation",
)
_IMAGE_FIELD = "image_urls["


def format_money(value: Decimal) -> str:
    """Dollars as the window shows them everywhere: ``$1,234.50``."""
    return f"${value:,.2f}"


def seed_from_text(text: str) -> int | None:
    """A seed field's value: None when empty; -1 (which the rules reject) when not a number."""
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() else -1


def image_index(field: str) -> int | None:
    """``i`` of a problem's field ``image_urls[i]`` (None for any other field)."""
    if not (field.startswith(_IMAGE_FIELD) and field.endswith("]")):
        return None
    index = field[len(_IMAGE_FIELD) : -1]
    return int(index) if index.isdigit() else None


def slot_for_field(field: str, sent: Sequence[tuple[SlotModel, str]]) -> SlotModel | None:
    """The slot still holding ``image_urls[i]`` of a request sent with images ``sent``."""
    index = image_index(field)
    if index is None or index >= len(sent):
        return None
    slot, url = sent[index]
    return slot if slot.url == url else None


@dataclass(frozen=True)
class Message:
    """An inline message: ``text`` (None: nothing to say) in ``tone`` (None: as it was)."""

    text: str | None
    tone: Tone | None = None


@dataclass(frozen=True)
class CostLine:
    """The cost line under the form: its texts (fullest first), tooltip, and whether the
    balance is short of the total."""

    texts: tuple[str, ...]
    tooltip: str
    low: bool


class ComposeForm:
    """Prompt, options, images and variations; the request they make and its problems.

    Notifiers:
        changed: a field or slot changed; :attr:`request`, :attr:`problems` and
            :attr:`valid` are up to date when it is emitted.
        cost_changed: the number of variations or the balance changed (:meth:`cost_line`).
    """

    def __init__(self) -> None:
        self.changed = Notifier()
        self.cost_changed = Notifier()
        self.first_slot = SlotModel("First frame", "firstFrameSlot")
        self.last_slot = SlotModel("Last frame", "lastFrameSlot")
        self.reference_slots = tuple(
            SlotModel(f"Reference {number}", f"referenceSlot{number}") for number in (1, 2, 3)
        )
        self.prompt = ""
        self.mode: str = Mode.FAST
        self.generation_type: str = GenerationType.TEXT
        self.aspect_ratio: str = AspectRatio.LANDSCAPE
        self.seed_text = ""
        self.watermark = ""
        self.provider: str | None = None
        self.enable_translation: bool | None = None
        self.variations = MIN_VARIATIONS
        #: Whether the prompt was edited (an empty prompt is a problem only then).
        self.prompt_touched = False
        #: What APIXO (or the check before sending) said about a field: (field, message).
        self.server_problem: tuple[str, str] | None = None
        self.balance: Decimal | None = None
        self.balance_known = False
        self.request = GenerationRequest(prompt="")
        self.problems: list[Problem] = []
        self._request_problems: list[Problem] = []
        self._extra: list[Problem] = []
        for slot in self.all_slots:
            slot.changed.connect(self._on_slot_changed)
        self._recompute()

    @property
    def all_slots(self) -> list[SlotModel]:
        return [self.first_slot, self.last_slot, *self.reference_slots]

    @property
    def valid(self) -> bool:
        """Whether Generate would send the form (nothing wrong, no image on its way)."""
        return not self.problems

    @property
    def reference_only(self) -> bool:
        """Reference images: only fast mode and 16:9 are offered."""
        return self.generation_type == GenerationType.REFERENCE

    # -- fields ------------------------------------------------------------------------------

    def set_prompt(self, text: str) -> None:
        """The prompt as typed (any edit marks it touched)."""
        self.prompt = text
        self.prompt_touched = True
        self._field_changed()

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self._field_changed()

    def set_aspect_ratio(self, aspect: str) -> None:
        if aspect != self.aspect_ratio:
            self.aspect_ratio = aspect
            self._field_changed()

    def set_generation_type(self, kind: str) -> None:
        """Choose the type; reference images switch to fast mode and 16:9."""
        if kind == self.generation_type:
            return
        self.generation_type = kind
        if kind == GenerationType.REFERENCE:
            self.mode = Mode.FAST
            self.aspect_ratio = AspectRatio.LANDSCAPE
        self._field_changed()

    def set_seed_text(self, text: str) -> None:
        if text != self.seed_text:
            self.seed_text = text
            self._field_changed()

    def set_watermark(self, text: str) -> None:
        if text != self.watermark:
            self.watermark = text
            self._field_changed()

    def set_provider(self, provider: str | None) -> None:
        if provider != self.provider:
            self.provider = provider
            self._field_changed()

    def set_enable_translation(self, flag: bool | None) -> None:
        if flag is not self.enable_translation:
            self.enable_translation = flag
            self._field_changed()

    def set_variations(self, count: int) -> None:
        """How many takes Generate makes (clamped to 1-8)."""
        count = max(MIN_VARIATIONS, min(MAX_VARIATIONS, count))
        if count != self.variations:
            self.variations = count
            self.cost_changed.emit()

    def set_balance(self, balance: Decimal | None) -> None:
        """The balance APIXO reported (None: it could not be read)."""
        self.balance = balance
        self.balance_known = True
        self.cost_changed.emit()

    def set_server_problem(self, field: str, message: str) -> None:
        """What APIXO said about ``field`` (shown until the form changes)."""
        self.server_problem = (field, message)
        self._recompute()

    def clear_server_problem(self) -> None:
        self.server_problem = None
        self._recompute()

    # -- request in -------------------------------------------------------------------------

    def load_request(self, request: GenerationRequest) -> list[tuple[SlotModel, str]]:
        """Take every field of ``request`` ("Re-use settings").

        Returns:
            The slots its image URLs go into, each with its URL (the view empties every slot
            and has these take their URL, checked as a pasted one).
        """
        self.generation_type = str(request.generation_type)
        self.mode = str(request.mode)
        self.aspect_ratio = str(request.aspect_ratio)
        self.prompt = request.prompt
        self.seed_text = "" if request.seed is None else str(request.seed)
        self.watermark = request.watermark or ""
        self.provider = request.provider
        self.enable_translation = request.enable_translation
        self.prompt_touched = bool(request.prompt)
        self.server_problem = None
        self._recompute()
        return list(zip(self._slots_for(self.generation_type), request.image_urls, strict=False))

    def start_new(self) -> None:
        """A new prompt: no seed, no watermark, the prompt untouched (the options stay)."""
        self.seed_text = ""
        self.watermark = ""
        self.prompt_touched = False
        self.server_problem = None
        self._recompute()

    # -- what the view shows -----------------------------------------------------------------

    def visible_slots(self) -> list[SlotModel]:
        """The slots the chosen type uses."""
        return self._slots_for(self.generation_type)

    def image_sources(self) -> list[tuple[SlotModel, str]]:
        """The visible slots holding an image, each with the URL sent for it."""
        return [(slot, slot.url) for slot in self.visible_slots() if slot.url is not None]

    def field_messages(self) -> dict[str, Message]:
        """What to write next to each of :data:`FIELDS` (a problem, or a hint)."""
        by_field: dict[str, list[str]] = {}
        for problem in self._request_problems:
            if problem.field.startswith(_IMAGE_FIELD):
                continue
            by_field.setdefault(problem.field, []).append(problem.message)
        extra_messages = {problem.message for problem in self._extra}
        for problem in self._extra:
            if problem.field == "image_urls":
                by_field.setdefault("image_urls", []).append(problem.message)
        shown: dict[str, Message] = {}
        for key in FIELDS:
            messages = by_field.get(key, [])
            if self.server_problem and self.server_problem[0] == key:
                messages = [*messages, self.server_problem[1]]
            tone = Tone.PROBLEM
            if key == "prompt" and not self.prompt.strip():
                tone = Tone.HINT
                if not self.prompt_touched:
                    messages = []
            if key == "image_urls":
                states = {slot.state for slot in self.visible_slots()}
                if states & {SlotState.BUSY, SlotState.ERROR}:
                    messages = [m for m in messages if m in extra_messages]
                elif states <= {SlotState.EMPTY}:
                    tone = Tone.HINT
            shown[key] = Message(" ".join(messages) or None, tone)
        return shown

    @property
    def server_problem_elsewhere(self) -> str | None:
        """A server problem about no field of the form (shown under Generate)."""
        if self.server_problem and self.server_problem[0] not in FIELDS:
            return self.server_problem[1]
        return None

    def generate_hint(self) -> Message | None:
        """What to say under Generate about the form (None: leave the server's problem)."""
        if self.server_problem_elsewhere is not None:
            return None
        if self.valid:
            return Message(None)
        first = self.problems[0]
        if first.field == "prompt" and not self.prompt.strip():
            text = "Write a prompt to generate."
        elif any(slot.state is SlotState.BUSY for slot in self.visible_slots()):
            text = "Waiting for the images to finish uploading…"
        else:
            count = len(self.problems)
            text = (
                "Fix the problem above to generate."
                if count == 1
                else f"Fix the {count} problems above to generate."
            )
        return Message(text, Tone.HINT)

    @property
    def swap_enabled(self) -> bool:
        """Whether the first and last frames can be exchanged (something to swap, not busy)."""
        states = (self.first_slot.state, self.last_slot.state)
        return SlotState.BUSY not in states and states != (SlotState.EMPTY,) * 2

    @property
    def type_explanation(self) -> str:
        explanation = TYPE_EXPLANATIONS.get(self.generation_type, "")
        return f"{explanation} {REFERENCE_NOTE}" if self.reference_only else explanation

    @property
    def prompt_over_limit(self) -> bool:
        return len(self.prompt) > MAX_PROMPT_LENGTH

    def counter_texts(self) -> tuple[str, str]:
        """The prompt counter and what a screen reader says of it."""
        length = len(self.prompt)
        over = length - MAX_PROMPT_LENGTH
        return (
            f"{length:,} / {MAX_PROMPT_LENGTH:,}",
            f"{length} of {MAX_PROMPT_LENGTH} characters"
            + (f", {over} over the limit" if over > 0 else ""),
        )

    def generate_label(self) -> tuple[str, str, str]:
        """Generate's text, accessible name and description for the number of takes."""
        count = self.variations
        # More than one take opens the confirmation first (hence the ellipsis); the count
        # is right beside the button and on the cost line.
        if count == 1:
            return (
                "Generate",
                "Generate",
                "Submit this video to APIXO (Ctrl+Enter); it is billed when APIXO accepts it",
            )
        return (
            "Generate…",
            f"Generate {count} variations",
            f"Show the {count} variations, their total and the balance before sending them",
        )

    def cost_line(self) -> CostLine:
        """The price of the takes Generate makes, beside the balance."""
        price = PRICES.get(self.mode, Decimal("0"))
        count = self.variations
        total = price * count
        if not self.balance_known:
            balance = "balance …"
        elif self.balance is None:
            balance = "balance unknown"
        else:
            balance = f"balance {format_money(self.balance)}"
        low = self.balance is not None and self.balance < total
        short = f"{format_money(total)} · {balance}" + (" (not enough)" if low else "")
        if count == 1:
            texts: tuple[str, ...] = (f"Generate · {short}", short)
        else:
            texts = (
                f"Generate {count} variations · {short}",
                f"{count} variations · {short}",
                f"{count} videos · {short}",
                short,
            )
        cost = (
            f"This video costs {format_money(price)}"
            if count == 1
            else f"{count} videos of {format_money(price)} each cost {format_money(total)}"
        )
        tooltip = f"{cost} when APIXO accepts {'it' if count == 1 else 'them'}." + (
            " The balance is lower than that." if low else ""
        )
        return CostLine(texts, tooltip, low)

    # -- internals --------------------------------------------------------------------------

    def _slots_for(self, kind: str) -> list[SlotModel]:
        if kind == GenerationType.FRAMES:
            return [self.first_slot, self.last_slot]
        if kind == GenerationType.REFERENCE:
            return list(self.reference_slots)
        return []

    def _on_slot_changed(self) -> None:
        self._field_changed()

    def _field_changed(self) -> None:
        self.server_problem = None
        self._recompute()

    def _build_request(self, sources: list[tuple[SlotModel, str]]) -> GenerationRequest:
        return GenerationRequest(
            prompt=self.prompt,
            mode=self.mode,
            generation_type=self.generation_type,
            aspect_ratio=self.aspect_ratio,
            image_urls=tuple(url for _slot, url in sources),
            seed=seed_from_text(self.seed_text.strip()),
            watermark=self.watermark if self.watermark.strip() else None,
            enable_translation=self.enable_translation,
            provider=self.provider,
        )

    def _recompute(self) -> None:
        """Rebuild the request from the fields, find every problem, tell the listeners."""
        for frame in (self.first_slot, self.last_slot):
            frame.set_frame_aspect(self.aspect_ratio)
        sources = self.image_sources()
        self.request = self._build_request(sources)
        problems = self.request.problems()
        slot_problems: dict[int, str] = {}
        for problem in problems:
            index = image_index(problem.field)
            if index is not None and 0 <= index < len(sources):
                slot_problems[id(sources[index][0])] = problem.message
        for slot in self.all_slots:
            slot.set_external_problem(slot_problems.get(id(slot)))
        extra: list[Problem] = []
        if (
            self.generation_type == GenerationType.FRAMES
            and self.first_slot.state is SlotState.EMPTY
            and self.last_slot.state is not SlotState.EMPTY
        ):
            extra.append(
                Problem("image_urls", "Add a first frame: a last frame alone is not enough.")
            )
        for slot in self.visible_slots():
            if slot.problem:
                extra.append(Problem(slot.name, slot.problem))
        self._request_problems = problems
        self._extra = extra
        self.problems = problems + extra
        self.changed.emit()
