"""Balance history: snapshots of successful reports in SQLite or PostgreSQL, and the series built from them.

The names below are loaded on first use, so that ``plaid_balance.history.freshness`` (pure) can be
imported without SQLAlchemy. See docs/history.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaid_balance._errors import DatabaseNotFound, HistoryError
    from plaid_balance.history._engine import DB_ENV, default_db_url
    from plaid_balance.history.recall import Recall, fetch_or_recall
    from plaid_balance.history.series import History, build_history, load_history
    from plaid_balance.history.store import HistoryStore, StoredSnapshot, open_store, token_fingerprint

_HOMES = {
    "DB_ENV": "_engine",
    "DatabaseNotFound": "_engine",
    "HistoryError": "_engine",
    "default_db_url": "_engine",
    "Recall": "recall",
    "fetch_or_recall": "recall",
    "History": "series",
    "build_history": "series",
    "load_history": "series",
    "HistoryStore": "store",
    "StoredSnapshot": "store",
    "open_store": "store",
    "token_fingerprint": "store",
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
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"plaid_balance.history.{home}"), name)
