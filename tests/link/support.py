"""Helpers for the link tests: a stand-in Link script server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plaid_balance._local_server import bind

HERE = Path(__file__).parent


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run an ASGI app on 127.0.0.1 (random port) in a thread; yield its base URL. Plain uvicorn: this
    stands in for Plaid's CDN, not for one of our servers (``LocalServer`` puts the guard in front)."""
    import threading
    import time

    import uvicorn

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            time.sleep(0.02)  # uvicorn offers no event to wait on
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
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
