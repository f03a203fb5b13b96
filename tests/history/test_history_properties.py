"""Generated amounts go through the store, the series, CSV, JSON and the table digit for digit."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaid_balance._money import EXACT
from plaid_balance.cli.history_output import history_to_csv
from plaid_balance.history import HistoryStore, load_history, open_store
from plaid_balance.history.series import history_to_jsonable

from .samples import BASE_TIME, account, report

# Any scale and size Plaid could send, negative included, and null.
amounts = st.one_of(
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False, places=None, min_value=-(10**30), max_value=10**30),
    st.builds(
        lambda digits, scale, negative: Decimal(f"{'-' if negative else ''}{digits}E-{scale}"),
        st.integers(min_value=0, max_value=10**40),
        st.integers(min_value=0, max_value=20),
        st.booleans(),
    ),
)
kinds = st.sampled_from([("depository", "checking"), ("credit", "credit card"), ("loan", "mortgage")])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> HistoryStore:
    return open_store(str(tmp_path_factory.mktemp("props") / "history.db"))


_counter = iter(range(10**9))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(balances=st.lists(st.tuples(amounts, amounts, kinds), min_size=1, max_size=6))
def test_amounts_come_back_digit_for_digit(
    store: HistoryStore, balances: list[tuple[Decimal | None, Decimal | None, tuple[str, str]]]
) -> None:
    item_id = f"item-{next(_counter)}"
    accounts = [
        account(
            f"acc-{n}",
            current=None if current is None else str(current),
            available=None if available is None else str(available),
            type_=kind,
            subtype=subtype,
        )
        for n, (current, available, (kind, subtype)) in enumerate(balances)
    ]
    store.save(
        report(
            0, item_id=item_id, accounts=accounts, retrieved_at=BASE_TIME + timedelta(seconds=next(_counter))
        )
    )
    history = load_history(store, item_id=item_id)

    by_id = {s.account_id: s.points[-1].account for s in history.accounts}
    for original in accounts:
        back = by_id[original.account_id]
        assert str(back.current_balance) == str(original.current_balance)
        assert str(back.available_balance) == str(original.available_balance)

    with localcontext(EXACT):
        owned = sum(
            (a.current_balance for a in accounts if a.current_balance is not None and a.type == "depository"),
            Decimal(0),
        )
        owed = sum(
            (a.current_balance for a in accounts if a.current_balance is not None and a.type != "depository"),
            Decimal(0),
        )
        net = owned - owed
    totals = history.totals.get("USD")
    if any(a.current_balance is not None for a in accounts):
        assert totals is not None
        assert (totals[-1].assets, totals[-1].liabilities, totals[-1].net) == (owned, owed, net)
        assert str(totals[-1].net) == str(net)

    rows = list(csv.DictReader(io.StringIO(history_to_csv(history))))
    csv_current = {r["account_id"]: r["current_balance"] for r in rows if r["kind"] == "account"}
    assert csv_current == {
        a.account_id: "" if a.current_balance is None else str(a.current_balance) for a in accounts
    }

    from plaid_balance.cli.render import to_json

    document = json.loads(to_json(history_to_jsonable(history)), parse_float=Decimal, parse_int=Decimal)
    for entry in document["accounts"]:
        original = next(a for a in accounts if a.account_id == entry["account_id"])
        value = entry["points"][-1]["current_balance"]
        assert (value is None and original.current_balance is None) or value == original.current_balance
    if totals:
        assert document["totals"]["USD"][-1]["net"] == net


def test_table_shows_huge_amounts_whole(tmp_path: Path) -> None:
    from rich.console import Console

    from plaid_balance.cli.history_output import history_table

    amount = "12345678901.123456789012345678"
    with open_store(str(tmp_path / "h.db")) as s:
        s.save(report(0, accounts=[account("a", current=amount), account("b", current="0.1")]))
        history = load_history(s)
    console = Console(width=80, record=True)
    console.print(history_table(history, width=80))
    text = console.export_text()
    assert "12,345,678,901.123456789012345678" in text
    assert str(history.totals["USD"][-1].net) == "12345678901.223456789012345678"
