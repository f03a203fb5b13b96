"""The one-time local server that shows the Link page and receives its outcome.

Security model (docs/link.md and docs/security.md explain it for users):

* it binds 127.0.0.1 on a random free port behind the one guard (``_http_guard``): the Host must be
  exactly that address (421 otherwise: a DNS-rebinding page cannot reach it under another name), and
  every request needs the session cookie a one-time sign-in link gives (``server.sign_in_url()``; the
  browser is opened on a private file, never with the link on its command line);
* everything lives under one unguessable path (``/<path token>/``); any other path is a 404;
* results are accepted only as same-origin JSON POSTs (``Origin`` must be this server, ``Sec-Fetch-Site``
  when sent must be ``same-origin``) that carry the page's state token, compared in constant time;
* the first valid result wins; any later post, replayed or forged, is refused (409);
* bodies are capped (``MAX_BODY``) and parsed strictly (``outcome.parse_result``);
* every answer carries the page's strict Content-Security-Policy, and the guard adds ``no-store`` and
  ``no-referrer`` (the path token must not leak to Plaid's CDN through a Referer header).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from plaid_balance import _json_text as json_text
from plaid_balance._errors import InvalidValue
from plaid_balance._local_server import LocalServer
from plaid_balance._parse import parse_integer
from plaid_balance.link.outcome import LinkExit, LinkResult, parse_result
from plaid_balance.link.page import LinkScript, asset, content_security_policy, render_page

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp

MAX_BODY: Final = 64 * 1024
MAX_EVENTS: Final = 500  # Link sends a few dozen events per session; more is someone else
LOOPBACK: Final = "127.0.0.1"


@dataclass(slots=True)
class LinkSession:
    """The one-time secrets of one page and the single result it may deliver."""

    link_token: str = field(repr=False)
    update: bool = False
    path_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    state: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    on_event: Callable[[str, str | None], None] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    page_loaded: threading.Event = field(default_factory=threading.Event)
    # The command's final word for the page, once it has acted on the result: ("done" | "refused", text).
    conclusion: tuple[str, str] | None = None
    conclusion_seen: threading.Event = field(default_factory=threading.Event)
    _result: LinkResult | None = None
    _events: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_path(self) -> str:
        return f"/{self.path_token}/"

    @property
    def result(self) -> LinkResult | None:
        return self._result

    def state_matches(self, state: Any) -> bool:
        return isinstance(state, str) and secrets.compare_digest(state.encode(), self.state.encode())

    def deliver(self, result: LinkResult) -> bool:
        """Keep the first result; refuse every later one (a replay, or a second tab)."""
        with self._lock:
            if self._result is not None:
                return False
            self._result = result
        self.done.set()
        return True

    def conclude(self, state: str, message: str) -> None:
        """What the page shows once the command has acted on the result (it polls ``status``)."""
        self.conclusion = (state, message)

    def count_event(self) -> bool:
        with self._lock:
            self._events += 1
            return self._events <= MAX_EVENTS


def _headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def build_app(session: LinkSession, script: LinkScript, port_holder: list[int]) -> ASGIApp:
    """The Starlette app of the page; ``port_holder[0]`` is the bound port (known only after binding)."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    csp = content_security_policy(script)
    headers = _headers(csp)

    def own_host() -> str:
        return f"{LOOPBACK}:{port_holder[0]}"

    def check_common(request: Request) -> None:
        token = request.path_params.get("token", "")
        if not secrets.compare_digest(token.encode(), session.path_token.encode()):
            raise Refused(404, "not found")

    async def read_post(request: Request) -> dict[str, Any]:
        check_common(request)
        if request.headers.get("origin") != f"http://{own_host()}":
            raise Refused(403, "cross-origin post refused")
        if request.headers.get("sec-fetch-site", "same-origin") != "same-origin":
            raise Refused(403, "cross-site post refused")
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise Refused(415, "JSON only")
        try:  # ASCII digits only: "²" passes str.isdigit(), and int("²") raises
            declared = parse_integer(request.headers.get("content-length", "0"), minimum=0)
        except InvalidValue:
            raise Refused(400, "Content-Length is not a number") from None
        if declared > MAX_BODY:
            raise Refused(413, "body too large")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise Refused(413, "body too large")
        try:
            payload = json_text.loads(body)
        except (ValueError, RecursionError):
            raise Refused(400, "body is not JSON") from None
        if not isinstance(payload, dict):
            raise Refused(400, "body is not a JSON object")
        if not session.state_matches(payload.get("state")):
            raise Refused(403, "wrong state token")
        return payload

    def refused(exc: Refused) -> Response:
        return PlainTextResponse(exc.reason, status_code=exc.status, headers=headers)

    async def page(request: Request) -> Response:
        try:
            check_common(request)
        except Refused as exc:
            return refused(exc)
        if session.done.is_set():
            return PlainTextResponse(
                "This link session is over; run the command again.", 410, headers=headers
            )
        session.page_loaded.set()
        html = render_page(
            link_token=session.link_token,
            state=session.state,
            script=script,
            update=session.update,
            base_path=session.base_path,
        )
        return Response(html, media_type="text/html; charset=utf-8", headers=headers)

    def static(name: str, media_type: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                check_common(request)
            except Refused as exc:
                return refused(exc)
            return Response(asset(name), media_type=media_type, headers=headers)

        return endpoint

    async def result(request: Request) -> Response:
        try:
            payload = await read_post(request)
            try:
                outcome = parse_result(payload)
            except ValueError as exc:
                raise Refused(400, f"malformed result: {exc}") from None
            if not session.deliver(outcome):
                raise Refused(409, "this link session already has its result")
        except Refused as exc:
            return refused(exc)
        return JSONResponse({"ok": True}, headers=headers)

    async def event(request: Request) -> Response:
        try:
            payload = await read_post(request)
        except Refused as exc:
            return refused(exc)
        name, institution = payload.get("event"), payload.get("institution")
        if (
            isinstance(name, str)
            and len(name) <= 64
            and session.count_event()
            and session.on_event is not None
            and not session.done.is_set()
        ):
            session.on_event(
                name, institution if isinstance(institution, str) and len(institution) <= 200 else None
            )
        if name == "LOAD_FAILED":
            # Nothing will ever come from this page: end the wait now instead of at the timeout.
            session.deliver(
                LinkExit(
                    status="load_failed",
                    error_code="LINK_LOAD_FAILED",
                    error_message=f"the browser could not load Plaid Link from {script.url}",
                )
            )
        return JSONResponse({"ok": True}, headers=headers)

    async def status(request: Request) -> Response:
        """The command's final word on the result the page sent: pending until it has acted on it."""
        try:
            check_common(request)
        except Refused as exc:
            return refused(exc)
        conclusion = session.conclusion
        if conclusion is None:
            return JSONResponse({"state": "pending"}, headers=headers)
        session.conclusion_seen.set()
        return JSONResponse({"state": conclusion[0], "message": conclusion[1]}, headers=headers)

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("not found", status_code=404, headers=headers)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("method not allowed", status_code=405, headers=headers)

    app = Starlette(
        routes=[
            Route("/{token}/", page, methods=["GET"]),
            Route("/{token}/link.js", static("link.js", "text/javascript; charset=utf-8"), methods=["GET"]),
            Route("/{token}/link.css", static("link.css", "text/css; charset=utf-8"), methods=["GET"]),
            Route("/{token}/result", result, methods=["POST"]),
            Route("/{token}/event", event, methods=["POST"]),
            Route("/{token}/status", status, methods=["GET"]),
        ],
        exception_handlers={404: not_found, 405: not_allowed},
    )
    app.router.redirect_slashes = False  # a redirect would reveal that a path exists
    return app


class LocalLinkServer(LocalServer):
    """Serves one ``LinkSession`` on 127.0.0.1 (a random free port) in a background thread until ``close()``.

    >>> with LocalLinkServer(session, LinkScript.for_base_url(base_url)) as server:   # doctest: +SKIP
    ...     open_page(server.page_url())
    """

    def __init__(self, session: LinkSession, script: LinkScript) -> None:
        self.session = session
        super().__init__(
            lambda _host, port: build_app(session, script, [port]),
            LOOPBACK,
            0,
            name="plaid-balance-link",
            localhost=False,  # the page's posts must come from http://127.0.0.1:PORT exactly
        )

    def page_url(self) -> str:
        """A new one-time link to the page: it signs one browser in, once."""
        return self.sign_in_url(self.session.base_path)
