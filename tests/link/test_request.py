"""Which products and filters a link token asks for, and that every body we send fits Plaid's schema."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaid_balance._errors import ConfigurationError
from plaid_balance.link.products import ACCOUNT_TYPES, account_filters, choose_products
from plaid_balance.link.request import LinkSettings, new_item_request, update_request
from tests.plaid_schema import AnswerChecker


def test_depository_only_links_with_auth_and_everything_else_with_transactions() -> None:
    assert choose_products(["depository"]) == ("auth",)
    assert choose_products([]) == ("transactions",)
    assert choose_products(["depository", "credit"]) == ("transactions",)
    assert choose_products(["investment"]) == ("transactions",)


def test_balance_is_refused_as_a_link_product_with_the_reason() -> None:
    with pytest.raises(ConfigurationError, match="not a Link product"):
        LinkSettings.build(products=("balance",))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("products", ("transactionz",), "unknown Plaid product"),
        ("country_codes", ("XX",), "does not support country"),
        ("account_types", ("savings",), "unknown account type"),
        ("language", "klingon", "does not speak"),
        ("client_name", "x" * 31, "1 to 30"),
    ],
)
def test_bad_choices_are_one_line_usage_errors(field: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        LinkSettings.build(**{field: value})
    assert "\n" not in str(caught.value)


def test_account_types_become_filters_that_hide_the_other_types() -> None:
    assert account_filters(["credit", "depository"]) == {
        "depository": {"account_subtypes": ["all"]},
        "credit": {"account_subtypes": ["all"]},
    }
    assert account_filters([]) is None
    assert account_filters(list(ACCOUNT_TYPES)) is None
    # Auth supports only these depository subtypes; "all" beside auth would be refused by Plaid.
    assert account_filters(["depository"], ["auth"]) == {
        "depository": {"account_subtypes": ["checking", "savings", "cash management"]}
    }


def test_products_and_countries_take_comma_lists_once_each_in_order() -> None:
    settings = LinkSettings.build(
        products=("Auth, transactions", " AUTH,,"), country_codes=("ca,us", " CA", "")
    )
    assert settings.products == ("auth", "transactions")
    assert settings.country_codes == ("CA", "US")
    assert LinkSettings.build(country_codes=(" , ",)).country_codes == ("US",)
    with pytest.raises(ConfigurationError, match="at least one product"):
        LinkSettings.build(products=(" , ",))


def test_new_item_body(answers: AnswerChecker) -> None:
    settings = LinkSettings.build(account_types=("depository",), country_codes=("us", "CA"), language="fr")
    body = new_item_request(settings)
    assert body["products"] == ["auth"]
    assert body["country_codes"] == ["US", "CA"]
    assert body["language"] == "fr"
    assert body["client_name"] == "plaid-balance"
    assert body["user"]["client_user_id"].startswith("plaid-balance-")
    assert "hosted_link" not in body
    assert "access_token" not in body
    assert answers.request_errors("/link/token/create", body) == []


def test_update_mode_body_has_the_token_and_no_products(answers: AnswerChecker) -> None:
    settings = LinkSettings.build(products=("transactions",))
    body = update_request(settings, "access-sandbox-123", select_accounts=True, hosted=True)
    assert "products" not in body
    assert body["access_token"] == "access-sandbox-123"
    assert body["update"] == {"account_selection_enabled": True}
    assert body["hosted_link"] == {}
    assert answers.request_errors("/link/token/create", body) == []
    assert "update" not in update_request(settings, "access-sandbox-123")


@settings(deadline=None, max_examples=60)  # schema validation of a 3 MB spec (when at hand) is slow
@given(
    types=st.lists(st.sampled_from(ACCOUNT_TYPES), unique=True),
    products=st.lists(
        st.sampled_from(["auth", "transactions", "identity", "liabilities", "investments"]), unique=True
    ),
    hosted=st.booleans(),
)
def test_every_new_item_body_fits_plaids_schema_and_never_asks_for_balance(
    answers: AnswerChecker, types: list[str], products: list[str], hosted: bool
) -> None:
    settings = LinkSettings.build(account_types=tuple(types), products=tuple(products))
    body = new_item_request(settings, hosted=hosted)
    assert answers.request_errors("/link/token/create", body) == []
    assert body["products"] and "balance" not in body["products"]
    filters = body.get("account_filters")
    if filters is not None:
        assert set(filters) == set(types)


def test_failures_only_a_login_can_fix_name_the_repair_command() -> None:
    from plaid_balance.cli.render import repair_hint

    assert repair_hint("ITEM_LOGIN_REQUIRED", "chase").endswith("plaid-balance link --update chase")
    assert "link --update ALIAS" in repair_hint("PENDING_EXPIRATION")
    assert repair_hint("INSTITUTION_DOWN", "chase") == ""
