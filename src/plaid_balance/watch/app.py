"""The watch's HTTP side (Starlette): Plaid's webhooks, /metrics, /status, /alerts, /healthz, and the
dashboard when one is mounted.

Everything but the webhook endpoint (which Plaid cannot authenticate to: its JWT is the proof) and
/healthz needs ``Authorization: Bearer <token>`` when a token is set; a token is required to listen
beyond loopback, since balances are private.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

    from plaid_balance.watch.service import Watch

MAX_WEBHOOK_BYTES: Final = 64 * 1024
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class WatchView(Protocol):
    """What a mounted app (the dashboard) may read from the running watch."""

    def status(self) -> dict[str, Any]: ...
    def alert_history(self, limit: int = 100) -> list[Any]: ...


# The dashboard as the watch mounts it: ``plaid_balance.dashboard.create_watch_app``, which the command
# line passes in when plaid-balance[web] is installed (the watch never imports the dashboard itself).
DashboardFactory = Callable[[WatchView], "ASGIApp"]


def _authorised(headers: Any, token: str | None) -> bool:
    if token is None:
        return True
    given = headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


class _RequireToken:
    """ASGI middleware for mounted apps: the same bearer token as /metrics."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.datastructures import Headers
        from starlette.responses import JSONResponse

        if scope["type"] == "http" and not _authorised(Headers(scope=scope), self.token):
            await JSONResponse({"error": "unauthorised"}, 401, headers={"WWW-Authenticate": "Bearer"})(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)


def _declared_length(request: Request) -> int | None:
    """The Content-Length as a number (0 when absent); None when it is not one (ASCII digits only)."""
    from plaid_balance._errors import InvalidValue
    from plaid_balance._parse import parse_integer

    try:
        return parse_integer(request.headers.get("content-length", "0"), minimum=0)
    except InvalidValue:
        return None


def create_app(
    watch: Watch,
    *,
    token: str | None,
    webhook_path: str,
    metrics: bool = True,
    mounts: Sequence[tuple[str, ASGIApp]] = (),
) -> Starlette:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    def deny() -> Response:
        return JSONResponse(
            {"error": "unauthorised"}, 401, headers={"WWW-Authenticate": "Bearer", **SECURITY_HEADERS}
        )

    async def webhook(request: Request) -> Response:
        declared = _declared_length(request)
        if declared is None or declared > MAX_WEBHOOK_BYTES:
            return JSONResponse({"error": "too large"}, 413, headers=SECURITY_HEADERS)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_WEBHOOK_BYTES:
                return JSONResponse({"error": "too large"}, 413, headers=SECURITY_HEADERS)
        answer = await watch.handle_webhook(request.headers, body)
        return JSONResponse(answer.body, answer.status, headers=SECURITY_HEADERS)

    async def metrics_endpoint(request: Request) -> Response:
        from starlette.responses import Response as PlainResponse

        if not _authorised(request.headers, token):
            return deny()
        payload, content_type = watch.metrics.exposition()
        return PlainResponse(payload, headers={"Content-Type": content_type, **SECURITY_HEADERS})

    async def status(request: Request) -> Response:
        if not _authorised(request.headers, token):
            return deny()
        return JSONResponse(watch.status(), headers=SECURITY_HEADERS)

    async def alerts(request: Request) -> Response:
        import asyncio

        if not _authorised(request.headers, token):
            return deny()
        from plaid_balance._errors import InvalidValue
        from plaid_balance._parse import parse_integer

        try:  # ASCII digits only: "²" and "٣" pass str.isdigit(), and int("²") raises
            limit = parse_integer(request.query_params.get("limit", "100"), minimum=0, maximum=10**6)
        except InvalidValue as exc:
            return JSONResponse({"error": f"limit: {exc}"}, 400, headers=SECURITY_HEADERS)
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
            ],
            headers=SECURITY_HEADERS,
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True}, headers=SECURITY_HEADERS)

    routes: list[Any] = [
        Route(webhook_path, webhook, methods=["POST"]),
        Route("/status", status, methods=["GET"]),
        Route("/alerts", alerts, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    if metrics:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    routes += [Mount(path, app=_RequireToken(app, token)) for path, app in mounts]
    return Starlette(routes=routes)
