"""Fetching one Item's balances as a report, from the library (sync or async).

``fetch_report`` and ``get_balances`` never raise for a Plaid or network failure: they return a report
with ``success: false`` and the error. Configuration mistakes (no credentials, unknown environment)
are the caller's to fix and raise ``ConfigurationError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from plaid_balance import _calls as calls
from plaid_balance._client import AsyncPlaidClient, PlaidClient
from plaid_balance._config import Environment
from plaid_balance._errors import PlaidAPIError, PlaidFailure
from plaid_balance._report import BalanceReport, FailureReport, Report
from plaid_balance._secret import SecretStr
from plaid_balance.models import AccountsGetResponse


def _explain(exc: PlaidAPIError) -> PlaidAPIError:
    """Add what Plaid's terse INVALID_FIELD does not say for Capital One Items."""
    if exc.error_code == "INVALID_FIELD" and "min_last_updated_datetime" in exc.error.error_message:
        hint = (
            " [plaid-balance: Capital One (ins_128026) needs --min-last-updated for non-depository accounts;"
            " e.g. --min-last-updated 2d]"
        )
        return PlaidAPIError(msgspec.structs.replace(exc.error, error_message=exc.error.error_message + hint))
    return exc


def _balance_call(
    access_token: str | SecretStr,
    account_ids: Sequence[str] | None,
    min_last_updated_datetime: datetime | None,
    cached: bool,
) -> calls.PlaidCall[AccountsGetResponse]:
    if cached:
        return calls.accounts_get(access_token, account_ids=account_ids)
    return calls.accounts_balance_get(
        access_token, account_ids=account_ids, min_last_updated_datetime=min_last_updated_datetime
    )


def _outcome(
    response: AccountsGetResponse | PlaidFailure,
    client: PlaidClient | AsyncPlaidClient,
    cached: bool,
) -> Report:
    environment = client.environment.value
    if isinstance(response, PlaidAPIError):
        return FailureReport.from_exception(_explain(response), environment)
    if isinstance(response, PlaidFailure):
        return FailureReport.from_exception(response, environment)
    return BalanceReport.from_plaid(
        response, environment=environment, source="cached" if cached else "realtime"
    )


def fetch_report(
    client: PlaidClient,
    access_token: str | SecretStr,
    *,
    account_ids: Sequence[str] | None = None,
    min_last_updated_datetime: datetime | None = None,
    cached: bool = False,
) -> Report:
    """One Item's report through an existing client (``cached`` reads ``/accounts/get`` instead)."""
    call = _balance_call(access_token, account_ids, min_last_updated_datetime, cached)
    try:
        response = client.call(call)
    except PlaidFailure as exc:
        return _outcome(exc, client, cached)
    return _outcome(response, client, cached)


async def fetch_report_async(
    client: AsyncPlaidClient,
    access_token: str | SecretStr,
    *,
    account_ids: Sequence[str] | None = None,
    min_last_updated_datetime: datetime | None = None,
    cached: bool = False,
) -> Report:
    """The async twin of ``fetch_report``."""
    call = _balance_call(access_token, account_ids, min_last_updated_datetime, cached)
    try:
        response = await client.call(call)
    except PlaidFailure as exc:
        return _outcome(exc, client, cached)
    return _outcome(response, client, cached)


def get_balances(
    access_token: str | SecretStr,
    environment: str | Environment | None = None,
    account_ids: Sequence[str] | None = None,
    min_last_updated_datetime: datetime | None = None,
    *,
    client_id: str | None = None,
    secret: str | SecretStr | None = None,
    base_url: str | None = None,
    cached: bool = False,
) -> Report:
    """One call, one report. What is not given comes from the environment (``PLAID_CLIENT_ID``,
    ``PLAID_SECRET``, ``PLAID_ENVIRONMENT``, ``PLAID_BASE_URL``, ``PLAID_TIMEOUT``)."""
    with PlaidClient(client_id, secret, environment, base_url=base_url) as client:
        return fetch_report(
            client,
            access_token,
            account_ids=account_ids,
            min_last_updated_datetime=min_last_updated_datetime,
            cached=cached,
        )
