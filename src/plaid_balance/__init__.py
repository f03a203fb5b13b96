"""plaid-balance: real-time account balances from Plaid.

Everything a library user needs is importable from here; modules with a leading underscore are
internal. ``plaid_balance.models`` holds Plaid's wire types, the answers of ``PlaidClient``'s methods.

>>> from plaid_balance import get_balances                       # doctest: +SKIP
>>> report = get_balances("access-sandbox-…", environment="sandbox")

Names are imported on first use, so ``import plaid_balance`` costs almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# public name -> module that defines it
_EXPORTS = {
    # single fetch
    "PlaidClient": "_client",
    "AsyncPlaidClient": "_client",
    "fetch_report": "_fetch",
    "fetch_report_async": "_fetch",
    "get_balances": "_fetch",
    "create_sandbox_item": "_sandbox",
    # reports and the one failure model
    "AccountReport": "_report",
    "BalanceReport": "_report",
    "CurrencyTotals": "_report",
    "FailureReport": "_report",
    "Report": "_report",
    "ErrorBody": "_error_body",
    # configuration
    "Environment": "_config",
    "Settings": "_settings",
    "load_settings": "_settings",
    "RetryPolicy": "_retry",
    "SecretStr": "_secret",
    # errors
    "PlaidBalanceError": "_errors",
    "ConfigurationError": "_errors",
    "StorageError": "_errors",
    "PlaidFailure": "_errors",
    "PlaidAPIError": "_errors",
    "PlaidNetworkError": "_errors",
    # batch
    "BatchClient": "batch",
    "BatchItem": "batch",
    "BatchOptions": "batch",
    "BatchSummary": "batch",
    "ItemResult": "batch",
    "run_batch_sync": "batch",
    # sufficient-funds check
    "FundsCheckError": "funds",
    "FundsDecision": "funds",
    "check_funds": "funds",
    # history
    "HistoryStore": "history",
    "open_store": "history",
    "load_history": "history",
    # the vault of linked Items
    "Vault": "vault",
}
__all__ = [
    "AccountReport",
    "AsyncPlaidClient",
    "BalanceReport",
    "BatchClient",
    "BatchItem",
    "BatchOptions",
    "BatchSummary",
    "ConfigurationError",
    "CurrencyTotals",
    "Environment",
    "ErrorBody",
    "FailureReport",
    "FundsCheckError",
    "FundsDecision",
    "HistoryStore",
    "ItemResult",
    "PlaidAPIError",
    "PlaidBalanceError",
    "PlaidClient",
    "PlaidFailure",
    "PlaidNetworkError",
    "Report",
    "RetryPolicy",
    "SecretStr",
    "Settings",
    "StorageError",
    "Vault",
    "__version__",
    "check_funds",
    "create_sandbox_item",
    "fetch_report",
    "fetch_report_async",
    "get_balances",
    "load_history",
    "load_settings",
    "open_store",
    "run_batch_sync",
]

if TYPE_CHECKING:
    from plaid_balance._client import AsyncPlaidClient, PlaidClient
    from plaid_balance._config import Environment
    from plaid_balance._error_body import ErrorBody
    from plaid_balance._errors import (
        ConfigurationError,
        PlaidAPIError,
        PlaidBalanceError,
        PlaidFailure,
        PlaidNetworkError,
        StorageError,
    )
    from plaid_balance._fetch import fetch_report, fetch_report_async, get_balances
    from plaid_balance._report import AccountReport, BalanceReport, CurrencyTotals, FailureReport, Report
    from plaid_balance._retry import RetryPolicy
    from plaid_balance._sandbox import create_sandbox_item
    from plaid_balance._secret import SecretStr
    from plaid_balance._settings import Settings, load_settings
    from plaid_balance.batch import (
        BatchClient,
        BatchItem,
        BatchOptions,
        BatchSummary,
        ItemResult,
        run_batch_sync,
    )
    from plaid_balance.funds import FundsCheckError, FundsDecision, check_funds
    from plaid_balance.history import HistoryStore, load_history, open_store
    from plaid_balance.vault import Vault

    __version__: str


def __getattr__(name: str) -> object:
    if name == "__version__":
        from plaid_balance._version import version

        return version()
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'plaid_balance' has no attribute {name!r}")
    return getattr(importlib.import_module(f"plaid_balance.{module}"), name)


def __dir__() -> list[str]:
    return __all__
