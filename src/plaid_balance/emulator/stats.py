"""Counters the tests and benchmarks read through stats() or GET /__emulator/stats."""

from __future__ import annotations

from collections import Counter
from typing import Any

from plaid_balance.emulator.ratelimit import PeakTracker


class Stats:
    """Not thread-safe on its own: callers hold the emulator lock."""

    def __init__(self, window: float) -> None:
        self.window = window
        self.reset()

    def reset(self) -> None:
        self.requests_by_endpoint: Counter[str] = Counter()
        self.responses_by_status: Counter[int] = Counter()
        self.responses_by_error_code: Counter[str] = Counter()
        self.balance_attempts_by_item: Counter[str] = Counter()
        # Plaid bills each successful /accounts/balance/get call (research notes §0): counted when the
        # emulator has the answer, even if a transport fault then keeps it from the client.
        self.billed_balance_calls_by_item: Counter[str] = Counter()
        self.faults_injected: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()
        self.balance_peak_per_client = PeakTracker(self.window)
        self.balance_peak_per_item = PeakTracker(self.window)

    def billing(self) -> dict[str, Any]:
        return {
            "balance_calls": sum(self.billed_balance_calls_by_item.values()),
            "balance_calls_by_item": dict(self.billed_balance_calls_by_item),
        }

    def snapshot(self) -> dict[str, Any]:
        return {
            "billing": self.billing(),
            "window_seconds": self.window,
            "requests_total": sum(self.requests_by_endpoint.values()),
            "requests_by_endpoint": dict(self.requests_by_endpoint),
            "responses_by_status": {str(k): v for k, v in sorted(self.responses_by_status.items())},
            "responses_by_error_code": dict(self.responses_by_error_code),
            "balance_attempts_by_item": dict(self.balance_attempts_by_item),
            "faults_injected": dict(self.faults_injected),
            "rate_limited": dict(self.rate_limited),
            "balance_max_in_window": {
                "per_client": self.balance_peak_per_client.max(),
                "per_item": self.balance_peak_per_item.max(),
                "by_client": dict(self.balance_peak_per_client.peaks),
                "by_item": dict(self.balance_peak_per_item.peaks),
            },
        }
