"""Static Sandbox data: institutions, the `user_good` account roster and `user_custom` parsing."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from plaid_balance.emulator.errors import FORCE_ERROR_ALIASES, PlaidAPIError

DEFAULT_INSTITUTION_ID = "ins_109508"
CAPITAL_ONE_ID = "ins_128026"
BALANCE_BANK_ID = "ins_130016"
UNSUPPORTED_ID = "ins_133402"
# Institutions whose balances carry `last_updated_datetime` (spec: only Capital One; the Balance test bank
# is how Plaid's own SDK tests exercise min_last_updated_datetime).
LAST_UPDATED_INSTITUTIONS = frozenset({CAPITAL_ONE_ID, BALANCE_BANK_ID})
# Tokenized-account-number banks populate persistent_account_id (research notes §1.2).
PERSISTENT_ID_INSTITUTIONS = frozenset({"ins_127287", "ins_56", "ins_13", "ins_127990"})

_US_PRODUCTS = [
    "assets",
    "auth",
    "balance",
    "identity",
    "identity_match",
    "investments",
    "investments_auth",
    "liabilities",
    "recurring_transactions",
    "signal",
    "statements",
    "transactions",
    "transfer",
]
_UK_PRODUCTS = ["balance", "identity", "payment_initiation", "transactions"]
_CA_PRODUCTS = ["assets", "auth", "balance", "identity", "investments", "liabilities", "transactions"]


@dataclass(frozen=True, slots=True)
class Institution:
    institution_id: str
    name: str
    country_codes: tuple[str, ...]
    products: tuple[str, ...]
    routing_numbers: tuple[str, ...]
    oauth: bool
    url: str | None = None
    primary_color: str | None = None
    dtc_numbers: tuple[str, ...] = ()
    health: str = "HEALTHY"

    def to_json(self, *, include_optional_metadata: bool, include_status: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            # Not in the 1.697.4 spec, but required by plaid-python 46 (OAS 1.778.0), so newer Plaid sends it.
            "connection_availability": "NOT_SUPPORTED"
            if self.institution_id == UNSUPPORTED_ID
            else "SUPPORTED",
            "country_codes": list(self.country_codes),
            "dtc_numbers": list(self.dtc_numbers),
            "institution_id": self.institution_id,
            "name": self.name,
            "oauth": self.oauth,
            "products": list(self.products),
            "routing_numbers": list(self.routing_numbers),
        }
        if include_optional_metadata:
            body.update({"logo": None, "primary_color": self.primary_color, "url": self.url})
        if include_status:
            status = {
                "status": self.health,
                "last_status_change": "2024-01-01T00:00:00Z",
                "breakdown": {
                    "success": 0.99 if self.health == "HEALTHY" else 0.4,
                    "error_plaid": 0.0,
                    "error_institution": 0.01 if self.health == "HEALTHY" else 0.6,
                },
            }
            body["status"] = {"item_logins": status, "transactions_updates": status, "auth": status}
        return body


def _ins(
    iid: str,
    name: str,
    *,
    country: str = "US",
    oauth: bool = False,
    routing: tuple[str, ...] = (),
    **extra: Any,
) -> Institution:
    products = {"US": _US_PRODUCTS, "GB": _UK_PRODUCTS, "CA": _CA_PRODUCTS}[country]
    return Institution(iid, name, (country,), tuple(products), routing, oauth, **extra)


INSTITUTIONS: dict[str, Institution] = {
    i.institution_id: i
    for i in [
        _ins("ins_109508", "First Platypus Bank", routing=("011000138",), url="https://plaid.com"),
        _ins("ins_130016", "First Platypus Balance Bank", routing=("011000138",), url="https://plaid.com"),
        _ins("ins_109509", "First Gingham Credit Union", routing=("011000138",)),
        _ins("ins_109510", "Tattersall Federal Credit Union", routing=("011000138",)),
        _ins("ins_109511", "Tartan Bank", routing=("011000138",)),
        # Values from the spec's /institutions/get_by_id example.
        _ins(
            "ins_109512",
            "Houndstooth Bank",
            routing=("011000138", "011200365", "011400495"),
            dtc_numbers=("2236", "0955", "1367"),
            primary_color="#004966",
            url="https://plaid.com",
        ),
        _ins("ins_43", "Tartan-Dominion Bank of Canada", country="CA"),
        _ins("ins_116834", "Flexible Platypus Open Banking", country="GB", oauth=True),
        _ins("ins_117181", "Flexible Platypus Open Banking (QR)", country="GB", oauth=True),
        _ins("ins_117650", "Royal Bank of Plaid", country="GB"),
        _ins("ins_127287", "Platypus OAuth Bank", oauth=True, routing=("011000138",)),
        _ins("ins_132241", "First Platypus OAuth App2App Bank", oauth=True, routing=("011000138",)),
        _ins("ins_135858", "Windowpane Bank", routing=("011000138",)),
        _ins("ins_132363", "Unhealthy Platypus Bank - Degraded", health="DEGRADED"),
        _ins("ins_132361", "Unhealthy Platypus Bank - Down", health="DOWN"),
        _ins("ins_133402", "Unsupported Platypus Bank"),
        _ins(
            "ins_128026",
            "Capital One",
            oauth=True,
            routing=("031176110", "051405515", "056073502"),
            url="https://www.capitalone.com",
            primary_color="#004977",
        ),
        _ins(
            "ins_3",
            "Chase",
            oauth=True,
            routing=("021000021", "044000037", "072000326"),
            url="https://www.chase.com",
            primary_color="#095aa6",
        ),
    ]
}


@dataclass(slots=True)
class AccountSpec:
    """What an account looks like before it is attached to an Item (ids are assigned per Item)."""

    name: str
    official_name: str | None
    mask: str | None
    type: str
    subtype: str | None
    current: Decimal | None
    available: Decimal | None
    limit: Decimal | None = None
    iso_currency_code: str | None = "USD"
    unofficial_currency_code: str | None = None
    holder_category: str | None = None
    last_updated_datetime: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


# (name, official_name, mask, type, subtype, available, current, limit, holder_category): research notes §5.2.
_USER_GOOD_ROWS: list[tuple[str, str | None, str, str, str, str | None, str, str | None, str | None]] = [
    ("Plaid Checking", "Plaid Gold Standard 0% Interest Checking", "0000", "depository", "checking",
     "100", "110", None, "personal"),
    ("Plaid Saving", "Plaid Silver Standard 0.1% Interest Saving", "1111", "depository", "savings",
     "200", "210", None, "personal"),
    ("Plaid CD", "Plaid Bronze Standard 0.2% Interest CD", "2222", "depository", "cd",
     None, "1000", None, None),
    ("Plaid Credit Card", "Plaid Diamond 12.5% APR Interest Credit Card", "3333", "credit", "credit card",
     None, "410", "2000", None),
    ("Plaid Money Market", "Plaid Platinum Standard 1.85% Interest Money Market", "4444", "depository",
     "money market", "43200", "43200", None, None),
    ("Plaid IRA", None, "5555", "investment", "ira", None, "320.76", None, None),
    ("Plaid 401k", None, "6666", "investment", "401k", None, "23631.9805", None, None),
    ("Plaid Student Loan", None, "7777", "loan", "student", None, "65262", None, "personal"),
    ("Plaid Mortgage", None, "8888", "loan", "mortgage", None, "56302.06", None, None),
    ("Plaid HSA", "Plaid Cares Health Savings Account", "9001", "depository", "hsa", "6009", "6009", None, None),
    ("Plaid Cash Management", "Plaid Growth Cash Management", "9002", "depository", "cash management",
     "12060", "12060", None, None),
    ("Plaid Business Credit Card", "Plaid Platinum Small Business Credit Card", "9999", "credit", "credit card",
     "4980", "5020", "10000", "business"),
]  # fmt: skip


def user_good_accounts() -> list[AccountSpec]:
    return [
        AccountSpec(
            name=name,
            official_name=official,
            mask=mask,
            type=type_,
            subtype=subtype,
            available=_d(available),
            current=_d(current),
            limit=_d(limit),
            holder_category=holder,
        )
        for name, official, mask, type_, subtype, available, current, limit, holder in _USER_GOOD_ROWS
    ]


ACCOUNT_TYPES = frozenset({"investment", "credit", "depository", "loan", "brokerage", "other"})
# AccountSubtype enum of the spec (2020-09-14_1.697.4).
ACCOUNT_SUBTYPES = frozenset({
    "401a", "401k", "403B", "457b", "529", "auto", "brokerage", "business", "cash isa", "cash management",
    "cd", "checking", "commercial", "construction", "consumer", "credit card", "crypto exchange", "ebt",
    "education savings account", "fhsa", "fixed annuity", "gic", "health reimbursement arrangement",
    "home equity", "hsa", "isa", "ira", "keogh", "lif", "life insurance", "limited purpose checking",
    "line of credit", "lira", "loan", "lrif", "lrsp", "money market", "mortgage", "mutual fund",
    "non-custodial wallet", "non-taxable brokerage account", "other", "other insurance", "other annuity",
    "overdraft", "paypal", "payroll", "pension", "prepaid", "prif", "profit sharing plan", "qshr", "rdsp",
    "resp", "retirement", "rlif", "roth", "roth 401k", "roth 403B", "roth 457b", "roth pension",
    "roth profit sharing plan", "roth thrift savings plan", "rrif", "rrsp", "sarsep", "savings", "sep ira",
    "simple ira", "sipp", "stock plan", "student", "thrift savings plan", "tfsa", "trust", "ugma", "utma",
    "variable annuity",
})  # fmt: skip

# ISO 4217 active codes. Anything else (e.g. a crypto ticker) is reported as unofficial_currency_code.
ISO_CURRENCIES = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWL",
    ]
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
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _bad_config(f"{where} must be a number")
    try:
        return Decimal(str(value))
    except ArithmeticError as exc:
        raise _bad_config(f"{where} must be a number") from exc


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
    if type_ not in ACCOUNT_TYPES:
        raise _bad_config(f"{where}.type {type_!r} is not an account type")
    if subtype is not None and subtype not in ACCOUNT_SUBTYPES:
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
    if not isinstance(currency, str) or not currency:
        raise _bad_config(f"{where}.currency must be a currency code")
    is_iso = currency.upper() in ISO_CURRENCIES
    mask = meta.get("mask", f"{rng.randrange(10_000):04d}")
    if mask is not None and not (
        isinstance(mask, str) and (mask == "" or (2 <= len(mask) <= 4 and mask.isascii() and mask.isalnum()))
    ):
        raise _bad_config(f"{where}.meta.mask must match ^$|^[A-Za-z0-9]{{2,4}}$")
    name = meta.get("name") or f"Plaid {(subtype or type_).title()}"
    last_updated = (
        _parse_datetime(raw["last_updated_datetime"], f"{where}.last_updated_datetime")
        if raw.get("last_updated_datetime") is not None
        else None
    )
    return AccountSpec(
        name=str(name),
        official_name=meta.get("official_name"),
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
            config = json.loads(password, parse_float=Decimal)
        except ValueError as exc:
            raise _bad_config("the password must be a JSON object") from exc
    else:
        config = password
    if not isinstance(config, dict):
        raise _bad_config("the password must be a JSON object")
    force_error = config.get("force_error")
    if force_error is not None:
        if force_error not in FORCE_ERRORS:
            raise _bad_config(f"force_error {force_error!r} is not supported")
        raise PlaidAPIError(FORCE_ERROR_ALIASES.get(str(force_error), str(force_error)))
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


def accounts_for_credentials(username: str, password: str | dict[str, Any]) -> list[AccountSpec]:
    """Resolve Sandbox test credentials into the accounts of a new Item."""
    if username == "user_custom":
        return parse_user_custom(password)
    if not isinstance(password, str):
        raise PlaidAPIError("INVALID_CREDENTIALS")
    # `error_<CODE>` passwords make Item creation fail with that code (Sandbox test credentials).
    if password.startswith("error_"):
        code = password.removeprefix("error_")
        code = FORCE_ERROR_ALIASES.get(code, code)
        try:
            raise PlaidAPIError(code)
        except KeyError:
            raise PlaidAPIError("INVALID_CREDENTIALS") from None
    if username == "user_good" and password != "pass_good":  # noqa: S105 - Sandbox test credential
        raise PlaidAPIError("INVALID_CREDENTIALS")
    if username.startswith("user_") and password:
        # user_good and the persona users all see the default roster here: the emulator only models balances.
        return user_good_accounts()
    raise PlaidAPIError("INVALID_CREDENTIALS")
