"""What a library search asks for: words of the prompt plus filters, as one Qt-free value.

A :class:`LibraryQuery` is what the search bar shows (free words and removable chips), what
the store turns into SQL (:mod:`veo_desktop.storage.library`), what a saved search keeps and
what ``veo-desktop list`` builds from its options. Its text form is the one a person types::

    red fox tag:night rating:4 is:favourite mode:fast type:text aspect:16:9
    state:failed seed:17 from:2026-01-31 to:2026-02-28 "exact phrase"

Words match anywhere in the prompt (any case, any order, parts of words too); a quoted
phrase matches as written. Every filter narrows the result (they combine with AND; several
``tag:`` filters need every tag). :func:`parse_query` never fails: a ``key:value`` it does
not understand stays a word to search for; :func:`filter_problem` says what is wrong with one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from veo_desktop.api.models import AspectRatio, GenerationType, Mode
from veo_desktop.records.lifecycle import TaskState

#: The highest rating (stars).
MAX_RATING = 5
#: The longest tag kept (characters).
TAG_LIMIT = 40
#: The longest personal note kept (characters).
NOTE_LIMIT = 4000


class Kind(StrEnum):
    """What a task is, as the ``type:`` filter names it."""

    TEXT = "text"
    FRAMES = "frames"
    REFERENCE = "reference"
    EXTEND = "extend"


#: The generation type each kind stands for (an extend has none: it is a model of its own).
KIND_TYPES: Mapping[Kind, GenerationType | None] = {
    Kind.TEXT: GenerationType.TEXT,
    Kind.FRAMES: GenerationType.FRAMES,
    Kind.REFERENCE: GenerationType.REFERENCE,
    Kind.EXTEND: None,
}
KIND_LABELS: Mapping[Kind, str] = {
    Kind.TEXT: "Text to video",
    Kind.FRAMES: "First/last frames",
    Kind.REFERENCE: "Reference images",
    Kind.EXTEND: "Extends",
}

#: The first and last day ``from:`` and ``to:`` take (a local midnight outside them has
#: no Unix time on some systems, and the day after the last must still exist).
FIRST_DAY = dt.date(1971, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)

#: The filter keys in the order chips show them.
KEYS = ("is", "tag", "rating", "state", "mode", "type", "aspect", "seed", "from", "to")


class QueryError(ValueError):
    """A filter value that means nothing (the message says what would)."""


def normalize_tag(text: str) -> str:
    """A tag as stored: trimmed, inner spaces collapsed, lower case, at most
    :data:`TAG_LIMIT` characters, control characters dropped.

    Raises:
        QueryError: nothing is left.
    """
    cleaned = "".join(ch for ch in text if ch.isprintable())
    tag = " ".join(cleaned.split()).lower()[:TAG_LIMIT].strip()
    if not tag:
        raise QueryError("A tag needs at least one visible character.")
    return tag


def check_rating(value: int) -> int:
    """A rating from 0 (none) to :data:`MAX_RATING`.

    Raises:
        QueryError: out of range.
    """
    if isinstance(value, bool) or not 0 <= value <= MAX_RATING:
        raise QueryError(f"A rating is a whole number of stars from 0 to {MAX_RATING}.")
    return value


@dataclass(frozen=True)
class LibraryQuery:
    """Prompt words and filters; the empty query shows every task.

    Attributes:
        words: each must appear in the prompt (case-insensitive substrings, in any order).
        tags: each must be on the task.
        min_rating: at least this many stars (1-5).
        favourite: only favourites.
        states, modes, kinds, aspects: the task is in one of these (empty: any).
        seed: the request's seed.
        since, until: created on or after / on or before this local day.
    """

    words: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    min_rating: int | None = None
    favourite: bool = False
    states: frozenset[TaskState] = frozenset()
    modes: frozenset[Mode] = frozenset()
    kinds: frozenset[Kind] = frozenset()
    aspects: frozenset[AspectRatio] = frozenset()
    seed: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    @property
    def is_empty(self) -> bool:
        return self == EMPTY

    @property
    def has_filters(self) -> bool:
        """Anything besides words narrows the result."""
        return dataclasses.replace(self, words=()) != EMPTY

    @property
    def text(self) -> str:
        """The free words as typed (a phrase with spaces quoted)."""
        return " ".join(_quote(word) for word in self.words)

    def with_words(self, text: str) -> LibraryQuery:
        """The same filters with the words of ``text`` (filters typed in it are added)."""
        typed = parse_query(text)
        merged = self.merge(dataclasses.replace(typed, words=()))
        return dataclasses.replace(merged, words=typed.words)

    def merge(self, other: LibraryQuery) -> LibraryQuery:
        """Both queries' words and filters (a single-valued filter of ``other`` wins)."""
        return LibraryQuery(
            words=self.words + tuple(w for w in other.words if w not in self.words),
            tags=self.tags | other.tags,
            min_rating=other.min_rating if other.min_rating is not None else self.min_rating,
            favourite=self.favourite or other.favourite,
            states=self.states | other.states,
            modes=self.modes | other.modes,
            kinds=self.kinds | other.kinds,
            aspects=self.aspects | other.aspects,
            seed=other.seed if other.seed is not None else self.seed,
            since=other.since or self.since,
            until=other.until or self.until,
        )

    def chips(self) -> tuple[Chip, ...]:
        """One chip per filter, in :data:`KEYS` order (words are not chips)."""
        chips: list[Chip] = []
        if self.favourite:
            chips.append(Chip("is", "favourite", "\u2605 Favourites"))
        chips.extend(Chip("tag", tag, f"#{tag}") for tag in sorted(self.tags))
        if self.min_rating is not None:
            stars = "\u2605" * self.min_rating
            plus = "" if self.min_rating == MAX_RATING else " or more"
            chips.append(Chip("rating", str(self.min_rating), f"{stars}{plus}"))
        chips.extend(Chip("state", s.value, s.label) for s in _ordered(self.states, TaskState))
        chips.extend(
            Chip("mode", m.value, m.value.capitalize()) for m in _ordered(self.modes, Mode)
        )
        chips.extend(Chip("type", k.value, KIND_LABELS[k]) for k in _ordered(self.kinds, Kind))
        chips.extend(
            Chip("aspect", a.value, "Auto aspect" if a == AspectRatio.AUTO else a.value)
            for a in _ordered(self.aspects, AspectRatio)
        )
        if self.seed is not None:
            chips.append(Chip("seed", str(self.seed), f"Seed {self.seed}"))
        if self.since is not None:
            chips.append(Chip("from", self.since.isoformat(), f"From {_day(self.since)}"))
        if self.until is not None:
            chips.append(Chip("to", self.until.isoformat(), f"Until {_day(self.until)}"))
        return tuple(chips)

    def without(self, chip: Chip) -> LibraryQuery:
        """This query without the filter ``chip`` shows."""
        key, value = chip.key, chip.value
        if key == "is":
            return dataclasses.replace(self, favourite=False)
        if key == "tag":
            return dataclasses.replace(self, tags=self.tags - {value})
        if key == "rating":
            return dataclasses.replace(self, min_rating=None)
        if key == "state":
            return dataclasses.replace(self, states=self.states - {TaskState(value)})
        if key == "mode":
            return dataclasses.replace(self, modes=self.modes - {Mode(value)})
        if key == "type":
            return dataclasses.replace(self, kinds=self.kinds - {Kind(value)})
        if key == "aspect":
            return dataclasses.replace(self, aspects=self.aspects - {AspectRatio(value)})
        if key == "seed":
            return dataclasses.replace(self, seed=None)
        if key == "from":
            return dataclasses.replace(self, since=None)
        return dataclasses.replace(self, until=None)

    def with_filter(self, key: str, value: str) -> LibraryQuery:
        """This query and the filter ``key:value``.

        Raises:
            QueryError: ``value`` means nothing for ``key`` (or ``key`` is no filter).
        """
        return self.merge(_filter(key, value))


