"""The balance job: one Item's balances as a report, from the library (sync or async).

``get_balances`` never raises for a Plaid or network failure: like the seed job, it returns a report
with ``success: false`` and the error. Configuration mistakes (no credentials, unknown environment)
are the caller's to fix and raise ``ConfigurationError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from plaid_balance import calls
from plaid_balance.client import AsyncPlaidClient, PlaidClient
from plaid_balance.config import Environment
from plaid_balance.errors import PlaidAPIError, PlaidNetworkError
from plaid_balance.models import AccountsGetResponse
from plaid_balance.report import BalanceReport, FailureReport, Report


def _explain(exc: PlaidAPIError) -> PlaidAPIError:
    """Add what Plaid's terse INVALID_FIELD does not say for Capital One Items."""
    if exc.error_code == "INVALID_FIELD" and "min_last_updated_datetime" in exc.error.error_message:
        hint = (
            " [plaid-balance: Capital One (ins_128026) needs --min-last-updated for non-depository accounts;"
            " e.g. --min-last-updated 2d]"
        )
        return PlaidAPIError(
            exc.error.model_copy(update={"error_message": exc.error.error_message + hint}), exc.http_status
        )
    return exc


def _balance_call(
    access_token: str,
    account_ids: Sequence[str] | None,
    min_last_updated_datetime: datetime | None,
    cached: bool,
) -> calls.PlaidCall[AccountsGetResponse]:
    if cached:
        return calls.accounts_get(access_token, account_ids)
    return calls.accounts_balance_get(access_token, account_ids, min_last_updated_datetime)


def _outcome(
    response: AccountsGetResponse | PlaidAPIError | PlaidNetworkError,
    client: PlaidClient | AsyncPlaidClient,
    cached: bool,
) -> Report:
    environment = client.environment.value
    if isinstance(response, PlaidAPIError):
        return FailureReport.from_exception(_explain(response), environment)
    if isinstance(response, PlaidNetworkError):
        return FailureReport.from_exception(response, environment)
    return BalanceReport.from_plaid(
        response, environment=environment, source="cached" if cached else "realtime"
    )


def fetch_report(
    client: PlaidClient,
    access_token: str,
    *,
    account_ids: Sequence[str] | None = None,
    min_last_updated_datetime: datetime | None = None,
    cached: bool = False,
) -> Report:
    """One Item's report through an existing client (``cached`` reads ``/accounts/get`` instead)."""
    call = _balance_call(access_token, account_ids, min_last_updated_datetime, cached)
    try:
        return _outcome(client.call(call), client, cached)
    except (PlaidAPIError, PlaidNetworkError) as exc:
        return _outcome(exc, client, cached)


async def fetch_report_async(
    client: AsyncPlaidClient,
    access_token: str,
    *,
    account_ids: Sequence[str] | None = None,
    min_last_updated_datetime: datetime | None = None,
    cached: bool = False,
) -> Report:
    """The async twin of ``fetch_report``."""
    call = _balance_call(access_token, account_ids, min_last_updated_datetime, cached)
    try:
        return _outcome(await client.call(call), client, cached)
    except (PlaidAPIError, PlaidNetworkError) as exc:
        return _outcome(exc, client, cached)


def get_balances(
    access_token: str,
    environment: str | Environment = Environment.SANDBOX,
    account_ids: Sequence[str] | None = None,
    min_last_updated_datetime: datetime | None = None,
    *,
    client_id: str | None = None,
    secret: str | None = None,
    base_url: str | None = None,
    cached: bool = False,
) -> Report:
    """The run job: credentials from the arguments or ``PLAID_CLIENT_ID`` / ``PLAID_SECRET``."""
    with PlaidClient(client_id, secret, environment, base_url=base_url) as client:
        return fetch_report(
            client,
            access_token,
            account_ids=account_ids,
            min_last_updated_datetime=min_last_updated_datetime,
            cached=cached,
        )
