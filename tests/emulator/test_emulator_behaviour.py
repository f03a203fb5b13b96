"""Sandbox behaviour over real HTTP: credentials, tokens, accounts, user_custom, Capital One, Item state."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from plaid_balance.emulator import (
    EmulatorConfig,
    ManualClock,
    NonLoopbackError,
    PlaidAPIError,
    RunningEmulator,
    run_emulator,
)
from tests.emulator.emulator_support import PlaidHTTP, credentials, error_code


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_credentials_in_body_or_headers(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    token, _ = emu.create_item()
    headers = {"PLAID-CLIENT-ID": emu.client_id, "PLAID-SECRET": emu.secret}
    assert (
        plaid_http.client.post("/item/get", json={"access_token": token}, headers=headers).status_code == 200
    )
    missing = plaid_http.post("/item/get", {"access_token": token}, auth=False)
    assert (missing.status_code, error_code(missing)) == (400, "MISSING_FIELDS")
    assert "client_id" in missing.json()["error_message"]
    wrong = plaid_http.post("/item/get", {"access_token": token, "secret": "nope"})
    assert (wrong.status_code, wrong.json()["error_type"], error_code(wrong)) == (
        400,
        "INVALID_INPUT",
        "INVALID_API_KEYS",
    )


def test_request_validation(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    token, _ = emu.create_item()
    unknown = plaid_http.post("/accounts/balance/get", {"access_token": token, "foo": 1})
    assert error_code(unknown) == "UNKNOWN_FIELDS"
    assert "foo" in unknown.json()["error_message"]
    unknown_option = plaid_http.balance(token, bar=True)
    assert error_code(unknown_option) == "UNKNOWN_FIELDS"
    missing = plaid_http.post("/accounts/balance/get", {})
    assert error_code(missing) == "MISSING_FIELDS"
    assert "access_token" in missing.json()["error_message"]
    not_found = plaid_http.post("/accounts/balance/gett", {})
    assert (not_found.status_code, error_code(not_found)) == (404, "NOT_FOUND")
    bad = plaid_http.client.post(
        "/accounts/balance/get", content=b"{", headers={"content-type": "application/json"}
    )
    assert (bad.status_code, error_code(bad)) == (400, "INVALID_BODY")
    for response in (unknown, missing, not_found, bad):
        assert response.json()["request_id"]


def test_token_lifecycle(plaid_http: PlaidHTTP) -> None:
    created = plaid_http.post(
        "/sandbox/public_token/create", {"institution_id": "ins_109508", "initial_products": ["auth"]}
    )
    public_token = created.json()["public_token"]
    assert re.fullmatch(
        r"public-sandbox-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", public_token
    )
    exchanged = plaid_http.post("/item/public_token/exchange", {"public_token": public_token}).json()
    assert exchanged["access_token"].startswith("access-sandbox-")
    assert re.fullmatch(r"[A-Za-z0-9]{37}", exchanged["item_id"])
    again = plaid_http.post("/item/public_token/exchange", {"public_token": public_token})
    assert error_code(again) == "INVALID_PUBLIC_TOKEN"
    token = exchanged["access_token"]
    first = plaid_http.balance(token).json()["accounts"]
    second = plaid_http.post("/accounts/get", {"access_token": token}).json()["accounts"]
    assert [a["account_id"] for a in first] == [a["account_id"] for a in second]
    assert plaid_http.post("/item/remove", {"access_token": token}).status_code == 200
    gone = plaid_http.balance(token)
    assert (gone.status_code, gone.json()["error_type"], error_code(gone)) == (
        400,
        "ITEM_ERROR",
        "ITEM_NOT_FOUND",
    )


def test_public_token_expires() -> None:
    clock = ManualClock()
    with (
        run_emulator(EmulatorConfig(public_token_ttl_seconds=60), clock=clock) as emu,
        httpx.Client(base_url=emu.base_url) as client,
    ):
        plaid_http = PlaidHTTP(emu, client)
        public_token = plaid_http.post(
            "/sandbox/public_token/create", {"institution_id": "ins_109508", "initial_products": ["auth"]}
        ).json()["public_token"]
        clock.advance(60)
        expired = plaid_http.post("/item/public_token/exchange", {"public_token": public_token})
        assert error_code(expired) == "INVALID_PUBLIC_TOKEN"


@pytest.mark.parametrize("env", ["production", "development"])
def test_other_environment_tokens_are_refused(plaid_http: PlaidHTTP, env: str) -> None:
    response = plaid_http.balance(f"access-{env}-de3ce8ef-33f8-452c-a685-8671031fc0f6")
    assert error_code(response) == "INVALID_ACCESS_TOKEN"
    assert "sandbox-only" in response.json()["error_message"]
    public = plaid_http.post("/item/public_token/exchange", {"public_token": f"public-{env}-x-y"})
    assert error_code(public) == "INVALID_PUBLIC_TOKEN"
    assert "sandbox-only" in public.json()["error_message"]


def test_user_good_roster(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    token, _ = emu.create_item()
    accounts = {a["mask"]: a for a in plaid_http.balance(token).json()["accounts"]}
    assert accounts["0000"] == {
        "account_id": accounts["0000"]["account_id"],
        "balances": {
            "available": 100,
            "current": 110,
            "iso_currency_code": "USD",
            "limit": None,
            "unofficial_currency_code": None,
        },
        "holder_category": "personal",
        "mask": "0000",
        "name": "Plaid Checking",
        "official_name": "Plaid Gold Standard 0% Interest Checking",
        "subtype": "checking",
        "type": "depository",
    }
    assert accounts["6666"]["balances"]["current"] == 23631.9805
    assert accounts["3333"]["balances"] == {
        "available": None,
        "current": 410,
        "iso_currency_code": "USD",
        "limit": 2000,
        "unofficial_currency_code": None,
    }
    assert accounts["9999"]["holder_category"] == "business"
    assert accounts["7777"]["official_name"] is None
    assert len(accounts) == 12
    assert all(re.fullmatch(r"[A-Za-z0-9]{37}", a["account_id"]) for a in accounts.values())


def test_account_ids_filter(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    token, _ = emu.create_item()
    ids = [a["account_id"] for a in plaid_http.balance(token).json()["accounts"]]
    picked = plaid_http.balance(token, account_ids=[ids[3], ids[0]]).json()["accounts"]
    assert [a["account_id"] for a in picked] == [ids[0], ids[3]]
    bad = plaid_http.balance(token, account_ids=[ids[0], "nope"])
    assert (bad.status_code, bad.json()["error_type"], error_code(bad)) == (
        400,
        "INVALID_INPUT",
        "INVALID_ACCOUNT_ID",
    )
    other_token, _ = emu.create_item()
    assert error_code(plaid_http.balance(other_token, account_ids=[ids[0]])) == "INVALID_ACCOUNT_ID"


def test_user_custom_accounts(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    config = {
        "seed": "balance-tool-1",
        "override_accounts": [
            {"type": "depository", "subtype": "checking", "starting_balance": 1234.56, "force_available_balance": 1000,
             "currency": "USD", "meta": {"name": "Test Checking", "official_name": "Test Checking", "mask": "1234"}},
            {"type": "credit", "subtype": "credit card", "starting_balance": 450.00, "currency": "USD",
             "meta": {"name": "Test Card", "limit": 5000, "mask": "9876"}},
            {"type": "depository", "subtype": "savings", "starting_balance": 50, "has_null_available_balance": True,
             "meta": {"name": "No-Avail Savings", "mask": "5555"}},
            {"type": "investment", "subtype": "crypto exchange", "starting_balance": 0.5, "currency": "BTC",
             "meta": {"name": "Wallet"}},
            {"type": "depository", "subtype": "savings", "starting_balance": 10, "currency": "EUR"},
        ],
    }  # fmt: skip
    # Through the HTTP flow, with the JSON config as the password.
    created = plaid_http.post(
        "/sandbox/public_token/create",
        {
            "institution_id": "ins_109508",
            "initial_products": ["transactions"],
            "options": {"override_username": "user_custom", "override_password": json.dumps(config)},
        },
    ).json()
    token = plaid_http.post("/item/public_token/exchange", {"public_token": created["public_token"]}).json()[
        "access_token"
    ]
    accounts = plaid_http.balance(token).json()["accounts"]
    balances = [a["balances"] for a in accounts]
    assert balances[0]["current"] == 1234.56 and balances[0]["available"] == 1000
    assert accounts[0]["mask"] == "1234" and accounts[0]["name"] == "Test Checking"
    assert balances[1] == {
        "available": 4550,
        "current": 450,
        "iso_currency_code": "USD",
        "limit": 5000,
        "unofficial_currency_code": None,
    }
    assert balances[2]["available"] is None and balances[2]["current"] == 50
    assert balances[3]["iso_currency_code"] is None and balances[3]["unofficial_currency_code"] == "BTC"
    assert balances[4]["iso_currency_code"] == "EUR"
    # Random-balance config and the 10-account cap.
    random_token, _ = emu.create_item(username="user_custom", password="{}")
    assert plaid_http.balance(random_token).status_code == 200
    eleven = {"override_accounts": [{"type": "depository", "subtype": "checking"}] * 11}
    with pytest.raises(PlaidAPIError) as excinfo:
        emu.create_item(username="user_custom", password=eleven)
    assert excinfo.value.error_code == "INVALID_FIELD"


def test_force_error_and_error_passwords(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    response = plaid_http.post(
        "/sandbox/public_token/create",
        {
            "institution_id": "ins_109508",
            "initial_products": ["auth"],
            "options": {
                "override_username": "user_custom",
                "override_password": '{"force_error": "ITEM_LOCKED"}',
            },
        },
    )
    assert (response.status_code, response.json()["error_type"], error_code(response)) == (
        400,
        "ITEM_ERROR",
        "ITEM_LOCKED",
    )
    with pytest.raises(PlaidAPIError) as excinfo:
        emu.create_item(password="error_INSTITUTION_DOWN")
    assert excinfo.value.error_code == "INSTITUTION_DOWN"
    with pytest.raises(PlaidAPIError):
        emu.create_item(password="pass_bad")


def test_capital_one_min_last_updated_datetime(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    stamp = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    custom = {
        "override_accounts": [
            {"type": "depository", "subtype": "checking", "starting_balance": 10},
            {
                "type": "credit",
                "subtype": "credit card",
                "starting_balance": 20,
                "last_updated_datetime": _iso(stamp),
            },
        ]
    }
    token, _ = emu.create_item("ins_128026", "user_custom", custom)
    ids = [
        a["account_id"] for a in plaid_http.post("/accounts/get", {"access_token": token}).json()["accounts"]
    ]

    required = plaid_http.balance(token)
    assert (required.status_code, required.json()["error_type"], error_code(required)) == (
        400,
        "INVALID_REQUEST",
        "INVALID_FIELD",
    )
    assert "min_last_updated_datetime" in required.json()["error_message"]

    depository_only = plaid_http.balance(token, account_ids=[ids[0]])
    assert depository_only.status_code == 200
    assert depository_only.json()["accounts"][0]["balances"]["last_updated_datetime"]

    stale = plaid_http.balance(token, min_last_updated_datetime=_iso(stamp + timedelta(hours=1)))
    assert (stale.status_code, stale.json()["error_type"], error_code(stale)) == (
        400,
        "INVALID_RESULT",
        "LAST_UPDATED_DATETIME_OUT_OF_RANGE",
    )
    assert stale.json()["error_message"] == (
        "requested datetime out of range, most recently updated balance 2026-01-01T12:00:00Z"
    )
    ok = plaid_http.balance(token, min_last_updated_datetime=_iso(stamp - timedelta(days=1)))
    assert ok.status_code == 200
    assert ok.json()["accounts"][1]["balances"]["last_updated_datetime"] == "2026-01-01T12:00:00Z"


def test_balance_bank_and_other_institutions(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    token, _ = emu.create_item("ins_130016")
    now = datetime.now(UTC)
    assert plaid_http.balance(token).status_code == 200  # optional here
    stale = plaid_http.balance(token, min_last_updated_datetime=_iso(now))
    assert error_code(stale) == "LAST_UPDATED_DATETIME_OUT_OF_RANGE"
    fine = plaid_http.balance(token, min_last_updated_datetime=_iso(now - timedelta(days=1)))
    assert all(a["balances"]["last_updated_datetime"] for a in fine.json()["accounts"])
    # Elsewhere the floor is ignored and no timestamp is reported.
    plain, _ = emu.create_item("ins_109508")
    ignored = plaid_http.balance(plain, min_last_updated_datetime=_iso(now + timedelta(days=1)))
    assert ignored.status_code == 200
    assert all("last_updated_datetime" not in a["balances"] for a in ignored.json()["accounts"])


def test_reset_login(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    token, _ = emu.create_item()
    reset = plaid_http.post("/sandbox/item/reset_login", {"access_token": token})
    assert reset.json()["reset_login"] is True
    for path in ("/accounts/balance/get", "/accounts/get"):
        response = plaid_http.post(path, {"access_token": token})
        assert (response.status_code, response.json()["error_type"], error_code(response)) == (
            400,
            "ITEM_ERROR",
            "ITEM_LOGIN_REQUIRED",
        )
    item = plaid_http.post("/item/get", {"access_token": token}).json()["item"]
    assert item["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"


def test_institutions(plaid_http: PlaidHTTP) -> None:
    for institution_id, name in [
        ("ins_109508", "First Platypus Bank"),
        ("ins_128026", "Capital One"),
        ("ins_3", "Chase"),
    ]:
        body = plaid_http.post(
            "/institutions/get_by_id", {"institution_id": institution_id, "country_codes": ["US"]}
        ).json()
        assert body["institution"]["name"] == name
    uk = plaid_http.post("/institutions/get_by_id", {"institution_id": "ins_117650", "country_codes": ["US"]})
    assert error_code(uk) == "INVALID_INSTITUTION"


def test_bulk_items(emu: RunningEmulator) -> None:
    pairs = emu.create_items(10_000)
    assert len({token for token, _ in pairs}) == 10_000
    assert emu.stats()["items"] == 10_000


def test_non_loopback_is_refused() -> None:
    with pytest.raises(NonLoopbackError), run_emulator(host="0.0.0.0"):
        pass
    with run_emulator(host="localhost") as emu:
        assert emu.base_url.startswith("http://127.0.0.1:")


def test_credentials_helper(emu: RunningEmulator) -> None:
    assert credentials(emu) == {"client_id": "emulator-client-id", "secret": "emulator-secret"}
