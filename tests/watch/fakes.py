"""In-memory stand-ins for the vault, Plaid, history and the notifiers, recording what was asked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from plaid_balance._error_body import ErrorBody
from plaid_balance._health import Health
from plaid_balance._report import AccountReport, BalanceReport, Source
from plaid_balance.vault import VaultItem
from plaid_balance.watch.alerts import AlertEvent
from plaid_balance.watch.state import Outcome
from tests.watch.support import ManualClock, card, checking, report


class FakeItems:
    def __init__(self, *items: VaultItem) -> None:
        self.by_id = {i.item_id: i for i in items}
        self.health_calls: list[tuple[str, Health, str]] = []

    def items(self) -> list[VaultItem]:
        return list(self.by_id.values())

    def access_token(self, alias: str) -> str:
        item = next(i for i in self.by_id.values() if i.alias == alias)
        return f"access-sandbox-{item.item_id}"

    def set_health(self, item_id: str, health: Health, reason: str) -> None:
        self.health_calls.append((item_id, health, reason))
        self.by_id[item_id] = msgspec.structs.replace(
            self.by_id[item_id], health=health, health_reason=reason
        )


def failure(code: str, error_type: str = "ITEM_ERROR", retryable: bool = False) -> ErrorBody:
    return ErrorBody(
        error_type=error_type, error_code=code, error_message=f"{code} message", retryable=retryable
    )


class FakePlaid:
    """Balances per token; ``errors`` queue failures for the next balance calls."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.accounts: dict[str, tuple[AccountReport, ...]] = {}
        self.institution: dict[str, str] = {}
        self.balance_errors: list[ErrorBody] = []
        self.cached_errors: list[ErrorBody] = []
        self.item_errors: dict[str, ErrorBody | None] = {}
        self.calls: Counter[str] = Counter()
        self.min_last_updated: list[datetime | None] = []
        self.keys: dict[str, dict[str, Any]] = {}
        self.webhooks: dict[str, str] = {}

    def set_accounts(self, item_id: str, *accounts: AccountReport) -> None:
        self.accounts[f"access-sandbox-{item_id}"] = accounts

    def _report(self, token: str, source: Source) -> BalanceReport:
        item_id = token.removeprefix("access-sandbox-")
        return report(
            item_id,
            self.institution.get(item_id, "ins_109508"),
            source,
            self.clock.now(),
            self.accounts[token],
        )

    async def balance(
        self, access_token: str, *, item_key: str, min_last_updated: datetime | None
    ) -> Outcome:
        self.calls["/accounts/balance/get"] += 1
        self.min_last_updated.append(min_last_updated)
        if self.balance_errors:
            return self.balance_errors.pop(0)
        return self._report(access_token, "realtime")

    async def cached(self, access_token: str, *, item_key: str) -> Outcome:
        self.calls["/accounts/get"] += 1
        if self.cached_errors:
            return self.cached_errors.pop(0)
        return self._report(access_token, "cached")

    async def item_error(self, access_token: str) -> ErrorBody | None:
        self.calls["/item/get"] += 1
        return self.item_errors.get(access_token)

    async def ensure_webhook(self, access_token: str, url: str) -> ErrorBody | bool:
        self.calls["/item/get"] += 1
        if self.webhooks.get(access_token) == url:
            return False
        self.calls["/item/webhook/update"] += 1
        self.webhooks[access_token] = url
        return True

    async def verification_key(self, key_id: str) -> dict[str, Any] | None:
        self.calls["/webhook_verification_key/get"] += 1
        return self.keys.get(key_id)


class FakeHistory:
    def __init__(self) -> None:
        self.saved: list[BalanceReport] = []
        self.fail_with: Exception | None = None

    def save(self, report: BalanceReport, access_token: str, along: Any = None) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.saved.append(report)

    def save_all(self, entries: Any) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.saved.extend(report for report, _, _ in entries)

    def fresh(self, item_id: str, max_age_seconds: float, now: datetime) -> BalanceReport | None:
        for saved in reversed(self.saved):
            if saved.item_id == item_id and (now - saved.retrieved_at).total_seconds() <= max_age_seconds:
                return msgspec.structs.replace(saved, source="stored")
        return None

    def latest(self, item_id: str) -> BalanceReport | None:
        return next((r for r in reversed(self.saved) if r.item_id == item_id), None)

    def latest_all(self) -> dict[str, BalanceReport]:
        return {r.item_id: r for r in self.saved}


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, AlertEvent]] = []  # every event delivered, digests unpacked
        self.messages: list[tuple[str, list[AlertEvent]]] = []  # what each message carried
        self.down: set[str] = set()
        self.attempts = 0

    async def send(self, notifier: str, events: Sequence[AlertEvent]) -> bool:
        self.attempts += 1
        if notifier in self.down:
            return False
        self.messages.append((notifier, list(events)))
        self.sent.extend((notifier, event) for event in events)
        return True


__all__ = ["Callable", "Decimal", "card", "checking"]
