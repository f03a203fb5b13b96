"""The `user_custom` Sandbox user: its JSON configuration (given as the password) parsed into accounts.

Amounts stay exact (Decimal from the JSON text, never float); NaN, Infinity and anything that is not a plain
number are refused, as Plaid refuses them.
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any

from plaid_balance.emulator import jsonio
from plaid_balance.emulator.errors import FORCE_ERROR_ALIASES, PlaidAPIError
from plaid_balance.emulator.sandbox_data import (
    ACCOUNT_SUBTYPES,
    ACCOUNT_TYPES,
    AccountSpec,
    iso_currencies,
    user_good_accounts,
)

MAX_CUSTOM_ACCOUNTS = 10
# Sandbox `force_error` values (research notes §5.4); they make Item creation fail.
FORCE_ERRORS = frozenset(
    {
        "INSTITUTION_NOT_RESPONDING",
        "INSTITUTION_NO_LONGER_SUPPORTED",
        "INVALID_CREDENTIALS",
        "INVALID_MFA",
        "ITEM_LOCKED",
        "ITEM_LOGIN_REQUIRED",
        "ITEM_NOT_SUPPORTED",
        "INVALID_LINK_TOKEN",
        "MFA_NOT_SUPPORTED",
        "NO_ACCOUNTS",
        "PLAID_ERROR",
        "USER_INPUT_TIMEOUT",
        "USER_SETUP_REQUIRED",
    }
)
_ACCOUNT_KEYS = frozenset(
    {
        "type",
        "subtype",
        "starting_balance",
        "force_available_balance",
        "has_null_available_balance",
        "currency",
        "meta",
        "last_updated_datetime",
        # Accepted and ignored: they feed products the emulator does not serve.
        "numbers",
        "transactions",
        "holdings",
        "investment_transactions",
        "identity",
        "liability",
        "inflow_model",
        "income",
        "apy",
    }
)


def _bad_config(detail: str) -> PlaidAPIError:
    return PlaidAPIError("INVALID_FIELD", f"invalid user_custom configuration in override_password: {detail}")


def _money(value: Any, where: str) -> Decimal:
    amount = jsonio.finite_decimal(value)
    if amount is None:
        raise _bad_config(f"{where} must be a finite number")
    return amount


def _parse_datetime(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise _bad_config(f"{where} must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad_config(f"{where} must be an ISO 8601 date-time string") from exc
    if parsed.tzinfo is None:
        raise _bad_config(f"{where} must carry a timezone (e.g. a trailing Z)")
    return parsed


def _default_available(type_: str, current: Decimal, limit: Decimal | None) -> Decimal | None:
    # Mirrors what Sandbox shows for the default roster: depository available == current (no pending
    # transactions), credit available == limit - current when a limit is known, nothing for the rest.
    if type_ == "depository":
        return current
    if type_ == "credit" and limit is not None:
        return limit - current
    return None


def _optional_text(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _bad_config(f"{where} must be a string")


def _custom_account(raw: Any, index: int, rng: random.Random) -> AccountSpec:
    where = f"override_accounts[{index}]"
    if not isinstance(raw, dict):
        raise _bad_config(f"{where} must be an object")
    unknown = sorted(set(raw) - _ACCOUNT_KEYS)
    if unknown:
        raise _bad_config(f"{where} has unknown fields: {', '.join(unknown)}")
    type_ = raw.get("type", "depository")
    subtype = raw.get("subtype", "checking" if type_ == "depository" else None)
    # user_custom accepts a "payroll" type that AccountType has no value for; Plaid reports such accounts
    # as type "other".
    if type_ == "payroll":
        type_, subtype = "other", subtype or "payroll"
    if not isinstance(type_, str) or type_ not in ACCOUNT_TYPES:
        raise _bad_config(f"{where}.type {type_!r} is not an account type")
    if subtype is not None and (not isinstance(subtype, str) or subtype not in ACCOUNT_SUBTYPES):
        raise _bad_config(f"{where}.subtype {subtype!r} is not an account subtype")
    meta = raw.get("meta", {})
    if not isinstance(meta, dict):
        raise _bad_config(f"{where}.meta must be an object")
    limit = None if meta.get("limit") is None else _money(meta["limit"], f"{where}.meta.limit")
    if "starting_balance" in raw:
        current = _money(raw["starting_balance"], f"{where}.starting_balance")
    else:
        current = Decimal(rng.randrange(0, 1_000_000)) / 100
    if raw.get("has_null_available_balance") and "force_available_balance" in raw:
        raise _bad_config(
            f"{where}: has_null_available_balance cannot be combined with force_available_balance"
        )
    available: Decimal | None
    if raw.get("has_null_available_balance"):
        available = None
    elif "force_available_balance" in raw:
        available = _money(raw["force_available_balance"], f"{where}.force_available_balance")
    else:
        available = _default_available(type_, current, limit)
    currency = raw.get("currency", "USD")
    if not isinstance(currency, str) or not currency or len(currency) > 16:
        raise _bad_config(f"{where}.currency must be a currency code")
    is_iso = currency.upper() in iso_currencies()
    mask = meta.get("mask", f"{rng.randrange(10_000):04d}")
    if mask is not None and not (
        isinstance(mask, str) and (mask == "" or (2 <= len(mask) <= 4 and mask.isascii() and mask.isalnum()))
    ):
        raise _bad_config(f"{where}.meta.mask must match ^$|^[A-Za-z0-9]{{2,4}}$")
    name = _optional_text(meta.get("name"), f"{where}.meta.name") or f"Plaid {(subtype or type_).title()}"
    last_updated = (
        _parse_datetime(raw["last_updated_datetime"], f"{where}.last_updated_datetime")
        if raw.get("last_updated_datetime") is not None
        else None
    )
    return AccountSpec(
        name=name,
        official_name=_optional_text(meta.get("official_name"), f"{where}.meta.official_name"),
        mask=mask,
        type=type_,
        subtype=subtype,
        current=current,
        available=available,
        limit=limit,
        iso_currency_code=currency.upper() if is_iso else None,
        unofficial_currency_code=None if is_iso else currency,
        last_updated_datetime=last_updated,
    )


def parse_user_custom(password: str | dict[str, Any]) -> list[AccountSpec]:
    """Accounts for `user_custom`; raises PlaidAPIError for a bad config or a `force_error`."""
    if isinstance(password, str):
        try:
            config = jsonio.decode(password)
        except jsonio.JSONInputError as exc:
            raise _bad_config(f"the password must be a JSON object: {exc}") from None
    else:
        config = password
    if not isinstance(config, dict):
        raise _bad_config("the password must be a JSON object")
    force_error = config.get("force_error")
    if force_error is not None:
        if not isinstance(force_error, str) or force_error not in FORCE_ERRORS:
            raise _bad_config(f"force_error {force_error!r} is not supported")
        raise PlaidAPIError(FORCE_ERROR_ALIASES.get(force_error, force_error))
    rng = random.Random(str(config.get("seed", "")) or None)
    raw_accounts = config.get("override_accounts")
    if raw_accounts is None:
        # `{}` gives the usual roster with random balances, reproducible when a seed is given.
        randomised = []
        for spec in user_good_accounts():
            spec.current = Decimal(rng.randrange(0, 10_000_000)) / 100
            spec.available = _default_available(spec.type, spec.current, spec.limit)
            randomised.append(spec)
        return randomised
    if not isinstance(raw_accounts, list):
        raise _bad_config("override_accounts must be a list")
    if len(raw_accounts) > MAX_CUSTOM_ACCOUNTS:
        raise _bad_config(f"at most {MAX_CUSTOM_ACCOUNTS} accounts are allowed")
    if not raw_accounts:
        raise PlaidAPIError("NO_ACCOUNTS")
    return [_custom_account(raw, i, rng) for i, raw in enumerate(raw_accounts)]
