"""Batches: many requests from a file (or N variations of one), sent safely and restartably.

A batch file (CSV or JSONL) is parsed and *every* row validated before anything is sent: a
bad row is reported with its line number and field, and nothing goes out. The runner then
submits through :meth:`TaskEngine.submit` with a concurrency limit, slows down when APIXO
rate limits, and records its progress in a small JSON journal, so a batch interrupted by a
crash, a kill or a closed laptop is resumed without losing or duplicating any item:

- before an item is handed to the engine, the journal records that it is being sent (and
  which identical requests already existed); the engine's row, written before its POST, is
  linked to the item as soon as it appears;
- on restart, an item that got a row in any state is never sent again by itself, with one
  exception that cannot cost money: a row APIXO refused without taking the task (HTTP 429,
  402, 401, 403, 503, or a connection that never reached it) is sent again, as a linked
  resubmission, because that is exactly what the batch was asked to do;
- an item the journal says was being sent but that has no row never reached the engine's
  POST (the row is committed first), so it is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from veo_desktop.api.errors import (
    ApiStatusError,
    ApixoConnectionError,
    ApixoError,
    ApixoTimeoutError,
    AuthenticationError,
    InsufficientBalanceError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    SubmissionUncertainError,
)
from veo_desktop.api.models import (
    MAX_SEED,
    AnyRequest,
    ExtendRequest,
    GenerationRequest,
    GenerationType,
    Model,
    RequestInvalidError,
    request_from_payload,
)
from veo_desktop.core.clock import SYSTEM_CLOCK, Clock
from veo_desktop.core.crashpoints import crash_point
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.fsutil import atomic_write_text
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import StoreError

log = logging.getLogger(__name__)

MIN_VARIATIONS = 1
MAX_VARIATIONS = 8
JOURNAL_VERSION = 1
JOURNAL_KIND = "veo-desktop-batch"
JOURNAL_DIR_NAME = "batches"

#: The command line's names for the generation types (also accepted in batch files).
CLI_TYPES: Mapping[str, str] = {
    "text": GenerationType.TEXT,
    "frames": GenerationType.FRAMES,
    "reference": GenerationType.REFERENCE,
}

#: ``fail_code`` values of rejected rows APIXO provably did not take and that sending the
#: same request again (later, or after the person fixed their account) can turn into a task.
NOT_TAKEN_CODES = frozenset(
    {
        "HTTP 401",
        "HTTP 402",
        "HTTP 403",
        "HTTP 429",
        "HTTP 503",
        ApixoConnectionError.__name__,
        ApixoTimeoutError.__name__,
    }
)

R = TypeVar("R", GenerationRequest, ExtendRequest)


# -- parsing ------------------------------------------------------------------------------


class BatchProblem(NamedTuple):
    """One reason a batch file cannot be sent: ``line`` (1-based; 0 for the whole file)."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, {self.field}: {self.message}"


