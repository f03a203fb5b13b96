"""What each emulated endpoint does: Plaid's behaviour, institution rules included (Capital One).

Rules take a parsed request model and a CallContext, read and change the core's state, and return the
response body (without request_id) or raise PlaidAPIError. They know nothing about HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from plaid_balance.emulator.core import CallContext, EmulatorCore
from plaid_balance.emulator.errors import PlaidAPIError
from plaid_balance.emulator.requests import (
    AccessTokenRequest,
    AccountsGetRequest,
    BalanceGetRequest,
    InstitutionGetByIdRequest,
    InstitutionsSearchRequest,
    ItemRemoveRequest,
    ItemWebhookUpdateRequest,
    PublicTokenExchangeRequest,
    SandboxPublicTokenCreateRequest,
)
from plaid_balance.emulator.sandbox_data import (
    BALANCE_BANK_ID,
    CAPITAL_ONE_ID,
    COUNTRY_CODES,
    INSTITUTIONS,
    PRODUCTS,
    search_institutions,
)
from plaid_balance.emulator.state import Item, format_datetime

_REMOVE_REASONS = frozenset(
    {
        "FRAUD_FIRST_PARTY",
        "FRAUD_FALSE_IDENTITY",
        "FRAUD_ABUSE",
        "FRAUD_OTHER",
        "CONNECTION_IS_NON_FUNCTIONAL",
        "OTHER",
    }
)
_MAX_SEARCH_RESULTS = 500


def invalid_field(detail: str) -> PlaidAPIError:
    return PlaidAPIError("INVALID_FIELD", detail=detail)


def parse_datetime_field(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_field(f"{name} must be an ISO 8601 date-time string") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def check_products(products: list[str], field: str) -> None:
    if "balance" in products:
        raise PlaidAPIError(
            "INVALID_PRODUCT",
            detail=f"balance is not a valid product for {field}; use another product such as "
            "transactions or auth (balance is available on any Item)",
        )
    unknown = [p for p in products if p not in PRODUCTS]
    if unknown:
        raise PlaidAPIError("INVALID_PRODUCT", detail=f"invalid products: {', '.join(unknown)}")


def check_country_codes(countries: list[str]) -> None:
    bad = [c for c in countries if c not in COUNTRY_CODES]
    if bad:
        raise invalid_field(f"invalid country_codes: {', '.join(bad)}")


def select_accounts(item: Item, account_ids: list[str] | None) -> list[int]:
    # An empty list is read like the documented default (null): every account.
    if not account_ids:
        return list(range(len(item.accounts)))
    by_id = {a.account_id: i for i, a in enumerate(item.accounts)}
    if any(aid not in by_id for aid in account_ids):
        raise PlaidAPIError("INVALID_ACCOUNT_ID")
    return sorted({by_id[aid] for aid in account_ids})


class PlaidRules:
    def __init__(self, core: EmulatorCore) -> None:
        self.core = core
        self.state = core.state

    # -- Items ----------------------------------------------------------------------------------------------

    def sandbox_public_token_create(
        self, call: CallContext, request: SandboxPublicTokenCreateRequest
    ) -> dict[str, Any]:
        if not request.initial_products:
            raise invalid_field("initial_products must be a non-empty list of products")
        check_products(request.initial_products, "initial_products")
        options = request.options
        item = self.state.build_item(
            institution_id=request.institution_id,
            username=(options.override_username if options else None) or "user_good",
            password=(options.override_password if options else None) or "pass_good",
            products=request.initial_products,
            webhook=options.webhook if options else None,
        )
        return {"public_token": self.state.create_public_token(item)}

    def item_public_token_exchange(
        self, call: CallContext, request: PublicTokenExchangeRequest
    ) -> dict[str, Any]:
        item = self.state.exchange_public_token(request.public_token)
        return {"access_token": item.access_token, "item_id": item.item_id}

    def item_get(self, call: CallContext, request: AccessTokenRequest) -> dict[str, Any]:
        item = self.core.item_for_call(call, request.access_token)
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

    def item_remove(self, call: CallContext, request: ItemRemoveRequest) -> dict[str, Any]:
        item = self.core.item_for_call(call, request.access_token)
        if request.reason_code is not None and request.reason_code not in _REMOVE_REASONS:
            raise invalid_field("reason_code is not a valid reason code")
        self.state.remove(item)
        return {}

    def item_access_token_invalidate(self, call: CallContext, request: AccessTokenRequest) -> dict[str, Any]:
        item = self.core.item_for_call(call, request.access_token)
        return {"new_access_token": self.state.rotate_access_token(item)}

    def item_webhook_update(self, call: CallContext, request: ItemWebhookUpdateRequest) -> dict[str, Any]:
        item = self.core.item_for_call(call, request.access_token)
        self.core.set_webhook(item, request.webhook)
        return {"item": item.to_json(call.request_id, with_error=True)}

    def sandbox_item_reset_login(self, call: CallContext, request: AccessTokenRequest) -> dict[str, Any]:
        item = self.core.item_for_call(call, request.access_token)
        self.core.reset_login(item.item_id)
        return {"reset_login": True}

    # -- balances -------------------------------------------------------------------------------------------

    def accounts_get(self, call: CallContext, request: AccountsGetRequest) -> dict[str, Any]:
        item = self.core.item_for_call(call, request.access_token)
        if item.error_code is not None:
            raise PlaidAPIError(item.error_code)
        indexes = select_accounts(item, request.options.account_ids if request.options else None)
        # Cached balances: stored timestamps only, never "now".
        accounts = [item.accounts[i].to_json(last_updated=item.last_updated[i]) for i in indexes]
        return {"accounts": accounts, "item": item.to_json(call.request_id, with_error=False)}

    def accounts_balance_get(self, call: CallContext, request: BalanceGetRequest) -> dict[str, Any]:
        item = self.core.item_for_call(call, request.access_token)
        if item.error_code is not None:
            raise PlaidAPIError(item.error_code)
        options = request.options
        indexes = select_accounts(item, options.account_ids if options else None)
        floor_raw = options.min_last_updated_datetime if options else None
        floor = (
            None
            if floor_raw is None
            else parse_datetime_field(floor_raw, "options.min_last_updated_datetime")
        )
        now = self.core.clock.now()
        stamps: dict[int, datetime | None] = {}
        checked: list[int] = []
        if item.institution_id == CAPITAL_ONE_ID:
            # Capital One refreshes depository balances in real time but serves stored ones for the rest.
            non_depository = [i for i in indexes if item.accounts[i].spec.type != "depository"]
            if non_depository and floor is None:
                raise invalid_field(
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

    # -- institutions ---------------------------------------------------------------------------------------

    def institutions_get_by_id(self, call: CallContext, request: InstitutionGetByIdRequest) -> dict[str, Any]:
        self.core.admit(call.path, call.client_id, None)
        self.core.apply_faults(call, None)
        check_country_codes(request.country_codes)
        institution = INSTITUTIONS.get(request.institution_id)
        if institution is None or not set(institution.country_codes) & set(request.country_codes):
            raise PlaidAPIError("INVALID_INSTITUTION")
        options = request.options
        return {
            "institution": institution.to_json(
                include_optional_metadata=bool(options and options.include_optional_metadata),
                include_status=bool(options and options.include_status),
            )
        }

    def institutions_search(self, call: CallContext, request: InstitutionsSearchRequest) -> dict[str, Any]:
        self.core.admit(call.path, call.client_id, None)
        self.core.apply_faults(call, None)
        check_country_codes(request.country_codes)
        if request.products:
            check_products(request.products, "products")
        options = request.options
        found = [
            ins
            for ins in search_institutions(request.query, set(request.country_codes), _MAX_SEARCH_RESULTS, 0)
            if (not request.products or set(request.products) <= set(ins.products))
            and (options is None or options.oauth is None or ins.oauth == options.oauth)
        ]
        metadata = bool(options and options.include_optional_metadata)
        return {
            "institutions": [
                ins.to_json(include_optional_metadata=metadata, include_status=False) for ins in found
            ]
        }
