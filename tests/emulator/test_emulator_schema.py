"""Every emulator response, success and error, validates against Plaid's official OpenAPI schemas."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from plaid_balance.emulator import RunningEmulator
from tests.emulator.emulator_support import PlaidHTTP, error_code
from tests.plaid_schema import AnswerChecker

CAPITAL_ONE_CUSTOM = {
    "override_accounts": [
        {"type": "depository", "subtype": "checking", "starting_balance": 10},
        {"type": "credit", "subtype": "credit card", "starting_balance": 20, "meta": {"limit": 100}},
    ]
}


def test_every_endpoint_matches_the_spec(
    plaid_http: PlaidHTTP, emu: RunningEmulator, answers: AnswerChecker
) -> None:
    seen: list[tuple[str, int, str | None]] = []

    def call(path: str, body: dict[str, object], *, auth: bool = True) -> httpx.Response:
        response = plaid_http.post(path, body, auth=auth)
        answers.check_response(path, response)
        assert response.json()["request_id"]
        code = None if response.status_code == 200 else error_code(response)
        seen.append((path, response.status_code, code))
        return response

    created = call(
        "/sandbox/public_token/create", {"institution_id": "ins_109508", "initial_products": ["transactions"]}
    )
    call("/sandbox/public_token/create", {"institution_id": "ins_nope", "initial_products": ["auth"]})
    call("/sandbox/public_token/create", {"institution_id": "ins_109508"})
    call("/sandbox/public_token/create", {"institution_id": "ins_109508", "initial_products": ["balance"]})
    call(
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
    public_token = created.json()["public_token"]
    exchanged = call("/item/public_token/exchange", {"public_token": public_token})
    call("/item/public_token/exchange", {"public_token": public_token})  # single use
    token = exchanged.json()["access_token"]

    balance = call("/accounts/balance/get", {"access_token": token})
    first_id = balance.json()["accounts"][0]["account_id"]
    call("/accounts/balance/get", {"access_token": token, "options": {"account_ids": [first_id]}})
    call("/accounts/balance/get", {"access_token": token, "options": {"account_ids": ["nope"]}})
    call("/accounts/balance/get", {"access_token": "access-sandbox-unknown"})
    call("/accounts/balance/get", {"access_token": "access-production-0000"})
    call("/accounts/balance/get", {"access_token": token, "bogus": 1})
    call("/accounts/balance/get", {})
    call("/accounts/balance/get", {"access_token": token}, auth=False)
    call("/accounts/balance/get", {"access_token": token, "client_id": emu.client_id, "secret": "wrong"})
    call("/accounts/get", {"access_token": token})
    call("/accounts/get", {"access_token": token, "options": {"account_ids": ["nope"]}})
    call("/item/get", {"access_token": token})
    call("/institutions/get_by_id", {"institution_id": "ins_109508", "country_codes": ["US"]})
    call(
        "/institutions/get_by_id",
        {
            "institution_id": "ins_109512",
            "country_codes": ["US"],
            "options": {"include_optional_metadata": True, "include_status": True},
        },
    )
    call("/institutions/get_by_id", {"institution_id": "ins_000", "country_codes": ["US"]})

    # Capital One and the Balance test bank: last_updated_datetime and its two errors.
    capone, _ = emu.create_item("ins_128026", "user_custom", CAPITAL_ONE_CUSTOM)
    call("/accounts/balance/get", {"access_token": capone})
    floor = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    call("/accounts/balance/get", {"access_token": capone, "options": {"min_last_updated_datetime": floor}})
    call(
        "/accounts/balance/get",
        {"access_token": capone, "options": {"min_last_updated_datetime": "2000-01-01T00:00:00Z"}},
    )
    balance_bank, _ = emu.create_item("ins_130016")
    call("/accounts/balance/get", {"access_token": balance_bank})
    call("/accounts/get", {"access_token": balance_bank})

    # user_custom currencies, null balances, limits.
    custom, _ = emu.create_item(
        "ins_109508",
        "user_custom",
        {
            "override_accounts": [
                {
                    "type": "investment",
                    "subtype": "crypto exchange",
                    "starting_balance": 1.5,
                    "currency": "BTC",
                },
                {
                    "type": "depository",
                    "subtype": "savings",
                    "starting_balance": 5,
                    "has_null_available_balance": True,
                },
            ]
        },
    )
    call("/accounts/balance/get", {"access_token": custom})

    # Item errors.
    call("/sandbox/item/reset_login", {"access_token": token})
    call("/accounts/balance/get", {"access_token": token})
    call("/accounts/get", {"access_token": token})
    call("/item/get", {"access_token": token})  # item.error populated
    call("/item/remove", {"access_token": token})
    call("/item/remove", {"access_token": token})
    call("/item/get", {"access_token": token})
    call("/sandbox/item/reset_login", {"access_token": token})

    # Faults that answer with a Plaid error body.
    item_token, item_id = emu.create_item()
    emu.set_item_faults(item_id, fail_next=["error", "institution_not_responding", "INSTITUTION_DOWN"])
    for _ in range(3):
        call("/accounts/balance/get", {"access_token": item_token})

    # Rate limiting.
    emu.config.rate_limits["/accounts/balance/get"].per_item = 1
    call("/accounts/balance/get", {"access_token": item_token})
    call("/accounts/balance/get", {"access_token": item_token})

    codes = {code for _, _, code in seen}
    assert {
        "INVALID_INSTITUTION",
        "MISSING_FIELDS",
        "INVALID_PRODUCT",
        "ITEM_LOCKED",
        "INVALID_PUBLIC_TOKEN",
        "INVALID_ACCOUNT_ID",
        "INVALID_ACCESS_TOKEN",
        "UNKNOWN_FIELDS",
        "INVALID_API_KEYS",
        "INVALID_FIELD",
        "LAST_UPDATED_DATETIME_OUT_OF_RANGE",
        "ITEM_LOGIN_REQUIRED",
        "INTERNAL_SERVER_ERROR",
        "INSTITUTION_NOT_RESPONDING",
        "INSTITUTION_DOWN",
        "BALANCE_LIMIT",
    } <= codes
    assert {path for path, status, _ in seen if status == 200} == {
        "/sandbox/public_token/create",
        "/item/public_token/exchange",
        "/accounts/balance/get",
        "/accounts/get",
        "/item/get",
        "/item/remove",
        "/institutions/get_by_id",
        "/sandbox/item/reset_login",
    }


def test_not_found_and_invalid_body_match_plaid_error(plaid_http: PlaidHTTP, answers: AnswerChecker) -> None:
    schema = "PlaidError"
    for response, status, code in [
        (plaid_http.post("/accounts/nope", {}), 404, "NOT_FOUND"),
        (plaid_http.client.get("/accounts/balance/get"), 404, "NOT_FOUND"),
        (plaid_http.client.post("/accounts/balance/get", content=b"{not json"), 400, "INVALID_BODY"),
        (plaid_http.client.post("/accounts/balance/get", content=b"[1, 2]"), 400, "INVALID_BODY"),
    ]:
        assert response.status_code == status
        body = response.json()
        assert body["error_code"] == code
        assert body["error_type"] == "INVALID_REQUEST"
        assert not answers.errors(schema, body)


def test_institutions_get_and_item_import_match_the_spec(
    plaid_http: PlaidHTTP, answers: AnswerChecker
) -> None:
    """/institutions/get pages through the directory (with and without optional metadata) and /item/import
    makes an Item from Sandbox credentials; answers and errors in the spec's shapes."""

    def call(path: str, body: dict[str, object]) -> httpx.Response:
        response = plaid_http.post(path, body)
        answers.check_response(path, response)
        return response

    whole = call("/institutions/get", {"count": 500, "offset": 0, "country_codes": ["US"]}).json()
    assert whole["total"] == len(whole["institutions"]) > 3
    assert "url" not in whole["institutions"][0]
    page = call(
        "/institutions/get",
        {"count": 2, "offset": 1, "country_codes": ["US"], "options": {"include_optional_metadata": True}},
    ).json()
    assert [i["institution_id"] for i in page["institutions"]] == [
        i["institution_id"] for i in whole["institutions"][1:3]
    ]
    assert all(i["url"] and i["primary_color"] for i in page["institutions"])
    assert page["total"] == whole["total"]
    oauth = call(
        "/institutions/get", {"count": 10, "offset": 0, "country_codes": ["US"], "options": {"oauth": True}}
    )
    assert {i["oauth"] for i in oauth.json()["institutions"]} == {True}
    gb = call("/institutions/get", {"count": 10, "offset": 0, "country_codes": ["GB"]}).json()["institutions"]
    assert gb and all(i["country_codes"] == ["GB"] for i in gb)
    assert (
        error_code(call("/institutions/get", {"count": 0, "offset": 0, "country_codes": ["US"]}))
        == "INVALID_FIELD"
    )
    assert error_code(call("/institutions/get", {"count": 1, "country_codes": ["US"]})) == "MISSING_FIELDS"

    imported = call(
        "/item/import",
        {"products": ["identity", "auth"], "user_auth": {"user_id": "user_good", "auth_token": "pass_good"}},
    ).json()
    assert imported["access_token"].startswith("access-sandbox-")
    item = plaid_http.post("/item/get", {"access_token": imported["access_token"]}).json()["item"]
    assert item["billed_products"] == ["auth", "identity"]
    assert plaid_http.balance(imported["access_token"]).status_code == 200
    wrong = call(
        "/item/import", {"products": ["auth"], "user_auth": {"user_id": "user_good", "auth_token": "nope"}}
    )
    assert error_code(wrong) == "INVALID_CREDENTIALS"
    assert error_code(call("/item/import", {"products": ["auth"]})) == "MISSING_FIELDS"
    assert error_code(
        call("/item/import", {"products": ["nope"], "user_auth": {"user_id": "u", "auth_token": "p"}})
    ) == ("INVALID_PRODUCT")
