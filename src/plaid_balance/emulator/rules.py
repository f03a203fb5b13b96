"""What each emulated endpoint does: Plaid's behaviour, institution rules included (Capital One).

Rules take a parsed request model and a CallContext, read and change the core's state, and return the
response body (without request_id) or raise PlaidAPIError. They know nothing about HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from plaid_balance.emulator.core import CallContext, EmulatorCore
from plaid_balance.emulator.errors import PlaidAPIError
from plaid_balance.emulator.item_events import DEFAULT_TYPE, FIRE_PAIRS
from plaid_balance.emulator.link import FILTER_TYPES, LANGUAGES, LinkToken, new_link_token, session_json
from plaid_balance.emulator.requests import (
    AccessTokenRequest,
    AccountsGetRequest,
    BalanceGetRequest,
    FireWebhookRequest,
    InstitutionGetByIdRequest,
    InstitutionsGetOptions,
    InstitutionsGetRequest,
    InstitutionsSearchRequest,
    ItemImportRequest,
    ItemRemoveRequest,
    ItemWebhookUpdateRequest,
    LinkTokenCreateRequest,
    LinkTokenGetRequest,
    PublicTokenExchangeRequest,
    SandboxPublicTokenCreateRequest,
    WebhookVerificationKeyGetRequest,
)
from plaid_balance.emulator.sandbox_data import (
    ACCOUNT_SUBTYPES,
    BALANCE_BANK_ID,
    CAPITAL_ONE_ID,
    COUNTRY_CODES,
    DEFAULT_INSTITUTION_ID,
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

    def item_import(self, call: CallContext, request: ItemImportRequest) -> dict[str, Any]:
        """An Item straight from credentials: user_auth.user_id and auth_token are read as the Sandbox
        username and password (user_good / pass_good, user_custom, error_<CODE>)."""
        if not request.products:
            raise invalid_field("products must be a non-empty list of products")
        unknown = [p for p in request.products if p not in PRODUCTS]
        if unknown:
            raise PlaidAPIError("INVALID_PRODUCT", detail=f"invalid products: {', '.join(unknown)}")
        options = request.options
        if options is not None and options.webhook is not None and not _http_url(options.webhook):
            raise invalid_field("options.webhook must be an http or https URL")
        item = self.state.build_item(
            institution_id=request.institution_id or DEFAULT_INSTITUTION_ID,
            username=request.user_auth.user_id,
            password=request.user_auth.auth_token,
            # balance is billed per call and never listed among an Item's products.
            products=[p for p in request.products if p != "balance"] or ["transactions"],
            webhook=options.webhook if options else None,
        )
        self.state.register(item)
        return {"access_token": item.access_token}

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

    def sandbox_item_fire_webhook(self, call: CallContext, request: FireWebhookRequest) -> dict[str, Any]:
        item = self.core.item_for_call(call, request.access_token)
        code = request.webhook_code
        webhook_type = request.webhook_type or DEFAULT_TYPE.get(code, "")
        if (webhook_type, code) not in FIRE_PAIRS:
            codes = sorted({c for t, c in FIRE_PAIRS if t == webhook_type}) if request.webhook_type else []
            raise invalid_field(
                f"webhook_type {webhook_type} takes webhook_code {', '.join(codes)}"
                if codes
                else f"webhook_type/webhook_code {request.webhook_type or '(omitted)'}/{code} cannot be "
                "fired in the Sandbox"
            )
        if not item.webhook:
            raise PlaidAPIError("SANDBOX_WEBHOOK_INVALID")
        # A URL off the machine is accepted (as Plaid accepts any URL) but only logged as not sent.
        self.core.fire_webhook(item, webhook_type, code)
        return {"webhook_fired": True}

    def webhook_verification_key_get(
        self, call: CallContext, request: WebhookVerificationKeyGetRequest
    ) -> dict[str, Any]:
        key = self.core.webhooks.key(request.key_id)
        if key is None:
            raise PlaidAPIError("INVALID_WEBHOOK_VERIFICATION_KEY_ID")
        return {"key": key.jwk()}

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
        self.core.record_billed(item)
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

    def institutions_get(self, call: CallContext, request: InstitutionsGetRequest) -> dict[str, Any]:
        """Plaid's directory, a page at a time, in the emulator's fixed order."""
        self.core.admit(call.path, call.client_id, None)
        self.core.apply_faults(call, None)
        if not request.country_codes:
            raise invalid_field("country_codes must list at least one country")
        check_country_codes(request.country_codes)
        options = request.options or InstitutionsGetOptions()
        if options.products:
            check_products(options.products, "options.products")
        countries = set(request.country_codes)
        routing = set(options.routing_numbers or ())
        found = [
            ins
            for ins in INSTITUTIONS.values()
            if countries & set(ins.country_codes)
            and (not options.products or set(options.products) <= set(ins.products))
            and (options.oauth is None or ins.oauth == options.oauth)
            and (not routing or routing & set(ins.routing_numbers))
        ]
        page = found[request.offset : request.offset + request.count]
        metadata = bool(options.include_optional_metadata)
        return {
            "institutions": [
                ins.to_json(include_optional_metadata=metadata, include_status=False) for ins in page
            ],
            "total": len(found),
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

    # -- Link tokens ----------------------------------------------------------------------------------------

    def link_token_create(self, call: CallContext, request: LinkTokenCreateRequest) -> dict[str, Any]:
        if request.user is None and not request.user_token and not request.user_id:
            raise PlaidAPIError("MISSING_FIELDS", fields="user")
        if request.language not in LANGUAGES:
            raise invalid_field(f"language must be one of {', '.join(sorted(LANGUAGES))}")
        if not request.country_codes:
            raise invalid_field("country_codes must list at least one country")
        check_country_codes(request.country_codes)
        self.core.admit(call.path, call.client_id, None)
        products = request.products or []
        update_item_id = None
        if request.access_token is not None:
            # Update mode: Plaid wants no products; the Item keeps its own.
            if products:
                raise invalid_field("products must be omitted when access_token is given (update mode)")
            item = self.state.item_for_token(request.access_token)
            update_item_id = item.item_id
            products = list(item.products)
        elif not products:
            raise PlaidAPIError("MISSING_FIELDS", fields="products")
        else:
            check_products(products, "products")
        for extra in (request.required_if_supported_products, request.optional_products,
                      request.additional_consented_products):  # fmt: skip
            if extra:
                check_products(extra, "the additional product lists")
        overlap = set(request.required_if_supported_products or ()) & set(products)
        if overlap and update_item_id is None:
            raise invalid_field("required_if_supported_products must not repeat a product from products")
        filters = self._account_filters(request)
        if request.redirect_uri is not None and not _https_or_loopback(request.redirect_uri):
            raise invalid_field("redirect_uri must be an https URI (or http on loopback for local testing)")
        if request.webhook is not None and not _http_url(request.webhook):
            raise invalid_field("webhook must be an http or https URL")
        now = self.core.clock.now()
        ttl = (
            self.core.config.update_link_token_ttl_seconds
            if update_item_id is not None
            else self.core.config.link_token_ttl_seconds
        )
        hosted = request.hosted_link
        token = LinkToken(
            link_token=new_link_token(),
            created_at=now,
            expiration=now + timedelta(seconds=ttl),
            client_name=request.client_name,
            language=request.language,
            country_codes=list(request.country_codes),
            products=products,
            webhook=request.webhook,
            account_filters=filters,
            redirect_uri=request.redirect_uri,
            hosted=hosted is not None,
            completion_redirect_uri=hosted.completion_redirect_uri if hosted is not None else None,
            update_item_id=update_item_id,
            account_selection_enabled=bool(request.update and request.update.account_selection_enabled),
        )
        with self.core.lock:
            self.core.link.add(token)
        body: dict[str, Any] = {
            "link_token": token.link_token,
            "expiration": format_datetime(token.expiration),
        }
        if token.hosted:
            body["hosted_link_url"] = f"{call.base_url}/link/hosted?{urlencode({'token': token.link_token})}"
        return body

    @staticmethod
    def _account_filters(request: LinkTokenCreateRequest) -> dict[str, list[str]] | None:
        filters = request.account_filters
        if filters is None:
            return None
        result: dict[str, list[str]] = {}
        for kind in FILTER_TYPES:
            entry = getattr(filters, kind)
            if entry is None:
                continue
            bad = [s for s in entry.account_subtypes if s != "all" and s not in ACCOUNT_SUBTYPES]
            if bad or not entry.account_subtypes:
                raise invalid_field(f"account_filters.{kind}.account_subtypes holds invalid subtypes: {bad}")
            result[kind] = list(entry.account_subtypes)
        return result

    def link_token_get(self, call: CallContext, request: LinkTokenGetRequest) -> dict[str, Any]:
        with self.core.lock:
            token = self.core.link.get(request.link_token)
            sessions = [session_json(s) for s in token.sessions.values()]
        return {
            "link_token": token.link_token,
            "created_at": format_datetime(token.created_at),
            "expiration": format_datetime(token.expiration),
            "metadata": token.metadata(),
            "link_sessions": sessions,
        }


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _https_or_loopback(value: str) -> bool:
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")
