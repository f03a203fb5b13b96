"""plaid-balance: real-time account balances from Plaid.

>>> from plaid_balance import get_balances                       # doctest: +SKIP
>>> report = get_balances("access-sandbox-…", environment="sandbox")

Names are imported on first use, so ``plaid-balance --help`` does not pay for httpx and pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "AsyncPlaidClient": "client",
    "PlaidClient": "client",
    "Environment": "config",
    "ConfigurationError": "errors",
    "PlaidAPIError": "errors",
    "PlaidBalanceError": "errors",
    "PlaidNetworkError": "errors",
    "fetch_report": "job",
    "fetch_report_async": "job",
    "get_balances": "job",
    "AccountReport": "report",
    "BalanceReport": "report",
    "CurrencyTotals": "report",
    "FailureReport": "report",
    "Report": "report",
    "RetryPolicy": "retry",
}
__all__ = [
    "AccountReport",
    "AsyncPlaidClient",
    "BalanceReport",
    "ConfigurationError",
    "CurrencyTotals",
    "Environment",
    "FailureReport",
    "PlaidAPIError",
    "PlaidBalanceError",
    "PlaidClient",
    "PlaidNetworkError",
    "Report",
    "RetryPolicy",
    "__version__",
    "fetch_report",
    "fetch_report_async",
    "get_balances",
]

if TYPE_CHECKING:
    from plaid_balance.client import AsyncPlaidClient, PlaidClient
    from plaid_balance.config import Environment
    from plaid_balance.errors import ConfigurationError, PlaidAPIError, PlaidBalanceError, PlaidNetworkError
    from plaid_balance.job import fetch_report, fetch_report_async, get_balances
    from plaid_balance.report import AccountReport, BalanceReport, CurrencyTotals, FailureReport, Report
    from plaid_balance.retry import RetryPolicy


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'plaid_balance' has no attribute {name!r}")
    return getattr(importlib.import_module(f"plaid_balance.{module}"), name)
