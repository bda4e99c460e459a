"""Batch files: a ``.csv`` or ``.jsonl`` file read and *every* row validated before anything
is sent. A bad row is reported with its line number and field (:class:`BatchFileError`
lists them all), and nothing goes out.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from veo_desktop.api.models import (
    MAX_SEED,
    AnyRequest,
    ExtendRequest,
    GenerationRequest,
    GenerationType,
    Model,
)
from veo_desktop.core.batch.items import BatchItem

#: The command line's names for the generation types (also accepted in batch files).
CLI_TYPES: Mapping[str, str] = {
    "text": GenerationType.TEXT,
    "frames": GenerationType.FRAMES,
    "reference": GenerationType.REFERENCE,
}


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
