"""Helpers for the link tests: a stand-in Link script server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plaid_balance._local_server import LocalServer

HERE = Path(__file__).parent


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run an ASGI app on 127.0.0.1 (random port) in a thread; yield its base URL."""
    with LocalServer(lambda _host, _port: app, name="fake-plaid") as server:
        yield server.base_url


def fake_plaid_app() -> Starlette:
    """Serves ``fake_link.js`` where Plaid (and the emulator) serve Link's script."""
    script = (HERE / "fake_link.js").read_bytes()

    async def link_script(request: Request) -> Response:
        return Response(script, media_type="text/javascript")

    return Starlette(routes=[Route("/link/v2/stable/link-initialize.js", link_script)])
