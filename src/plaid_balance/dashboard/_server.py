"""Serves the dashboard app on a local server (``_local_server``), behind the one guard (``_http_guard``)."""

from __future__ import annotations

from typing import Any

from plaid_balance._local_server import LocalServer
from plaid_balance._loopback import is_loopback

__all__ = ["DashboardServer", "is_loopback"]


class DashboardServer(LocalServer):
    """``with DashboardServer(app, host, port, token=...) as server: ... server.sign_in_url()``; stops on
    leaving. ``token`` is the bearer token for scripts (None: one is generated and never shown)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, *, token: str | None = None) -> None:
        super().__init__(lambda _host, _port: app, host, port, name="plaid-balance-dashboard", token=token)
