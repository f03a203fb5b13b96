"""In-memory Items store.

All mutation happens under one lock: handlers run on uvicorn's event loop while test helpers call in from
another thread. Critical sections never await, so the lock is a plain threading.Lock.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from plaid_balance.emulator.clock import Clock, SystemClock
from plaid_balance.emulator.config import FaultConfig
from plaid_balance.emulator.credentials import accounts_for_credentials
from plaid_balance.emulator.errors import PlaidAPIError
from plaid_balance.emulator.sandbox_data import (
    DEFAULT_INSTITUTION_ID,
    INSTITUTIONS,
    LAST_UPDATED_INSTITUTIONS,
    PERSISTENT_ID_INSTITUTIONS,
    AccountSpec,
)

_ALNUM = string.ascii_letters + string.digits
_ID_LENGTH = 37  # Plaid item and account ids are 37 alphanumerics
# Balances at institutions that report last_updated_datetime are this stale unless the config says otherwise,
# so that a floor of "now" fails (as Plaid's own SDK tests expect) while a floor of "a day ago" passes.
DEFAULT_BALANCE_AGE = timedelta(hours=2)
ENVIRONMENTS_REFUSED = ("production", "development")


# Each byte picks one of the 62 characters (the slight bias of 256 % 62 does not matter for identifiers);
# bytes.translate keeps bulk Item creation fast.
_ID_TABLE = bytes(ord(_ALNUM[b % len(_ALNUM)]) for b in range(256))


def new_item_id() -> str:
    return secrets.token_bytes(_ID_LENGTH).translate(_ID_TABLE).decode()


def account_id_for(item_id: str, index: int) -> str:
    # Derived from the Item so ids are stable for the Item's lifetime without storing a mapping.
    digest = hashlib.blake2b(f"{item_id}:{index}".encode(), digest_size=_ID_LENGTH).digest()
    return digest.translate(_ID_TABLE).decode()


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Account:
    account_id: str
    spec: AccountSpec
    persistent_account_id: str | None = None

    def to_json(self, *, last_updated: datetime | None) -> dict[str, Any]:
        s = self.spec
        balances: dict[str, Any] = {
            "available": s.available,
            "current": s.current,
            "iso_currency_code": s.iso_currency_code,
            "limit": s.limit,
            "unofficial_currency_code": s.unofficial_currency_code,
        }
        if last_updated is not None:
            balances["last_updated_datetime"] = format_datetime(last_updated)
        body: dict[str, Any] = {
            "account_id": self.account_id,
            "balances": balances,
            "mask": s.mask,
            "name": s.name,
            "official_name": s.official_name,
            "subtype": s.subtype,
            "type": s.type,
        }
        if s.holder_category is not None:
            body["holder_category"] = s.holder_category
        if self.persistent_account_id is not None:
            body["persistent_account_id"] = self.persistent_account_id
        return body


@dataclass(slots=True)
class ItemFaults:
    # None: the Item follows the start-up FaultConfig.
    config: FaultConfig | None = None
    fail_next: deque[str] = field(default_factory=deque)

    def to_json(self) -> dict[str, Any]:
        return {
            "config": None if self.config is None else self.config.settings(),
            "fail_next": list(self.fail_next),
        }


@dataclass(slots=True)
class Item:
    item_id: str
    access_token: str
    client_id: str
    institution_id: str
    products: list[str]
    webhook: str | None
    created_at: datetime
    accounts: list[Account]
    # Stored balance timestamps, only for institutions that report them; index-aligned with accounts.
    last_updated: list[datetime | None]
    error_code: str | None = None
    faults: ItemFaults = field(default_factory=ItemFaults)
    # Set by /sandbox/item/fire_webhook or a fault option, cleared with the error: PENDING_EXPIRATION etc.
    consent_expiration_time: datetime | None = None

    @property
    def institution_name(self) -> str:
        return INSTITUTIONS[self.institution_id].name

    def to_json(self, request_id: str, *, with_error: bool) -> dict[str, Any]:
        institution = INSTITUTIONS[self.institution_id]
        billed = sorted(set(self.products))
        available = sorted(set(institution.products) - set(billed))
        error = None
        if with_error and self.error_code is not None:
            error = PlaidAPIError(self.error_code).body(request_id)
        return {
            "auth_method": None,
            "available_products": available,
            "billed_products": billed,
            "consent_expiration_time": None
            if self.consent_expiration_time is None
            else format_datetime(self.consent_expiration_time),
            "error": error,
            "institution_id": self.institution_id,
            "institution_name": institution.name,
            "item_id": self.item_id,
            "products": billed,
            "update_type": "background",
            "webhook": self.webhook,
        }


@dataclass(slots=True)
class _PendingPublicToken:
    item: Item
    expires_at: float


def token_environment(token: str) -> str | None:
    parts = token.split("-", 2)
    return parts[1] if len(parts) == 3 else None


def _refuse_other_environments(token: str, error_code: str, kind: str) -> None:
    """Plaid's answer to a ``kind`` ("access token") of production or development: this is a Sandbox."""
    env = token_environment(token)
    if env in ENVIRONMENTS_REFUSED:
        raise PlaidAPIError(
            error_code,
            f"could not find matching {kind}: this emulator is sandbox-only and never accepts {env} {kind}s",
        )


