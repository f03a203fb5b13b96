"""Balances for many Items at once, within Plaid's rate limits (see docs/batch.md).

>>> from plaid_balance.batch import BatchClient, BatchOptions, open_items      # doctest: +SKIP
>>> async with BatchClient(BatchOptions(concurrency=25)) as batch:
...     async with await open_items("items.csv") as items, batch.run(items) as run:
...         async for result in run:
...             ...
...     summary = run.summary
"""

from plaid_balance._errors import BatchOptionsError, ItemsFileError
from plaid_balance._items_file import (
    INPUT_FORMATS,
    BatchItem,
    InputError,
    InputFormat,
    ItemEntry,
    ItemsReader,
    open_items,
    parse_items,
)
from plaid_balance.batch._client import (
    DEFAULT_CONCURRENCY,
    BatchClient,
    BatchOptions,
    OnResult,
    run_batch_sync,
)
from plaid_balance.batch._engine import BatchRun, ReportHistory
from plaid_balance.batch._limits import DOCUMENTED_LIMITS, EndpointLimits, documented_limits
from plaid_balance.batch._results import BatchSummary, ItemResult

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DOCUMENTED_LIMITS",
    "INPUT_FORMATS",
    "BatchClient",
    "BatchItem",
    "BatchOptions",
    "BatchOptionsError",
    "BatchRun",
    "BatchSummary",
    "EndpointLimits",
    "InputError",
    "InputFormat",
    "ItemEntry",
    "ItemResult",
    "ItemsFileError",
    "ItemsReader",
    "OnResult",
    "ReportHistory",
    "documented_limits",
    "open_items",
    "parse_items",
    "run_batch_sync",
]
