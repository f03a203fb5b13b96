"""The one fetch-or-recall every command uses: a stored report when fresh enough, else Plaid's (saved).

Each real-time balance call is billed by Plaid; ``--max-age`` answers from the newest stored snapshot of
the Item when it is recent enough, and ``--save`` stores what had to be fetched. The Item is known by
``item_id`` (from the vault) or found by the token's fingerprint, so a rotated token keeps its history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple

from plaid_balance._report import BalanceReport, FailureReport

if TYPE_CHECKING:  # this module stays importable without SQLAlchemy (commands import it for --help)
    from .store import HistoryStore, Token

Report = BalanceReport | FailureReport


class Recall(NamedTuple):
    """Cost-aware fetching for one run: how old a stored answer may be, and whether to save new ones.

    ``account_ids`` is the filter the reports are fetched with (None: all the Item's accounts). A named
    tuple, not a frozen dataclass: every ``get`` imports this module, and building a slotted dataclass
    costs a millisecond.
    """

    store: HistoryStore
    max_age: timedelta | None
    save: bool
    account_ids: Sequence[str] | None = None

    def recall(self, access_token: Token, *, item_id: str | None = None) -> BalanceReport | None:
        if self.max_age is None:
            return None
        return self.store.fresh_report(
            max_age=self.max_age, item_id=item_id, access_token=access_token, account_ids=self.account_ids
        )

    def remember(self, access_token: Token, report: Report) -> None:
        # A stored answer is not stored again; a failure stores nothing.
        if self.save and isinstance(report, BalanceReport) and report.source != "stored":
            self.store.save(report, access_token=access_token, requested_account_ids=self.account_ids)


def fetch_or_recall(
    store: HistoryStore | None,
    access_token: Token,
    fetch: Callable[[], Report],
    *,
    max_age: timedelta | None,
    save: bool,
    account_ids: Sequence[str] | None = None,
    item_id: str | None = None,
) -> Report:
    """A stored report no older than ``max_age`` if there is one, else ``fetch()`` (saved if ``save``).

    Without a store this is just ``fetch()``. Storage failures raise ``HistoryError``.
    """
    if store is None:
        return fetch()
    recall = Recall(store, max_age=max_age, save=save, account_ids=account_ids)
    report = recall.recall(access_token, item_id=item_id) or fetch()
    recall.remember(access_token, report)
    return report