def new_access_token() -> str:
    return f"access-sandbox-{uuid.uuid4()}"


class EmulatorState:
    def __init__(self, client_id: str, public_token_ttl_seconds: float, clock: Clock | None = None) -> None:
        self.lock = threading.Lock()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.client_id = client_id
        self.public_token_ttl_seconds = public_token_ttl_seconds
        self.items: dict[str, Item] = {}
        self.by_access_token: dict[str, Item] = {}
        self.public_tokens: dict[str, _PendingPublicToken] = {}
        # Tokens of removed Items answer ITEM_NOT_FOUND, as Plaid's do; rotated-out tokens are simply unknown.
        self.removed_tokens: set[str] = set()

    # -- creation -----------------------------------------------------------------------------------------

    def build_item(
        self,
        *,
        institution_id: str = DEFAULT_INSTITUTION_ID,
        username: str = "user_good",
        password: str | dict[str, Any] = "pass_good",  # noqa: S107 - Sandbox test credential
        products: list[str] | None = None,
        webhook: str | None = None,
        specs: list[AccountSpec] | None = None,
    ) -> Item:
        """Make an Item without registering it; raises PlaidAPIError like Link would."""
        if institution_id not in INSTITUTIONS:
            raise PlaidAPIError("INVALID_INSTITUTION")
        if specs is None:
            specs = accounts_for_credentials(username, password)
        item_id = new_item_id()
        created = self.clock.now()
        reports_timestamp = institution_id in LAST_UPDATED_INSTITUTIONS
        accounts = []
        stamps: list[datetime | None] = []
        for index, spec in enumerate(specs):
            aid = account_id_for(item_id, index)
            persistent = (
                account_id_for(item_id, 1000 + index)
                if institution_id in PERSISTENT_ID_INSTITUTIONS
                else None
            )
            accounts.append(Account(aid, spec, persistent))
            stamp = spec.last_updated_datetime
            if stamp is None and reports_timestamp:
                stamp = created - DEFAULT_BALANCE_AGE
            stamps.append(stamp)
        return Item(
            item_id=item_id,
            access_token=new_access_token(),
            client_id=self.client_id,
            institution_id=institution_id,
            products=list(products or ["transactions"]),
            webhook=webhook,
            created_at=created,
            accounts=accounts,
            last_updated=stamps,
        )

    def register(self, item: Item) -> None:
        with self.lock:
            self.items[item.item_id] = item
            self.by_access_token[item.access_token] = item

    def register_many(self, items: list[Item]) -> None:
        with self.lock:
            for item in items:
                self.items[item.item_id] = item
                self.by_access_token[item.access_token] = item

    def create_public_token(self, item: Item) -> str:
        token = f"public-sandbox-{uuid.uuid4()}"
        with self.lock:
            now = self.clock.monotonic()
            # Drop expired tokens here so an idle emulator does not grow without bound.
            for key in [k for k, v in self.public_tokens.items() if v.expires_at <= now]:
                del self.public_tokens[key]
            self.public_tokens[token] = _PendingPublicToken(item, now + self.public_token_ttl_seconds)
        return token

    def exchange_public_token(self, public_token: str) -> Item:
        _refuse_other_environments(public_token, "INVALID_PUBLIC_TOKEN", "public token")
        with self.lock:
            # Single use: a public token is gone once exchanged, whatever the outcome.
            pending = self.public_tokens.pop(public_token, None)
            if pending is None:
                raise PlaidAPIError("INVALID_PUBLIC_TOKEN")
            if pending.expires_at <= self.clock.monotonic():
                raise PlaidAPIError("INVALID_PUBLIC_TOKEN", "provided public token is expired")
            self.items[pending.item.item_id] = pending.item
            self.by_access_token[pending.item.access_token] = pending.item
            return pending.item

    # -- lookup -------------------------------------------------------------------------------------------

    def item_for_token(self, access_token: str) -> Item:
        _refuse_other_environments(access_token, "INVALID_ACCESS_TOKEN", "access token")
        with self.lock:
            item = self.by_access_token.get(access_token)
            removed = access_token in self.removed_tokens
        if item is None:
            raise PlaidAPIError("ITEM_NOT_FOUND" if removed else "INVALID_ACCESS_TOKEN")
        return item

    def find_item(self, ref: str) -> Item:
        """An Item by item_id or access_token (for test helpers and the admin API)."""
        with self.lock:
            item = self.items.get(ref) or self.by_access_token.get(ref)
        if item is None:
            raise KeyError(f"no Item with id or access token {ref!r}")
        return item

    def remove(self, item: Item) -> None:
        with self.lock:
            self.items.pop(item.item_id, None)
            self.by_access_token.pop(item.access_token, None)
            self.removed_tokens.add(item.access_token)
            # Public tokens not yet exchanged for this Item die with it.
            for key in [k for k, v in self.public_tokens.items() if v.item is item]:
                del self.public_tokens[key]

    def rotate_access_token(self, item: Item) -> str:
        """/item/access_token/invalidate: a new token for the Item; the old one stops working at once."""
        new = new_access_token()
        with self.lock:
            self.by_access_token.pop(item.access_token, None)
            item.access_token = new
            self.by_access_token[new] = item
        return new

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.by_access_token.clear()
            self.public_tokens.clear()
            self.removed_tokens.clear()
