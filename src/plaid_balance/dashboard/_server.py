"""Serves the dashboard app with uvicorn in a background thread, on a socket bound before it starts."""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; ``OSError`` (address in use, unknown address) is the caller's one line."""
    bind_host = "127.0.0.1" if host == "localhost" else host.strip("[]")
    family = socket.AF_INET6 if ":" in bind_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((bind_host, port))
        sock.listen(64)
    except BaseException:
        sock.close()
        raise
    return sock


class DashboardServer:
    """``with DashboardServer(make_app, host, port) as server: ... server.url``; stops on leaving."""

    def __init__(self, make_app: Callable[[list[str]], Any], host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self._socket = bind(host, port)
        address, self.port = self._socket.getsockname()[:2]
        self.host = f"[{address}]" if ":" in address else address
        hosts = [f"{self.host}:{self.port}"]
        if is_loopback(address):
            hosts.append(f"localhost:{self.port}")
        config = uvicorn.Config(
            make_app(hosts),
            log_level="critical",
            access_log=False,  # a first request carries the login token in its query string
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="plaid-balance-dashboard",
            daemon=True,
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def wait_started(self, timeout: float = 10.0) -> bool:
        waited = 0.0
        while not self._server.started and waited < timeout and self._thread.is_alive():
            threading.Event().wait(0.02)
            waited += 0.02
        return bool(self._server.started)

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> DashboardServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
