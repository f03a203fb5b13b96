"""Sample balance history for the demo dashboard, the dashboard's tests and its benchmark.

Deterministic (a seeded random walk per account), written in bulk through the history's repository, one
complete snapshot per Item and day. Amounts are exact decimals with two places, and a few accounts carry
names with characters that must be shown literally (``<``, ``&``, ``[``, ``$``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from msgspec.structs import replace

from plaid_balance._report import AccountReport, BalanceReport
from plaid_balance.storage.database import Database
from plaid_balance.storage.history import BulkSnapshot

INSTITUTIONS: Final = (
    ("ins_109508", "First Platypus Bank"),
    ("ins_109509", "First Gingham Credit Union"),
    ("ins_109510", "Tattersall Federal Credit Union"),
    ("ins_109511", "Tartan Bank"),
    ("ins_109512", "Houndstooth Bank"),
    ("ins_128026", "Capital One"),
)
KINDS: Final = (
    ("depository", "checking", "Everyday Checking", Decimal("2400")),
    ("depository", "savings", "Rainy Day Savings", Decimal("12000")),
    ("credit", "credit card", "Rewards Card <Gold> & [Co]", Decimal("850")),
    ("investment", "brokerage", "Brokerage $ Account", Decimal("40000")),
    ("loan", "mortgage", "Home Mortgage", Decimal("210000")),
    ("depository", "money market", "Money Market", Decimal("5000")),
)
CENT: Final = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class SampleItem:
    item_id: str
    institution_id: str
    institution_name: str


def write_sample_history(
    database: Database,
    *,
    items: int = 6,
    accounts_per_item: int = 4,
    days: int = 120,
    end: datetime | None = None,
    currency: str = "USD",
    seed: int = 7,
    item_prefix: str = "sample-item",
) -> list[SampleItem]:
    """Write ``days`` daily snapshots for ``items`` Items into the history tables; return the Items."""
    rng = random.Random(seed)
    end = (end or datetime.now(UTC)).replace(microsecond=0)
    start = end - timedelta(days=days - 1)
    made: list[SampleItem] = []
    snapshots: list[BulkSnapshot] = []
    for n in range(items):
        institution_id, institution_name = INSTITUTIONS[n % len(INSTITUTIONS)]
        item = SampleItem(f"{item_prefix}-{n:03d}", institution_id, institution_name)
        made.append(item)
        kinds = [KINDS[(n + k) % len(KINDS)] for k in range(accounts_per_item)]
        balances = [base * Decimal(rng.randint(50, 150)) / 100 for (_, _, _, base) in kinds]
        for day in range(days):
            at = start + timedelta(days=day) - timedelta(minutes=rng.randint(0, 600))
            accounts = []
            for k, (kind, subtype, name, base) in enumerate(kinds):
                step = base * Decimal(rng.randint(-300, 320)) / 10000
                balances[k] = max(Decimal(0), balances[k] + step).quantize(CENT)
                current = balances[k]
                limit = Decimal("5000.00") if kind == "credit" else None
                available = (
                    (limit - current) if limit is not None else (current if kind == "depository" else None)
                )
                accounts.append(
                    AccountReport(
                        account_id=f"{item.item_id}-acct-{k}",
                        name=name,
                        type=kind,
                        subtype=subtype,
                        mask=f"{(n * 7 + k * 1111) % 10000:04d}",
                        current_balance=current,
                        available_balance=available,
                        currency=currency,
                        limit=limit,
                    )
                )
            snapshots.append(
                BulkSnapshot(
                    item_id=item.item_id,
                    request_id=f"sample-{item.item_id}-{day}",
                    institution_id=institution_id,
                    institution_name=institution_name,
                    environment="sandbox",
                    source="realtime",
                    retrieved_at=at,
                    accounts=accounts,
                )
            )
    database.history.add_bulk(snapshots)
    return made


def write_backfill(
    database: Database, reports: list[BalanceReport], *, days: int = 180, seed: int = 11
) -> int:
    """Daily sample snapshots for the ``days`` before each report, walking back from its balances (demo).

    Marked ``source = "stored"`` and with ``sample-`` request ids; returns the number of snapshots.
    """
    rng = random.Random(seed)
    snapshots: list[BulkSnapshot] = []
    for report in reports:
        balances = [a.current_balance for a in report.accounts]
        for back in range(1, days + 1):
            accounts = []
            for k, account in enumerate(report.accounts):
                value = balances[k]
                if value is not None:
                    value = max(Decimal(0), value + value * Decimal(rng.randint(-250, 240)) / 10000).quantize(
                        CENT
                    )
                    balances[k] = value
                accounts.append(replace(account, current_balance=value, last_updated_datetime=None))
            snapshots.append(
                BulkSnapshot(
                    item_id=report.item_id,
                    request_id=f"sample-{report.item_id}-{back}",
                    institution_id=report.institution_id,
                    institution_name=report.institution_name,
                    environment=report.environment,
                    source="stored",
                    retrieved_at=report.retrieved_at - timedelta(days=back),
                    accounts=accounts,
                )
            )
    return database.history.add_bulk(snapshots)
