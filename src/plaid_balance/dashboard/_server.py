"""Serves the dashboard app on a local server (``_local_server``), answering only to its own address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plaid_balance._local_server import LocalServer
from plaid_balance._loopback import is_loopback

__all__ = ["DashboardServer", "is_loopback"]


class DashboardServer(LocalServer):
    """``with DashboardServer(make_app, host, port) as server: ... server.base_url``; stops on leaving.

    ``make_app(hosts)`` gets the ``Host`` values the app may answer: the bound address, and ``localhost``
    too when that address is the loopback.
    """

    def __init__(self, make_app: Callable[[list[str]], Any], host: str = "127.0.0.1", port: int = 0) -> None:
        def app_for(bound_host: str, bound_port: int) -> Any:
            hosts = [f"{bound_host}:{bound_port}"]
            if is_loopback(bound_host):
                hosts.append(f"localhost:{bound_port}")
            return make_app(hosts)

        super().__init__(app_for, host, port, name="plaid-balance-dashboard")
