"""Starlette app: the emulated Plaid endpoints plus the admin API under /__emulator/."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from plaid_balance.emulator.config import EmulatorConfig, FaultKind
from plaid_balance.emulator.core import EmulatorCore
from plaid_balance.emulator.errors import PlaidAPIError, is_known_error_code, new_request_id
from plaid_balance.emulator.sandbox_data import (
    BALANCE_BANK_ID,
    CAPITAL_ONE_ID,
    DEFAULT_INSTITUTION_ID,
    INSTITUTIONS,
)
from plaid_balance.emulator.state import Item, format_datetime, money_to_json, utc_now

ADMIN_PREFIX = "/__emulator"
_CREDENTIAL_FIELDS = ("client_id", "secret")
_PRODUCTS = frozenset(
    [
        "assets",
        "auth",
        "balance",
        "balance_plus",
        "beacon",
        "identity",
        "identity_match",
        "investments",
        "investments_auth",
        "liabilities",
        "payment_initiation",
        "identity_verification",
        "transactions",
        "credit_details",
        "income",
        "income_verification",
        "standing_orders",
        "transfer",
        "employment",
        "recurring_transactions",
        "transactions_refresh",
        "signal",
        "statements",
        "processor_payments",
        "processor_identity",
        "profile",
        "cra_base_report",
        "cra_income_insights",
        "cra_partner_insights",
        "cra_network_insights",
        "cra_cashflow_insights",
        "cra_monitoring",
        "cra_lend_score",
        "cra_plaid_credit_score",
        "layer",
        "pay_by_bank",
        "protect_linked_bank",
        "protect_transactions",
    ]
)
_COUNTRY_CODES = frozenset(
    [
        "US",
        "GB",
        "ES",
        "NL",
        "FR",
        "IE",
        "CA",
        "DE",
        "IT",
        "PL",
        "DK",
        "NO",
        "SE",
        "EE",
        "LT",
        "LV",
        "PT",
        "BE",
        "AT",
        "FI",
    ]
)
_MALFORMED_BODY = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


class ConnectionDropped(Exception):
    """Raised after the response headers went out, so uvicorn aborts the connection mid-response."""


class _DropLogFilter(logging.Filter):
    # uvicorn logs every exception escaping the app; a deliberate drop is not an error worth a traceback.
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


_drop_filter = _DropLogFilter()


def install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if _drop_filter not in logger.filters:
        logger.addFilter(_drop_filter)


class DroppedResponse(Response):
    """Sends the status line and headers (with the full Content-Length) and then aborts."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        raise ConnectionDropped


def _json_default(value: object) -> Any:
    if isinstance(value, Decimal):
        return money_to_json(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dump_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, default=_json_default, separators=(",", ":")).encode()


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(dump_json(body), status_code=status, media_type="application/json")


