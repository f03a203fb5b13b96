"""One vocabulary (decisions 57 and 76): each kind of value has one parser, and every way in uses it.

For the same text, the command line, environment variables, the job file, the watch config, the
library and import files accept or refuse alike, and what they accept is the same value (the same
``Decimal`` for an amount, the same token, the same alias).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plaid_balance import funds, vault
from plaid_balance._errors import InvalidValue, PlaidBalanceError, WatchConfigError
from plaid_balance._parse import (
    Money,
    parse_access_token,
    parse_account_selector,
    parse_amount,
    parse_currency,
    parse_duration,
    parse_item_reference,
    parse_money,
    parse_token,
)
from plaid_balance.cli import cli, params
from plaid_balance.cli.impl.common import read_access_token
from plaid_balance.cli.jobfile import load_job, resolve_job
from plaid_balance.watch.config import parse_config
from plaid_balance.watch.runner import bearer_token

WATCH = Path("watch.toml")
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Texts near the grammar's edges: plain decimals, signs, exponents, separators, other scripts' digits,
# too many digits, spaces; and random noise.
AMOUNT_TEXT = st.one_of(
    st.from_regex(r"[+-]?[0-9]{1,20}(\.[0-9]{0,12})?", fullmatch=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(alphabet="0123456789.-+eE_, \u0661\uff11", max_size=14),
    st.sampled_from(["NaN", "Infinity", "1e3", "1_000", "0", "0.00", "-0", " 12.5 ", "٣"]),
)
TOKEN_TEXT = st.one_of(
    st.from_regex(r"access-sandbox-[0-9a-f-]{1,40}", fullmatch=True),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
    st.sampled_from(["", "  ", "access sandbox", "access-\u00e9", "a" * 513, "a" * 512, "access-x\t"]),
)
NAME_TEXT = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=70),
    st.sampled_from(["checking", "-x", "access-sandbox-1", "Public-x", " ", "a" * 64, "a" * 65, "\u202e"]),
)


def _answer(parse: Any, *args: Any, **kwargs: Any) -> object:
    """The parsed value, or the marker ``REFUSED``."""
    try:
        return parse(*args, **kwargs)
    except (InvalidValue, PlaidBalanceError, click.BadParameter, SystemExit):
        return REFUSED


REFUSED = object()


def _toml_string(text: str) -> str:
    """A TOML basic string holding ``text`` exactly (every character outside printable ASCII escaped)."""
    inner = "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08X}" for c in text)
    return f'"{inner}"'


def _watch_alert(**keys: str) -> object:
    lines = "\n".join(f"{key} = {value}" for key, value in keys.items())
    try:
        return parse_config(f"[[alerts]]\n{lines}\n", WATCH).alerts[0]
    except WatchConfigError:
        return REFUSED


@SETTINGS
@given(text=AMOUNT_TEXT)
def test_an_amount_gets_one_answer_everywhere(text: str) -> None:
    core = _answer(parse_amount, text)
    assert _answer(funds.parse_amount, text) == core  # the library's funds check
    assert _answer(params.Amount().convert, text, None, None) == core  # the command line's type
    result = CliRunner().invoke(
        cli, ["check", "--account-id", "a", f"--amount={text}"], env={"PLAID_ACCESS_TOKEN": ""}
    )
    assert result.exit_code == 2
    assert ("'--amount'" in result.output) == (core is REFUSED), result.output
    # The watch takes thresholds below zero too (an overdraft), and an amount may name its currency
    # ("10 USD"): the amount's grammar and value are the same.
    signed = _answer(parse_amount, text, sign="any")
    money = _answer(parse_money, text, sign="any")
    alert = _watch_alert(kind='"low_balance"', below=_toml_string(text))
    assert (alert is REFUSED) == (money is REFUSED)
    if alert is not REFUSED:
        assert alert.below == money  # type: ignore[attr-defined]
    if signed is not REFUSED:
        assert money == Money(signed)  # type: ignore[arg-type]
    if core is not REFUSED:
        assert signed == core
        change = _watch_alert(kind='"change"', more_than=_toml_string(f"{text} usd"))
        assert change.more_than.amount == core and change.more_than.currency == "USD"  # type: ignore[attr-defined]


@pytest.mark.parametrize("number", ["100", "100.50", "0.1", "-25.125", "123456789012345678.0123456789"])
def test_a_toml_number_is_the_amount_its_digits_say(number: str) -> None:
    quoted = _watch_alert(kind='"low_balance"', below=_toml_string(number))
    bare = _watch_alert(kind='"low_balance"', below=number)
    assert quoted == bare and bare.below.amount == Decimal(number)  # type: ignore[attr-defined]


@SETTINGS
@given(
    text=st.one_of(
        st.text(max_size=12), st.sampled_from(["usd", "USD", "BTC", "DOGE", "US", "1INCH", "EURO2026X1"])
    )
)
def test_a_currency_gets_one_answer_everywhere(text: str) -> None:
    core = _answer(parse_currency, text)
    assert _answer(funds.parse_currency, text) == core
    assert _answer(params.Currency().convert, text, None, None) == core
    if any(c.isspace() for c in text) or not text:
        return
    alert = _watch_alert(kind='"low_balance"', below=_toml_string(f"10 {text}"))
    assert (alert is REFUSED) == (core is REFUSED)
    if alert is not REFUSED:
        assert alert.below.currency == core  # type: ignore[attr-defined]


@SETTINGS
@given(
    text=st.one_of(
        st.from_regex(r"[0-9]{1,13}(\.[0-9]{1,10})? ?[smhdwy]", fullmatch=True),
        st.text(alphabet="0123456789.smhdw -+e\u0661", max_size=10),
    )
)
def test_a_duration_gets_one_answer_everywhere(text: str) -> None:
    core = _answer(parse_duration, text)
    assert _answer(params.Duration().convert, text, None, None) == core
    result = CliRunner().invoke(cli, ["get", f"--max-age={text}"], env={"PLAID_ACCESS_TOKEN": ""})
    assert ("'--max-age'" in result.output) == (core is REFUSED), result.output
    try:
        config: object = parse_config(f"[watch]\ninterval = {_toml_string(text)}\n", WATCH)
    except WatchConfigError:
        config = REFUSED
    if core is REFUSED or core == timedelta(0):
        assert config is REFUSED  # the watch also refuses an interval of zero
    else:
        assert config.schedule.interval == core  # type: ignore[attr-defined]


@SETTINGS
@given(text=TOKEN_TEXT)
def test_a_token_gets_one_answer_everywhere(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    core = _answer(parse_access_token, text)
    folder = tmp_path_factory.mktemp("token")
    # An environment variable (what `get` reads without --access-token-file)
    with mock.patch.dict(os.environ, {"PLAID_ACCESS_TOKEN": text}):
        assert _answer(read_access_token, None, None) == core
    # A token file
    (folder / "token").write_text(text, encoding="utf-8")
    assert _answer(read_access_token, str(folder / "token"), None) == core
    # The job file: ${VAR} through its allowlist
    job = folder / "job.toml"
    job.write_text(
        '[job]\nname = "j"\nenv = ["PLAID_CLIENT_ID", "PLAID_SECRET", "TOK"]\n'
        '[job.main]\nname = "plaid_get_balance"\n[job.main.input]\naccess_token = "${TOK}"\n'
    )
    environ = {"PLAID_CLIENT_ID": "id", "PLAID_SECRET": "secret", "TOK": text}
    resolved = _answer(resolve_job, load_job(job), environ)
    assert (resolved is REFUSED) == (core is REFUSED)
    if resolved is not REFUSED:
        assert resolved.access_token.get_secret_value() == core  # type: ignore[attr-defined]
    # An import file (JSON lines, as the batch reads them)
    source = folder / "items.jsonl"
    source.write_text(json.dumps({"access_token": text, "label": "x"}) + "\n", encoding="utf-8")
    (entry,) = vault.read_import(source)
    imported = entry.access_token.get_secret_value() if hasattr(entry, "access_token") else REFUSED
    assert imported == core
    # The watch's bearer token ($PLAID_BALANCE_WATCH_TOKEN, named by [server] token_env); an empty
    # variable is one not set: no token (a loopback watch makes its own).
    assert _answer(parse_token, text, what="$PLAID_BALANCE_WATCH_TOKEN", like="") == core
    with mock.patch.dict(os.environ, {"PLAID_BALANCE_WATCH_TOKEN": text}):
        watch_token = _answer(bearer_token, parse_config("", WATCH))
    assert watch_token == (core if text.strip() else None)


@SETTINGS
@given(text=NAME_TEXT)
@example(text="[ALIAS]")  # an alias that is the argument's own name: refused is "Invalid value for"
def test_an_item_reference_gets_one_answer_everywhere(
    text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    core = _answer(parse_item_reference, text)
    assert _answer(params.ItemReference().convert, text, None, None) == core
    # Every command's ALIAS: refused as a usage error before any vault is opened, or looked up.
    if text and not text.startswith("-"):
        db = tmp_path_factory.mktemp("db") / "none.db"
        result = CliRunner().invoke(cli, ["get", text, "--db", str(db)], env={"PLAID_ACCESS_TOKEN": ""})
        assert result.exit_code == 2
        assert ("Invalid value for '[ALIAS]'" in result.output) == (core is REFUSED), result.output
    assert _answer(vault.normalise_alias, text) == core  # an alias is stored by the same rule
    alert = _watch_alert(kind='"needs_repair"', item=_toml_string(text))
    assert (alert is REFUSED) == (core is REFUSED)
    if alert is not REFUSED:
        assert alert.item == core  # type: ignore[attr-defined]


@SETTINGS
@given(text=NAME_TEXT)
def test_an_account_selector_gets_one_answer_everywhere(text: str) -> None:
    core = _answer(parse_account_selector, text)
    assert _answer(params.AccountSelector().convert, text, None, None) == core
    alert = _watch_alert(kind='"low_balance"', below="1", account=_toml_string(text))
    assert (alert is REFUSED) == (core is REFUSED)
    if alert is not REFUSED:
        assert alert.account == core  # type: ignore[attr-defined]


def test_the_selector_matches_id_mask_or_name() -> None:
    selector = parse_account_selector(" 0000 ")
    assert selector.matches("acc-1", "0000", "Checking")
    assert not selector.matches("acc-1", "1111", "Checking")
    assert parse_account_selector("Checking").matches("acc-1", None, "Checking")