@dataclass(frozen=True)
class Chip:
    """One filter as the search bar shows it: ``key:value`` and a short label."""

    key: str
    value: str
    label: str

    @property
    def token(self) -> str:
        """The filter as typed (``tag:night``)."""
        return f"{self.key}:{_quote(self.value)}"


EMPTY = LibraryQuery()

_TOKEN = re.compile(r'(?:(?P<key>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>\S+))')
E = TypeVar("E", bound=StrEnum)


def parse_query(text: str) -> LibraryQuery:
    """The query ``text`` types (see the module docstring); never raises.

    A ``key:value`` whose key is no filter, or whose value means nothing for it, is kept
    as a word to search for (so ``aspect:wide`` finds prompts with "aspect:wide").
    """
    query = EMPTY
    words: list[str] = []
    for match in _TOKEN.finditer(text):
        key = match.group("key")
        quoted = match.group("quoted")
        value = quoted if quoted is not None else match.group("bare")
        if key is not None and key.lower() in KEYS:
            try:
                query = query.merge(_filter(key.lower(), value))
            except QueryError:
                pass
            else:
                continue
        word = match.group(0) if key is not None else value
        if quoted is not None and key is not None:
            word = f"{key}:{quoted}"
        if word and word not in words:
            words.append(word)
    return dataclasses.replace(query, words=tuple(words))


