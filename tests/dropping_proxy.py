"""A local HTTP proxy in front of the emulator that loses chosen calls, as a bad network does.

Per path it can forward (the default), ``drop_answer`` (forward, let the emulator act, then cut the
connection so the answer never arrives) or ``drop_request`` (cut the connection before anything is
forwarded: Plaid never hears of the call). A ``_once`` mode does so to the next call only, then
forwards. ``hold_answer`` forwards and then keeps the answer until ``release`` is set (``holding`` is
set meanwhile): the moment to kill a client whose call Plaid has already acted on. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import httpx

Mode = Literal[
    "forward", "drop_answer", "drop_request", "drop_answer_once", "drop_request_once", "hold_answer"
]
_HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


class DroppingProxy:
    """``modes[path]`` decides each call's fate; ``seen`` lists (path, mode) in arrival order."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.modes: dict[str, Mode] = {}
        self.seen: list[tuple[str, Mode]] = []
        self.base_url = ""
        self.holding = threading.Event()
        self.release = threading.Event()


@contextmanager
def dropping_proxy(upstream: str) -> Iterator[DroppingProxy]:
    proxy = DroppingProxy(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            mode = proxy.modes.get(self.path, "forward")
            proxy.seen.append((self.path, mode))
            if mode.endswith("_once"):
                proxy.modes[self.path] = "forward"
            if mode in ("drop_request", "drop_request_once"):
                self.close_connection = True
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
            answer = httpx.post(proxy.upstream + self.path, content=body, headers=headers, timeout=30)
            if mode == "hold_answer":
                proxy.holding.set()
                proxy.release.wait(60)
                self.close_connection = True
                return
            if mode in ("drop_answer", "drop_answer_once"):
                self.close_connection = True
                return
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    proxy.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
