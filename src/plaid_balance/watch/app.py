"""The watch's HTTP side (Starlette): Plaid's webhooks, /metrics, /status, /alerts, /healthz, and the
dashboard when one is mounted.

The whole app is served behind the one guard (``_http_guard``): the Host must name the watch's address,
and everything needs the bearer token or a signed-in browser's cookie, but the webhook endpoint (which
Plaid cannot authenticate to: its JWT is the proof) and /healthz. docs/security.md has the rule.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

from plaid_balance._errors import InvalidValue
from plaid_balance._http_guard import Guard, HostRule
from plaid_balance._parse import parse_integer

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp

    from plaid_balance.watch.service import Watch

MAX_WEBHOOK_BYTES: Final = 64 * 1024
HEALTHZ: Final = "/healthz"


class WatchView(Protocol):
    """What a mounted app (the dashboard) may read from the running watch."""

    def status(self) -> dict[str, Any]: ...
    def alert_history(self, limit: int = 100) -> list[Any]: ...


# The dashboard as the watch mounts it: ``plaid_balance.dashboard.create_watch_app``, which the command
# line passes in when plaid-balance[web] is installed (the watch never imports the dashboard itself).
DashboardFactory = Callable[[WatchView], "ASGIApp"]


def watch_guard(hosts: HostRule, *, token: str | None, webhook_path: str) -> Guard:
    """The watch's guard: /healthz and the webhook endpoint open, everything else behind the token."""
    return Guard(hosts, token=token, open_paths=(HEALTHZ, webhook_path))


def _declared_length(request: Request) -> int | None:
    """The Content-Length as a number (0 when absent); None when it is not one (ASCII digits only)."""
    try:
        return parse_integer(request.headers.get("content-length", "0"), minimum=0)
    except InvalidValue:
        return None


def create_app(
    watch: Watch,
    *,
    guard: Guard,
    webhook_path: str,
    metrics: bool = True,
    mounts: Sequence[tuple[str, ASGIApp]] = (),
) -> ASGIApp:
    """The watch's app (and ``mounts``) behind ``guard`` (made by ``watch_guard``)."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    async def webhook(request: Request) -> Response:
        declared = _declared_length(request)
        if declared is None or declared > MAX_WEBHOOK_BYTES:
            return JSONResponse({"error": "too large"}, 413)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_WEBHOOK_BYTES:
                return JSONResponse({"error": "too large"}, 413)
        answer = await watch.handle_webhook(request.headers, body)
        return JSONResponse(answer.body, answer.status)

    async def metrics_endpoint(request: Request) -> Response:
        from starlette.responses import Response as PlainResponse

        payload, content_type = watch.metrics.exposition()
        return PlainResponse(payload, headers={"Content-Type": content_type})

    async def status(request: Request) -> Response:
        return JSONResponse(watch.status())

    async def alerts(request: Request) -> Response:
        try:  # ASCII digits only: "²" and "٣" pass str.isdigit(), and int("²") raises
            limit = parse_integer(request.query_params.get("limit", "100"), minimum=0, maximum=10**6)
        except InvalidValue as exc:
            return JSONResponse({"error": f"limit: {exc}"}, 400)
        events = await asyncio.to_thread(watch.alert_history, min(limit, 1000))
        return JSONResponse(
            [
                {
                    "at": e.at.isoformat().replace("+00:00", "Z"),
                    "rule": e.rule,
                    "subject": e.subject,
                    "kind": e.kind,
                    "title": e.title,
                    "message": e.message,
                }
                for e in events
            ]
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    routes: list[Any] = [
        Route(webhook_path, webhook, methods=["POST"]),
        Route("/status", status, methods=["GET"]),
        Route("/alerts", alerts, methods=["GET"]),
        Route(HEALTHZ, healthz, methods=["GET"]),
    ]
    if metrics:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    routes += [Mount(path, app=app) for path, app in mounts]
    return guard.protect(Starlette(routes=routes))