def query_problem(text: str) -> str | None:
    """What is wrong with the first finished filter of ``text`` that means nothing
    (``rating:9 ``), or None. A filter still being typed (the text's end) is not judged."""
    for match in _TOKEN.finditer(text):
        key = match.group("key")
        if key is None or key.lower() not in KEYS or match.end() == len(text):
            continue
        quoted = match.group("quoted")
        problem = filter_problem(key.lower(), quoted if quoted is not None else match.group("bare"))
        if problem is not None:
            return f"{problem} “{match.group(0)}” is searched for as text."
    return None


def format_query(query: LibraryQuery) -> str:
    """The text that :func:`parse_query` reads back as ``query``: words, then filters."""
    parts = [_quote(word) for word in query.words]
    parts.extend(chip.token for chip in query.chips())
    return " ".join(parts)


def filter_problem(key: str, value: str) -> str | None:
    """What is wrong with the filter ``key:value`` (None: nothing)."""
    try:
        _filter(key, value)
    except QueryError as error:
        return str(error)
    return None


def _filter(key: str, value: str) -> LibraryQuery:
    value = value.strip()
    if key == "is":
        if value.lower() in ("favourite", "favorite", "fav"):
            return LibraryQuery(favourite=True)
        raise QueryError("is: takes favourite (is:favourite).")
    if key == "tag":
        return LibraryQuery(tags=frozenset({normalize_tag(value)}))
    if key == "rating":
        if not _is_number(value) or not 1 <= int(value) <= MAX_RATING:
            raise QueryError(f"rating: takes a number of stars from 1 to {MAX_RATING}.")
        return LibraryQuery(min_rating=int(value))
    if key == "state":
        return LibraryQuery(states=frozenset({_member(TaskState, value, key)}))
    if key == "mode":
        return LibraryQuery(modes=frozenset({_member(Mode, value, key)}))
    if key == "type":
        return LibraryQuery(kinds=frozenset({_member(Kind, value, key)}))
    if key == "aspect":
        return LibraryQuery(aspects=frozenset({_member(AspectRatio, value, key)}))
    if key == "seed":
        if not _is_number(value) or len(value) > 10:
            raise QueryError("seed: takes a whole number (seed:17).")
        return LibraryQuery(seed=int(value))
    if key in ("from", "to"):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise QueryError(f"{key}: takes a day as YYYY-MM-DD ({key}:2026-01-31).") from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise QueryError(
                f"{key}: takes a day from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}."
            )
        return LibraryQuery(since=day) if key == "from" else LibraryQuery(until=day)
    raise QueryError(f"{key}: is not a filter; the filters are {', '.join(KEYS)}.")


def _is_number(value: str) -> bool:
    """``value`` is ASCII digits only (``str.isdigit`` also passes "²", which ``int`` refuses)."""
    return value.isascii() and value.isdigit()


def _member(kind: type[E], value: str, key: str) -> E:
    for member in kind:
        if member.value.lower() == value.lower():
            return member
    names = ", ".join(m.value for m in kind)
    raise QueryError(f"{key}: takes one of {names}.")


def _ordered(chosen: Iterable[E], kind: type[E]) -> list[E]:
    wanted = set(chosen)
    return [member for member in kind if member in wanted]


def _quote(text: str) -> str:
    """``text`` as one token: quoted when it holds spaces (it never holds a quote then)."""
    return f'"{text}"' if (not text or any(ch.isspace() for ch in text)) else text


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclass(frozen=True)
class Labels:
    """What the person said about one task: stars, favourite, tags and a note."""

    rating: int = 0
    favourite: bool = False
    tags: frozenset[str] = frozenset()
    note: str | None = None


@dataclass(frozen=True)
class LabelChange:
    """One edit for many tasks at once; ``None`` (or empty) leaves that part as it is.

    Attributes:
        rating: the new rating (0 clears it).
        favourite: make (or stop making) the tasks favourites.
        add_tags, remove_tags: tags to put on / take off every task.
        note: the new personal note (``""`` clears it).
    """

    rating: int | None = None
    favourite: bool | None = None
    add_tags: frozenset[str] = frozenset()
    remove_tags: frozenset[str] = frozenset()
    note: str | None = None

    def __post_init__(self) -> None:
        if self.rating is not None:
            check_rating(self.rating)
        object.__setattr__(self, "add_tags", frozenset(normalize_tag(t) for t in self.add_tags))
        object.__setattr__(
            self, "remove_tags", frozenset(normalize_tag(t) for t in self.remove_tags)
        )

    @property
    def is_empty(self) -> bool:
        return self == LabelChange()

    def applied_to(self, labels: Labels) -> Labels:
        """``labels`` after this change (what the store now holds)."""
        note = labels.note if self.note is None else (self.note.strip() or None)
        return Labels(
            rating=labels.rating if self.rating is None else self.rating,
            favourite=labels.favourite if self.favourite is None else self.favourite,
            tags=(labels.tags - self.remove_tags) | self.add_tags,
            note=note,
        )