class BatchFileError(ValueError):
    """The batch file has problems; nothing was sent. ``problems`` lists every one."""

    def __init__(self, problems: Sequence[tuple[int, str, str]], *, source: str = "") -> None:
        self.problems = [BatchProblem(*p) for p in problems]
        self.source = source
        shown = "\n".join(f"  {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        if more > 0:
            shown += f"\n  ... and {more} more"
        name = f"{source}: " if source else ""
        count = len(self.problems)
        super().__init__(
            f"{name}{count} problem{'s' if count != 1 else ''}; nothing was sent.\n{shown}"
        )


@dataclass(frozen=True)
class BatchItem:
    """One request of a batch and where it came from (its line; 0 when not from a file)."""

    line: int
    request: AnyRequest

    @property
    def price(self) -> Decimal:
        return self.request.price

    @property
    def payload(self) -> dict[str, Any]:
        return self.request.to_payload()

    @property
    def key(self) -> str:
        """A canonical text of the request: equal for requests that are the same."""
        return payload_key(self.request.model.value, self.payload)


def payload_key(model: str, payload: Mapping[str, Any]) -> str:
    return model + "\n" + json.dumps(payload, sort_keys=True, ensure_ascii=False)


def total_price(items: Iterable[BatchItem]) -> Decimal:
    """What the batch costs if APIXO accepts every item."""
    return sum((item.price for item in items), Decimal("0"))


# Canonical field names, and what a CSV header or a JSONL key may call them.
_ALIASES: Mapping[str, str] = {
    "prompt": "prompt",
    "mode": "mode",
    "type": "type",
    "generationtype": "type",
    "generation_type": "type",
    "aspect": "aspect",
    "aspect_ratio": "aspect",
    "aspectratio": "aspect",
    "image": "images",
    "images": "images",
    "image_url": "images",
    "image_urls": "images",
    "seed": "seed",
    "watermark": "watermark",
    "enabletranslation": "translate",
    "enable_translation": "translate",
    "translate": "translate",
    "provider": "provider",
    "taskid": "task_id",
    "task_id": "task_id",
    "task": "task_id",
}
_API_NAMES: Mapping[str, str] = {
    "prompt": "prompt",
    "mode": "mode",
    "type": "generationType",
    "aspect": "aspect_ratio",
    "images": "image_urls",
    "seed": "seed",
    "watermark": "watermark",
    "translate": "enableTranslation",
    "provider": "provider",
    "task_id": "taskId",
}
_CSV_COLUMNS = "prompt, mode, type, aspect, image, seed, watermark"
_BODY_KEYS = frozenset({"request_type", "callback_url", "provider", "input", "model"})
_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


def _canonical(name: str) -> str | None:
    normal = name.strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(normal)


def parse_batch_file(path: Path | str) -> list[BatchItem]:
    """Read and validate a ``.csv`` or ``.jsonl`` batch file; every row or none.

    CSV: a header row naming the columns (``prompt, mode, type, aspect, image, seed,
    watermark``; the API's names work too); ``image`` may repeat or hold several URLs
    separated by ``;``. JSONL: one request object per line, with the API's field names
    (flat, or a whole ``{"input": {...}}`` body) or the command line's (``type``,
    ``aspect``, ``image``). A line with ``taskId`` is an extend of that APIXO task.

    Raises:
        BatchFileError: any row breaks a rule (all problems listed; nothing may be sent).
        OSError: the file cannot be read.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise BatchFileError(
            [(0, "file", f"Use a .csv or .jsonl file (got {path.suffix or 'no extension'}).")],
            source=path.name,
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BatchFileError(
            [(0, "file", f"The file is not UTF-8 text ({error.reason} at byte {error.start}).")],
            source=path.name,
        ) from None
    return parse_batch_text(text, kind="csv" if suffix == ".csv" else "jsonl", source=path.name)


def parse_batch_text(text: str, *, kind: str, source: str = "") -> list[BatchItem]:
    """Parse and validate batch text (``kind`` is ``"csv"`` or ``"jsonl"``).

    Raises:
        BatchFileError: as :func:`parse_batch_file`.
    """
    problems: list[BatchProblem] = []
    if kind == "csv":
        rows = _csv_rows(text, problems)
    elif kind == "jsonl":
        rows = _jsonl_rows(text, problems)
    else:
        raise ValueError(f"unknown batch kind {kind!r}")
    items: list[BatchItem] = []
    for line, fields in rows:
        request = _build(fields, line, problems)
        if request is None:
            continue
        problems += [BatchProblem(line, p.field, p.message) for p in request.problems()]
        items.append(BatchItem(line, request))
    if not problems and not items:
        problems.append(BatchProblem(0, "file", "The file holds no requests."))
    if problems:
        problems.sort(key=lambda p: p.line)
        raise BatchFileError(problems, source=source)
    return items


def _csv_rows(text: str, problems: list[BatchProblem]) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, dict[str, Any]]] = []
    header: list[str | None] | None = None
    last_line = 0
    try:
        for cells in reader:
            line = last_line + 1
            last_line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = _csv_header(cells, line, problems)
                if header is None:
                    return []
                continue
            if len(cells) > len(header):
                problems.append(
                    BatchProblem(
                        line,
                        "row",
                        f"The row has {len(cells)} cells but the header names {len(header)} "
                        "columns (quote cells that contain commas).",
                    )
                )
                continue
            fields: dict[str, Any] = {}
            for name, cell in zip(header, cells, strict=False):
                if name is None:
                    continue
                value = cell.strip()
                if name == "images":
                    fields.setdefault("images", []).extend(
                        part.strip() for part in value.split(";") if part.strip()
                    )
                elif value:
                    fields[name] = value
            rows.append((line, fields))
    except csv.Error as error:
        problems.append(BatchProblem(reader.line_num, "row", f"Not valid CSV: {error}."))
    if header is None and not problems:
        problems.append(BatchProblem(0, "file", "The file holds no requests."))
    return rows


def _csv_header(
    cells: list[str], line: int, problems: list[BatchProblem]
) -> list[str | None] | None:
    header: list[str | None] = []
    seen: set[str] = set()
    ok = True
    for cell in cells:
        if not cell.strip():
            header.append(None)
            continue
        name = _canonical(cell)
        if name is None:
            problems.append(
                BatchProblem(
                    line,
                    cell.strip(),
                    f"Unknown column {cell.strip()!r}; the columns are {_CSV_COLUMNS}.",
                )
            )
            ok = False
        elif name in seen and name != "images":
            problems.append(BatchProblem(line, cell.strip(), "This column appears twice."))
            ok = False
        elif name is not None:
            seen.add(name)
        header.append(name)
    if ok and "prompt" not in seen:
        problems.append(
            BatchProblem(
                line,
                "prompt",
                f"The first row must name the columns, with at least 'prompt' ({_CSV_COLUMNS}).",
            )
        )
        ok = False
    return header if ok else None


def _jsonl_rows(text: str, problems: list[BatchProblem]) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except ValueError as error:
            problems.append(BatchProblem(number, "line", f"Not valid JSON: {error}."))
            continue
        if not isinstance(data, dict):
            problems.append(
                BatchProblem(number, "line", "Each line must be one JSON object ({...}).")
            )
            continue
        fields = _json_fields(data, number, problems)
        if fields is not None:
            rows.append((number, fields))
    return rows


def _json_fields(
    data: dict[str, Any], line: int, problems: list[BatchProblem]
) -> dict[str, Any] | None:
    """Canonical fields of one JSONL object (a flat object or a whole request body)."""
    fields: dict[str, Any] = {}
    flat = data
    if isinstance(data.get("input"), dict):
        unknown = [k for k in data if k not in _BODY_KEYS]
        for key in unknown:
            problems.append(BatchProblem(line, key, f"Unknown field {key!r}."))
        for key in ("request_type", "callback_url"):
            if key in data:
                fields[key] = data[key]
        if "provider" in data:
            fields["provider"] = data["provider"]
        if "model" in data:
            fields["model"] = data["model"]
        flat = data["input"]
        if unknown:
            return None
    ok = True
    for key, value in flat.items():
        name = _canonical(str(key))
        if name is None:
            problems.append(BatchProblem(line, str(key), f"Unknown field {key!r}."))
            ok = False
        elif name in fields and name != "provider":
            problems.append(BatchProblem(line, str(key), "This field appears twice."))
            ok = False
        else:
            fields[name] = value
    return fields if ok else None


def _build(fields: dict[str, Any], line: int, problems: list[BatchProblem]) -> AnyRequest | None:
    """Turn canonical fields into a request; type problems are reported, rules are not."""
    found: list[BatchProblem] = []

    def text(name: str, *, lower: bool = False) -> str | None:
        value = fields.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            found.append(BatchProblem(line, _API_NAMES.get(name, name), "Must be text."))
            return None
        value = value.strip()
        return (value.lower() if lower else value) or None

    prompt = text("prompt")
    mode = text("mode", lower=True)
    kind = text("type")
    aspect = text("aspect")
    watermark = text("watermark")
    provider = text("provider", lower=True)
    task_id = text("task_id")
    model = text("model", lower=True)
    seed = _seed(fields.get("seed"), line, found)
    translate = _flag(fields.get("translate"), line, found)
    images = _images(fields.get("images"), line, found)
    request_type = fields.get("request_type", "async")
    callback_url = fields.get("callback_url")
    if not isinstance(request_type, str):
        found.append(BatchProblem(line, "request_type", "Must be text."))
    if callback_url is not None and not isinstance(callback_url, str):
        found.append(BatchProblem(line, "callback_url", "Must be text."))
    if aspect is not None and aspect.lower() == "auto":
        aspect = "auto"
    if kind is not None:
        kind = CLI_TYPES.get(kind.lower(), kind)
    extend = task_id is not None or model == Model.EXTEND
    if model is not None and model not in (Model.VEO, Model.EXTEND):
        found.append(
            BatchProblem(line, "model", f"Choose veo-3-1 or veo-3-1-extend (got {model!r}).")
        )
    if extend:
        for name, value in (("type", kind), ("aspect", aspect), ("images", images or None)):
            if value is not None:
                found.append(
                    BatchProblem(
                        line,
                        _API_NAMES[name],
                        "An extend continues its source video: it takes no "
                        f"{'images' if name == 'images' else _API_NAMES[name]}.",
                    )
                )
        if translate is not None:
            found.append(
                BatchProblem(line, "enableTranslation", "An extend has no translation option.")
            )
    problems.extend(found)
    if found:
        return None
    assert isinstance(request_type, str)
    assert callback_url is None or isinstance(callback_url, str)
    if extend:
        return ExtendRequest(
            task_id=task_id or "",
            prompt=prompt or "",
            mode=mode or "fast",
            seed=seed,
            watermark=watermark,
            provider=provider,
            request_type=request_type,
            callback_url=callback_url,
        )
    return GenerationRequest(
        prompt=prompt or "",
        mode=mode or "fast",
        generation_type=kind or GenerationType.TEXT,
        aspect_ratio=aspect or "16:9",
        image_urls=tuple(images),
        seed=seed,
        watermark=watermark,
        enable_translation=translate,
        provider=provider,
        request_type=request_type,
        callback_url=callback_url,
    )


def _seed(value: Any, line: int, found: list[BatchProblem]) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if value.isascii() and value.isdigit():
            value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SEED:
        return value
    found.append(
        BatchProblem(line, "seed", f"The seed must be a whole number from 0 to {MAX_SEED}.")
    )
    return None


def _flag(value: Any, line: int, found: list[BatchProblem]) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return None
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    found.append(BatchProblem(line, "enableTranslation", "Use true or false."))
    return None


def _images(value: Any, line: int, found: list[BatchProblem]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    found.append(BatchProblem(line, "image_urls", "Give image URLs as text or a list of text."))
    return []


# -- variations ---------------------------------------------------------------------------


def variation_requests(
    request: R, n: int, seed_source: random.Random | Callable[[], int] | int | None = None
) -> list[R]:
    """``n`` copies of ``request`` (1-8) that differ only in their seeds, all distinct.

    The request's own seed, when it has one, is kept for the first copy. ``seed_source``
    draws the others: a :class:`random.Random`, a function returning seeds, an int (a seed
    for a new Random), or None (the system's randomness).

    Raises:
        ValueError: ``n`` is outside 1-8, or ``seed_source`` keeps repeating itself.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not MIN_VARIATIONS <= n <= MAX_VARIATIONS:
        raise ValueError(f"Variations: choose from {MIN_VARIATIONS} to {MAX_VARIATIONS}, not {n}.")
    draw = _seed_drawer(seed_source)
    seeds: list[int] = [] if request.seed is None else [request.seed]
    attempts = 0
    while len(seeds) < n:
        seed = draw() % (MAX_SEED + 1)
        attempts += 1
        if seed not in seeds:
            seeds.append(seed)
        elif attempts > 100 * n:
            raise ValueError("The seed source keeps giving the same seeds.")
    return [request.replace(seed=seed) for seed in seeds]


def _seed_drawer(source: random.Random | Callable[[], int] | int | None) -> Callable[[], int]:
    if source is None:
        system = random.SystemRandom()
        return lambda: system.randint(0, MAX_SEED)
    if isinstance(source, int):
        seeded = random.Random(source)
        return lambda: seeded.randint(0, MAX_SEED)
    if isinstance(source, random.Random):
        rng = source
        return lambda: rng.randint(0, MAX_SEED)
    return source


# -- the journal --------------------------------------------------------------------------


class BatchJournalError(RuntimeError):
    """The journal file is damaged or belongs to another batch."""


@dataclass
class JournalEntry:
    """An item the runner started sending.

    Attributes:
        local_id: the engine row the item got (its latest, after resubmissions).
        known: rows with the same request that existed before it was sent (not its own).
    """

    local_id: str | None = None
    known: list[str] = field(default_factory=list)


def journal_dir(data_dir: Path) -> Path:
    """Where batch journals live (next to the task store)."""
    return Path(data_dir) / JOURNAL_DIR_NAME


def batch_key(items: Sequence[BatchItem]) -> str:
    """A name for the batch from its content (the same requests give the same key)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(item.key.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:24]


def journal_path(directory: Path, items: Sequence[BatchItem]) -> Path:
    """The journal of the batch made of ``items`` in ``directory``.

    Running the same file again finds its journal, so a repeated command resumes (or
    reports) the batch instead of paying for it twice.
    """
    return Path(directory) / f"batch-{batch_key(items)}.json"


class BatchJournal:
    """The runner's durable memory: which items were (being) sent, and their rows.

    Every change is written atomically (a reader sees the old file or the new one).
    """

    def __init__(
        self,
        path: Path | None,
        items: Sequence[BatchItem],
        *,
        source: str = "",
        created_at: float | None = None,
        entries: dict[int, JournalEntry] | None = None,
        finished: bool = False,
    ) -> None:
        #: None keeps the journal in memory only (nothing survives the process).
        self.path = None if path is None else Path(path)
        self.items = list(items)
        self.source = source
        self.created_at = time.time() if created_at is None else created_at
        self.entries: dict[int, JournalEntry] = entries or {}
        self.finished = finished
        self.key = batch_key(self.items)

    @classmethod
    def open(cls, path: Path, items: Sequence[BatchItem], *, source: str = "") -> BatchJournal:
        """Load the journal at ``path``, or start a new one (not written until a change).

        Raises:
            BatchJournalError: the file exists but is damaged or belongs to another batch.
        """
        path = Path(path)
        if not path.exists():
            return cls(path, items, source=source)
        journal = cls.load(path)
        if journal.key != batch_key(items):
            raise BatchJournalError(f"The batch journal {path} belongs to a different batch.")
        return journal

    @classmethod
    def load(cls, path: Path) -> BatchJournal:
        """Read a journal, items included (for resuming a batch without its file).

        Raises:
            BatchJournalError: missing, damaged, or not a batch journal.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise BatchJournalError(f"Cannot read the batch journal {path}: {error}") from error
        if (
            not isinstance(data, dict)
            or data.get("kind") != JOURNAL_KIND
            or data.get("version") != JOURNAL_VERSION
        ):
            raise BatchJournalError(f"{path} is not a Veo Desktop batch journal.")
        try:
            items = [
                BatchItem(int(raw["line"]), request_from_payload(raw["model"], raw["request"]))
                for raw in data["items"]
            ]
            entries = {
                int(index): JournalEntry(
                    local_id=raw.get("local_id"), known=[str(k) for k in raw.get("known", [])]
                )
                for index, raw in data.get("entries", {}).items()
            }
            journal = cls(
                path,
                items,
                source=str(data.get("source", "")),
                created_at=float(data.get("created_at", 0.0)),
                entries=entries,
                finished=bool(data.get("finished", False)),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise BatchJournalError(f"The batch journal {path} is damaged: {error}") from error
        if data.get("key") not in (None, journal.key):
            raise BatchJournalError(f"The batch journal {path} does not match its items.")
        return journal

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": JOURNAL_KIND,
            "version": JOURNAL_VERSION,
            "key": self.key,
            "source": self.source,
            "created_at": self.created_at,
            "finished": self.finished,
            "items": [
                {"line": item.line, "model": item.request.model.value, "request": item.payload}
                for item in self.items
            ],
            "entries": {
                str(index): {"local_id": entry.local_id, "known": entry.known}
                for index, entry in sorted(self.entries.items())
            },
        }

    def save(self) -> None:
        """Write the journal atomically (creating its folder); nothing without a path."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(self.to_json(), ensure_ascii=False) + "\n")

    def mark_sending(self, index: int, known: Iterable[str]) -> None:
        self.entries[index] = JournalEntry(local_id=None, known=sorted(known))
        self.save()

    def link(self, index: int, local_id: str) -> None:
        entry = self.entries.setdefault(index, JournalEntry())
        if entry.local_id != local_id:
            entry.local_id = local_id
            self.save()

    def forget(self, index: int) -> None:
        if self.entries.pop(index, None) is not None:
            self.save()

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.save()

    def discard(self) -> None:
        """Delete the journal (running the same requests again then sends them again)."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def unsent_indexes(journal: BatchJournal, engine: TaskEngine) -> list[int]:
    """Indexes of the journal's items that resuming would send.

    That is: items never given a task, and items APIXO refused without taking them (429,
    402, ...), following the person's resubmissions. An item whose task is uncertain,
    submitting, accepted, or gone from the store is never among them.
    """
    unsent: list[int] = []
    for index in range(len(journal.items)):
        entry = journal.entries.get(index)
        if entry is None or entry.local_id is None:
            unsent.append(index)
            continue
        try:
            record = engine.get(entry.local_id)
        except KeyError:
            continue
        while record.resubmitted_as is not None:
            try:
                record = engine.get(record.resubmitted_as)
            except KeyError:
                break
        if record.state is TaskState.REJECTED and record.fail_code in NOT_TAKEN_CODES:
            unsent.append(index)
    return unsent


def unfinished_journals(directory: Path) -> list[BatchJournal]:
    """Journals of batches that stopped before every item was sent (newest first)."""
    found: list[BatchJournal] = []
    for path in sorted(Path(directory).glob("batch-*.json")):
        try:
            journal = BatchJournal.load(path)
        except BatchJournalError as error:
            log.warning("skipping batch journal: %s", error)
            continue
        if not journal.finished:
            found.append(journal)
    return sorted(found, key=lambda j: j.created_at, reverse=True)


# -- running ------------------------------------------------------------------------------


class ItemState(StrEnum):
    """Where one item of a batch is."""

    WAITING = "waiting"  # not sent yet (or APIXO did not take it: it will be sent)
    SENDING = "sending"
    SUBMITTED = "submitted"  # APIXO accepted it: a task exists and is charged
    UNCERTAIN = "uncertain"  # may or may not have been taken: never re-sent by itself
    REJECTED = "rejected"  # APIXO refused the request itself (nothing charged)

    @property
    def is_done(self) -> bool:
        return self in (ItemState.SUBMITTED, ItemState.UNCERTAIN, ItemState.REJECTED)


@dataclass
class ItemStatus:
    index: int
    item: BatchItem
    state: ItemState = ItemState.WAITING
    local_id: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class BatchProgress:
    """A snapshot for a progress line (``on_progress`` receives one after each change)."""

    total: int
    waiting: int
    sending: int
    submitted: int
    uncertain: int
    rejected: int
    paused_until: float | None = None
    note: str | None = None
    stopped: str | None = None
    finished: bool = False

    @property
    def done(self) -> int:
        return self.submitted + self.uncertain + self.rejected

    def summary(self) -> str:
        """``"3 of 8 submitted, 1 rejected"`` and any note."""
        parts = [f"{self.submitted} of {self.total} submitted"]
        if self.uncertain:
            parts.append(f"{self.uncertain} uncertain")
        if self.rejected:
            parts.append(f"{self.rejected} rejected")
        text = ", ".join(parts)
        extra = self.stopped or self.note
        return f"{text}. {extra}" if extra else text


@dataclass(frozen=True)
class BatchResult:
    items: tuple[ItemStatus, ...]
    stopped: str | None

    @property
    def submitted(self) -> list[ItemStatus]:
        return [s for s in self.items if s.state is ItemState.SUBMITTED]

    @property
    def unsent(self) -> list[ItemStatus]:
        return [s for s in self.items if not s.state.is_done]

    @property
    def complete(self) -> bool:
        return not self.unsent


@dataclass(frozen=True)
class BatchBackoff:
    """How the runner slows down on 429: honour ``Retry-After``, then wait longer each time.

    Attributes:
        initial: the wait after the first rate limit without a ``Retry-After``.
        multiplier: growth per consecutive rate limit.
        max_delay: the cap of the grown wait.
        max_retry_after: a ``Retry-After`` above this is capped.
        network_failures: consecutive "could not reach APIXO" failures before the batch stops.
    """

    initial: float = 2.0
    multiplier: float = 2.0
    max_delay: float = 300.0
    max_retry_after: float = 600.0
    network_failures: int = 5

    def delay(self, strikes: int, retry_after: float | None) -> float:
        grown = min(self.initial * self.multiplier ** max(0, strikes - 1), self.max_delay)
        if retry_after is None or retry_after < 0:
            return grown
        honoured = min(retry_after, self.max_retry_after)
        return honoured if strikes <= 1 else max(honoured, grown)


class BatchBusyError(RuntimeError):
    """This batch is already being sent."""


_ACTIVE_JOURNALS: set[Path] = set()
OnBatchProgress = Callable[[BatchProgress], None]


class BatchRunner:
    """Submits a batch's items through the engine, at most ``concurrency`` at once.

    Args:
        engine: a started :class:`TaskEngine` (every submission goes through it).
        items: the batch (validated; see :func:`parse_batch_file`, :func:`variation_requests`).
        concurrency: how many submissions may be in flight at once (1-16).
        on_progress: called with a :class:`BatchProgress` after every change (loop thread).
        journal: where progress is kept across restarts (see :func:`journal_path`); None keeps
            it in memory only.
        source: what the batch came from (a file name, "Variations"), kept in the journal.
        backoff: how to slow down on rate limits.
        clock: time and sleep (a fake one in tests).
    """

    def __init__(
        self,
        engine: TaskEngine,
        items: Sequence[BatchItem],
        *,
        concurrency: int = 2,
        on_progress: OnBatchProgress | None = None,
        journal: Path | None = None,
        source: str = "",
        backoff: BatchBackoff | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not items:
            raise ValueError("A batch needs at least one item.")
        if not 1 <= concurrency <= 16:
            raise ValueError("concurrency must be from 1 to 16")
        self._engine = engine
        self._items = list(items)
        self._concurrency = concurrency
        self._limit = concurrency
        self._on_progress = on_progress
        self._journal = (
            BatchJournal(None, self._items, source=source)
            if journal is None
            else BatchJournal.open(journal, self._items, source=source)
        )
        self._backoff = backoff or BatchBackoff()
        self._clock = clock or SYSTEM_CLOCK
        self._statuses = [ItemStatus(i, item) for i, item in enumerate(self._items)]
        self._keys = [item.key for item in self._items]
        self._queue: deque[int] = deque()
        self._by_key: dict[str, list[str]] = {}
        self._awaiting: dict[str, deque[int]] = {}
        self._awaiting_resubmit: dict[str, int] = {}
        self._paused_until = 0.0
        self._strikes = 0
        self._network_strikes = 0
        self._successes = 0
        self._note: str | None = None
        self._stopped: str | None = None
        self._wake = asyncio.Event()
        self._running = False
        self._ran = False

    @classmethod
    def resume(cls, engine: TaskEngine, journal: Path, **kwargs: Any) -> BatchRunner:
        """A runner for the batch recorded in ``journal`` (its items come from the journal)."""
        loaded = BatchJournal.load(journal)
        kwargs.setdefault("source", loaded.source)
        return cls(engine, loaded.items, journal=journal, **kwargs)

    # -- state -------------------------------------------------------------------------------

    @property
    def items(self) -> list[BatchItem]:
        return list(self._items)

    @property
    def statuses(self) -> list[ItemStatus]:
        return list(self._statuses)

    @property
    def journal(self) -> BatchJournal:
        return self._journal

    @property
    def running(self) -> bool:
        return self._running

    def progress(self) -> BatchProgress:
        counts = dict.fromkeys(ItemState, 0)
        for status in self._statuses:
            counts[status.state] += 1
        paused = self._paused_until if self._paused_until > self._clock.time() else None
        return BatchProgress(
            total=len(self._statuses),
            waiting=counts[ItemState.WAITING],
            sending=counts[ItemState.SENDING],
            submitted=counts[ItemState.SUBMITTED],
            uncertain=counts[ItemState.UNCERTAIN],
            rejected=counts[ItemState.REJECTED],
            paused_until=paused,
            note=self._note,
            stopped=self._stopped,
            finished=not self._running and self._ran,
        )

    def cancel(self, reason: str = "Stopped; the items not sent yet were not sent.") -> None:
        """Send nothing more; submissions already in flight finish (never cut mid-POST)."""
        if self._stopped is None:
            self._stopped = reason
        self._wake.set()

    # -- running -----------------------------------------------------------------------------

    async def run(self) -> BatchResult:
        """Send every item not sent yet; returns when all are done or the batch stopped.

        Raises:
            BatchBusyError: this batch's journal is already being run in this process.
            RuntimeError: the engine is not started.
        """
        if self._running:
            raise BatchBusyError("This batch is already being sent.")
        if not self._engine.started:
            raise RuntimeError("Start the engine before running a batch.")
        path = self._journal.path.resolve() if self._journal.path is not None else None
        if path is not None:
            if path in _ACTIVE_JOURNALS:
                raise BatchBusyError("This batch is already being sent.")
            _ACTIVE_JOURNALS.add(path)
        self._running = True
        self._ran = True
        unsubscribe = self._engine.subscribe(self._on_record)
        try:
            self._reconcile()
            self._emit()
            await self._dispatch()
        finally:
            unsubscribe()
            self._running = False
            if path is not None:
                _ACTIVE_JOURNALS.discard(path)
        if all(s.state.is_done for s in self._statuses):
            with contextlib.suppress(OSError):
                self._journal.finish()
        self._note = None
        self._paused_until = 0.0
        self._emit()
        return BatchResult(tuple(self._statuses), self._stopped)

    def _reconcile(self) -> None:
        """Match the journal with the engine's rows: what was sent, what is left."""
        records = self._engine.tasks(include_hidden=True)
        by_id = {r.local_id: r for r in records}
        self._by_key = {}
        for record in records:
            self._by_key.setdefault(payload_key(record.model, record.request), []).append(
                record.local_id
            )
        entries = self._journal.entries
        self._queue.clear()
        claimed = {e.local_id for e in entries.values() if e.local_id}
        for index in sorted(entries):
            entry = entries[index]
            if entry.local_id is not None:
                continue
            known = set(entry.known)
            candidates = [
                by_id[local_id]
                for local_id in self._by_key.get(self._keys[index], [])
                if local_id not in known
                and local_id not in claimed
                and by_id[local_id].resubmit_of is None
            ]
            if candidates:
                chosen = min(candidates, key=lambda r: r.created_at)
                claimed.add(chosen.local_id)
                self._link(index, chosen.local_id)
                log.info("batch item %d: found its task %s", index, chosen.short_id)
            else:
                # The row is committed before the POST: no row means nothing was sent.
                self._forget(index)
        for status in self._statuses:
            linked = entries.get(status.index)
            if linked is None or linked.local_id is None:
                status.state = ItemState.WAITING
                status.local_id = None
                self._queue.append(status.index)
                continue
            local_id = linked.local_id
            seen = {local_id}
            while (
                local_id in by_id
                and by_id[local_id].resubmitted_as in by_id
                and by_id[local_id].resubmitted_as not in seen
            ):
                local_id = str(by_id[local_id].resubmitted_as)
                seen.add(local_id)
            if local_id != linked.local_id:
                self._link(status.index, local_id)
            status.local_id = local_id
            row = by_id.get(local_id)
            if row is None:
                status.state = ItemState.UNCERTAIN
                status.message = (
                    "Its task is missing from the task store; it was not sent again. "
                    "Check the APIXO dashboard."
                )
                continue
            status.state, status.message = _item_state(row)
            if status.state is ItemState.WAITING:
                self._queue.append(status.index)

    async def _dispatch(self) -> None:
        inflight: dict[asyncio.Task[None], int] = {}
        try:
            while True:
                now = self._clock.time()
                paused = self._paused_until > now
                if self._stopped is None and not paused:
                    while self._queue and len(inflight) < self._limit and self._stopped is None:
                        index = self._queue.popleft()
                        task = asyncio.get_running_loop().create_task(
                            self._send(index), name=f"batch-item-{index}"
                        )
                        inflight[task] = index
                if not inflight and (not self._queue or self._stopped is not None):
                    return
                self._wake.clear()
                waiters: set[asyncio.Task[Any]] = set(inflight)
                wake = asyncio.get_running_loop().create_task(self._wake.wait())
                waiters.add(wake)
                sleeper: asyncio.Task[None] | None = None
                if paused and self._stopped is None:
                    sleeper = asyncio.get_running_loop().create_task(
                        self._clock.sleep(self._paused_until - now)
                    )
                    waiters.add(sleeper)
                try:
                    done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for helper in (wake, sleeper):
                        if helper is not None and not helper.done():
                            helper.cancel()
                for task in done:
                    if task in inflight:
                        inflight.pop(task)
                        error = task.exception()
                        if error is not None:
                            raise error
                if paused and self._paused_until <= self._clock.time():
                    self._note = None
                    self._emit()
        finally:
            # Submissions in flight are never cut off mid-POST by the batch itself.
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)

    async def _send(self, index: int) -> None:
        status = self._statuses[index]
        item = self._items[index]
        previous = status.local_id
        if previous is not None:
            previous = self._latest_row(index, previous)
            if previous is None:
                return
        status.state = ItemState.SENDING
        status.message = None
        self._emit()
        key = self._keys[index]
        try:
            if previous is None:
                self._journal.mark_sending(index, self._by_key.get(key, []))
                self._awaiting.setdefault(key, deque()).append(index)
            else:
                self._awaiting_resubmit[previous] = index
            crash_point("batch.sending_recorded")
        except OSError as error:
            self._requeue(index, front=True)
            self._stop(f"The batch journal cannot be written ({error}); nothing more was sent.")
            return
        try:
            if previous is None:
                record = await self._engine.submit(item.request)
            else:
                record = await self._engine.resubmit(previous)
        except RateLimitedError as error:
            self._after_not_taken(index, previous, error)
            self._on_rate_limited(error.retry_after)
        except ServerError as error:
            if error.status_code == 503:  # "not taken" (the client says so for 503 only)
                self._after_not_taken(index, previous, error)
                self._on_rate_limited(None)
            else:
                self._finish_item(index, previous, ItemState.UNCERTAIN, str(error))
        except (ApixoConnectionError, ApixoTimeoutError) as error:
            self._after_not_taken(index, previous, error)
            self._on_unreachable(error)
        except (InsufficientBalanceError, AuthenticationError, PermissionDeniedError) as error:
            self._after_not_taken(index, previous, error)
            self._stop(f"{error} The items not sent yet were not sent.")
        except SubmissionUncertainError as error:
            self._finish_item(index, previous, ItemState.UNCERTAIN, str(error))
        except (ApiStatusError, RequestInvalidError, ApixoError) as error:
            self._finish_item(index, previous, ItemState.REJECTED, str(error))
        except StoreError as error:
            self._after_not_taken(index, previous, error)
            self._stop(f"{error} Nothing more was sent.")
        except (KeyError, ValueError) as error:
            # The row to resubmit vanished or changed state (the person acted on it).
            self._finish_item(index, previous, ItemState.REJECTED, f"Not sent again: {error}")
        except Exception as error:
            log.exception("batch item %d: the submission failed unexpectedly", index)
            row = self._current_row(index, previous)
            if row is None:
                self._requeue(index, front=True)
            else:
                self._finish_item(index, previous, ItemState.UNCERTAIN, str(error))
            self._stop(f"The batch stopped: {error}")
        else:
            self._link(index, record.local_id)
            self._hide_superseded(previous, record.local_id)
            status.local_id = record.local_id
            status.state = ItemState.SUBMITTED
            self._on_success()
            self._emit()
        finally:
            self._drop_awaiting(index, key, previous)

    def _latest_row(self, index: int, row: str) -> str | None:
        """The row to resubmit for an item APIXO refused, or None when nothing is to be sent.

        The person may have acted on the refused row meanwhile (resubmitted it from the
        task list): then the item follows that row and is not sent again by the batch.
        """
        latest = row
        seen = {row}
        try:
            record = self._engine.get(latest)
            while record.resubmitted_as is not None and record.resubmitted_as not in seen:
                latest = record.resubmitted_as
                seen.add(latest)
                record = self._engine.get(latest)
        except KeyError:
            self._finish_item(index, None, ItemState.UNCERTAIN, "Its task is no longer known.")
            return None
        if latest != row:
            self._link(index, latest)
        state, message = _item_state(record)
        if state is ItemState.WAITING:
            return latest
        self._finish_item(index, latest, state, message or state.value)
        return None

    # -- outcomes ------------------------------------------------------------------------------

    def _current_row(self, index: int, previous: str | None) -> str | None:
        entry = self._journal.entries.get(index)
        linked = entry.local_id if entry is not None else None
        return linked if linked is not None else previous

    def _after_not_taken(self, index: int, previous: str | None, error: Exception) -> None:
        """APIXO did not take the item: it goes back to the queue (its row links the retry)."""
        row = self._current_row(index, previous)
        if row is not None and row != previous:
            self._hide_superseded(previous, row)
        status = self._statuses[index]
        status.local_id = row
        if row is None:
            with contextlib.suppress(OSError):
                self._journal.forget(index)
        status.message = str(error)
        self._requeue(index, front=True)

    def _finish_item(
        self, index: int, previous: str | None, state: ItemState, message: str
    ) -> None:
        row = self._current_row(index, previous)
        if row is not None and row != previous:
            self._hide_superseded(previous, row)
        status = self._statuses[index]
        status.local_id = row
        status.state = state
        status.message = message
        if row is None:
            with contextlib.suppress(OSError):
                self._journal.forget(index)
        log.info("batch item %d %s: %s", index, state.value, message)
        self._emit()

    def _requeue(self, index: int, *, front: bool) -> None:
        self._statuses[index].state = ItemState.WAITING
        if front:
            self._queue.appendleft(index)
        else:
            self._queue.append(index)
        self._emit()

    def _hide_superseded(self, previous: str | None, current: str) -> None:
        """A row APIXO refused with 429 and then resubmitted clutters the list: hide it."""
        if previous is None or previous == current:
            return
        with contextlib.suppress(KeyError, ValueError, OSError, StoreError):
            if not self._engine.get(previous).hidden:
                self._engine.remove(previous, delete_files=False)

    def _on_rate_limited(self, retry_after: float | None) -> None:
        self._strikes += 1
        self._successes = 0
        self._limit = max(1, self._limit // 2)
        delay = self._backoff.delay(self._strikes, retry_after)
        self._paused_until = max(self._paused_until, self._clock.time() + delay)
        self._note = f"APIXO is rate limiting; sending more in {_human(delay)}."
        log.info(
            "batch rate limited (strike %d): pausing %.1f s, %d at once",
            self._strikes,
            delay,
            self._limit,
        )
        self._emit()

    def _on_unreachable(self, error: Exception) -> None:
        self._network_strikes += 1
        if self._network_strikes >= self._backoff.network_failures:
            self._stop(f"APIXO could not be reached ({error}). The items not sent were not sent.")
            return
        delay = self._backoff.delay(self._network_strikes, None)
        self._paused_until = max(self._paused_until, self._clock.time() + delay)
        self._note = f"APIXO could not be reached; trying again in {_human(delay)}."
        self._emit()

    def _on_success(self) -> None:
        self._network_strikes = 0
        self._successes += 1
        if self._successes >= 3:
            self._strikes = 0
            if self._limit < self._concurrency:
                self._limit += 1
                self._successes = 0

    def _stop(self, reason: str) -> None:
        if self._stopped is None:
            self._stopped = reason
            log.warning("batch stopped: %s", reason)
        self._wake.set()
        self._emit()

    # -- linking rows to items -----------------------------------------------------------------

    def _on_record(self, record: TaskRecord) -> None:
        """Link a new row to the item being sent, before the engine's POST leaves."""
        if record.state is not TaskState.SUBMITTING:
            return
        key = payload_key(record.model, record.request)
        known = self._by_key.setdefault(key, [])
        if record.local_id in known:
            return
        known.append(record.local_id)
        index: int | None = None
        if record.resubmit_of is not None and record.resubmit_of in self._awaiting_resubmit:
            index = self._awaiting_resubmit.pop(record.resubmit_of)
        elif self._awaiting.get(key):
            index = self._awaiting[key].popleft()
        if index is None:
            return
        crash_point("batch.row_seen")
        try:
            self._link(index, record.local_id)
        except OSError:
            log.exception("could not record batch item %d's task in the journal", index)
        crash_point("batch.row_linked")

    def _link(self, index: int, local_id: str) -> None:
        self._statuses[index].local_id = local_id
        self._journal.link(index, local_id)

    def _forget(self, index: int) -> None:
        self._journal.forget(index)

    def _drop_awaiting(self, index: int, key: str, previous: str | None) -> None:
        waiting = self._awaiting.get(key)
        if waiting is not None:
            with contextlib.suppress(ValueError):
                waiting.remove(index)
        if previous is not None:
            self._awaiting_resubmit.pop(previous, None)

    def _emit(self) -> None:
        if self._on_progress is None:
            return
        try:
            self._on_progress(self.progress())
        except Exception:
            log.exception("a batch progress callback failed")


def _item_state(record: TaskRecord) -> tuple[ItemState, str | None]:
    """What an item whose (latest) row is ``record`` still needs."""
    if record.charged:
        return ItemState.SUBMITTED, None
    if record.state is TaskState.REJECTED:
        if record.fail_code in NOT_TAKEN_CODES:
            return ItemState.WAITING, record.fail_message
        return ItemState.REJECTED, record.fail_message
    if record.state in (TaskState.UNCERTAIN, TaskState.SUBMITTING):
        return ItemState.UNCERTAIN, record.note or "APIXO may or may not have taken it."
    return ItemState.UNCERTAIN, record.fail_message or record.note


def _human(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
