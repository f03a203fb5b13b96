"""Alert rules evaluated against refreshed balances and Item health, and the state each alert is in.

An alert is a (rule, subject) pair, the subject being an account or an Item. It notifies when its
condition starts to hold, again at most every ``renotify`` while it holds, and once more when it stops
("resolved"). A condition that cannot be judged (a null balance, no previous refresh, no credit limit)
leaves the alert as it was. Money is compared exactly (``Decimal``) and never across currencies.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal

from plaid_balance._health import Health
from plaid_balance._money import EXACT
from plaid_balance._report import AccountReport
from plaid_balance.models import LIABILITY_TYPES
from plaid_balance.watch.config import AlertRule

EventKind = Literal["firing", "reminder", "resolved"]
HUNDRED: Final = Decimal(100)


@dataclass(frozen=True, slots=True)
class Finding:
    """Whether a rule's condition holds for one subject now (None: cannot tell), and why."""

    rule: str
    subject: str
    label: str
    holds: bool | None
    detail: str


@dataclass(frozen=True, slots=True)
class AlertState:
    rule: str
    subject: str
    label: str
    firing: bool
    since: datetime | None
    last_notified: datetime | None
    detail: str


@dataclass(frozen=True, slots=True)
class AlertEvent:
    rule: str
    subject: str
    kind: EventKind
    title: str
    message: str
    at: datetime
    notify: tuple[str, ...]  # notifier names; empty is all of them


def money(amount: Decimal, currency: str | None) -> str:
    return f"{amount:,} {currency}" if currency else f"{amount:,}"


def account_label(alias: str, account: AccountReport) -> str:
    mask = f" ••{account.mask}" if account.mask else ""
    return f"{alias}: {account.name}{mask}"


def _selected(rule: AlertRule, account: AccountReport) -> bool:
    if rule.account is not None:
        if not rule.account.matches(account.account_id, account.mask, account.name):
            return False
    elif rule.kind == "low_balance" and account.type in LIABILITY_TYPES:
        return False  # a card's "available" is credit left: that is the credit rule's business
    if rule.kind == "credit" and account.type != "credit":
        return False
    currency = rule.currency
    return currency is None or account.currency == currency


def evaluate_accounts(
    rule: AlertRule,
    alias: str,
    accounts: Iterable[AccountReport],
    previous_current: Mapping[str, Decimal | None],
) -> list[Finding]:
    """Findings of an account rule for one Item's freshly refreshed accounts."""
    if rule.kind == "needs_repair" or (rule.item is not None and rule.item != alias):
        return []
    findings = []
    for account in accounts:
        if not _selected(rule, account):
            continue
        label = account_label(alias, account)
        holds, detail = _judge(rule, account, previous_current.get(account.account_id))
        findings.append(Finding(rule.name, account.account_id, label, holds, detail))
    return findings


def _judge(rule: AlertRule, account: AccountReport, previous: Decimal | None) -> tuple[bool | None, str]:
    currency = account.currency
    if rule.kind == "low_balance":
        assert rule.below is not None
        available = account.available_balance
        if available is None:
            return None, "no available balance reported"
        limit = money(rule.below.amount, currency)
        if available < rule.below.amount:
            return True, f"available {money(available, currency)} is below {limit}"
        return False, f"available {money(available, currency)} is back at or above {limit}"
    if rule.kind == "credit":
        return _judge_credit(rule, account)
    assert rule.kind == "change" and rule.more_than is not None
    current = account.current_balance
    if current is None or previous is None:
        return None, "no previous balance to compare with"
    delta = current - previous
    sign = "+" if delta > 0 else ""
    what = f"changed by {sign}{money(delta, currency)} (from {money(previous, currency)} to {money(current, currency)})"
    if abs(delta) > rule.more_than.amount:
        return True, f"{what}, more than {money(rule.more_than.amount, currency)}"
    return False, f"{what}, within {money(rule.more_than.amount, currency)}"


