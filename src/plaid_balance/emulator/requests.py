"""Declared request models of the emulated endpoints and the one parser that checks a body against them.

Each endpoint's body is a msgspec Struct. The parser turns every way a body can be wrong into Plaid's error:
not a JSON object → INVALID_BODY, fields the endpoint does not know → UNKNOWN_FIELDS, required fields absent
or null → MISSING_FIELDS, a value of the wrong type or shape → INVALID_FIELD.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, TypeVar, Union

import msgspec

from plaid_balance.emulator import jsonio
from plaid_balance.emulator.errors import PlaidAPIError

# Identifiers and tokens: present means non-empty.
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
ShortText = Annotated[str, msgspec.Meta(max_length=4096)]


class PlaidRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Credentials may also come in the PLAID-CLIENT-ID / PLAID-SECRET headers.
    client_id: ShortText | None = None
    secret: ShortText | None = None


class _Options(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


# -- Items and balances ----------------------------------------------------------------------------------------


class PublicTokenCreateOptions(_Options):
    webhook: ShortText | None = None
    override_username: ShortText | None = None
    override_password: Annotated[str, msgspec.Meta(max_length=256 * 1024)] | None = None
    transactions: Any = None
    statements: Any = None
    income_verification: Any = None


class SandboxPublicTokenCreateRequest(PlaidRequest):
    institution_id: Text
    initial_products: list[ShortText]
    options: PublicTokenCreateOptions | None = None
    user_token: ShortText | None = None
    user_id: ShortText | None = None


class PublicTokenExchangeRequest(PlaidRequest):
    public_token: Text


class AccountsGetOptions(_Options):
    account_ids: list[ShortText] | None = None


class AccountsGetRequest(PlaidRequest):
    access_token: Text
    options: AccountsGetOptions | None = None


class BalanceGetOptions(_Options):
    account_ids: list[ShortText] | None = None
    min_last_updated_datetime: ShortText | None = None


class BalanceGetRequest(PlaidRequest):
    access_token: Text
    options: BalanceGetOptions | None = None


class AccessTokenRequest(PlaidRequest):
    """Endpoints that take nothing but an access token: /item/get, /sandbox/item/reset_login,
    /item/access_token/invalidate."""

    access_token: Text


class ItemRemoveRequest(PlaidRequest):
    access_token: Text
    reason_code: ShortText | None = None
    reason_note: ShortText | None = None


class ItemWebhookUpdateRequest(PlaidRequest):
    access_token: Text
    webhook: ShortText | None = None


class FireWebhookRequest(PlaidRequest):
    access_token: Text
    webhook_code: Text
    webhook_type: ShortText | None = None


class ItemImportUserAuth(_Options):
    user_id: Text
    auth_token: Text


class ItemImportOptions(_Options):
    webhook: ShortText | None = None


class ItemImportRequest(PlaidRequest):
    products: list[ShortText]
    user_auth: ItemImportUserAuth
    institution_id: ShortText | None = None
    options: ItemImportOptions | None = None


class WebhookVerificationKeyGetRequest(PlaidRequest):
    key_id: Text


# -- Institutions --------------------------------------------------------------------------------------------


class InstitutionGetOptions(_Options):
    include_optional_metadata: bool | None = None
    include_status: bool | None = None
    include_auth_metadata: bool | None = None
    include_payment_initiation_metadata: bool | None = None


class InstitutionGetByIdRequest(PlaidRequest):
    institution_id: Text
    country_codes: list[ShortText]
    options: InstitutionGetOptions | None = None


class InstitutionsGetOptions(_Options):
    products: list[ShortText] | None = None
    routing_numbers: list[ShortText] | None = None
    oauth: bool | None = None
    include_optional_metadata: bool | None = None
    include_auth_metadata: bool | None = None
    include_payment_initiation_metadata: bool | None = None


class InstitutionsGetRequest(PlaidRequest):
    count: Annotated[int, msgspec.Meta(ge=1, le=500)]
    offset: Annotated[int, msgspec.Meta(ge=0)]
    country_codes: list[ShortText]
    options: InstitutionsGetOptions | None = None


class InstitutionSearchOptions(_Options):
    oauth: bool | None = None
    include_optional_metadata: bool | None = None
    include_auth_metadata: bool | None = None
    include_payment_initiation_metadata: bool | None = None
    payment_initiation: Any = None


class InstitutionsSearchRequest(PlaidRequest):
    query: Text
    country_codes: list[ShortText]
    products: list[ShortText] | None = None
    options: InstitutionSearchOptions | None = None


# -- Link tokens ---------------------------------------------------------------------------------------------


class LinkUser(_Options):
    client_user_id: Text
    legal_name: ShortText | None = None
    name: Any = None
    phone_number: ShortText | None = None
    phone_number_verified_time: ShortText | None = None
    email_address: ShortText | None = None
    email_address_verified_time: ShortText | None = None
    ssn: ShortText | None = None
    date_of_birth: ShortText | None = None
    address: Any = None
    id_number: Any = None


class SubtypeFilter(msgspec.Struct, kw_only=True):
    # additionalProperties is true in Plaid's schema for these filters.
    account_subtypes: list[ShortText]


class AccountFilters(_Options):
    depository: SubtypeFilter | None = None
    credit: SubtypeFilter | None = None
    loan: SubtypeFilter | None = None
    investment: SubtypeFilter | None = None
    other: SubtypeFilter | None = None


class LinkUpdate(_Options):
    account_selection_enabled: bool | None = None
    reauthorization_enabled: bool | None = None
    user: bool | None = None
    item_ids: list[ShortText] | None = None


class HostedLink(_Options):
    delivery_method: ShortText | None = None
    completion_redirect_uri: ShortText | None = None
    url_lifetime_seconds: int | None = None
    is_mobile_app: bool | None = None


class LinkTokenCreateRequest(PlaidRequest):
    client_name: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    language: Text
    country_codes: list[ShortText]
    user: LinkUser | None = None
    user_id: ShortText | None = None
    products: list[ShortText] | None = None
    required_if_supported_products: list[ShortText] | None = None
    optional_products: list[ShortText] | None = None
    additional_consented_products: list[ShortText] | None = None
    webhook: ShortText | None = None
    access_token: Text | None = None
    account_filters: AccountFilters | None = None
    update: LinkUpdate | None = None
    hosted_link: HostedLink | None = None
    redirect_uri: ShortText | None = None
    # Accepted as Plaid accepts them; they steer products the emulator does not model.
    access_tokens: Any = None
    link_customization_name: Any = None
    appearance_mode: Any = None
    android_package_name: Any = None
    institution_data: Any = None
    card_switch: Any = None
    eu_config: Any = None
    institution_id: Any = None
    payment_configuration: Any = None
    payment_initiation: Any = None
    employment: Any = None
    income_verification: Any = None
    base_report: Any = None
    credit_partner_insights: Any = None
    cra_options: Any = None
    consumer_report_permissible_purpose: Any = None
    auth: Any = None
    transfer: Any = None
    identity_verification: Any = None
    statements: Any = None
    third_party_user_token: Any = None
    investments: Any = None
    investments_auth: Any = None
    transactions: Any = None
    cashflow_report: Any = None
    cra_enabled: Any = None
    identity: Any = None
    financekit_supported: Any = None
    enable_multi_item_link: Any = None
    user_token: Any = None


class LinkTokenGetRequest(PlaidRequest):
    link_token: Text


# -- the parser ----------------------------------------------------------------------------------------------

R = TypeVar("R", bound=PlaidRequest)


@cache
def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    """The Struct type behind `X`, `X | None` or `Annotated[X, ...]` (None for anything else)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _struct_of(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        found = [_struct_of(arg) for arg in typing.get_args(annotation)]
        structs = [s for s in found if s is not None]
        return structs[0] if len(structs) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    return None


@cache
def _shape(
    model: type[msgspec.Struct],
) -> tuple[frozenset[str], tuple[str, ...], dict[str, type[msgspec.Struct]]]:
    """(known field names, required field names, nested strict Structs by field) of a model."""
    known: set[str] = set()
    required: list[str] = []
    nested: dict[str, type[msgspec.Struct]] = {}
    for info in msgspec.structs.fields(model):
        known.add(info.encode_name)
        if info.required:
            required.append(info.encode_name)
        inner = _struct_of(info.type)
        if inner is not None and inner.__struct_config__.forbid_unknown_fields:
            nested[info.encode_name] = inner
    return frozenset(known), tuple(required), nested


def _unknown_fields(model: type[msgspec.Struct], body: Mapping[str, Any], prefix: str = "") -> list[str]:
    known, _, nested = _shape(model)
    unknown = [f"{prefix}{key}" for key in body if key not in known]
    for name, inner in nested.items():
        value = body.get(name)
        if isinstance(value, dict):
            unknown += _unknown_fields(inner, value, f"{prefix}{name}.")
    return sorted(unknown)


def _missing_fields(model: type[msgspec.Struct], body: Mapping[str, Any], prefix: str = "") -> list[str]:
    _, required, nested = _shape(model)
    missing = [f"{prefix}{name}" for name in required if body.get(name) is None]
    for name, inner in nested.items():
        value = body.get(name)
        if isinstance(value, dict):
            missing += _missing_fields(inner, value, f"{prefix}{name}.")
    return missing


_MSGSPEC_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")


def _field_problem(exc: msgspec.ValidationError) -> str:
    """msgspec's "Expected `str`, got `int` - at `$.options.account_ids[0]`" in Plaid's words."""
    text = str(exc)
    match = _MSGSPEC_PATH.search(text)
    if match is None:
        return f"the request body is invalid: {text}"
    what = text[: match.start()].replace("`", "")
    what = what[:1].lower() + what[1:]
    return f"{match.group('path') or 'body'}: {what}"


def parse_request(
    model: type[R], raw: bytes, headers: Mapping[str, str], *, max_depth: int = jsonio.DEFAULT_MAX_DEPTH
) -> R:
    """Check a raw body against an endpoint's model; raises PlaidAPIError in Plaid's terms."""
    try:
        body = jsonio.decode(raw, max_depth=max_depth) if raw.strip() else None
    except jsonio.JSONInputError as exc:
        raise PlaidAPIError("INVALID_BODY", f"body could not be parsed as JSON: {exc}") from None
    if not isinstance(body, dict):
        raise PlaidAPIError("INVALID_BODY")
    unknown = _unknown_fields(model, body)
    if unknown:
        raise PlaidAPIError("UNKNOWN_FIELDS", fields=", ".join(unknown))
    credentials = {
        "client_id": body.get("client_id") or headers.get("plaid-client-id"),
        "secret": body.get("secret") or headers.get("plaid-secret"),
    }
    missing = [name for name, value in credentials.items() if not value]
    missing += _missing_fields(model, body)
    if missing:
        raise PlaidAPIError("MISSING_FIELDS", fields=", ".join(missing))
    try:
        return msgspec.convert({**body, **credentials}, model)
    except msgspec.ValidationError as exc:
        raise PlaidAPIError("INVALID_FIELD", detail=_field_problem(exc)) from None
