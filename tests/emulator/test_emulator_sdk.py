"""The official plaid-python SDK, type checking on, runs the Sandbox flow against the emulator."""

from __future__ import annotations

import json

import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_balance_get_request_options import AccountsBalanceGetRequestOptions
from plaid.model.country_code import CountryCode
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest

from plaid_balance.emulator import RunningEmulator


def test_sdk_sandbox_flow(emu: RunningEmulator) -> None:
    configuration = plaid.Configuration(
        host=emu.base_url,
        api_key={"clientId": emu.client_id, "secret": emu.secret, "plaidVersion": "2020-09-14"},
    )
    with plaid.ApiClient(configuration) as api_client:
        client = plaid_api.PlaidApi(api_client)
        created = client.sandbox_public_token_create(
            SandboxPublicTokenCreateRequest(
                institution_id="ins_109508", initial_products=[Products("transactions")]
            )
        )
        assert created.public_token.startswith("public-sandbox-")
        exchanged = client.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token=created.public_token)
        )
        access_token = exchanged.access_token
        assert access_token.startswith("access-sandbox-")
        assert len(exchanged.item_id) == 37

        balances = client.accounts_balance_get(AccountsBalanceGetRequest(access_token=access_token))
        by_mask = {a.mask: a for a in balances.accounts}
        checking = by_mask["0000"]
        assert checking.name == "Plaid Checking"
        assert checking.balances.available == 100
        assert checking.balances.current == 110
        assert checking.balances.iso_currency_code == "USD"
        assert by_mask["3333"].balances.limit == 2000
        assert balances.item.item_id == exchanged.item_id

        one = client.accounts_balance_get(
            AccountsBalanceGetRequest(
                access_token=access_token,
                options=AccountsBalanceGetRequestOptions(account_ids=[checking.account_id]),
            )
        )
        assert [a.account_id for a in one.accounts] == [checking.account_id]

        item = client.item_get(ItemGetRequest(access_token=access_token))
        assert item.item.institution_id == "ins_109508"
        assert item.item.error is None

        institution = client.institutions_get_by_id(
            InstitutionsGetByIdRequest(institution_id="ins_109508", country_codes=[CountryCode("US")])
        )
        assert institution.institution.name == "First Platypus Bank"

        removed = client.item_remove(ItemRemoveRequest(access_token=access_token))
        assert removed.request_id

        with pytest.raises(plaid.ApiException) as excinfo:
            client.accounts_balance_get(AccountsBalanceGetRequest(access_token=access_token))
        assert excinfo.value.status == 400
        body = json.loads(excinfo.value.body)
        assert body["error_type"] == "ITEM_ERROR"
        assert body["error_code"] == "ITEM_NOT_FOUND"
