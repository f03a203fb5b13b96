"""The one path of a funds check, used by ``plaid-balance check`` and by library users alike.

Order matters because each real-time balance call is billed: the amount (and, when given, its currency)
is judged first; then a stored balance young enough (``max_age``) is used if there is one; only then
is Plaid called, with the one account requested.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from plaid_balance._client import PlaidClient
from plaid_balance._error_body import funds_check_failure
from plaid_balance._fetch import fetch_report
from plaid_balance._report import BalanceReport, FailureReport, Report
from plaid_balance._secret import SecretStr
from plaid_balance.funds._amount import check_amount, parse_amount, parse_currency
from plaid_balance.funds._decide import FundsDecision, decide_report
from plaid_balance.history.recall import fetch_or_recall

if TYPE_CHECKING:
    from plaid_balance.history import HistoryStore


def check_funds(
    access_token: str | SecretStr,
    account_id: str,
    amount: Decimal | str,
    currency: str | None = None,
    *,
    client: PlaidClient | Callable[[], PlaidClient] | None = None,
    min_last_updated_datetime: datetime | None = None,
    max_age: timedelta | None = None,
    store: HistoryStore | None = None,
    save: bool = False,
    now: datetime | None = None,
) -> FundsDecision | FailureReport:
    """Can ``account_id`` cover ``amount`` (in ``currency``, default the account's)? Decide on a fresh
    balance, or on a stored one at most ``max_age`` old when ``store`` holds one.

    ``client`` is a ``PlaidClient``, or a function that makes one (called only if Plaid must be asked;
    the client it makes is closed here), or None for a client from the ``PLAID_*`` variables.

    Returns the ``FundsDecision`` (``passed`` or not), or the ``FailureReport`` when Plaid or the
    network failed. Raises ``FundsCheckError`` when the check cannot decide (bad amount or currency,
    no usable balance, another currency, unknown account), before any call whenever it can be known
    before. History database failures raise ``StorageError``.
    """
    value = parse_amount(amount) if isinstance(amount, str) else amount
    code = parse_currency(currency) if currency is not None else None
    check_amount(value, code)
    if not isinstance(account_id, str) or not account_id.strip():
        raise funds_check_failure("INVALID_ACCOUNT_ID", "the account id is empty")
    raw = access_token.get_secret_value() if isinstance(access_token, SecretStr) else access_token

    def ask(plaid: PlaidClient) -> Report:
        return fetch_report(
            plaid, access_token, account_ids=[account_id], min_last_updated_datetime=min_last_updated_datetime
        )

    def fetch() -> Report:
        if isinstance(client, PlaidClient):
            return ask(client)
        with (client or PlaidClient)() as made:
            return ask(made)

    if store is None:
        report = fetch()
    else:
        report = fetch_or_recall(store, raw, fetch, max_age=max_age, save=save, account_ids=[account_id])
    if isinstance(report, FailureReport):
        return report
    assert isinstance(report, BalanceReport)
    return decide_report(
        report, account_id, value, code, max_age=max_age, floor=min_last_updated_datetime, now=now
    )
