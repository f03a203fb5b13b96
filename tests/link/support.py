"""Helpers for the link tests: a stand-in Link script server and a headless Chromium."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run an ASGI app on 127.0.0.1 (random port) in a thread; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def fake_plaid_app() -> Starlette:
    """Serves ``fake_link.js`` where Plaid (and the emulator) serve Link's script."""
    script = (HERE / "fake_link.js").read_bytes()

    async def link_script(request: Request) -> Response:
        return Response(script, media_type="text/javascript")

    return Starlette(routes=[Route("/link/v2/stable/link-initialize.js", link_script)])
