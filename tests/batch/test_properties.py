"""Generated inputs: exact totals at any size, and settings that cannot work refused before any call."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaid_balance._json import encode
from plaid_balance.batch import BatchOptions, BatchOptionsError, run_batch_sync
from plaid_balance.cli import cli
from plaid_balance.emulator import RunningEmulator
from tests.batch.conftest import cli_env, write_csv
from tests.plaid_fakes import account, balance_body

CREDS: dict[str, Any] = {"client_id": "cid", "secret": "sec", "base_url": "http://127.0.0.1:9"}

# Any amount Plaid can send: a JSON number, negative or not, far beyond 28 significant digits, any scale.
amounts = st.decimals(
    allow_nan=False, allow_infinity=False, min_value=-(10**20), max_value=10**20, places=None
)
exact_amounts = amounts.filter(lambda d: abs(int(d.as_tuple().exponent)) <= 30)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(exact_amounts, st.sampled_from(["depository", "credit"])), min_size=1, max_size=12))
def test_batch_totals_are_exact_digit_for_digit(balances: list[tuple[Decimal, str]]) -> None:
    answers = {}
    for i, (amount, type_) in enumerate(balances):
        body = balance_body(account(f"a{i}", current=amount, available=None, type_=type_, subtype=None))
        answers[f"t{i}"] = encode(body)

    def plaid(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answers[json.loads(request.content)["access_token"]])

    summary = run_batch_sync(list(answers), transport=httpx.MockTransport(plaid), **CREDS)
    assert summary.ok == len(balances)
    assets = [a for a, t in balances if t == "depository"]
    owed = [a for a, t in balances if t == "credit"]
    totals = summary.totals["USD"]
    assert Fraction(totals.assets) == sum(map(Fraction, assets), Fraction(0))
    assert Fraction(totals.liabilities) == sum(map(Fraction, owed), Fraction(0))
    assert Fraction(totals.net) == Fraction(totals.assets) - Fraction(totals.liabilities)
    # Digit for digit through the summary line too: the JSON number is the Decimal, not a float.
    line = json.loads(summary.to_json(), parse_float=Decimal, parse_int=Decimal)
    assert line["totals"]["USD"]["net"] == totals.net


bad_numbers = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0, 1e9, 3600.5])
bad_counts = st.one_of(st.integers(max_value=0), st.integers(min_value=501, max_value=10**6))


@given(
    st.one_of(
        bad_numbers.map(lambda v: {"window_seconds": v}),
        bad_counts.map(lambda v: {"concurrency": v}),
        st.integers(max_value=0).map(lambda v: {"rate_limit": v}),
        st.integers(max_value=0).map(lambda v: {"item_rate_limit": v}),
        st.just({"account_ids": []}),
        st.just({"account_ids": ""}),
        st.just({"concurrency": True}),
    )
)
def test_options_that_cannot_work_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(BatchOptionsError):
        BatchOptions(**options)


@st.composite
def bad_batch_settings(draw: st.DrawFn) -> list[str]:
    """Command-line settings that would make every Item fail, or the run never end."""
    option, value = draw(
        st.one_of(
            st.tuples(
                st.just("--rate-window"), st.sampled_from(["nan", "inf", "-inf", "0", "-5", "1e300", "3601"])
            ),
            st.tuples(st.just("--concurrency"), st.sampled_from(["0", "-1", "501", "1e3", "nan"])),
            st.tuples(
                st.sampled_from(["--rate-limit", "--item-rate-limit"]), st.sampled_from(["0", "-3", "x"])
            ),
            st.tuples(
                st.just("--min-last-updated"),
                st.sampled_from(["2999-01-01T00:00:00Z", "9999-12-31", "2100-06-01T12:00:00+02:00"]),
            ),
        )
    )
    return [option, value]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=bad_batch_settings())
def test_bad_settings_exit_2_before_any_call(args: list[str], emu: RunningEmulator, tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    if not path.exists():
        write_csv(path, [(token, f"u{i}") for i, (token, _) in enumerate(emu.create_items(2))])
    result = CliRunner().invoke(cli, ["batch", str(path), *args], env=cli_env(emu))
    assert result.exit_code == 2, (args, result.output)
    assert "Traceback" not in result.output
    assert (
        len([ln for ln in result.stderr.splitlines() if ln.strip()]) <= 3
    )  # one line; click's usage output is three
    assert result.stdout == ""
    assert emu.stats()["requests_total"] == 0
