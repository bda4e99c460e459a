"""Batches: many requests from a file (or N variations of one), sent safely and restartably.

One module per job:

- :mod:`.items`: one request of a batch (:class:`BatchItem`) and what a batch costs;
- :mod:`.parsing`: ``.csv`` / ``.jsonl`` files, every row validated before anything is sent;
- :mod:`.variations`: N copies of one request that differ only in their seeds;
- :mod:`.journal`: the small JSON file that is a batch's durable memory;
- :mod:`.progress`: each item's state, the progress snapshot, the result;
- :mod:`.reconcile`: the journal matched with the task rows on resuming;
- :mod:`.pacing`: how many at once, and the pauses after rate limits;
- :mod:`.runner`: :class:`BatchRunner`, which submits the items through the engine.

The names below are the package's interface; import them from ``veo_desktop.core.batch``.
"""

from veo_desktop.core.batch.items import BatchItem, payload_key, total_price
from veo_desktop.core.batch.journal import (
    JOURNAL_DIR_NAME,
    JOURNAL_KIND,
    JOURNAL_VERSION,
    BatchJournal,
    BatchJournalError,
    JournalEntry,
    batch_key,
    journal_dir,
    journal_path,
    unfinished_journals,
)
from veo_desktop.core.batch.pacing import BatchBackoff
from veo_desktop.core.batch.parsing import (
    CLI_TYPES,
    BatchFileError,
    BatchProblem,
    parse_batch_file,
    parse_batch_text,
)
from veo_desktop.core.batch.progress import BatchProgress, BatchResult, ItemState, ItemStatus
from veo_desktop.core.batch.reconcile import unsent_indexes
from veo_desktop.core.batch.runner import BatchBusyError, BatchRunner, OnBatchProgress
from veo_desktop.core.batch.variations import (
    MAX_VARIATIONS,
    MIN_VARIATIONS,
    variation_requests,
)

__all__ = [
    "CLI_TYPES",
    "JOURNAL_DIR_NAME",
    "JOURNAL_KIND",
    "JOURNAL_VERSION",
    "MAX_VARIATIONS",
    "MIN_VARIATIONS",
    "BatchBackoff",
    "BatchBusyError",
    "BatchFileError",
    "BatchItem",
    "BatchJournal",
    "BatchJournalError",
    "BatchProblem",
    "BatchProgress",
    "BatchResult",
    "BatchRunner",
    "ItemState",
    "ItemStatus",
    "JournalEntry",
    "OnBatchProgress",
    "batch_key",
    "journal_dir",
    "journal_path",
    "parse_batch_file",
    "parse_batch_text",
    "payload_key",
    "total_price",
    "unfinished_journals",
    "unsent_indexes",
    "variation_requests",
]
