"""A web app served by uvicorn in a background thread, on a socket bound before the thread starts.

Binding first makes a taken port one ``OSError`` in the caller (not a log line in a thread), and lets the
app be built knowing the port it will answer on. Every app is served behind the one guard
(``_http_guard``: Host, token, headers). Used by the dashboard and the local Link page; uvicorn is
imported only when a server is made.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from plaid_balance._http_guard import Guard, HostRule

if TYPE_CHECKING:
    from starlette.types import ASGIApp


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


class LocalServer:
    """``with LocalServer(make_app, host, port, name=...) as server: ... server.base_url``; stops on leaving.

    ``make_app(host, port)`` builds the app once the socket is bound (``host`` as it goes in a URL, with
    brackets for IPv6). ``server.guard`` holds its token (``token``, or one generated) and mints sign-in
    links; ``open_paths`` need none. No access log: sign-in links carry one-time tokens.
    """

    def __init__(
        self,
        make_app: Callable[[str, int], ASGIApp | Any],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        name: str = "plaid-balance-server",
        token: str | None = None,
        open_paths: tuple[str, ...] = (),
        localhost: bool = True,
    ) -> None:
        import uvicorn

        self._socket = bind(host, port)
        try:
            address, self.port = self._socket.getsockname()[:2]
            self.host: str = f"[{address}]" if ":" in address else address
            self.guard = Guard(
                HostRule.bound(self.host, self.port, localhost=localhost), token=token, open_paths=open_paths
            )
            config = uvicorn.Config(
                self.guard.protect(make_app(self.host, self.port)),
                log_level="critical",
                access_log=False,
                lifespan="off",
                server_header=False,
                timeout_graceful_shutdown=2,
            )
        except BaseException:
            self._socket.close()
            raise
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=name, daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def sign_in_url(self, path: str = "/") -> str:
        """A link that signs one browser in, once (``?token=`` a new one-time token)."""
        return self.guard.sign_in_url(self.base_url, path)

    def wait_started(self, timeout: float = 10.0) -> bool:
        """True once uvicorn serves; False if it failed to start (its thread ended) or took too long."""
        deadline = time.monotonic() + timeout
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)  # uvicorn offers no event to wait on
        return bool(self._server.started)

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
