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


def test_sdk_link_and_item_endpoints(emu: RunningEmulator) -> None:
    """Link tokens (plain, hosted, update mode), rotation, webhook update, institution search and removal,
    each decoded by the SDK's own models."""
    import httpx
    from plaid.model.institutions_search_request import InstitutionsSearchRequest
    from plaid.model.item_access_token_invalidate_request import ItemAccessTokenInvalidateRequest
    from plaid.model.item_webhook_update_request import ItemWebhookUpdateRequest
    from plaid.model.link_token_create_hosted_link import LinkTokenCreateHostedLink
    from plaid.model.link_token_create_request import LinkTokenCreateRequest
    from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
    from plaid.model.link_token_get_request import LinkTokenGetRequest

    configuration = plaid.Configuration(
        host=emu.base_url,
        api_key={"clientId": emu.client_id, "secret": emu.secret, "plaidVersion": "2020-09-14"},
    )
    with plaid.ApiClient(configuration) as api_client:
        client = plaid_api.PlaidApi(api_client)
        user = LinkTokenCreateRequestUser(client_user_id="user-1")
        hosted = client.link_token_create(
            LinkTokenCreateRequest(
                client_name="plaid-balance",
                language="en",
                country_codes=[CountryCode("US")],
                user=user,
                products=[Products("transactions")],
                hosted_link=LinkTokenCreateHostedLink(),
            )
        )
        assert hosted.hosted_link_url.startswith(f"{emu.base_url}/link/hosted?token=")
        # Finish the hosted session the way its page does, then read the result as a Plaid client would.
        with httpx.Client(base_url=emu.base_url) as ui:
            sid = ui.post("/link/api/open", json={"link_token": hosted.link_token}).json()["link_session_id"]
            ui.post(
                "/link/api/login",
                json={"link_token": hosted.link_token, "link_session_id": sid, "institution_id": "ins_109508",
                      "username": "user_good", "password": "pass_good"},
            )  # fmt: skip
            ui.post("/link/api/complete", json={"link_token": hosted.link_token, "link_session_id": sid})
        got = client.link_token_get(LinkTokenGetRequest(link_token=hosted.link_token))
        public_token = got.link_sessions[0].results.item_add_results[0].public_token
        access_token = client.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token=public_token)
        ).access_token

        update = client.link_token_create(
            LinkTokenCreateRequest(
                client_name="plaid-balance",
                language="en",
                country_codes=[CountryCode("US")],
                user=user,
                access_token=access_token,
            )
        )
        assert update.link_token.startswith("link-sandbox-")

        rotated = client.item_access_token_invalidate(
            ItemAccessTokenInvalidateRequest(access_token=access_token)
        )
        new_token = rotated.new_access_token
        assert new_token != access_token
        updated = client.item_webhook_update(
            ItemWebhookUpdateRequest(access_token=new_token, webhook="http://127.0.0.1:9/hook")
        )
        assert updated.item.webhook == "http://127.0.0.1:9/hook"

        found = client.institutions_search(
            InstitutionsSearchRequest(query="platypus", country_codes=[CountryCode("US")])
        )
        assert "ins_109508" in [i.institution_id for i in found.institutions]

        client.item_remove(ItemRemoveRequest(access_token=new_token))
        with pytest.raises(plaid.ApiException) as excinfo:
            client.item_get(ItemGetRequest(access_token=new_token))
        assert json.loads(excinfo.value.body)["error_code"] == "ITEM_NOT_FOUND"
