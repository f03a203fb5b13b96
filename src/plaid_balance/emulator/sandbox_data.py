"""The Plaid Sandbox data the emulator serves, loaded from sandbox_data.json (the data lives there, as data).

Institutions, the `user_good` account roster, and the enumerations of Plaid's spec that requests and custom
users are checked against. The rules that depend on an institution (Capital One's stored balances, ...) live
in rules.py; the `user_custom` parser in user_custom.py.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import iso4217

DEFAULT_INSTITUTION_ID = "ins_109508"
CAPITAL_ONE_ID = "ins_128026"
BALANCE_BANK_ID = "ins_130016"
UNSUPPORTED_ID = "ins_133402"
# Institutions whose balances carry `last_updated_datetime` (spec: only Capital One; the Balance test bank
# is how Plaid's own SDK tests exercise min_last_updated_datetime).
LAST_UPDATED_INSTITUTIONS = frozenset({CAPITAL_ONE_ID, BALANCE_BANK_ID})
# Tokenized-account-number banks populate persistent_account_id (research notes §1.2).
PERSISTENT_ID_INSTITUTIONS = frozenset({"ins_127287", "ins_56", "ins_13", "ins_127990"})

_DATA: dict[str, Any] = json.loads(resources.files(__package__).joinpath("sandbox_data.json").read_bytes())


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
            healthy = self.health == "HEALTHY"
            status = {
                "status": self.health,
                "last_status_change": "2024-01-01T00:00:00Z",
                "breakdown": {
                    "success": 0.99 if healthy else 0.4,
                    "error_plaid": 0.0,
                    "error_institution": 0.01 if healthy else 0.6,
                },
            }
            body["status"] = {"item_logins": status, "transactions_updates": status, "auth": status}
        return body


def _institution(raw: dict[str, Any]) -> Institution:
    country = raw["country_codes"][0]
    return Institution(
        institution_id=raw["institution_id"],
        name=raw["name"],
        country_codes=tuple(raw["country_codes"]),
        products=tuple(_DATA["products_by_country"][country]),
        routing_numbers=tuple(raw["routing_numbers"]),
        oauth=raw["oauth"],
        url=raw.get("url"),
        primary_color=raw.get("primary_color"),
        dtc_numbers=tuple(raw.get("dtc_numbers", ())),
        health=raw.get("health", "HEALTHY"),
    )


INSTITUTIONS: dict[str, Institution] = {
    raw["institution_id"]: _institution(raw) for raw in _DATA["institutions"]
}
PRODUCTS = frozenset(_DATA["products"])
COUNTRY_CODES = frozenset(_DATA["country_codes"])
ACCOUNT_TYPES = frozenset(_DATA["account_types"])
ACCOUNT_SUBTYPES = frozenset(_DATA["account_subtypes"])


@functools.cache
def iso_currencies() -> frozenset[str]:
    """ISO 4217's active codes; anything else (e.g. a crypto ticker) is an unofficial_currency_code.

    The table is the iso4217 package's, the one the library's funds check reads too (decision 62).
    """
    return frozenset(currency.code for currency in iso4217.Currency)


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


def _amount(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def user_good_accounts() -> list[AccountSpec]:
    """A fresh copy of the default Sandbox roster (callers may change balances on their copy)."""
    return [
        AccountSpec(
            name=row["name"],
            official_name=row["official_name"],
            mask=row["mask"],
            type=row["type"],
            subtype=row["subtype"],
            available=_amount(row["available"]),
            current=_amount(row["current"]),
            limit=_amount(row["limit"]),
            holder_category=row["holder_category"],
        )
        for row in _DATA["user_good_accounts"]
    ]


def search_institutions(query: str, countries: set[str], limit: int, offset: int) -> list[Institution]:
    """Institutions whose name holds every word of the query (case-insensitive), in a stable order."""
    words = query.casefold().split()
    found = [
        ins
        for ins in INSTITUTIONS.values()
        if set(ins.country_codes) & countries and all(w in ins.name.casefold() for w in words)
    ]
    return found[offset : offset + limit]
