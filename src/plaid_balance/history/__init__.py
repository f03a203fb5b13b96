"""Balance history: snapshots of successful reports in SQLite or PostgreSQL, and the series built from them.

The names below are loaded on first use, so that ``plaid_balance.history.freshness`` (pure) can be
imported without SQLAlchemy. See docs/history.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaid_balance.history.store import (
        DB_ENV,
        HistoryError,
        HistoryStore,
        Recall,
        StoredSnapshot,
        default_db_url,
        open_store,
        token_fingerprint,
    )

__all__ = [
    "DB_ENV",
    "HistoryError",
    "HistoryStore",
    "Recall",
    "StoredSnapshot",
    "default_db_url",
    "open_store",
    "token_fingerprint",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("plaid_balance.history.store"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
