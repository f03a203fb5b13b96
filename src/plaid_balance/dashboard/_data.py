"""What the dashboard shows, read from the history database (snapshots, vault, watch state); no HTTP here.

Snapshots never change once written, so each one's per-currency totals are computed once and kept in an
in-process index (``_SnapshotIndex``), brought up to date on every read by asking only for snapshots with
a higher id. Net-worth and per-Item series are then sweeps over that index; per-account series ask the
database for the rows of the few snapshots a chart needs (one per Item and bucket), through the
``(snapshot_id, account_id)`` unique index. Money stays ``Decimal`` and sums are exact (``_money``).
Every read goes through the dashboard's repository (``plaid_balance.storage.dashboard``).

Only complete snapshots (every account of the Item, not an ``--account-id`` subset) count: a partial one
would make an Item's net worth jump.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final, Literal

from plaid_balance._health import Health
from plaid_balance._money import ZERO, exact_sub, exact_sum
from plaid_balance._report import AccountReport
from plaid_balance.models import LIABILITY_TYPES
from plaid_balance.storage.dashboard import DashboardRepository, ItemNames
from plaid_balance.storage.database import Database

MAX_POINTS: Final = 240  # a chart is ~1,000 px wide: more points than this are not seen, only paid for
MAX_VALUES: Final = 18_000  # points × series in one chart: 600 accounts get 30 points each (decision 67)
RANGES: Final = {"30d": 30, "90d": 90, "1y": 365, "2y": 730, "all": None}


@dataclass(frozen=True, slots=True)
class Totals:
    assets: Decimal = ZERO
    liabilities: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return exact_sub(self.assets, self.liabilities)

    def plus(self, other: Totals) -> Totals:
        return Totals(
            exact_sum([self.assets, other.assets]), exact_sum([self.liabilities, other.liabilities])
        )


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    id: int
    item_id: str
    at: datetime
    source: str
    institution_name: str | None
    totals: dict[str, Totals]
    accounts: int


@dataclass(frozen=True, slots=True)
class ItemRow:
    item_id: str
    alias: str
    institution: str | None
    health: Health
    health_reason: str | None
    last_refresh: datetime | None
    source: str | None
    accounts: int
    totals: dict[str, Totals]

    @property
    def repair_command(self) -> str | None:
        if self.health.repairable:
            return f"plaid-balance link --update {self.alias}"
        return None


@dataclass(frozen=True, slots=True)
class AccountRow:
    """An account of the latest snapshot as the Accounts page lists it: the report's own account, with
    its Item's alias and institution and the snapshot's time. The page's columns read it by name."""

    alias: str
    institution: str | None
    item_id: str
    account: AccountReport
    at: datetime

    @property
    def account_id(self) -> str:
        return self.account.account_id

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def mask(self) -> str | None:
        return self.account.mask

    @property
    def type(self) -> str:
        return self.account.type

    @property
    def subtype(self) -> str | None:
        return self.account.subtype

    @property
    def current(self) -> Decimal | None:
        return self.account.current_balance

    @property
    def available(self) -> Decimal | None:
        return self.account.available_balance

    @property
    def limit(self) -> Decimal | None:
        return self.account.limit

    @property
    def currency(self) -> str | None:
        return self.account.currency


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a chart: exact values (``None`` is a gap) at the chart's shared timestamps."""

    key: str
    label: str
    values: tuple[Decimal | None, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    currency: str | None
    times: tuple[datetime, ...]
    series: tuple[Series, ...]
    window: tuple[datetime, datetime] | None = None  # what the axis covers: the range chosen, no more


@dataclass(frozen=True, slots=True)
class AlertRow:
    at: datetime
    kind: str
    title: str
    message: str


def _totals_of(rows: Iterable[tuple[str | None, str, Decimal | None]]) -> dict[str, Totals]:
    assets: dict[str, list[Decimal]] = defaultdict(list)
    owed: dict[str, list[Decimal]] = defaultdict(list)
    for currency, kind, current in rows:
        if currency is None or current is None:
            continue
        (owed if kind in LIABILITY_TYPES else assets)[currency].append(current)
    return {c: Totals(exact_sum(assets.get(c, ())), exact_sum(owed.get(c, ()))) for c in {*assets, *owed}}


def _add(a: dict[str, Totals], b: dict[str, Totals]) -> dict[str, Totals]:
    out = dict(a)
    for currency, totals in b.items():
        out[currency] = out[currency].plus(totals) if currency in out else totals
    return out


@dataclass
class _SnapshotIndex:
    """Every complete snapshot's totals, by Item and time; filled incrementally by snapshot id."""

    by_item: dict[str, list[SnapshotInfo]] = field(default_factory=dict)
    times: dict[str, list[datetime]] = field(default_factory=dict)  # by_item's ``at``s, for bisect
    currencies: set[str] = field(default_factory=set)
    watermark: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, repository: DashboardRepository) -> None:
        with self.lock:
            snaps, balances = repository.complete_snapshots_after(self.watermark)
            if not snaps:
                return
            rows: dict[int, list[tuple[str | None, str, Decimal | None]]] = defaultdict(list)
            for balance in balances:
                rows[balance.snapshot_id].append((balance.currency, balance.type, balance.current))
            touched: set[str] = set()
            for head in snaps:
                found = rows.get(head.id, [])
                info = SnapshotInfo(
                    head.id,
                    head.item_id,
                    head.retrieved_at,
                    head.source,
                    head.institution_name,
                    _totals_of(found),
                    len(found),
                )
                self.by_item.setdefault(head.item_id, []).append(info)
                self.currencies.update(info.totals)
                touched.add(head.item_id)
            for item_id in touched:  # ids grow with insertion, not always with retrieved_at
                self.by_item[item_id].sort(key=lambda s: (s.at, s.id))
                self.times[item_id] = [s.at for s in self.by_item[item_id]]
            self.watermark = max(self.watermark, snaps[-1].id)

    def at_or_before(self, item_id: str, when: datetime) -> SnapshotInfo | None:
        i = bisect.bisect_right(self.times.get(item_id, ()), when)
        return self.by_item[item_id][i - 1] if i else None

    def latest(self) -> dict[str, SnapshotInfo]:
        return {item_id: snaps[-1] for item_id, snaps in self.by_item.items() if snaps}

    def span(self) -> tuple[datetime, datetime] | None:
        starts = [s[0].at for s in self.by_item.values() if s]
        ends = [s[-1].at for s in self.by_item.values() if s]
        return (min(starts), max(ends)) if starts else None


