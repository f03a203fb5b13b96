"""Reading Hosted Link's outcome from Plaid's ``/link/token/get`` answer, and the vault as Link uses it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from plaid_balance._secret import SecretStr
from plaid_balance.link.adapters import VaultStore, hosted_result
from plaid_balance.link.flow import ItemFacts
from plaid_balance.link.outcome import LinkExit, LinkSuccess, parse_result
from plaid_balance.models import LinkTokenGetResponse, PublicTokenExchangeResponse
from plaid_balance.vault import Vault, VaultAccount, new_key_text


def answer(*sessions: dict[str, Any]) -> LinkTokenGetResponse:
    body = {
        "link_token": "link-sandbox-1",
        "created_at": "2030-01-01T00:00:00Z",
        "expiration": "2030-01-01T04:00:00Z",
        "link_sessions": list(sessions),
        "metadata": {},
        "request_id": "r",
    }
    return msgspec.json.decode(msgspec.json.encode(body), type=LinkTokenGetResponse)


def test_nothing_yet_while_the_user_is_in_link() -> None:
    assert hosted_result(answer(), update=False) is None
    assert (
        hosted_result(answer({"link_session_id": "s", "started_at": "2030-01-01T00:00:00Z"}), update=False)
        is None
    )


def test_an_item_add_result_is_a_success() -> None:
    result = hosted_result(
        answer(
            {
                "link_session_id": "s",
                "results": {
                    "item_add_results": [
                        {
                            "public_token": "public-sandbox-1",
                            "accounts": [{"id": "a1", "name": "Checking", "mask": "0000"}],
                            "institution": {"name": "First Platypus Bank", "institution_id": "ins_109508"},
                        }
                    ]
                },
            }
        ),
        update=False,
    )
    assert isinstance(result, LinkSuccess)
    assert (result.public_token, result.institution_id, result.accounts[0].account_id) == (
        "public-sandbox-1",
        "ins_109508",
        "a1",
    )


def test_an_exit_keeps_its_status_and_error() -> None:
    result = hosted_result(
        answer(
            {
                "link_session_id": "s",
                "finished_at": "2030-01-01T00:05:00Z",
                "exit": {
                    "error": {
                        "error_type": "ITEM_ERROR",
                        "error_code": "INVALID_CREDENTIALS",
                        "error_message": "the credentials were not correct",
                        "display_message": None,
                    },
                    "metadata": {"status": "requires_credentials"},
                },
            }
        ),
        update=False,
    )
    assert result == LinkExit(
        status="requires_credentials",
        error_code="INVALID_CREDENTIALS",
        error_message="the credentials were not correct",
        link_session_id="s",
    )


def test_a_finished_update_session_without_results_is_a_success_only_in_update_mode() -> None:
    finished = answer({"link_session_id": "s", "finished_at": "2030-01-01T00:05:00Z"})
    assert isinstance(hosted_result(finished, update=True), LinkSuccess)
    assert hosted_result(finished, update=False) is None


def test_links_own_accounts_reach_the_real_vault_when_plaid_cannot_describe_the_item(tmp_path: Path) -> None:
    """The browser's accounts are the vault's own type: one Link sent without a name is kept named by
    its id, and the vault stores exactly what Link reported (the fallback when /accounts/get fails)."""
    result = parse_result(
        {
            "outcome": "success",
            "public_token": "public-sandbox-1",
            "metadata": {
                "institution": {"institution_id": "ins_109508", "name": "First Platypus Bank"},
                "accounts": [
                    {"id": "acc-1", "name": "Checking", "mask": "0000", "type": "depository"},
                    {"id": "acc-2", "mask": "1111", "subtype": "savings"},
                ],
            },
        }
    )
    assert isinstance(result, LinkSuccess)
    assert all(isinstance(a, VaultAccount) for a in result.accounts)
    db = f"sqlite:///{tmp_path / 'vault.db'}"
    exchanged = PublicTokenExchangeResponse(
        access_token=SecretStr("access-sandbox-0123456789"), item_id="item-1", request_id="r"
    )
    facts = ItemFacts("item-1", result.institution_id, result.institution_name, result.accounts)
    with Vault.open(db, key=new_key_text(), use_keyring=False) as vault:
        store = VaultStore(vault, "sandbox")
        store.add("platypus", exchanged, facts)
        assert [i.alias for i in store.items()] == ["platypus"]
        assert store.find("item-1").institution_name == "First Platypus Bank"
        assert vault.get("platypus").accounts == (
            VaultAccount(account_id="acc-1", name="Checking", mask="0000", type="depository"),
            VaultAccount(account_id="acc-2", name="acc-2", mask="1111", subtype="savings"),
        )
        assert vault.access_token("platypus").get_secret_value() == "access-sandbox-0123456789"
