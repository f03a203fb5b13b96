"""The emulator's Link in the browser: Plaid's script name, the Link UI page (iframe and Hosted Link), and the
JSON calls that page makes under /link/api/ (the emulator's own; Plaid's Link talks to Plaid privately too).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plaid_balance.emulator import jsonio
from plaid_balance.emulator.adapter import JSON, error_response, read_body
from plaid_balance.emulator.core import EmulatorCore
from plaid_balance.emulator.errors import PlaidAPIError
from plaid_balance.emulator.link_flow import LinkFlow
from plaid_balance.emulator.requests import ShortText, Text

SCRIPT_PATH = "/link/v2/stable/link-initialize.js"
UI_PATH = "/link/ui"
HOSTED_PATH = "/link/hosted"
_ASSETS = resources.files(__package__).joinpath("link_ui")
_STATIC = {"link-ui.js": "text/javascript; charset=utf-8", "link.css": "text/css; charset=utf-8"}
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
)
# The iframe is opened by local pages (plaid-balance's link page, a test page) on loopback, any port.
_IFRAME_ANCESTORS = "'self' http://127.0.0.1:* http://localhost:*"
_NO_STORE = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class OpenBody(msgspec.Struct, forbid_unknown_fields=True):
    link_token: Text


class SearchBody(msgspec.Struct, forbid_unknown_fields=True):
    link_token: Text
    link_session_id: Text
    query: ShortText = ""


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    link_token: Text
    link_session_id: Text
    username: ShortText
    password: ShortText
    institution_id: ShortText | None = None


class CompleteBody(msgspec.Struct, forbid_unknown_fields=True):
    link_token: Text
    link_session_id: Text
    account_ids: list[ShortText] | None = None


class ExitBody(msgspec.Struct, forbid_unknown_fields=True):
    link_token: Text
    link_session_id: Text


def _asset(name: str) -> bytes:
    return _ASSETS.joinpath(name).read_bytes()


class LinkPages:
    def __init__(self, core: EmulatorCore) -> None:
        self.core = core
        self.flow = LinkFlow(core)
        self._script = _asset("link-initialize.js")
        self._page = _asset("link.html")
        self._static = {name: _asset(name) for name in _STATIC}

    async def script(self, request: Request) -> Response:
        headers = {
            **_NO_STORE,
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        return Response(self._script, media_type="text/javascript; charset=utf-8", headers=headers)

    def _html(self, ancestors: str) -> Response:
        headers = {**_NO_STORE, "Content-Security-Policy": _CSP.format(ancestors=ancestors)}
        return Response(self._page, media_type="text/html; charset=utf-8", headers=headers)

    async def ui(self, request: Request) -> Response:
        return self._html(_IFRAME_ANCESTORS)

    async def hosted(self, request: Request) -> Response:
        return self._html("'none'")

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC:
            return error_response(PlaidAPIError("NOT_FOUND"))
        return Response(self._static[name], media_type=_STATIC[name], headers=_NO_STORE)

    async def _call(self, request: Request, model: type[Any]) -> Any:
        raw = await read_body(request, self.core.config.max_body_bytes)
        try:
            return msgspec.convert(jsonio.decode(raw, max_depth=self.core.config.max_json_depth), model)
        except (jsonio.JSONInputError, msgspec.ValidationError) as exc:
            raise PlaidAPIError("INVALID_BODY", f"invalid Link request: {exc}") from None

    async def api(self, request: Request) -> Response:
        action = request.path_params["action"]
        try:
            if action == "open":
                opened: OpenBody = await self._call(request, OpenBody)
                body = self.flow.open(opened.link_token)
            elif action == "search":
                searched: SearchBody = await self._call(request, SearchBody)
                body = self.flow.search(searched.link_token, searched.link_session_id, searched.query)
            elif action == "login":
                login: LoginBody = await self._call(request, LoginBody)
                body = self.flow.login(
                    login.link_token,
                    login.link_session_id,
                    login.institution_id,
                    login.username,
                    login.password,
                )
            elif action == "complete":
                done: CompleteBody = await self._call(request, CompleteBody)
                body = self.flow.complete(done.link_token, done.link_session_id, done.account_ids)
            elif action == "exit":
                left: ExitBody = await self._call(request, ExitBody)
                body = self.flow.exit(left.link_token, left.link_session_id)
            else:
                raise PlaidAPIError("NOT_FOUND")
        except PlaidAPIError as exc:
            return error_response(exc)
        return Response(jsonio.encode(body), media_type=JSON, headers=_NO_STORE)

    def routes(self) -> list[Route]:
        return [
            Route(SCRIPT_PATH, self.script, methods=["GET"]),
            Route(UI_PATH, self.ui, methods=["GET"]),
            Route(HOSTED_PATH, self.hosted, methods=["GET"]),
            Route("/link/static/{name}", self.static, methods=["GET"]),
            Route("/link/api/{action}", self.api, methods=["POST"]),
        ]