def _judge_credit(rule: AlertRule, account: AccountReport) -> tuple[bool | None, str]:
    currency = account.currency
    owed, limit, available = account.current_balance, account.limit, account.available_balance
    reasons: list[str] = []
    fine: list[str] = []
    known = False
    if rule.above_percent is not None and owed is not None and limit is not None and limit > 0:
        known = True
        # Compared exactly (owed * 100 against percent * limit, limit > 0) and shown to 0.1 in a context
        # wide enough for the operands: the default 28 digits would raise on larger amounts.
        wide = decimal.Context(prec=abs(owed.adjusted()) + abs(limit.adjusted()) + 10)
        used = wide.quantize(wide.divide(wide.multiply(owed, HUNDRED), limit), Decimal("0.1"))
        if EXACT.multiply(owed, HUNDRED) > EXACT.multiply(rule.above_percent, limit):
            reasons.append(f"utilisation {used}% is above {rule.above_percent}%")
        else:
            fine.append(f"utilisation {used}% is at or below {rule.above_percent}%")
    if rule.below is not None:
        left = (
            available
            if available is not None
            else (limit - owed if limit is not None and owed is not None else None)
        )
        if left is not None:
            known = True
            floor = money(rule.below.amount, currency)
            if left < rule.below.amount:
                reasons.append(f"available credit {money(left, currency)} is below {floor}")
            else:
                fine.append(f"available credit {money(left, currency)} is at or above {floor}")
    if not known:
        return None, "no credit limit or balance reported"
    if reasons:
        return True, "; ".join(reasons)
    return False, "; ".join(fine)


def evaluate_health(rule: AlertRule, alias: str, item_id: str, health: Health, reason: str) -> list[Finding]:
    if rule.kind != "needs_repair" or (rule.item is not None and rule.item != alias):
        return []
    if health is Health.REMOVED:
        return [Finding(rule.name, item_id, alias, False, "the Item was removed")]
    if health is Health.LOST:
        # The reason already names the commands that link the bank again (update mode cannot: no token).
        return [Finding(rule.name, item_id, alias, True, f"token lost: {reason}")]
    if health.needs_user:
        fix = (
            f"run: plaid-balance link --update {alias}"
            if health is not Health.PERMISSION_REVOKED
            else f"link it again: plaid-balance link (the user revoked access to {alias})"
        )
        return [Finding(rule.name, item_id, alias, True, f"{health.value} ({reason}); {fix}")]
    return [Finding(rule.name, item_id, alias, False, "the bank login works again")]


_TITLES: Final = {
    "low_balance": "Low balance",
    "credit": "Credit card",
    "change": "Balance change",
    "needs_repair": "Bank login needs repair",
}


class AlertBook:
    """Every alert's state; turns findings into the events to notify (firing, reminder, resolved)."""

    def __init__(self, states: Iterable[AlertState] = ()) -> None:
        self.states: dict[tuple[str, str], AlertState] = {(s.rule, s.subject): s for s in states}

    def firing(self) -> list[AlertState]:
        return [s for s in self.states.values() if s.firing]

    def observe(
        self, rule: AlertRule, finding: Finding, now: datetime
    ) -> tuple[AlertEvent | None, AlertState | None]:
        """The event to send (if any) and the new state to keep (if it changed)."""
        key = (finding.rule, finding.subject)
        state = self.states.get(key)
        if finding.holds is None:
            return None, None
        firing_before = state is not None and state.firing
        title = _TITLES[rule.kind]
        if finding.holds and not firing_before:
            new = AlertState(finding.rule, finding.subject, finding.label, True, now, now, finding.detail)
            event = self._event(rule, finding, "firing", f"{title}: {finding.label}", now)
        elif finding.holds and state is not None:
            due = (
                rule.renotify is not None
                and state.last_notified is not None
                and now - state.last_notified >= rule.renotify
            )
            if not due:
                if state.detail == finding.detail:
                    return None, None
                new = replace(state, detail=finding.detail, label=finding.label)
                self.states[key] = new
                return None, new
            new = replace(state, last_notified=now, detail=finding.detail, label=finding.label)
            event = self._event(rule, finding, "reminder", f"Still: {title.lower()}: {finding.label}", now)
        elif not finding.holds and firing_before:
            new = AlertState(finding.rule, finding.subject, finding.label, False, None, None, finding.detail)
            event = self._event(rule, finding, "resolved", f"Resolved: {title.lower()}: {finding.label}", now)
        else:
            return None, None
        self.states[key] = new
        return event, new

    @staticmethod
    def _event(rule: AlertRule, finding: Finding, kind: EventKind, title: str, now: datetime) -> AlertEvent:
        message = f"{finding.label}: {finding.detail} [alert {rule.name!r}]"
        return AlertEvent(rule.name, finding.subject, kind, title, message, now, rule.notify)
