"""Sample balance history for the demo dashboard, the dashboard's tests and its benchmark.

Deterministic (a seeded random walk per account), written in bulk straight into the history tables, one
complete snapshot per Item and day. Amounts are exact decimals with two places, and a few accounts carry
names with characters that must be shown literally (``<``, ``&``, ``[``, ``$``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import Engine, func, insert, select

from plaid_balance._report import BalanceReport
from plaid_balance.history._schema import Snapshot, SnapshotAccount

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
    engine: Engine,
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
    with engine.begin() as conn:
        next_id = (conn.execute(select(func.max(Snapshot.id))).scalar() or 0) + 1
        made: list[SampleItem] = []
        for n in range(items):
            institution_id, institution_name = INSTITUTIONS[n % len(INSTITUTIONS)]
            item = SampleItem(f"{item_prefix}-{n:03d}", institution_id, institution_name)
            made.append(item)
            kinds = [KINDS[(n + k) % len(KINDS)] for k in range(accounts_per_item)]
            balances = [base * Decimal(rng.randint(50, 150)) / 100 for (_, _, _, base) in kinds]
            snapshots, rows = [], []
            for day in range(days):
                at = start + timedelta(days=day) - timedelta(minutes=rng.randint(0, 600))
                sid = next_id
                next_id += 1
                snapshots.append(
                    {
                        "id": sid,
                        "item_id": item.item_id,
                        "request_id": f"sample-{item.item_id}-{day}",
                        "institution_id": institution_id,
                        "institution_name": institution_name,
                        "environment": "sandbox",
                        "source": "realtime",
                        "complete": True,
                        "retrieved_at": at,
                        "saved_at": at,
                    }
                )
                for k, (kind, subtype, name, base) in enumerate(kinds):
                    step = base * Decimal(rng.randint(-300, 320)) / 10000
                    balances[k] = max(Decimal(0), balances[k] + step).quantize(CENT)
                    current = balances[k]
                    limit = Decimal("5000.00") if kind == "credit" else None
                    available = (
                        (limit - current)
                        if limit is not None
                        else (current if kind == "depository" else None)
                    )
                    rows.append(
                        {
                            "snapshot_id": sid,
                            "position": k,
                            "account_id": f"{item.item_id}-acct-{k}",
                            "name": name,
                            "official_name": None,
                            "type": kind,
                            "subtype": subtype,
                            "mask": f"{(n * 7 + k * 1111) % 10000:04d}",
                            "currency": currency,
                            "current_balance": current,
                            "available_balance": available,
                            "credit_limit": limit,
                            "last_updated_datetime": None,
                        }
                    )
            conn.execute(insert(Snapshot), snapshots)
            for i in range(0, len(rows), 20000):
                conn.execute(insert(SnapshotAccount), rows[i : i + 20000])
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('snapshots', 'id'), (SELECT max(id) FROM snapshots))"
            )
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('snapshot_accounts', 'id'), (SELECT max(id) FROM snapshot_accounts))"
            )
    return made


def write_backfill(engine: Engine, reports: list[BalanceReport], *, days: int = 180, seed: int = 11) -> int:
    """Daily sample snapshots for the ``days`` before each report, walking back from its balances (demo).

    Marked ``source = "stored"`` and with ``sample-`` request ids; returns the number of snapshots.
    """
    rng = random.Random(seed)
    written = 0
    with engine.begin() as conn:
        next_id = (conn.execute(select(func.max(Snapshot.id))).scalar() or 0) + 1
        for report in reports:
            balances = [a.current_balance for a in report.accounts]
            snapshots, rows = [], []
            for back in range(1, days + 1):
                at = report.retrieved_at - timedelta(days=back)
                sid, next_id = next_id, next_id + 1
                snapshots.append(
                    {
                        "id": sid,
                        "item_id": report.item_id,
                        "request_id": f"sample-{report.item_id}-{back}",
                        "institution_id": report.institution_id,
                        "institution_name": report.institution_name,
                        "environment": report.environment,
                        "source": "stored",
                        "complete": True,
                        "retrieved_at": at,
                        "saved_at": at,
                    }
                )
                for k, account in enumerate(report.accounts):
                    value = balances[k]
                    if value is not None:
                        value = max(
                            Decimal(0), value + value * Decimal(rng.randint(-250, 240)) / 10000
                        ).quantize(CENT)
                        balances[k] = value
                    rows.append(
                        {
                            "snapshot_id": sid,
                            "position": k,
                            "account_id": account.account_id,
                            "name": account.name,
                            "official_name": account.official_name,
                            "type": account.type,
                            "subtype": account.subtype,
                            "mask": account.mask,
                            "currency": account.currency,
                            "current_balance": value,
                            "available_balance": account.available_balance,
                            "credit_limit": account.limit,
                            "last_updated_datetime": None,
                        }
                    )
            conn.execute(insert(Snapshot), snapshots)
            conn.execute(insert(SnapshotAccount), rows)
            written += len(snapshots)
    return written