@dataclass(frozen=True)
class SavedSearch:
    """A query kept under a name."""

    name: str
    query: LibraryQuery


class LibraryStore(Protocol):
    """Where labels, searches and saved searches live (the task store's
    :class:`~veo_desktop.storage.library.LibraryRows`); what the layers above hold."""

    def search(self, query: LibraryQuery, *, include_hidden: bool = False) -> list[str]: ...

    def labels(self, local_ids: Iterable[str] | None = None) -> dict[str, Labels]: ...

    def tag_counts(self) -> list[tuple[str, int]]: ...

    def edit_labels(self, local_ids: Sequence[str], change: LabelChange) -> int: ...

    def saved_searches(self) -> list[SavedSearch]: ...

    def save_search(self, name: str, query: LibraryQuery) -> SavedSearch: ...

    def delete_search(self, name: str) -> None: ...


class TaskFacts(Protocol):
    """What a search or filter looks at in a task: a :class:`TaskRecord`, or a row of the
    window's list that keeps only these (``ui.tasks.shelved.ShelvedRow``)."""

    @property
    def local_id(self) -> str: ...
    @property
    def state(self) -> TaskState: ...
    @property
    def created_at(self) -> float: ...
    @property
    def mode(self) -> str: ...
    @property
    def aspect_ratio(self) -> str | None: ...
    @property
    def generation_type(self) -> str | None: ...
    @property
    def is_extend(self) -> bool: ...
    @property
    def seed(self) -> object: ...


#: Tells whether a task (and its prompt, case-folded) passes a query: see :func:`matcher`.
Matcher = Callable[[TaskFacts, str], bool]


def day_start(day: dt.date) -> float:
    """Unix time of the local midnight that starts ``day`` (a day outside
    :data:`FIRST_DAY`..:data:`LAST_DAY` counts as the nearest of them)."""
    day = min(max(day, FIRST_DAY), LAST_DAY)
    return dt.datetime.combine(day, dt.time()).timestamp()


def day_end(day: dt.date) -> float:
    """Unix time of the local midnight that ends ``day`` (see :func:`day_start`)."""
    day = min(max(day, FIRST_DAY), LAST_DAY)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).timestamp()


def matcher(query: LibraryQuery, labels: Mapping[str, Labels]) -> Matcher:
    """What the store's search decides, for one task in memory (the window filters with it
    row by row): ``matcher(query, labels)(record, record.prompt.casefold())``.

    Only the parts of ``query`` that are set are checked, cheapest first. Words are
    case-folded fully, as the store folds a word with letters beyond ASCII. (A word of ASCII
    letters the store finds by ``LIKE``, which folds ASCII only: it does not find "ss" in
    "Straße", whose "ß" folds to "ss" here.)
    """
    checks: list[Matcher] = []
    if query.states:
        states = query.states
        checks.append(lambda t, _p: t.state in states)
    if query.since is not None:
        start = day_start(query.since)
        checks.append(lambda t, _p: t.created_at >= start)
    if query.until is not None:
        end = day_end(query.until)
        checks.append(lambda t, _p: t.created_at < end)
    if query.modes:
        modes = {str(m) for m in query.modes}
        checks.append(lambda t, _p: t.mode in modes)
    if query.kinds:
        kinds = query.kinds
        checks.append(lambda t, _p: kind_of(t) in kinds)
    if query.aspects:
        aspects = {str(a) for a in query.aspects}
        checks.append(lambda t, _p: t.aspect_ratio in aspects)
    if query.seed is not None:
        seed = query.seed
        checks.append(lambda t, _p: t.seed == seed)
    if query.favourite or query.min_rating is not None or query.tags:
        favourite, least, tags = query.favourite, query.min_rating or 0, query.tags
        none = Labels()

        def labelled(t: TaskFacts, _p: str) -> bool:
            got = labels.get(t.local_id, none)
            return (not favourite or got.favourite) and got.rating >= least and tags <= got.tags

        checks.append(labelled)
    if query.words:
        words = tuple(w.casefold() for w in query.words)
        if len(words) == 1:
            (word,) = words
            checks.append(lambda _t, p: word in p)
        else:
            checks.append(lambda _t, p: all(w in p for w in words))
    if not checks:
        return lambda _t, _p: True
    if len(checks) == 1:
        return checks[0]
    return lambda t, p: all(check(t, p) for check in checks)


def kind_of(task: TaskFacts) -> Kind | None:
    """The ``type:`` a task is (None: a generation type this version does not know)."""
    if task.is_extend:
        return Kind.EXTEND
    value = task.generation_type
    for kind, generation_type in KIND_TYPES.items():
        if generation_type is not None and generation_type.value == value:
            return kind
    return None
