"""Which Plaid products a new Item is linked with, and which accounts Link offers.

Balance is not a Link product: ``/accounts/balance/get`` works on any Item created with another product,
and passing ``balance`` to ``/link/token/create`` is an ``INVALID_PRODUCT`` error. So plaid-balance links
with the cheapest product that covers the account types wanted:

* ``auth`` when only depository accounts are wanted (a one-time fee per Item; Link then offers checking,
  savings and cash-management accounts only),
* ``transactions`` otherwise (a monthly fee, but it is the product that covers credit cards, loans and
  investment accounts at nearly every institution).

``--products`` overrides the choice; ``--account-type`` becomes ``account_filters`` (a type left out is
hidden by Link, per the spec's ``LinkTokenAccountFilters``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from plaid_balance._errors import ConfigurationError

ACCOUNT_TYPES: Final = ("depository", "credit", "loan", "investment")

# The spec's ``Products`` enum, minus ``balance`` (rejected by /link/token/create) and ``balance_plus``
# (a retired beta). Kept open-ended on purpose would mean sending typos to Plaid; a closed list answers
# a typo with one line before any call is made.
LINK_PRODUCTS: Final = frozenset(
    {
        "assets",
        "auth",
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
        "layer",
        "pay_by_bank",
        "protect_linked_bank",
    }
)

# ISO-3166-1 alpha-2 codes Plaid accepts in ``country_codes`` (the spec's ``CountryCode`` enum).
COUNTRY_CODES: Final = frozenset(
    {
        "US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL",
        "DK", "NO", "SE", "EE", "LT", "LV", "PT", "BE", "AT", "FI",
    }
)  # fmt: skip
LANGUAGES: Final = frozenset(
    {"da", "nl", "en", "et", "fr", "de", "hi", "it", "lv", "lt", "no", "pl", "pt", "ro", "es", "sv", "vi"}
)


def normalise_account_types(account_types: Iterable[str]) -> tuple[str, ...]:
    """The distinct account types asked for, in a stable order; an unknown one is a usage error."""
    wanted = {value.strip().lower() for value in account_types if value.strip()}
    unknown = sorted(wanted - set(ACCOUNT_TYPES))
    if unknown:
        raise ConfigurationError(
            f"unknown account type {unknown[0]!r}; use one of: {', '.join(ACCOUNT_TYPES)}"
        )
    return tuple(t for t in ACCOUNT_TYPES if t in wanted)


def choose_products(account_types: Sequence[str] = ()) -> tuple[str, ...]:
    """The cheapest Link product that enables Balance for these account types (all types if empty)."""
    types = normalise_account_types(account_types)
    if types == ("depository",):
        return ("auth",)
    return ("transactions",)


def _listed(values: Iterable[str]) -> Iterator[str]:
    """The names in an option's values, each value a comma-separated list; blanks left out."""
    for value in values:
        for name in value.split(","):
            if name.strip():
                yield name.strip()


def validate_products(products: Iterable[str]) -> tuple[str, ...]:
    """Products given with ``--products``: known, distinct, and never ``balance``."""
    chosen = tuple(dict.fromkeys(name.lower() for name in _listed(products)))
    for product in chosen:
        if product in {"balance", "balance_plus"}:
            raise ConfigurationError(
                "'balance' is not a Link product: Balance works with any Item; "
                "link with auth (depository accounts) or transactions (all accounts)"
            )
        if product not in LINK_PRODUCTS:
            raise ConfigurationError(
                f"unknown Plaid product {product!r}; for balances use auth or transactions"
            )
    if not chosen:
        raise ConfigurationError("--products needs at least one product, such as auth or transactions")
    return chosen


def validate_countries(countries: Iterable[str]) -> tuple[str, ...]:
    """Countries given with ``--country``: codes Plaid supports, distinct; the US when none."""
    chosen = tuple(dict.fromkeys(name.upper() for name in _listed(countries)))
    for code in chosen:
        if code not in COUNTRY_CODES:
            raise ConfigurationError(
                f"Plaid does not support country {code!r}; use ISO codes such as US, CA, GB, FR"
            )
    return chosen or ("US",)


def validate_language(language: str) -> str:
    code = language.strip().lower()
    if code not in LANGUAGES:
        raise ConfigurationError(
            f"Link does not speak {language!r}; use one of: {', '.join(sorted(LANGUAGES))}"
        )
    return code


# Auth works only on these depository subtypes; asking Link for "all" of them beside auth is refused.
AUTH_SUBTYPES: Final = ("checking", "savings", "cash management")


def account_filters(
    account_types: Sequence[str], products: Sequence[str] = ()
) -> dict[str, dict[str, list[str]]] | None:
    """``account_filters`` showing every subtype of the types wanted, hiding the others; None = no filter."""
    types = normalise_account_types(account_types)
    if not types or types == ACCOUNT_TYPES:
        return None
    filters = {account_type: {"account_subtypes": ["all"]} for account_type in types}
    if "depository" in filters and "auth" in products:
        filters["depository"] = {"account_subtypes": list(AUTH_SUBTYPES)}
    return filters