@dataclass
class Call:
    request: Request
    path: str
    request_id: str
    client_id: str
    body: dict[str, Any]
    options: dict[str, Any]
    # Transport-level fault to apply to whatever response the handler produces.
    transport_fault: str | None = None
    hang_seconds: float = 0.0
    # Injected latency is the whole time the emulator takes to answer (like a bank's), not added on top
    # of its own processing: the answer leaves at this loop time, however long building it took.
    respond_at: float | None = None
    arrived_at: float = field(default_factory=lambda: asyncio.get_running_loop().time())
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[["PlaidApp", Call], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Endpoint:
    path: str
    handler: Handler
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    string_fields: tuple[str, ...] = ()


def _missing(fields: list[str]) -> PlaidAPIError:
    return PlaidAPIError("MISSING_FIELDS", fields=", ".join(fields))


def _invalid_field(detail: str) -> PlaidAPIError:
    return PlaidAPIError("INVALID_FIELD", detail=detail)


def _parse_datetime_field(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise _invalid_field(f"{name} must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid_field(f"{name} must be an ISO 8601 date-time string") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _account_ids_option(options: dict[str, Any]) -> list[str] | None:
    ids = options.get("account_ids")
    if ids is None:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _invalid_field("options.account_ids must be a list of strings")
    # An empty list is read like the documented default (null): every account.
    return ids or None


def _select_accounts(item: Item, account_ids: list[str] | None) -> list[int]:
    if account_ids is None:
        return list(range(len(item.accounts)))
    by_id = {a.account_id: i for i, a in enumerate(item.accounts)}
    if any(aid not in by_id for aid in account_ids):
        raise PlaidAPIError("INVALID_ACCOUNT_ID")
    seen: list[int] = []
    for aid in account_ids:
        if by_id[aid] not in seen:
            seen.append(by_id[aid])
    return sorted(seen)


class PlaidApp:
    def __init__(self, core: EmulatorCore) -> None:
        self.core = core
        self.config = core.config
        self.state = core.state

    # -- shared request pipeline ----------------------------------------------------------------------------

    async def dispatch(self, endpoint: Endpoint, request: Request) -> Response:
        request_id = new_request_id()
        self.core.record_request(endpoint.path)
        call: Call | None = None
        try:
            call = await self._parse(endpoint, request, request_id)
            body = await endpoint.handler(self, call)
            body["request_id"] = request_id
            status, payload, error_code = 200, dump_json(body), None
        except PlaidAPIError as exc:
            status, payload, error_code = exc.status, dump_json(exc.body(request_id)), exc.error_code
        if call is not None and call.respond_at is not None:
            await asyncio.sleep(max(0.0, call.respond_at - asyncio.get_running_loop().time()))
        fault = call.transport_fault if call is not None else None
        if fault == FaultKind.HANG:
            await self._hang(request, call.hang_seconds if call is not None else 0.0)
        elif fault == FaultKind.DROP:
            return DroppedResponse(payload, status_code=status, media_type="application/json")
        elif fault == FaultKind.MALFORMED:
            status, payload, error_code = 200, _MALFORMED_BODY, None
        elif fault == FaultKind.TRUNCATED:
            status, payload, error_code = 200, payload[: max(1, len(payload) // 2)], None
        self.core.record_response(status, error_code)
        return Response(payload, status_code=status, media_type="application/json")

    async def _hang(self, request: Request, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline and not self.core.stopping.is_set():
            if await request.is_disconnected():
                return
            await asyncio.sleep(min(0.05, max(0.0, deadline - loop.time())))

    async def _parse(self, endpoint: Endpoint, request: Request, request_id: str) -> Call:
        raw = await request.body()
        try:
            body = json.loads(raw, parse_float=Decimal) if raw.strip() else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise PlaidAPIError("INVALID_BODY")
        allowed = {*_CREDENTIAL_FIELDS, *endpoint.required, *endpoint.optional}
        if endpoint.options:
            allowed.add("options")
        unknown = sorted(k for k in body if k not in allowed)
        options = body.get("options")
        if options is None:
            options = {}
        elif not isinstance(options, dict):
            raise _invalid_field("options must be an object")
        unknown += sorted(f"options.{k}" for k in options if k not in endpoint.options)
        if unknown:
            raise PlaidAPIError("UNKNOWN_FIELDS", fields=", ".join(unknown))
        # Credentials may come in the body or in the PLAID-CLIENT-ID / PLAID-SECRET headers.
        client_id = body.get("client_id") or request.headers.get("plaid-client-id")
        secret = body.get("secret") or request.headers.get("plaid-secret")
        missing = [name for name, v in (("client_id", client_id), ("secret", secret)) if not v]
        missing += [f for f in endpoint.required if body.get(f) is None]
        if missing:
            raise _missing(missing)
        for name in endpoint.string_fields:
            value = body.get(name)
            if value is not None and (not isinstance(value, str) or not value):
                raise _invalid_field(f"{name} must be a properly formatted, non-empty string")
        if client_id != self.config.client_id or secret != self.config.secret:
            raise PlaidAPIError("INVALID_API_KEYS")
        return Call(request, endpoint.path, request_id, str(client_id), body, options)

    def _item(self, call: Call) -> Item:
        """Look up the Item, enforce rate limits and pick the call's fault (in that order)."""
        try:
            item = self.state.item_for_token(call.body["access_token"])
        except PlaidAPIError:
            self.core.admit(call.path, call.client_id, None)
            raise
        self.core.admit(call.path, call.client_id, item)
        return item

    async def _apply_faults(self, call: Call, item: Item | None) -> None:
        decision = self.core.decide_fault(call.path, item)
        if decision is None:
            return
        if decision.delay_seconds > 0:
            call.respond_at = call.arrived_at + decision.delay_seconds
        fault = decision.fault
        if fault is None:
            return
        if fault == FaultKind.ERROR:
            raise PlaidAPIError("INTERNAL_SERVER_ERROR")
        if fault == FaultKind.INSTITUTION_NOT_RESPONDING:
            raise PlaidAPIError("INSTITUTION_NOT_RESPONDING")
        if is_known_error_code(fault):
            raise PlaidAPIError(fault)
        call.transport_fault = fault
        call.hang_seconds = decision.hang_seconds

    # -- Plaid endpoints ------------------------------------------------------------------------------------

    async def sandbox_public_token_create(self, call: Call) -> dict[str, Any]:
        body = call.body
        institution_id = body["institution_id"]
        products = body["initial_products"]
        if not isinstance(products, list) or not products or not all(isinstance(p, str) for p in products):
            raise _invalid_field("initial_products must be a non-empty list of products")
        if "balance" in products:
            raise PlaidAPIError(
                "INVALID_PRODUCT",
                detail="balance is not a valid product for initial_products; use another product such as "
                "transactions or auth (balance is available on any Item)",
            )
        unknown = [p for p in products if p not in _PRODUCTS]
        if unknown:
            raise PlaidAPIError("INVALID_PRODUCT", detail=f"invalid products: {', '.join(unknown)}")
        options = call.options
        username = options.get("override_username") or "user_good"
        password = options.get("override_password") or "pass_good"
        webhook = options.get("webhook")
        if not isinstance(username, str) or not isinstance(password, str):
            raise _invalid_field("override_username and override_password must be strings")
        if webhook is not None and not isinstance(webhook, str):
            raise _invalid_field("options.webhook must be a string")
        item = self.state.build_item(
            institution_id=institution_id,
            username=username,
            password=password,
            products=products,
            webhook=webhook,
        )
        return {"public_token": self.state.create_public_token(item)}

    async def item_public_token_exchange(self, call: Call) -> dict[str, Any]:
        item = self.state.exchange_public_token(call.body["public_token"])
        return {"access_token": item.access_token, "item_id": item.item_id}

    async def accounts_get(self, call: Call) -> dict[str, Any]:
        item = self._item(call)
        await self._apply_faults(call, item)
        if item.error_code is not None:
            raise PlaidAPIError(item.error_code)
        indexes = _select_accounts(item, _account_ids_option(call.options))
        # Cached balances: stored timestamps only, never "now".
        accounts = [item.accounts[i].to_json(last_updated=item.last_updated[i]) for i in indexes]
        return {"accounts": accounts, "item": item.to_json(call.request_id, with_error=False)}

    async def accounts_balance_get(self, call: Call) -> dict[str, Any]:
        item = self._item(call)
        await self._apply_faults(call, item)
        if item.error_code is not None:
            raise PlaidAPIError(item.error_code)
        options = call.options
        indexes = _select_accounts(item, _account_ids_option(options))
        floor_raw = options.get("min_last_updated_datetime")
        floor = (
            None
            if floor_raw is None
            else _parse_datetime_field(floor_raw, "options.min_last_updated_datetime")
        )
        now = utc_now()
        stamps: dict[int, datetime | None] = {}
        checked: list[int] = []
        if item.institution_id == CAPITAL_ONE_ID:
            # Capital One refreshes depository balances in real time but serves stored ones for the rest.
            non_depository = [i for i in indexes if item.accounts[i].spec.type != "depository"]
            if non_depository and floor is None:
                raise _invalid_field(
                    "options.min_last_updated_datetime is required for non-depository accounts at "
                    "ins_128026 (Capital One), which does not provide real-time balances for them"
                )
            for i in indexes:
                stamps[i] = item.last_updated[i] if i in non_depository else now
            checked = non_depository
        elif item.institution_id == BALANCE_BANK_ID:
            stamps = {i: item.last_updated[i] for i in indexes}
            checked = indexes if floor is not None else []
        else:
            # Everywhere else the floor is ignored; stamps only exist for user_custom configs that set them.
            stamps = {i: item.last_updated[i] for i in indexes}
        if floor is not None:
            stale = [stamps[i] for i in checked if (stamps[i] or now) < floor]
            if stale:
                # Report the oldest of the stale balances, so retrying with it as the floor succeeds.
                oldest = min(s for s in stale if s is not None)
                raise PlaidAPIError("LAST_UPDATED_DATETIME_OUT_OF_RANGE", datetime=format_datetime(oldest))
        accounts = [item.accounts[i].to_json(last_updated=stamps[i]) for i in indexes]
        return {"accounts": accounts, "item": item.to_json(call.request_id, with_error=False)}

    async def item_get(self, call: Call) -> dict[str, Any]:
        item = self._item(call)
        await self._apply_faults(call, item)
        body = item.to_json(call.request_id, with_error=True)
        body["created_at"] = format_datetime(item.created_at)
        body["consented_products"] = body["billed_products"]
        status = {
            "transactions": {
                "last_successful_update": format_datetime(item.created_at),
                "last_failed_update": None,
            },
            "last_webhook": None,
        }
        return {"item": body, "status": status}

    async def item_remove(self, call: Call) -> dict[str, Any]:
        item = self._item(call)
        await self._apply_faults(call, item)
        reason = call.body.get("reason_code")
        if reason is not None and reason not in {
            "FRAUD_FIRST_PARTY",
            "FRAUD_FALSE_IDENTITY",
            "FRAUD_ABUSE",
            "FRAUD_OTHER",
            "CONNECTION_IS_NON_FUNCTIONAL",
            "OTHER",
        }:
            raise _invalid_field("reason_code is not a valid reason code")
        self.state.remove(item)
        return {}

    async def sandbox_item_reset_login(self, call: Call) -> dict[str, Any]:
        item = self._item(call)
        self.state.set_error(item, "ITEM_LOGIN_REQUIRED")
        return {"reset_login": True}

    async def institutions_get_by_id(self, call: Call) -> dict[str, Any]:
        self.core.admit(call.path, call.client_id, None)
        await self._apply_faults(call, None)
        countries = call.body["country_codes"]
        if not isinstance(countries, list) or not all(isinstance(c, str) for c in countries):
            raise _invalid_field("country_codes must be a list of country codes")
        bad = [c for c in countries if c not in _COUNTRY_CODES]
        if bad:
            raise _invalid_field(f"invalid country_codes: {', '.join(bad)}")
        institution = INSTITUTIONS.get(call.body["institution_id"])
        if institution is None or not set(institution.country_codes) & set(countries):
            raise PlaidAPIError("INVALID_INSTITUTION")
        options = call.options
        return {
            "institution": institution.to_json(
                include_optional_metadata=bool(options.get("include_optional_metadata")),
                include_status=bool(options.get("include_status")),
            )
        }

    # -- admin API ------------------------------------------------------------------------------------------

    async def admin_stats(self, request: Request) -> Response:
        return json_response(self.core.stats_snapshot())

    async def admin_health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    async def _admin_body(self, request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        return body

    async def admin_reset(self, request: Request) -> Response:
        try:
            body = await self._admin_body(request)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        self.core.reset_stats()
        if body.get("items"):
            self.state.clear()
        return json_response({"reset": True, "items_cleared": bool(body.get("items"))})

    async def admin_create_items(self, request: Request) -> Response:
        try:
            body = await self._admin_body(request)
            count = body.get("count", 1)
            if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 1_000_000:
                raise ValueError("count must be an integer between 0 and 1000000")
            pairs = self.core.create_items(
                count,
                institution_id=body.get("institution_id", DEFAULT_INSTITUTION_ID),
                username=body.get("username", "user_good"),
                password=body.get("password", "pass_good"),
                products=body.get("products", ["transactions"]),
            )
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        except PlaidAPIError as exc:
            return json_response({"error": str(exc), "error_code": exc.error_code}, 400)
        return json_response({"items": [{"access_token": t, "item_id": i} for t, i in pairs]})

    async def admin_item_faults(self, request: Request) -> Response:
        item_id = request.path_params["item_id"]
        try:
            body = await self._admin_body(request)
            fail_next = body.pop("fail_next", None)
            clear = bool(body.pop("clear", False))
            if body.pop("reset_login", False):
                self.core.reset_login(item_id)
            result = self.core.set_item_faults(item_id, fail_next=fail_next, clear=clear, **body)
        except KeyError:
            return json_response({"error": f"no Item {item_id}"}, 404)
        except (ValueError, ValidationError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(result)

    async def not_found(self, request: Request) -> Response:
        request_id = new_request_id()
        error = PlaidAPIError("NOT_FOUND")
        self.core.record_response(error.status, error.error_code)
        return json_response(error.body(request_id), error.status)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "/sandbox/public_token/create",
        PlaidApp.sandbox_public_token_create,
        required=("institution_id", "initial_products"),
        optional=("user_token", "user_id"),
        options=("webhook", "override_username", "override_password", "transactions", "statements",
                 "income_verification"),
        string_fields=("institution_id",),
    ),
    Endpoint(
        "/item/public_token/exchange",
        PlaidApp.item_public_token_exchange,
        required=("public_token",),
        string_fields=("public_token",),
    ),
    Endpoint(
        "/accounts/balance/get",
        PlaidApp.accounts_balance_get,
        required=("access_token",),
        options=("account_ids", "min_last_updated_datetime"),
        string_fields=("access_token",),
    ),
    Endpoint(
        "/accounts/get",
        PlaidApp.accounts_get,
        required=("access_token",),
        options=("account_ids",),
        string_fields=("access_token",),
    ),
    Endpoint("/item/get", PlaidApp.item_get, required=("access_token",), string_fields=("access_token",)),
    Endpoint(
        "/item/remove",
        PlaidApp.item_remove,
        required=("access_token",),
        optional=("reason_code", "reason_note"),
        string_fields=("access_token",),
    ),
    Endpoint(
        "/sandbox/item/reset_login",
        PlaidApp.sandbox_item_reset_login,
        required=("access_token",),
        string_fields=("access_token",),
    ),
    Endpoint(
        "/institutions/get_by_id",
        PlaidApp.institutions_get_by_id,
        required=("institution_id", "country_codes"),
        options=("include_optional_metadata", "include_status", "include_auth_metadata",
                 "include_payment_initiation_metadata"),
        string_fields=("institution_id",),
    ),
)  # fmt: skip


def create_app(config: EmulatorConfig | EmulatorCore | None = None) -> Starlette:
    """Build the ASGI app. Pass an EmulatorCore to share state with in-process helpers."""
    core = config if isinstance(config, EmulatorCore) else EmulatorCore(config)
    plaid = PlaidApp(core)

    def route_for(endpoint: Endpoint) -> Route:
        async def handle(request: Request) -> Response:
            return await plaid.dispatch(endpoint, request)

        return Route(endpoint.path, handle, methods=["POST"])

    routes = [route_for(e) for e in ENDPOINTS]
    routes += [
        Route(f"{ADMIN_PREFIX}/stats", plaid.admin_stats, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/health", plaid.admin_health, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/reset", plaid.admin_reset, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/items", plaid.admin_create_items, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/items/{{item_id}}/faults", plaid.admin_item_faults, methods=["POST"]),
        # Anything else, including a known path with the wrong method, gets Plaid's 404 body.
        Route("/{path:path}", plaid.not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
    ]
    app = Starlette(routes=routes)
    app.state.core = core
    return app
