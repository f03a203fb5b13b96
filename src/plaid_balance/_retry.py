"""When a failed Plaid call is tried again, and how long to wait (the policy; stamina does the looping).

The clients (``_client``) make every attempt of a call inside ``stamina.retry_context`` built from this
policy, the first attempt included: the waits, the attempt count, the total time (which counts the first
attempt) and the retry hooks (``-v``'s announcements) are all stamina's.

Only failures a short wait can fix are retried: rate limits, Plaid's 5xx, PRODUCT_NOT_READY, connection
errors and timeouts. Everything else needs a person (re-link, fix the keys, fix the request) and is
reported at once. INSTITUTION_DOWN / INSTITUTION_NOT_RESPONDING are reported as retryable *later*: Plaid
says hours, so hammering the bank now would only burn the Item's rate limit.
"""

from __future__ import annotations

import random
from typing import Any

import msgspec

from plaid_balance._errors import PlaidFailure


class RetryPolicy(msgspec.Struct, frozen=True):
    """Bounded in attempts *and* total time; exponential backoff with jitter between attempts."""

    attempts: int = 3
    total_timeout: float = 180.0
    wait_initial: float = 0.5
    wait_max: float = 10.0
    wait_jitter: float = 1.0
    # A 429 means a per-minute window is full: back off for longer than the exponential start.
    rate_limit_wait: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def backoff_hook(self, exc: Exception) -> bool | float:
        """stamina's ``on=`` hook: False = give up, True = default backoff, a float = wait that long."""
        if not isinstance(exc, PlaidFailure) or not exc.error.retry_now:
            return False
        if exc.error.is_rate_limit and self.rate_limit_wait > 0:
            return self.rate_limit_wait + random.uniform(0, self.wait_jitter)
        return True

    def stamina_kwargs(self) -> dict[str, Any]:
        return {
            "on": self.backoff_hook,
            "attempts": self.attempts,
            "timeout": self.total_timeout,
            "wait_initial": self.wait_initial,
            "wait_max": self.wait_max,
            "wait_jitter": self.wait_jitter,
        }
