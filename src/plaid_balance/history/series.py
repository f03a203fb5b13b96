"""Series built from stored snapshots: balances per account, and per currency assets/liabilities/net.

Totals over time carry each account's last known balance forward: an Item fetched at 09:00 and another
at 09:05 both count in the 09:05 total. A snapshot of all of an Item's accounts replaces what was known
about that Item (an account it no longer lists drops out); a snapshot of some accounts updates only
those. Totals follow ``report.currency_totals``: never across currencies, liabilities are credit and
loan ``current`` (amounts owed), net = assets − liabilities.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any

from plaid_balance._money import EXACT
from plaid_balance._report import AccountReport, currency_totals

from .store import HistoryStore, StoredSnapshot


@dataclass(frozen=True, slots=True)
class AccountPoint:
    at: datetime
    snapshot_id: int
    account: AccountReport


@dataclass(slots=True)
class AccountSeries:
    item_id: str
    institution_id: str | None
    institution_name: str | None
    account_id: str
    points: list[AccountPoint] = field(default_factory=list)

    @property
    def latest(self) -> AccountReport:
        return self.points[-1].account

    @property
    def label(self) -> str:
        latest = self.latest
        mask = f" ••{latest.mask}" if latest.mask else ""
        return f"{latest.name}{mask}"


@dataclass(frozen=True, slots=True)
class TotalsPoint:
    at: datetime
    assets: Decimal
    liabilities: Decimal
    net: Decimal


@dataclass(slots=True)
class History:
    accounts: list[AccountSeries]
    totals: dict[str, list[TotalsPoint]]
    snapshot_count: int

    @property
    def empty(self) -> bool:
        return self.snapshot_count == 0


def build_history(snapshots: Iterable[StoredSnapshot], *, account_id: str | None = None) -> History:
    """Per-account series and per-currency totals; every sum exact to the last digit."""
    with localcontext(EXACT):
        return _build(snapshots, account_id)


def _build(snapshots: Iterable[StoredSnapshot], account_id: str | None) -> History:
    series: dict[tuple[str, str], AccountSeries] = {}
    known: dict[str, dict[str, AccountReport]] = {}  # item_id -> account_id -> last known
    totals: dict[str, list[TotalsPoint]] = {}
    count = 0
    for stored in snapshots:
        report = stored.report
        accounts = [a for a in report.accounts if account_id is None or a.account_id == account_id]
        if not accounts:
            continue
        count += 1
        for account in accounts:
            key = (report.item_id, account.account_id)
            if key not in series:
                series[key] = AccountSeries(
                    report.item_id, report.institution_id, report.institution_name, account.account_id
                )
            series[key].points.append(AccountPoint(report.retrieved_at, stored.id, account))
        item_known = known.setdefault(report.item_id, {})
        if stored.complete and account_id is None:
            item_known.clear()
        item_known.update({a.account_id: a for a in accounts})
        current = currency_totals(a for item in known.values() for a in item.values())
        for code, t in current.items():
            points = totals.setdefault(code, [])
            point = TotalsPoint(report.retrieved_at, t.assets, t.liabilities, t.net)
            # Two snapshots at the same instant make one point: the later, fuller picture.
            if points and points[-1].at == point.at:
                points[-1] = point
            else:
                points.append(point)
    ordered = sorted(series.values(), key=lambda s: (s.latest.currency or "", s.item_id, s.label))
    return History(accounts=ordered, totals=dict(sorted(totals.items())), snapshot_count=count)


def load_history(
    store: HistoryStore,
    *,
    item_id: str | None = None,
    account_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> History:
    snapshots = store.snapshots(item_id=item_id, account_id=account_id, since=since, until=until)
    return build_history(snapshots, account_id=account_id)


def history_to_jsonable(history: History) -> dict[str, Any]:
    """The ``history --format json`` document; Decimals stay Decimals (exact when encoded as numbers)."""
    return {
        "snapshot_count": history.snapshot_count,
        "accounts": [
            {
                "item_id": s.item_id,
                "institution_id": s.institution_id,
                "institution_name": s.institution_name,
                "account_id": s.account_id,
                "name": s.latest.name,
                "mask": s.latest.mask,
                "type": s.latest.type,
                "subtype": s.latest.subtype,
                "currency": s.latest.currency,
                "points": [
                    {
                        "at": p.at,
                        "current_balance": p.account.current_balance,
                        "available_balance": p.account.available_balance,
                        "limit": p.account.limit,
                        "snapshot_id": p.snapshot_id,
                    }
                    for p in s.points
                ],
            }
            for s in history.accounts
        ],
        "totals": {
            code: [
                {"at": p.at, "assets": p.assets, "liabilities": p.liabilities, "net": p.net} for p in points
            ]
            for code, points in history.totals.items()
        },
    }
