"""The Starlette app: which path runs which rule with which request model, plus the admin API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plaid_balance.emulator import requests as rq
from plaid_balance.emulator.adapter import Endpoint, PlaidAdapter, install_log_filter
from plaid_balance.emulator.admin import ADMIN_PREFIX, AdminAPI
from plaid_balance.emulator.config import EmulatorConfig
from plaid_balance.emulator.core import EmulatorCore
from plaid_balance.emulator.link_pages import LinkPages
from plaid_balance.emulator.rules import PlaidRules

__all__ = ["ADMIN_PREFIX", "create_app", "endpoints", "install_log_filter"]


def endpoints(rules: PlaidRules) -> tuple[Endpoint, ...]:
    return (
        Endpoint("/sandbox/public_token/create", rq.SandboxPublicTokenCreateRequest, rules.sandbox_public_token_create),
        Endpoint("/item/public_token/exchange", rq.PublicTokenExchangeRequest, rules.item_public_token_exchange),
        Endpoint("/accounts/balance/get", rq.BalanceGetRequest, rules.accounts_balance_get),
        Endpoint("/accounts/get", rq.AccountsGetRequest, rules.accounts_get),
        Endpoint("/item/get", rq.AccessTokenRequest, rules.item_get),
        Endpoint("/item/remove", rq.ItemRemoveRequest, rules.item_remove),
        Endpoint("/item/access_token/invalidate", rq.AccessTokenRequest, rules.item_access_token_invalidate),
        Endpoint("/item/webhook/update", rq.ItemWebhookUpdateRequest, rules.item_webhook_update),
        Endpoint("/sandbox/item/reset_login", rq.AccessTokenRequest, rules.sandbox_item_reset_login),
        Endpoint("/sandbox/item/fire_webhook", rq.FireWebhookRequest, rules.sandbox_item_fire_webhook),
        Endpoint("/webhook_verification_key/get", rq.WebhookVerificationKeyGetRequest,
                 rules.webhook_verification_key_get),
        Endpoint("/institutions/get_by_id", rq.InstitutionGetByIdRequest, rules.institutions_get_by_id),
        Endpoint("/institutions/get", rq.InstitutionsGetRequest, rules.institutions_get),
        Endpoint("/item/import", rq.ItemImportRequest, rules.item_import),
        Endpoint("/institutions/search", rq.InstitutionsSearchRequest, rules.institutions_search),
        Endpoint("/link/token/create", rq.LinkTokenCreateRequest, rules.link_token_create),
        Endpoint("/link/token/get", rq.LinkTokenGetRequest, rules.link_token_get),
    )  # fmt: skip


def create_app(config: EmulatorConfig | EmulatorCore | None = None) -> Starlette:
    """Build the ASGI app. Pass an EmulatorCore to share state (and its clock) with in-process helpers."""
    core = config if isinstance(config, EmulatorCore) else EmulatorCore(config)
    adapter = PlaidAdapter(core)
    admin = AdminAPI(core)

    def route_for(endpoint: Endpoint) -> Route:
        async def handle(request: Request) -> Response:
            return await adapter.dispatch(endpoint, request)

        return Route(endpoint.path, handle, methods=["POST"])

    routes = [route_for(e) for e in endpoints(PlaidRules(core))]
    routes += LinkPages(core).routes()
    routes += [
        Route(f"{ADMIN_PREFIX}/stats", admin.stats, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/health", admin.health, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/reset", admin.reset, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/items", admin.create_items, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/items/{{item_id}}/faults", admin.item_faults, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/items/{{item_id}}/event", admin.item_event, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/webhooks", admin.webhooks, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/billing", admin.billing, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/webhook_key/rotate", admin.rotate_webhook_key, methods=["POST"]),
        # Anything else, including a known path with the wrong method, gets Plaid's 404 body.
        Route("/{path:path}", adapter.not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
    ]
    app = Starlette(routes=routes, exception_handlers={Exception: adapter.server_error})
    app.state.core = core
    return app
