"""Properties of the pure parts: alerts alternate firing/resolved, budgets are never exceeded,
schedules never go backwards, money is never rounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from plaid_balance.watch.alerts import AlertBook, evaluate_accounts
from plaid_balance.watch.budget import BudgetLedger
from plaid_balance.watch.config import Budget, parse_config
from plaid_balance.watch.schedule import Schedule
from tests.watch.support import card, checking

START = datetime(2026, 11, 25, tzinfo=UTC)
amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    balances=st.lists(amounts, min_size=1, max_size=40), threshold=amounts, renotify_hours=st.integers(1, 12)
)
def test_low_balance_events_follow_the_balance(
    balances: list[Decimal], threshold: Decimal, renotify_hours: int
) -> None:
    text = f'[[alerts]]\nkind = "low_balance"\nbelow = "{threshold}"\nrenotify = "{renotify_hours}h"\n'
    rule = parse_config(text, Path("w.toml")).alerts[0]
    book = AlertBook()
    kinds = []
    below_before = False
    expected_firings = 0
    for hour, balance in enumerate(balances):
        [finding] = evaluate_accounts(rule, "a", [checking(str(balance))], {})
        event, _ = book.observe(rule, finding, START + timedelta(hours=hour))
        if event is not None:
            kinds.append(event.kind)
        below = balance < threshold  # exact: Decimal against Decimal
        expected_firings += below and not below_before
        below_before = below
    assert kinds.count("firing") == expected_firings
    # Never two firings without a resolution between them; a reminder only while firing.
    state = "ok"
    for kind in kinds:
        if kind == "firing":
            assert state == "ok"
            state = "firing"
        elif kind == "reminder":
            assert state == "firing"
        else:
            assert state == "firing"
            state = "ok"
    assert (state == "firing") == below_before


@settings(max_examples=200, deadline=None)
@given(
    per_day=st.integers(0, 10),
    per_month=st.one_of(st.none(), st.integers(0, 60)),
    steps=st.lists(st.integers(1, 600), min_size=1, max_size=200),
)
def test_billed_calls_never_exceed_the_budget(per_day: int, per_month: int | None, steps: list[int]) -> None:
    budget = Budget(per_day, per_month)
    ledger = BudgetLedger("Europe/Paris")
    now = START
    for minutes in steps:
        now += timedelta(minutes=minutes)
        if ledger.left("item", budget, now).allows_call:
            ledger.record("item", now, billed=1)
        else:
            ledger.record("item", now, saved=1)
    days = [v for (_, key), v in ledger.billed.items() if key.startswith("D")]
    months = [v for (_, key), v in ledger.billed.items() if key.startswith("M")]
    assert all(v <= per_day for v in days)
    assert per_month is None or all(v <= per_month for v in months)


@settings(max_examples=100, deadline=None)
@given(
    cron=st.sampled_from(["*/5 * * * *", "0 7,19 * * *", "30 2 * * 1-5", "0 0 1 * *", "15 */3 * * *"]),
    offsets=st.lists(st.integers(0, 10_000_000), min_size=1, max_size=10),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]),
)
def test_cron_schedule_moves_forward(cron: str, offsets: list[int], zone: str) -> None:
    schedule = Schedule(cron=cron, timezone=zone)
    for offset in offsets:
        last = START + timedelta(seconds=offset)
        following = schedule.next_after(last, last)
        assert following > last
        assert following - last <= timedelta(days=31)


due_ops = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.sampled_from("abcde"), st.one_of(st.none(), st.integers(0, 50))),
        st.tuples(st.just("discard"), st.sampled_from("abcde"), st.none()),
        st.tuples(st.just("pop"), st.none(), st.integers(0, 50)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(ops=due_ops)
def test_due_queue_hands_out_what_a_scan_of_every_item_would(
    ops: list[tuple[str, str | None, int | None]],
) -> None:
    from plaid_balance.watch.schedule import DueQueue

    queue, model = DueQueue(), {}
    for op, key, minutes in ops:
        when = None if minutes is None else START + timedelta(minutes=minutes)
        if op == "set":
            assert key is not None
            queue.set(key, when)
            model[key] = when
        elif op == "discard":
            assert key is not None
            queue.discard(key)
            model.pop(key, None)
        else:
            assert when is not None
            due = {k for k, at in model.items() if at is not None and at <= when}
            taken = queue.pop_due(when)
            assert sorted(taken) == sorted(due)
            for k in due:
                model[k] = None
        pending = [at for at in model.values() if at is not None]
        assert queue.next_due() == (min(pending) if pending else None)
        assert len(queue) == len(pending)


@settings(max_examples=200, deadline=None)
@given(
    owed=st.decimals(min_value=0, max_value=Decimal("1e45"), allow_nan=False, places=2),
    limit=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e45"), allow_nan=False, places=2),
    percent=st.integers(1, 100),
)
def test_credit_utilisation_is_judged_exactly_at_any_size(
    owed: Decimal, limit: Decimal, percent: int
) -> None:
    """Beyond the default context's 28 digits, utilisation is still judged exactly, never a crash."""
    rule = parse_config(
        f'[[alerts]]\nkind = "credit"\nutilisation_above = {percent}\n', Path("w.toml")
    ).alerts[0]
    [finding] = evaluate_accounts(rule, "a", [card(f"{owed:f}", f"{limit:f}")], {})
    with localcontext(prec=200):  # wide enough to be exact for these operands
        assert finding.holds == (owed * 100 > percent * limit)
