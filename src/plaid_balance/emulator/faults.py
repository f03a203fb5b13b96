"""Deciding which fault, if any, a call gets."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from plaid_balance.emulator.config import FaultConfig, FaultKind
from plaid_balance.emulator.state import Item

# Fixed order, so that the same --seed reproduces the same sequence of faults.
_RATE_ORDER: tuple[tuple[str, FaultKind], ...] = (
    ("error_rate", FaultKind.ERROR),
    ("institution_not_responding_rate", FaultKind.INSTITUTION_NOT_RESPONDING),
    ("drop_rate", FaultKind.DROP),
    ("hang_rate", FaultKind.HANG),
    ("malformed_rate", FaultKind.MALFORMED),
    ("truncated_rate", FaultKind.TRUNCATED),
)


@dataclass(frozen=True, slots=True)
class FaultDecision:
    fault: str | None  # a FaultKind value, a Plaid error_code, or None
    delay_seconds: float
    hang_seconds: float


class FaultInjector:
    """Not thread-safe on its own: callers hold the emulator lock."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self.global_fail_next: deque[str] = deque(config.fail_next)
        self._rng = random.Random(config.seed)

    def decide(self, item: Item | None) -> FaultDecision:
        config = item.faults.config if item is not None and item.faults.config is not None else self.config
        fault: str | None = None
        if item is not None and item.faults.fail_next:
            fault = item.faults.fail_next.popleft()
        elif self.global_fail_next:
            fault = self.global_fail_next.popleft()
        elif config.total_fault_rate() > 0:
            roll = self._rng.random()
            threshold = 0.0
            for attr, kind in _RATE_ORDER:
                threshold += getattr(config, attr)
                if roll < threshold:
                    fault = kind.value
                    break
        delay = config.latency_ms / 1000.0
        if config.latency_jitter_ms > 0:
            delay += self._rng.uniform(0.0, config.latency_jitter_ms) / 1000.0
        return FaultDecision(fault, delay, config.hang_seconds)
