"""The sufficient-funds check: can this account cover this amount, right now? (docs/funds-check.md)

The decision uses the balance Plaid's guidance says to use:

* **available** whenever Plaid gives it (for credit accounts it is the remaining credit);
* **current**, for depository accounts only, when available is null: Plaid says not every institution
  computes available, and for depository accounts current is the ledger balance;
* **limit − current**, for credit accounts only, when available is null and both are known;
* nothing else: loans, investments without an available balance, or an account with neither figure
  cannot be decided and raise ``FundsCheckError`` (never a pass).

A balance older than ``max_age`` or the ``min_last_updated_datetime`` floor is reported as stale and does
not pass. For ACH debits Plaid now recommends ``/signal/evaluate`` with a Balance-only ruleset instead.

>>> decision = check_funds(token, "acc-1", "125.00")                   # doctest: +SKIP
>>> decision.passed, decision.reason
"""

from plaid_balance._errors import FundsCheckError
from plaid_balance.funds._amount import (
    check_amount,
    check_precision,
    minor_units,
    parse_amount,
    parse_currency,
)
from plaid_balance.funds._check import check_funds
from plaid_balance.funds._decide import (
    BalanceUsed,
    Decision,
    FundsDecision,
    ReasonCode,
    decide,
    decide_report,
)

__all__ = [
    "BalanceUsed",
    "Decision",
    "FundsCheckError",
    "FundsDecision",
    "ReasonCode",
    "check_amount",
    "check_funds",
    "check_precision",
    "decide",
    "decide_report",
    "minor_units",
    "parse_amount",
    "parse_currency",
]
