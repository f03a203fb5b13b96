"""Helpers for the link tests: a stand-in Link script server and a headless Chromium."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uuid
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tests.plaid_fakes import account, balance_body

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


class FakePlaid:
    """Just enough of Plaid for ``link`` with the stand-in Link script: tokens, exchange, accounts, hosted.

    ``hosted_results`` maps a link token to the ``link_sessions`` that ``/link/token/get`` returns, so a
    test plays the user of Hosted Link by filling it in.
    """

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.exchanged: list[str] = []
        self.removed: list[str] = []
        self.hosted_sessions: dict[str, list[dict[str, Any]]] = {}

    def app(self) -> Starlette:
        script = (HERE / "fake_link.js").read_bytes()

        async def link_script(request: Request) -> Response:
            return Response(script, media_type="text/javascript")

        async def link_token_create(request: Request) -> JSONResponse:
            body = await request.json()
            self.created.append(body)
            token = f"link-sandbox-{uuid.uuid4()}"
            answer: dict[str, Any] = {
                "link_token": token,
                "expiration": "2030-01-01T00:00:00Z",
                "request_id": "r",
            }
            if "hosted_link" in body:
                answer["hosted_link_url"] = f"{request.base_url}link/hosted?token={token}"
                self.hosted_sessions[token] = []
            return JSONResponse(answer)

        async def link_token_get(request: Request) -> JSONResponse:
            token = (await request.json())["link_token"]
            return JSONResponse(
                {
                    "link_token": token,
                    "created_at": "2030-01-01T00:00:00Z",
                    "expiration": "2030-01-01T04:00:00Z",
                    "link_sessions": self.hosted_sessions.get(token, []),
                    "metadata": {},
                    "request_id": "r",
                }
            )

        async def exchange(request: Request) -> JSONResponse:
            public_token = (await request.json())["public_token"]
            self.exchanged.append(public_token)
            suffix = public_token.rsplit("-", 1)[-1]
            return JSONResponse(
                {"access_token": f"access-sandbox-{suffix}", "item_id": f"item-{suffix}", "request_id": "r"}
            )

        async def accounts_get(request: Request) -> JSONResponse:
            token = (await request.json())["access_token"]
            body = balance_body(account("acc-1"), account("acc-2", name="Plaid Saving", subtype="savings"))
            body["item"]["item_id"] = "item-" + token.rsplit("-", 1)[-1]
            body["item"]["institution_name"] = "First Platypus Bank"
            return JSONResponse(body)

        async def item_remove(request: Request) -> JSONResponse:
            self.removed.append((await request.json())["access_token"])
            return JSONResponse({"request_id": "r"})

        return Starlette(
            routes=[
                Route("/link/v2/stable/link-initialize.js", link_script),
                Route("/link/token/create", link_token_create, methods=["POST"]),
                Route("/link/token/get", link_token_get, methods=["POST"]),
                Route("/item/public_token/exchange", exchange, methods=["POST"]),
                Route("/accounts/get", accounts_get, methods=["POST"]),
                Route("/item/remove", item_remove, methods=["POST"]),
            ]
        )


def fake_plaid_app() -> Starlette:
    """Serves ``fake_link.js`` where the emulator serves Link's script (and a little of Plaid's API)."""
    return FakePlaid().app()
