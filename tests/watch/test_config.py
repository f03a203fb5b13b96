"""The watch config: every key documented, every mistake one located line, money exact."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaid_balance._errors import WatchConfigError
from plaid_balance._toml import key_lines
from plaid_balance.cli.exit_codes import ExitCode, exit_code_for
from plaid_balance.vault import VaultAccount
from plaid_balance.watch.config import check_against_items, load_config, parse_config
from tests.vault.samples import vault_item

REPO = Path(__file__).resolve().parents[2]
FILE = Path("watch.toml")

GOOD = """\
[watch]
interval = "30m"
timezone = "Europe/Paris"
over_budget = "history"
max_age = "6h"

[budget]
per_day = 4
per_month = 60

[notify.phone]
url = "json://127.0.0.1:9/hook"

[items.checking]
cron = "0 8 * * *"
per_day = 1

[[alerts]]
kind = "low_balance"
item = "checking"
account = "0000"
below = "100.10 USD"
renotify = "6h"
notify = ["phone"]

[[alerts]]
name = "card"
kind = "credit"
utilisation_above = 80
available_credit_below = 500.25
"""


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_config(text, FILE)


def error_of(text: str) -> str:
    with pytest.raises(WatchConfigError) as caught:
        parse(text)
    assert exit_code_for(caught.value) == ExitCode.USAGE
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_good_config_is_read_exactly() -> None:
    config = parse(GOOD)
    assert config.schedule.interval == timedelta(minutes=30)
    assert config.budget.per_day == 4 and config.budget.per_month == 60
    checking = config.settings_for("checking")
    assert checking.schedule.cron == "0 8 * * *" and checking.schedule.timezone == "Europe/Paris"
    assert checking.budget.per_day == 1 and checking.budget.per_month == 60
    assert config.settings_for("other").schedule.interval == timedelta(minutes=30)
    low, card = config.alerts
    assert low.below is not None and low.below.amount == Decimal("100.10") and low.below.currency == "USD"
    assert low.renotify == timedelta(hours=6) and low.notify == ("phone",)
    # A TOML float is read as the exact decimal written, never through binary floating point.
    assert card.below is not None and card.below.amount == Decimal("500.25")
    assert card.above_percent == Decimal(80)


def test_shipped_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NTFY_TOPIC", "SLACK_TOKEN_A", "SLACK_TOKEN_B", "SLACK_TOKEN_C"):
        monkeypatch.setenv(name, "x")
    config = load_config(REPO / "examples" / "watch.toml")
    assert len(config.alerts) == 4 and set(config.notifiers) == {"phone", "team"}
    assert not config.settings_for("old-card").enabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[watch]\ninterval = "soon"\n', "watch.toml:2: watch.interval: 'soon' is not a duration"),
        ('[watch]\ncron = "61 * * * *"\n', "watch.toml:2: watch.cron: '61 * * * *' is not a cron expression"),
        ('[watch]\ninterval = "1h"\ncron = "* * * * *"\n', "watch.toml:3: watch.cron: set interval or cron"),
        ("[budget]\nper_day = -1\n", "watch.toml:2: budget.per_day: -1 is not a whole number"),
        ("[budget]\nper_dya = 1\n", "watch.toml:2: budget.per_dya: unknown key"),
        ('[items.x]\n\n\ninterval = "2x"\n', "watch.toml:4: items.x.interval:"),
        (
            '\n[[alerts]]\nkind = "low_balance"\nbelow = "ten"\n',
            "watch.toml:4: alerts[0].below: 'ten' is not an amount",
        ),
        ('[[alerts]]\nkind = "credit"\n\n[[alerts]]\nkind = "x"\n', "watch.toml:1: alerts[0]: credit needs"),
        (
            '[[alerts]]\nkind = "needs_repair"\n[[alerts]]\nkind = "bogus"\n',
            "watch.toml:4: alerts[1].kind: 'bogus' is not one of",
        ),
        (
            '[[alerts]]\nkind = "low_balance"\nbelow = 1\nnotify = ["pager"]\n',
            "watch.toml:4: alerts[0].notify: no notifier named 'pager'",
        ),
        (
            '[watch]\nover_budget = "history"\n',
            'watch.toml:2: watch.over_budget: over_budget = "history" needs max_age',
        ),
        ('[server]\nlisten = "nowhere"\n', "watch.toml:2: server.listen: 'nowhere' is not an address"),
        (
            '[server]\nwebhook_url = "http://example.com/x"\n',
            "watch.toml:2: server.webhook_url: 'http://example.com/x' is not an https URL",
        ),
        ('[watch]\ninterval = "1h"\n[watch]\n', "watch.toml:3: not valid TOML"),
        (
            '[notify.x]\nurl = "https://${NOPE_NOT_SET_123}/x"\n',
            "watch.toml:2: notify.x.url: refers to ${NOPE_NOT_SET_123}",
        ),
        (
            '[[alerts]]\nkind = "credit"\nutilisation_above = "120%"\n',
            "watch.toml:3: alerts[0].utilisation_above:",
        ),
    ],
)
def test_mistakes_name_file_line_and_key(text: str, expected: str) -> None:
    assert error_of(text).startswith(expected)


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(WatchConfigError, match=r"nope\.toml: no such file"):
        load_config(tmp_path / "nope.toml")


def _account(account_id: str, name: str, mask: str, type_: str, currency: str) -> VaultAccount:
    return VaultAccount(account_id=account_id, name=name, mask=mask, type=type_, currency=currency)


ITEMS = [
    vault_item(
        "checking",
        "item-1",
        None,
        None,
        (
            _account("acc-checking", "Plaid Checking", "0000", "depository", "USD"),
            _account("acc-card", "Plaid Credit Card", "3333", "credit", "USD"),
        ),
    ),
    vault_item("euro", "item-2", None, None, (_account("acc-eur", "Konto", "1234", "depository", "EUR"),)),
]


def test_checks_against_the_vault() -> None:
    check_against_items(parse(GOOD), ITEMS)
    with pytest.raises(WatchConfigError, match=r"watch.toml:1: items.nope: unknown alias 'nope'"):
        check_against_items(parse("[items.nope]\n"), ITEMS)
    with pytest.raises(WatchConfigError, match=r"watch.toml:3: alerts\[0\].item: unknown alias 'savings'"):
        check_against_items(parse('[[alerts]]\nkind = "needs_repair"\nitem = "savings"\n'), ITEMS)
    with pytest.raises(WatchConfigError, match=r"watch.toml:4: alerts\[0\].account: no account '9999'"):
        check_against_items(
            parse('[[alerts]]\nkind = "low_balance"\nitem = "checking"\naccount = "9999"\nbelow = 1\n'), ITEMS
        )


def test_currency_mismatch_is_refused_at_load() -> None:
    text = '[[alerts]]\nkind = "low_balance"\nitem = "euro"\naccount = "1234"\nbelow = "100 USD"\n'
    with pytest.raises(WatchConfigError) as caught:
        check_against_items(parse(text), ITEMS)
    assert str(caught.value) == (
        "watch.toml:5: alerts[0].below: is in USD but account 'Konto' (1234) is in EUR"
    )
    text = '[[alerts]]\nkind = "change"\nitem = "euro"\nmore_than = "5 GBP"\n'
    with pytest.raises(
        WatchConfigError, match=r":4: alerts\[0\].more_than: is in GBP but the accounts are in EUR"
    ):
        check_against_items(parse(text), ITEMS)


KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
VALUES = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(table=st.sampled_from(["watch", "budget", "server", "items.a", "notify.x"]), key=KEYS, value=VALUES)
def test_any_value_gives_a_config_or_one_located_line(table: str, key: str, value: str) -> None:
    import json

    text = f"[{table}]\n{key} = {json.dumps(value)}\n"
    message = "watch.toml: accepted"
    try:
        parse(text)
    except WatchConfigError as exc:
        message = str(exc)
    assert "\n" not in message and message.startswith("watch.toml:")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_config_or_one_line(text: str) -> None:
    message = ""
    try:
        parse(text)
    except WatchConfigError as exc:
        message = str(exc)
    assert "\n" not in message


def test_key_lines_follow_arrays_and_quotes() -> None:
    text = '[[alerts]]\nkind = "a"\n\n[[alerts]]\n"kind" = "b"\ntext = """\nx = 1\n"""\n[items."my bank"]\ninterval = "1h"\n'
    lines = key_lines(text)
    assert lines[("alerts", 0, "kind")] == 2
    assert lines[("alerts", 1, "kind")] == 5
    assert ("alerts", 1, "x") not in lines
    assert lines[("items", "my bank", "interval")] == 10


def test_an_items_table_is_named_by_an_item_reference() -> None:
    """``[items.NAME]`` follows the one alias rule: a pasted token is refused, located, never echoed."""
    message = error_of('[watch]\ninterval = "1h"\n\n["items"."access-sandbox-0f5c6a1e"]\nper_day = 1\n')
    assert message.startswith("watch.toml:4: items: a table name: that looks like a Plaid token")
    assert "0f5c6a1e" not in message
