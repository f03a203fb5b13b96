"""How old a balance is, and whether it is too old to act on.

A report's balances are as of ``retrieved_at``, except where Plaid says otherwise: Capital One
(``ins_128026``) non-depository accounts carry ``last_updated_datetime``, which may be days older than
the call. This module is pure (no database) so that ``funds`` can use it without importing SQLAlchemy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plaid_balance._report import AccountReport, BalanceReport, utc_now


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def balance_time(account: AccountReport, report: BalanceReport) -> datetime:
    """When the institution last refreshed this account's balance, as far as Plaid tells us."""
    if account.last_updated_datetime is not None:
        return min(_aware(account.last_updated_datetime), _aware(report.retrieved_at))
    return _aware(report.retrieved_at)


def balance_age(account: AccountReport, report: BalanceReport, now: datetime | None = None) -> timedelta:
    return max(timedelta(0), _aware(now or utc_now()) - balance_time(account, report))


def describe_age(age: timedelta | float) -> str:
    """``42s``, ``3m 10s``, ``2h 5m``, ``3d 4h``: short enough for a table cell."""
    seconds = int(age.total_seconds() if isinstance(age, timedelta) else age)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def staleness(
    account: AccountReport,
    report: BalanceReport,
    *,
    max_age: timedelta | None = None,
    floor: datetime | None = None,
    now: datetime | None = None,
) -> str | None:
    """Why this balance is too old to act on, or None when it is fresh enough (or no limit was set)."""
    when = balance_time(account, report)
    age = balance_age(account, report, now)
    shown = when.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if floor is not None and when < _aware(floor):
        floor_shown = _aware(floor).astimezone(UTC).isoformat().replace("+00:00", "Z")
        return f"balance as of {shown} is older than the --min-last-updated floor {floor_shown}"
    if max_age is not None and age > max_age:
        return (
            f"balance as of {shown} is {describe_age(age)} old, more than --max-age {describe_age(max_age)}"
        )
    return None
