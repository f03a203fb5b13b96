"""A local web dashboard over the history database: net worth, Items and their health, every account,
history charts, and the watch's alerts. Needs ``plaid-balance[web]``. See docs/dashboard.md."""

from __future__ import annotations

from typing import Any

from plaid_balance.dashboard._app import create_app
from plaid_balance.dashboard._data import DashboardData
from plaid_balance.storage.database import Database

__all__ = ["DashboardData", "create_app", "create_watch_app", "open_dashboard_data"]


def open_dashboard_data(db_url: str | None = None) -> DashboardData:
    """Read-only access to the history database at ``db_url`` (default: ``PLAID_BALANCE_DB`` or the
    default SQLite file). Raises ``DatabaseNotFound`` when there is none yet; creates nothing."""
    return DashboardData(Database.open(db_url, create=False))


def create_watch_app(view: Any) -> Any:
    """The dashboard mounted on the watch's port (at /dashboard): the watch's guard covers it (Host,
    token, sign-in link), and its alert page shows the running watch's alert history."""
    # The watch's history store (``view.history.store``) already holds its database open.
    database = getattr(getattr(getattr(view, "history", None), "store", None), "database", None)
    data = DashboardData(database) if database is not None else open_dashboard_data(None)
    return create_app(data, alerts=lambda: view.alert_history(200), root_path="/dashboard")
