"""Balance history: snapshots of successful reports in SQLite or PostgreSQL, and the series built from them.

The names below are loaded on first use, so that ``plaid_balance.history.freshness`` (pure) can be
imported without SQLAlchemy. See docs/history.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaid_balance._errors import DatabaseNotFound, HistoryError
    from plaid_balance.history.recall import Recall, fetch_or_recall
    from plaid_balance.history.series import History, build_history, load_history
    from plaid_balance.history.store import HistoryStore, StoredSnapshot, open_store, token_fingerprint
    from plaid_balance.storage.engine import DB_ENV, default_db_url

# public name -> (module that defines it, its name there)
_HOMES = {
    "DB_ENV": ("plaid_balance.storage.engine", "DB_ENV"),
    "default_db_url": ("plaid_balance.storage.engine", "default_db_url"),
    "DatabaseNotFound": ("plaid_balance._errors", "DatabaseNotFound"),
    "HistoryError": ("plaid_balance._errors", "HistoryError"),
    "Recall": ("plaid_balance.history.recall", "Recall"),
    "fetch_or_recall": ("plaid_balance.history.recall", "fetch_or_recall"),
    "History": ("plaid_balance.history.series", "History"),
    "build_history": ("plaid_balance.history.series", "build_history"),
    "load_history": ("plaid_balance.history.series", "load_history"),
    "HistoryStore": ("plaid_balance.history.store", "HistoryStore"),
    "StoredSnapshot": ("plaid_balance.history.store", "StoredSnapshot"),
    "open_store": ("plaid_balance.history.store", "open_store"),
    "token_fingerprint": ("plaid_balance.history.store", "token_fingerprint"),
}
__all__ = [
    "DB_ENV",
    "DatabaseNotFound",
    "History",
    "HistoryError",
    "HistoryStore",
    "Recall",
    "StoredSnapshot",
    "build_history",
    "default_db_url",
    "fetch_or_recall",
    "load_history",
    "open_store",
    "token_fingerprint",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _HOMES[name]
    return getattr(importlib.import_module(module), attribute)
