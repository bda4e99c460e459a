"""``veo-desktop list --search/--tag/--rating/--json`` and ``veo-desktop tag TASK TAG...``:
the library (tags, ratings, prompt search) from the command line.

Both read and write the store only (no APIXO call, no key needed), so they work while the
window runs. A search is the window's: ``--search`` takes the same text as its search bar,
filters included (``--search "fox mode:fast"``). The parser's part is imported with the
command line's parser (light: no store, no engine); the commands load the store when run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from veo_desktop.cli.args import ExitCode
from veo_desktop.records.library import (
    MAX_RATING,
    LabelChange,
    Labels,
    LibraryQuery,
    QueryError,
    normalize_tag,
    parse_query,
)
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable

if TYPE_CHECKING:
    from veo_desktop.cli.commands import Context
    from veo_desktop.storage.store import TaskStore


def add_list_options(listing: argparse.ArgumentParser) -> None:
    """``list``'s library options."""
    listing.add_argument(
        "--search",
        metavar="TEXT",
        default="",
        help="only tasks whose prompt holds every word of TEXT (any case, parts of words too); "
        "filters as in the window's search bar work too: tag:T rating:N is:favourite "
        "mode:fast type:text aspect:16:9 state:failed seed:N from:YYYY-MM-DD to:YYYY-MM-DD",
    )
    listing.add_argument(
        "--tag",
        metavar="T",
        action="append",
        default=[],
        type=_tag,
        help="only tasks with this tag (repeat it: every tag)",
    )
    listing.add_argument(
        "--rating",
        metavar="N",
        type=_rating,
        help=f"only tasks rated N stars or more (1-{MAX_RATING})",
    )
    listing.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array (one object per task, with its rating, tags and note)",
    )


def add_tag_parser(sub: Any, shared: Sequence[argparse.ArgumentParser]) -> None:
    """The ``tag`` command."""
    tag = sub.add_parser(
        "tag",
        parents=list(shared),
        help="put tags on a task (or take them off with --remove)",
        description="Put the tags TAG... on TASK (a task id of this app, its first letters "
        "or its APIXO task id), as the window's Tags editor does. Tags are kept in lower "
        "case; quote a tag with spaces. Prints the task's tags afterwards.",
    )
    tag.add_argument("task", metavar="TASK", help="a task id (or its first letters) or APIXO id")
    tag.add_argument("tags", metavar="TAG", nargs="+", type=_tag, help="a tag")
    tag.add_argument("--remove", action="store_true", help="take these tags off instead")


def _tag(text: str) -> str:
    try:
        return normalize_tag(text)
    except QueryError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _rating(text: str) -> int:
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or not 1 <= int(digits) <= MAX_RATING:
        raise argparse.ArgumentTypeError(
            f"--rating takes a number of stars from 1 to {MAX_RATING}, not {printable(text, 40)!r}"
        )
    return int(digits)


def query_of(args: argparse.Namespace) -> LibraryQuery:
    """The search ``list``'s options ask for."""
    query = parse_query(args.search or "")
    for tag in args.tag:
        query = query.with_filter("tag", tag)
    if args.rating is not None:
        query = query.with_filter("rating", str(args.rating))
    return query


def list_library(ctx: Context) -> ExitCode:
    """``list`` with library options (a search, tags, a rating or JSON)."""
    from veo_desktop.cli.commands import list_tasks
    from veo_desktop.cli.output import table

    args = ctx.args
    query = query_of(args)
    if query.is_empty and not args.json:
        return list_tasks(ctx)
    if not ctx.paths.store_path.exists():
        records: list[TaskRecord] = []
        labels: dict[str, Labels] = {}
    else:
        store = _open(ctx)
        try:
            ids = set(store.search(query, include_hidden=bool(args.all)))
            records = [r for r in store.load_all() if r.local_id in ids]
            labels = store.labels(ids)
        finally:
            store.close()
    records.reverse()
    if args.json:
        shown = [_as_json(r, labels.get(r.local_id, Labels())) for r in records]
        print(json.dumps(shown, ensure_ascii=False, indent=2), file=ctx.out, flush=True)
    elif records:
        print(table(records), file=ctx.out, flush=True)
    else:
        print("No tasks match.", file=ctx.err, flush=True)
    return ExitCode.OK


def tag_task(ctx: Context) -> ExitCode:
    """``tag TASK TAG...``: put (or with --remove take off) tags, print the task's tags."""
    from veo_desktop.cli.commands import _find_in_store

    args = ctx.args
    record = _find_in_store(ctx, args.task)
    tags = frozenset(args.tags)
    change = LabelChange(remove_tags=tags) if args.remove else LabelChange(add_tags=tags)
    store = _open(ctx)
    try:
        store.edit_labels([record.local_id], change)
        now = store.labels([record.local_id]).get(record.local_id, Labels())
    finally:
        store.close()
    listed = ", ".join(sorted(now.tags)) or "(no tags)"
    print(f"{record.short_id} tags: {printable(listed, 2000)}", file=ctx.out, flush=True)
    return ExitCode.OK


def _open(ctx: Context) -> TaskStore:
    from veo_desktop.cli.commands import CliError
    from veo_desktop.storage.store import StoreError, TaskStore

    try:
        return TaskStore.open(ctx.paths.store_path)
    except StoreError as error:
        raise CliError(ExitCode.LOCAL, str(error)) from error


def _as_json(record: TaskRecord, labels: Labels) -> dict[str, Any]:
    created = dt.datetime.fromtimestamp(record.created_at, dt.UTC)
    return {
        "id": record.local_id,
        "apixo_task_id": record.apixo_task_id,
        "created": created.isoformat(timespec="seconds"),
        "state": record.state.value,
        "model": record.model,
        "mode": record.mode,
        "type": record.generation_type,
        "aspect_ratio": record.aspect_ratio,
        "seed": record.input.get("seed"),
        "price": str(record.price),
        "prompt": record.prompt,
        "files": list(record.files),
        "rating": labels.rating,
        "favourite": labels.favourite,
        "tags": sorted(labels.tags),
        "note": labels.note,
    }
