"""Series built from stored snapshots: balances per account, and per currency assets/liabilities/net.

Totals over time carry each account's last known balance forward: an Item fetched at 09:00 and another
at 09:05 both count in the 09:05 total. A snapshot of all of an Item's accounts replaces what was known
about that Item (an account it no longer lists drops out); a snapshot of some accounts updates only
those. Totals follow ``report.currency_totals``: never across currencies, liabilities are credit and
loan ``current`` (amounts owed), net = assets − liabilities.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from plaid_balance._report import AccountReport, currency_totals

from .store import HistoryStore, StoredSnapshot

CSV_COLUMNS = (
    "kind",
    "at",
    "currency",
    "item_id",
    "institution_id",
    "account_id",
    "name",
    "mask",
    "type",
    "subtype",
    "current_balance",
    "available_balance",
    "limit",
    "assets",
    "liabilities",
    "net",
    "snapshot_id",
)


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


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def history_to_jsonable(history: History) -> dict[str, Any]:
    """The ``history --format json`` document: Decimals stay Decimals (render.to_json writes them exactly)."""
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


def history_to_csv(history: History) -> str:
    """One CSV: ``kind=account`` rows (one per account per snapshot), then ``kind=total`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in history.accounts:
        for p in s.points:
            a = p.account
            row: dict[str, object] = {
                "kind": "account",
                "at": _iso(p.at),
                "currency": a.currency,
                "item_id": s.item_id,
                "institution_id": s.institution_id,
                "account_id": a.account_id,
                "name": a.name,
                "mask": a.mask,
                "type": a.type,
                "subtype": a.subtype,
                "current_balance": a.current_balance,
                "available_balance": a.available_balance,
                "limit": a.limit,
                "snapshot_id": p.snapshot_id,
            }
            writer.writerow([_text(row.get(c)) for c in CSV_COLUMNS])
    for code, points in history.totals.items():
        for t in points:
            row = {
                "kind": "total",
                "at": _iso(t.at),
                "currency": code,
                "assets": t.assets,
                "liabilities": t.liabilities,
                "net": t.net,
            }
            writer.writerow([_text(row.get(c)) for c in CSV_COLUMNS])
    return buffer.getvalue()


def history_tables(history: History) -> list[Any]:
    """Rich tables: one per account (its balances over time) and one per currency (totals)."""
    from rich.table import Table

    from plaid_balance.cli.render import money

    tables: list[Any] = []
    for s in history.accounts:
        latest = s.latest
        owed = " (owed)" if latest.is_liability else ""
        table = Table(
            title=f"{s.label} · {latest.type}/{latest.subtype or '—'} · {latest.currency or '—'}",
            caption=f"{s.institution_name or s.institution_id or 'Item'} · {s.item_id} · {s.account_id}",
        )
        table.add_column("Retrieved (UTC)")
        table.add_column("Current" + owed, justify="right")
        table.add_column("Available", justify="right")
        table.add_column("Limit", justify="right")
        for p in s.points:
            table.add_row(
                _iso(p.at),
                money(p.account.current_balance),
                money(p.account.available_balance),
                money(p.account.limit),
            )
        tables.append(table)
    for code, points in history.totals.items():
        table = Table(title=f"Totals {code}", caption="assets − liabilities (credit and loan owed) = net")
        table.add_column("At (UTC)")
        table.add_column("Assets", justify="right")
        table.add_column("Liabilities", justify="right")
        table.add_column("Net", justify="right")
        for t in points:
            table.add_row(_iso(t.at), money(t.assets), money(t.liabilities), f"[bold]{money(t.net)}[/bold]")
        tables.append(table)
    return tables
