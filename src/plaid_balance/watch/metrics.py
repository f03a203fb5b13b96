"""Prometheus metrics for the watch, on a registry of its own (never the global one).

Balances and health are read from ``WatchState`` at scrape time by a collector, so an Item removed
from the vault disappears from /metrics instead of lingering; the counters and the histogram are
ordinary ``prometheus_client`` metrics updated as things happen. Prometheus values are floats: the
exposition of a balance is as exact as float64 allows, the watch itself never rounds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from plaid_balance._health import Health

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

    from plaid_balance.watch.budget import BudgetLeft
    from plaid_balance.watch.state import WatchState

PREFIX: Final = "plaid_balance"
ACCOUNT_LABELS: Final = ("alias", "institution", "account_id", "name", "mask", "type", "subtype", "currency")
DURATION_BUCKETS: Final = (0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 11, 15, 20, 30, 45, 60, 120)


class WatchMetrics:
    def __init__(
        self,
        state: WatchState,
        budget_left: Callable[[str, datetime], BudgetLeft],
        now: Callable[[], datetime],
    ) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry: CollectorRegistry = CollectorRegistry(auto_describe=True)

        def counter(name: str, documentation: str, *labels: str) -> Counter:
            return Counter(f"{PREFIX}_{name}", documentation, labels, registry=self.registry)

        self.api_calls = counter("api_calls", "Plaid API calls made by the watch", "endpoint", "outcome")
        self.billed_calls = counter(
            "billed_calls", "Billed real-time balance calls (/accounts/balance/get)", "alias"
        )
        self.saved_calls = counter(
            "saved_calls", "Billed calls spared (over budget, needs repair)", "alias", "via"
        )
        self.alerts = counter("alerts_sent", "Alert notifications by outcome", "kind", "notifier", "outcome")
        self.webhooks_received = counter(
            "webhooks_received", "Verified webhooks received", "webhook_type", "webhook_code"
        )
        self.webhooks_refused = counter("webhooks_refused", "Webhooks refused (not verified)", "reason")
        self.refresh_duration = Histogram(
            f"{PREFIX}_refresh_duration_seconds",
            "Time taken by one Item's refresh",
            ("source",),
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.storage_errors = counter(
            "storage_errors", "Failed writes to history or the watch's state", "what"
        )
        self.registry.register(_StateCollector(state, budget_left, now))

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: the registry keeps collectors by identity
class _StateCollector:
    """Balances, health and budgets, read from the watch's state at each scrape."""

    state: WatchState
    budget_left: Callable[[str, datetime], BudgetLeft]
    now: Callable[[], datetime]

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        current = GaugeMetricFamily(
            f"{PREFIX}_account_current",
            "Current balance (amount owed for credit/loan)",
            labels=ACCOUNT_LABELS,
        )
        available = GaugeMetricFamily(
            f"{PREFIX}_account_available", "Available balance", labels=ACCOUNT_LABELS
        )
        limit = GaugeMetricFamily(f"{PREFIX}_account_limit", "Credit limit", labels=ACCOUNT_LABELS)
        updated = GaugeMetricFamily(
            f"{PREFIX}_account_last_updated_timestamp_seconds",
            "When the balance was last refreshed",
            labels=(*ACCOUNT_LABELS, "source"),
        )
        health = GaugeMetricFamily(
            f"{PREFIX}_item_health",
            "1 for the Item's current health state",
            labels=("alias", "institution", "state"),
        )
        budget = GaugeMetricFamily(
            f"{PREFIX}_budget_left", "Billed calls left in the Item's budget", labels=("alias", "period")
        )
        last = GaugeMetricFamily(
            f"{PREFIX}_item_last_refresh_timestamp_seconds",
            "When the watch last refreshed the Item",
            labels=("alias",),
        )
        now = self.now()
        for item in list(self.state.items.values()):
            institution = item.item.institution_name or item.item.institution_id or ""
            for state in Health:
                health.add_metric(
                    [item.alias, institution, state.value], 1.0 if item.health is state else 0.0
                )
            left = self.budget_left(item.item.item_id, now)
            for period, calls in (("day", left.day), ("month", left.month)):
                if calls is not None:
                    budget.add_metric([item.alias, period], float(calls))
            if item.last_refresh is not None:
                last.add_metric([item.alias], item.last_refresh.timestamp())
            report = item.report
            if report is None:
                continue
            for account in report.accounts:
                labels = [
                    item.alias,
                    institution,
                    account.account_id,
                    account.name,
                    account.mask or "",
                    account.type,
                    getattr(account, "subtype", None) or "",
                    account.currency or "",
                ]
                for family, value in (
                    (current, account.current_balance),
                    (available, account.available_balance),
                    (limit, account.limit),
                ):
                    if value is not None:
                        family.add_metric(labels, float(value))
                when = getattr(account, "last_updated_datetime", None) or report.retrieved_at
                updated.add_metric([*labels, report.source], when.timestamp())
        yield from (current, available, limit, updated, health, budget, last)