# Bucket lengths for windows too short for whole days (seconds): what "the resolution the data has" can be.
SHORT_STEPS: Final = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200)
DAY_POINTS: Final = 30  # windows with fewer whole days than this are drawn in hours or minutes


def buckets(start: datetime, end: datetime, max_points: int = MAX_POINTS) -> list[datetime]:
    """Bucket ends from ``start`` to ``end``, never beyond ``end`` (the last one is ``end``).

    A window of ``DAY_POINTS`` days or more: whole days (the end of each), as many days per bucket as
    keeps ≤ max_points. A shorter one (a first day's watch, a week of history): the shortest of
    ``SHORT_STEPS`` that keeps ≤ max_points, aligned to the clock (every 30 s, 5 min, 1 h, ...).
    """
    span = end - start
    if span >= timedelta(days=DAY_POINTS):
        first = start.replace(hour=23, minute=59, second=59, microsecond=999999)
        days = max(1, (end - first).days + 2)
        step = max(1, -(-days // max_points))
        out = [t for t in (first + timedelta(days=i) for i in range(0, days, step)) if t < end]
    else:
        seconds = span.total_seconds()
        size = next((s for s in SHORT_STEPS if seconds / s <= max_points - 1), SHORT_STEPS[-1])
        epoch = int(start.timestamp())
        aligned = -(-epoch // size) * size  # the first boundary at or after start
        count = max(0, int((end.timestamp() - aligned) // size) + 1)
        out = [datetime.fromtimestamp(aligned + i * size, UTC) for i in range(count)]
        out = [t for t in out if t < end]
    out.append(end)
    return out


class DashboardData:
    """Read-only views over one history database. Thread-safe; cheap to call on every request."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] | None = None) -> None:
        # The dashboard only reads: it must never hold up the watch's or a fetch's writes.
        self.database = database.reader()
        self._repository = self.database.dashboard
        self.clock = clock or (lambda: datetime.now(UTC))
        self._index = _SnapshotIndex()

    def refresh(self) -> None:
        self._index.refresh(self._repository)

    # -- Items and accounts ------------------------------------------------------------------------

    def _meta(self) -> dict[str, ItemNames]:
        meta = {row.item_id: row for row in self._repository.vault_names()}
        # The watch learns health from calls and webhooks; it is the fresher word when it runs.
        for row in self._repository.watch_names():
            known = meta.get(row.item_id)
            if known is None:
                meta[row.item_id] = row
            elif known.health is not Health.REMOVED:
                meta[row.item_id] = replace(known, health=row.health, health_reason=row.health_reason)
        return meta

    def items(self) -> list[ItemRow]:
        self.refresh()
        meta = self._meta()
        latest = self._index.latest()
        rows = []
        for item_id in {*meta, *latest}:
            m = meta.get(item_id)
            snap = latest.get(item_id)
            rows.append(
                ItemRow(
                    item_id=item_id,
                    alias=m.alias if m else item_id,
                    institution=(m.institution_name if m else None)
                    or (snap.institution_name if snap else None),
                    health=m.health if m else Health.OK,
                    health_reason=m.health_reason if m else None,
                    last_refresh=snap.at if snap else None,
                    source=snap.source if snap else None,
                    accounts=snap.accounts if snap else 0,
                    totals=snap.totals if snap else {},
                )
            )
        return sorted(rows, key=lambda r: r.alias.casefold())

    def net_worth(self) -> dict[str, Totals]:
        self.refresh()
        total: dict[str, Totals] = {}
        for snap in self._index.latest().values():
            total = _add(total, snap.totals)
        return dict(sorted(total.items()))

    def accounts(self) -> list[AccountRow]:
        self.refresh()
        latest = self._index.latest()
        meta = self._meta()
        by_snapshot = {s.id: s for s in latest.values()}
        if not by_snapshot:
            return []
        out = []
        for snapshot_id, account in self._repository.accounts(list(by_snapshot)):
            snap = by_snapshot[snapshot_id]
            m = meta.get(snap.item_id)
            out.append(
                AccountRow(
                    alias=m.alias if m else snap.item_id,
                    institution=(m.institution_name if m else None) or snap.institution_name,
                    item_id=snap.item_id,
                    account=account,
                    at=snap.at,
                )
            )
        return out

    def alerts(self, limit: int = 200) -> list[AlertRow] | None:
        """The watch's alert history, newest first; ``None`` when no watch has ever used this database."""
        events = self._repository.alerts(limit)
        if events is None:
            return None
        return [AlertRow(e.at, e.kind, e.title, e.message) for e in events]

    # -- Charts ------------------------------------------------------------------------------------

    def latest_at(self) -> datetime | None:
        """When the newest complete snapshot was retrieved (None before the first)."""
        self.refresh()
        span = self._index.span()
        return span[1] if span is not None else None

    def currencies(self) -> list[str]:
        self.refresh()
        return sorted(self._index.currencies)

    def window(self, range_key: str) -> tuple[datetime, datetime] | None:
        span = self._index.span()
        if span is None:
            return None
        days = RANGES.get(range_key, 90)
        end = max(span[1], self.clock())
        start = span[0] if days is None else max(span[0], end - timedelta(days=days))
        return start, end

    def _totals_frame(
        self, range_key: str, currency: str | None
    ) -> tuple[tuple[datetime, datetime] | None, str | None]:
        """What a chart of totals is drawn over: the range's window (None: nothing stored) and its
        currency, the one asked for or else the first stored (None: no balance has one)."""
        self.refresh()
        return self.window(range_key), currency or next(iter(self.currencies()), None)

    def net_worth_chart(self, range_key: str, currency: str | None) -> Chart:
        window, currency = self._totals_frame(range_key, currency)
        if window is None or currency is None:
            return Chart("Net worth", currency, (), ())
        times = buckets(*window)
        items = list(self._index.by_item)
        assets, owed, net = [], [], []
        for t in times:
            total = Totals()
            seen = False
            for item_id in items:
                snap = self._index.at_or_before(item_id, t)
                if snap is not None and currency in snap.totals:
                    total, seen = total.plus(snap.totals[currency]), True
            assets.append(total.assets if seen else None)
            owed.append(total.liabilities if seen else None)
            net.append(total.net if seen else None)
        return Chart(
            f"Net worth ({currency})",
            currency,
            tuple(times),
            (
                Series("net", "Net worth", tuple(net)),
                Series("assets", "Assets", tuple(assets)),
                Series("liabilities", "Liabilities", tuple(owed)),
            ),
            window,
        )

    def items_chart(self, range_key: str, currency: str | None) -> Chart:
        window, currency = self._totals_frame(range_key, currency)
        if window is None or currency is None:
            return Chart("Net by Item", currency, (), ())
        times = buckets(*window)
        meta = self._meta()
        series = []
        for item_id in sorted(
            self._index.by_item, key=lambda i: (meta[i].alias if i in meta else i).casefold()
        ):
            values: list[Decimal | None] = []
            for t in times:
                snap = self._index.at_or_before(item_id, t)
                values.append(snap.totals[currency].net if snap and currency in snap.totals else None)
            if any(v is not None for v in values):
                label = meta[item_id].alias if item_id in meta else item_id
                series.append(Series(item_id, label, tuple(values)))
        return Chart(f"Net by Item ({currency})", currency, tuple(times), tuple(series), window)

    def accounts_chart(self, range_key: str, item_ref: str | None, field_name: str = "current") -> Chart:
        """Every account of one Item (or of all Items), one line each, one point per bucket."""
        self.refresh()
        window = self.window(range_key)
        meta = self._meta()
        item_ids = [
            i for i in self._index.by_item if item_ref in (None, "", i) or _alias_of(meta, i) == item_ref
        ]
        if window is None or not item_ids:
            return Chart("Accounts", None, (), ())
        accounts = sum(self._index.by_item[i][-1].accounts for i in item_ids)
        times = buckets(*window, max_points=max(30, min(MAX_POINTS, MAX_VALUES // max(1, accounts))))
        # The newest snapshot in each bucket, per Item: ≤ MAX_POINTS snapshot ids per Item.
        chosen: dict[int, tuple[int, SnapshotInfo]] = {}  # snapshot id -> (bucket index, snapshot)
        for item_id in item_ids:
            lo = window[0]
            for i, t in enumerate(times):
                snap = self._index.at_or_before(item_id, t)
                if snap is not None and snap.at >= lo:
                    chosen[snap.id] = (i, snap)
                lo = t
        values: dict[tuple[str, str], list[Decimal | None]] = {}
        first_seen: dict[tuple[str, str], int] = {}  # the snapshot whose row names the account
        # snapshot_accounts alone (the index knows each snapshot's Item and currencies), by snapshot id.
        field: Literal["current", "available"] = "available" if field_name == "available" else "current"
        for sid, account_id, money in self._repository.account_values(sorted(chosen), field):
            bucket, snap = chosen[sid]
            key = (snap.item_id, account_id)
            line = values.get(key)
            if line is None:
                line = values[key] = [None] * len(times)
                first_seen[key] = sid
            line[bucket] = money
        labels: dict[tuple[str, str], str] = {}
        wanted = set(first_seen.items())
        for sid, account_id, name, mask in self._repository.account_names(sorted(set(first_seen.values()))):
            key = (chosen[sid][1].item_id, account_id)
            if (key, sid) in wanted:
                mask_text = f" ••{mask}" if mask else ""
                labels[key] = f"{_alias_of(meta, key[0])} · {name}{mask_text}"
        currencies = {c for _, snap in chosen.values() for c in snap.totals}
        series = tuple(
            Series(f"{k[0]}:{k[1]}", labels[k], tuple(v))
            for k, v in sorted(values.items(), key=lambda kv: labels[kv[0]].casefold())
        )
        currency = next(iter(currencies)) if len(currencies) == 1 else None
        what = "Available" if field_name == "available" else "Current"
        title = f"{what} balance by account" + (f" — {_alias_of(meta, item_ref)}" if item_ref else "")
        return Chart(title, currency, tuple(times), series, window)

    def item_choices(self) -> list[tuple[str, str]]:
        self.refresh()
        meta = self._meta()
        return sorted(((i, _alias_of(meta, i)) for i in self._index.by_item), key=lambda p: p[1].casefold())


def _alias_of(meta: dict[str, ItemNames], item_id: str | None) -> str:
    if item_id is None:
        return ""
    m = meta.get(item_id)
    return m.alias if m else item_id
