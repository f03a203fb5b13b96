"""A project changes the emulator the fixtures start by overriding ``plaid_emulator_config``."""

from __future__ import annotations

import json

import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest

from plaid_balance.emulator import EmulatorConfig, RateLimitRule
from plaid_balance.testing import PlaidEmulator


@pytest.fixture(scope="session")
def plaid_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        client_id="my-app",
        secret="my-app-test-secret",
        rate_limits={"/accounts/balance/get": RateLimitRule(per_item=2, item_error_code="BALANCE_LIMIT")},
    )


def test_the_projects_own_configuration(plaid_emulator: PlaidEmulator) -> None:
    assert (plaid_emulator.client_id, plaid_emulator.secret) == ("my-app", "my-app-test-secret")
    assert plaid_emulator.api_key["clientId"] == "my-app"
    client = plaid_api.PlaidApi(
        plaid.ApiClient(plaid.Configuration(host=plaid_emulator.base_url, api_key=plaid_emulator.api_key))
    )
    item = plaid_emulator.create_item()
    request = AccountsBalanceGetRequest(access_token=item.access_token)
    client.accounts_balance_get(request)
    client.accounts_balance_get(request)
    with pytest.raises(plaid.ApiException) as excinfo:
        client.accounts_balance_get(request)  # the project's limit: two a minute per Item
    assert excinfo.value.status == 429
    assert json.loads(excinfo.value.body)["error_code"] == "BALANCE_LIMIT"
    assert plaid_emulator.billed_balance_calls(item) == 2
