"""The admin API under /__emulator/: knobs for tests and benchmarks (create Items, queue faults, read stats).

Errors are Plaid-shaped like everywhere else in the emulator. Bodies are bounded like Plaid calls.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from plaid_balance.emulator import jsonio
from plaid_balance.emulator.adapter import JSON, error_response, read_body
from plaid_balance.emulator.core import EmulatorCore
from plaid_balance.emulator.errors import PlaidAPIError
from plaid_balance.emulator.item_events import FIRE_PAIRS
from plaid_balance.emulator.sandbox_data import DEFAULT_INSTITUTION_ID

ADMIN_PREFIX = "/__emulator"
MAX_ADMIN_ITEMS = 1_000_000


class CreateItems(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    count: int = 1
    institution_id: str = DEFAULT_INSTITUTION_ID
    username: str = "user_good"
    password: str | dict[str, Any] = "pass_good"  # noqa: S105 - Sandbox test credential
    products: list[str] = msgspec.field(default_factory=lambda: ["transactions"])
    webhook: str | None = None
    # Accounts with exact balances (see accounts.py); replaces username/password when given.
    accounts: list[dict[str, Any]] | None = None


class EventBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: str
    webhook_type: str = "ITEM"
    reason: str | None = None


class ResetBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    items: bool = False


def _ok(body: dict[str, Any]) -> Response:
    return Response(jsonio.encode(body), media_type=JSON)


def _invalid(detail: str) -> PlaidAPIError:
    return PlaidAPIError("INVALID_FIELD", detail=detail)


class AdminAPI:
    def __init__(self, core: EmulatorCore) -> None:
        self.core = core

    async def _body(self, request: Request) -> dict[str, Any]:
        raw = await read_body(request, self.core.config.max_body_bytes)
        if not raw.strip():
            return {}
        try:
            body = jsonio.decode(raw, max_depth=self.core.config.max_json_depth)
        except jsonio.JSONInputError as exc:
            raise PlaidAPIError("INVALID_BODY", f"body could not be parsed as JSON: {exc}") from None
        if not isinstance(body, dict):
            raise PlaidAPIError("INVALID_BODY", "body must be a JSON object")
        return body

    async def _typed(self, request: Request, model: type[Any]) -> Any:
        try:
            return msgspec.convert(await self._body(request), model)
        except msgspec.ValidationError as exc:
            raise _invalid(str(exc)) from None

    async def stats(self, request: Request) -> Response:
        return _ok(self.core.stats_snapshot())

    async def health(self, request: Request) -> Response:
        return _ok({"status": "ok"})

    async def reset(self, request: Request) -> Response:
        try:
            body: ResetBody = await self._typed(request, ResetBody)
        except PlaidAPIError as exc:
            return error_response(exc)
        self.core.reset_stats()
        if body.items:
            self.core.state.clear()
        return _ok({"reset": True, "items_cleared": body.items})

    async def create_items(self, request: Request) -> Response:
        try:
            body: CreateItems = await self._typed(request, CreateItems)
            if not 0 <= body.count <= MAX_ADMIN_ITEMS:
                raise _invalid(f"count must be an integer between 0 and {MAX_ADMIN_ITEMS}")
            if body.accounts is not None:
                if body.count != 1:
                    raise _invalid("accounts makes one Item: leave count at 1")
                pairs = [
                    self.core.create_item_with_accounts(
                        body.accounts, body.institution_id, products=body.products, webhook=body.webhook
                    )
                ]
            elif body.count == 1:
                pairs = [
                    self.core.create_item(
                        body.institution_id,
                        body.username,
                        body.password,
                        products=body.products,
                        webhook=body.webhook,
                    )
                ]
            else:
                pairs = self.core.create_items(
                    body.count, body.institution_id, body.username, body.password, products=body.products
                )
        except PlaidAPIError as exc:
            return error_response(exc)
        items: list[dict[str, Any]] = [{"access_token": t, "item_id": i} for t, i in pairs]
        if len(items) == 1:
            # One Item (the usual test case): its account ids too, so a test can name its accounts.
            items[0]["account_ids"] = self._account_ids(items[0]["item_id"])
        return _ok({"items": items})

    def _account_ids(self, item_id: str) -> list[str]:
        return [a.account_id for a in self.core.state.find_item(item_id).accounts]

    async def item_faults(self, request: Request) -> Response:
        item_id = request.path_params["item_id"]
        try:
            body = await self._body(request)
            fail_next = body.pop("fail_next", None)
            clear = body.pop("clear", False)
            reset_login = body.pop("reset_login", False)
            if fail_next is not None and (
                not isinstance(fail_next, list) or not all(isinstance(f, str) for f in fail_next)
            ):
                raise _invalid("fail_next must be a list of fault names")
            if not isinstance(clear, bool) or not isinstance(reset_login, bool):
                raise _invalid("clear and reset_login must be true or false")
            if reset_login:
                self.core.reset_login(item_id)
            result = self.core.set_item_faults(item_id, fail_next=fail_next, clear=clear, **body)
        except KeyError:
            return error_response(PlaidAPIError("INVALID_FIELD", f"no Item {item_id}", status=404))
        except ValueError as exc:
            return error_response(_invalid(str(exc)))
        except PlaidAPIError as exc:
            return error_response(exc)
        return _ok(result)

    async def item_event(self, request: Request) -> Response:
        """Send one webhook for an Item, as /sandbox/item/fire_webhook would (ITEM ones change its state)."""
        item_id = request.path_params["item_id"]
        try:
            body: EventBody = await self._typed(request, EventBody)
            if (body.webhook_type, body.code) not in FIRE_PAIRS:
                pairs = ", ".join(f"{t}/{c}" for t, c in FIRE_PAIRS)
                raise _invalid(f"webhook_type/code must be one of {pairs}")
            if body.reason not in (None, "INSTITUTION_MIGRATION", "INSTITUTION_TOKEN_EXPIRATION"):
                raise _invalid("reason must be INSTITUTION_MIGRATION or INSTITUTION_TOKEN_EXPIRATION")
            sent = self.core.fire_webhook(item_id, body.webhook_type, body.code, reason=body.reason)
        except KeyError:
            return error_response(PlaidAPIError("INVALID_FIELD", f"no Item {item_id}", status=404))
        except PlaidAPIError as exc:
            return error_response(exc)
        return _ok({"webhook": sent})

    async def billing(self, request: Request) -> Response:
        """What Plaid would have billed: successful balance calls, in total and per Item."""
        return _ok(self.core.billing())

    async def webhooks(self, request: Request) -> Response:
        """Webhooks sent so far (oldest first, the last 1000), with the receiver's status or the error."""
        return _ok({"deliveries": self.core.webhooks.log()})

    async def rotate_webhook_key(self, request: Request) -> Response:
        old = self.core.webhooks.current_key.kid
        new = self.core.webhooks.rotate_key()
        return _ok({"expired_kid": old, "kid": new.kid})
