"""Link tokens, the Link UI's steps (through its JSON calls), Hosted Link results, and the Item endpoints
that go with connecting banks: every Plaid answer validated against the spec."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from plaid_balance.emulator import EmulatorConfig, ManualClock, RunningEmulator, run_emulator
from tests.emulator.emulator_support import PlaidHTTP, error_code
from tests.plaid_schema import AnswerChecker

LINK = {
    "client_name": "plaid-balance",
    "language": "en",
    "country_codes": ["US"],
    "user": {"client_user_id": "u1"},
}


class Linker:
    """Drives the emulator's Link UI the way its page does."""

    def __init__(self, plaid: PlaidHTTP, spec: AnswerChecker) -> None:
        self.plaid = plaid
        self.spec = spec

    def plaid_call(self, path: str, body: dict[str, Any]) -> httpx.Response:
        response = self.plaid.post(path, body)
        self.spec.check_response(path, response)
        return response

    def ui(self, action: str, body: dict[str, Any]) -> httpx.Response:
        return self.plaid.client.post(f"/link/api/{action}", json=body)

    def token(self, **extra: Any) -> str:
        response = self.plaid_call("/link/token/create", {**LINK, "products": ["transactions"], **extra})
        assert response.status_code == 200, response.text
        token: str = response.json()["link_token"]
        return token

    def open(self, token: str) -> dict[str, Any]:
        opened = self.ui("open", {"link_token": token})
        assert opened.status_code == 200, opened.text
        data: dict[str, Any] = opened.json()
        return data

    def login(
        self, token: str, session: str, password: str = "pass_good", ins: str = "ins_109508"
    ) -> httpx.Response:
        body = {"link_token": token, "link_session_id": session, "institution_id": ins}
        return self.ui("login", {**body, "username": "user_good", "password": password})


@pytest.fixture
def linker(plaid_http: PlaidHTTP, answers: AnswerChecker) -> Linker:
    return Linker(plaid_http, answers)


def test_link_token_create_and_get(linker: Linker) -> None:
    created = linker.plaid_call(
        "/link/token/create",
        {**LINK, "products": ["auth"], "webhook": "http://127.0.0.1:9/hook",
         "account_filters": {"depository": {"account_subtypes": ["checking", "savings"]}}},
    )  # fmt: skip
    body = created.json()
    assert body["link_token"].startswith("link-sandbox-")
    assert "hosted_link_url" not in body
    got = linker.plaid_call("/link/token/get", {"link_token": body["link_token"]}).json()
    assert got["metadata"]["initial_products"] == ["auth"]
    assert got["metadata"]["webhook"] == "http://127.0.0.1:9/hook"
    assert got["metadata"]["account_filters"] == {"depository": {"account_subtypes": ["checking", "savings"]}}
    assert got["link_sessions"] == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"products": ["balance"]}, "INVALID_PRODUCT"),
        ({"products": []}, "MISSING_FIELDS"),
        ({"products": None}, "MISSING_FIELDS"),
        ({"language": "xx"}, "INVALID_FIELD"),
        ({"country_codes": ["ZZ"]}, "INVALID_FIELD"),
        ({"client_name": "x" * 31}, "INVALID_FIELD"),
        ({"user": None}, "MISSING_FIELDS"),
        ({"user": {}}, "MISSING_FIELDS"),
        ({"access_token": "access-sandbox-nope", "products": None}, "INVALID_ACCESS_TOKEN"),
        ({"account_filters": {"depository": {"account_subtypes": ["nope"]}}}, "INVALID_FIELD"),
        ({"redirect_uri": "http://example.com/oauth"}, "INVALID_FIELD"),
        ({"bogus": 1}, "UNKNOWN_FIELDS"),
    ],
)
def test_link_token_create_errors(linker: Linker, change: dict[str, Any], code: str) -> None:
    body = {**LINK, "products": ["transactions"], **change}
    response = linker.plaid_call("/link/token/create", {k: v for k, v in body.items() if v is not None})
    assert error_code(response) == code


def test_update_mode_refuses_products(linker: Linker, emu: RunningEmulator) -> None:
    token, _ = emu.create_item()
    response = linker.plaid_call("/link/token/create", {**LINK, "access_token": token, "products": ["auth"]})
    assert error_code(response) == "INVALID_FIELD"


def test_link_flow_wrong_password_then_success(linker: Linker) -> None:
    token = linker.token()
    session = linker.open(token)
    assert session["mode"] == "add" and session["client_name"] == "plaid-balance"
    sid = session["link_session_id"]
    found = linker.ui(
        "search", {"link_token": token, "link_session_id": sid, "query": "platypus oauth"}
    ).json()
    assert [i["name"] for i in found["institutions"]] == [
        "Platypus OAuth Bank",
        "First Platypus OAuth App2App Bank",
    ]
    wrong = linker.login(token, sid, password="nope")
    assert error_code(wrong) == "INVALID_CREDENTIALS"
    good = linker.login(token, sid).json()
    assert good["select_accounts"] is True
    ids = [a["id"] for a in good["accounts"][:2]]
    done = linker.ui("complete", {"link_token": token, "link_session_id": sid, "account_ids": ids}).json()
    metadata = done["metadata"]
    assert metadata["institution"] == {"name": "First Platypus Bank", "institution_id": "ins_109508"}
    assert [a["id"] for a in metadata["accounts"]] == ids
    assert metadata["link_session_id"] == sid
    exchanged = linker.plaid_call(
        "/item/public_token/exchange", {"public_token": done["public_token"]}
    ).json()
    balances = linker.plaid_call("/accounts/balance/get", {"access_token": exchanged["access_token"]}).json()
    assert [a["account_id"] for a in balances["accounts"]] == ids
    # The finished session is over: it cannot be completed twice.
    again = linker.ui("complete", {"link_token": token, "link_session_id": sid, "account_ids": ids})
    assert again.status_code == 400


def test_account_filters_limit_what_link_offers(linker: Linker) -> None:
    token = linker.token(account_filters={"credit": {"account_subtypes": ["credit card"]}})
    sid = linker.open(token)["link_session_id"]
    accounts = linker.login(token, sid).json()["accounts"]
    assert {(a["type"], a["subtype"]) for a in accounts} == {("credit", "credit card")}


def test_exit_reports_last_error_and_step(linker: Linker) -> None:
    token = linker.token()
    sid = linker.open(token)["link_session_id"]
    linker.login(token, sid, password="wrong")
    left = linker.ui("exit", {"link_token": token, "link_session_id": sid}).json()
    assert left["error"]["error_code"] == "INVALID_CREDENTIALS"
    assert left["metadata"]["status"] == "requires_credentials"
    assert left["metadata"]["link_session_id"] == sid
    report = linker.plaid_call("/link/token/get", {"link_token": token}).json()["link_sessions"]
    assert report[0]["exit"]["metadata"]["status"] == "requires_credentials"
    assert report[0]["results"]["item_add_results"] == []


def test_hosted_link_result_via_link_token_get(linker: Linker, emu: RunningEmulator) -> None:
    created = linker.plaid_call(
        "/link/token/create", {**LINK, "products": ["auth"], "hosted_link": {}}
    ).json()
    assert created["hosted_link_url"] == f"{emu.base_url}/link/hosted?token={created['link_token']}"
    page = linker.plaid.client.get(created["hosted_link_url"])
    assert page.status_code == 200 and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    token = created["link_token"]
    sid = linker.open(token)["link_session_id"]
    linker.login(token, sid)
    done = linker.ui("complete", {"link_token": token, "link_session_id": sid}).json()
    got = linker.plaid_call("/link/token/get", {"link_token": token}).json()
    results = got["link_sessions"][0]["results"]["item_add_results"]
    assert results[0]["public_token"] == done["public_token"]
    assert results[0]["institution"]["institution_id"] == "ins_109508"
    assert got["link_sessions"][0]["finished_at"] is not None


def test_update_mode_repairs_the_same_item(linker: Linker, emu: RunningEmulator) -> None:
    access, item_id = emu.create_item()
    linker.plaid_call("/sandbox/item/reset_login", {"access_token": access})
    assert (
        error_code(linker.plaid_call("/accounts/balance/get", {"access_token": access}))
        == "ITEM_LOGIN_REQUIRED"
    )
    created = linker.plaid_call("/link/token/create", {**LINK, "access_token": access}).json()
    session = linker.open(created["link_token"])
    assert session["mode"] == "update"
    assert session["institution"] == {"name": "First Platypus Bank", "institution_id": "ins_109508"}
    sid = session["link_session_id"]
    assert error_code(linker.login(created["link_token"], sid, password="bad")) == "INVALID_CREDENTIALS"
    assert (
        error_code(linker.plaid_call("/accounts/balance/get", {"access_token": access}))
        == "ITEM_LOGIN_REQUIRED"
    )
    login = linker.login(created["link_token"], sid).json()
    assert login["select_accounts"] is False
    done = linker.ui("complete", {"link_token": created["link_token"], "link_session_id": sid}).json()
    assert linker.plaid_call("/accounts/balance/get", {"access_token": access}).status_code == 200
    exchanged = linker.plaid_call(
        "/item/public_token/exchange", {"public_token": done["public_token"]}
    ).json()
    assert (exchanged["access_token"], exchanged["item_id"]) == (access, item_id)
    assert emu.stats()["items"] == 1


def test_link_tokens_expire() -> None:
    clock = ManualClock()
    with run_emulator(EmulatorConfig(), clock=clock) as emu, httpx.Client(base_url=emu.base_url) as client:
        plaid = PlaidHTTP(emu, client)
        token = plaid.post("/link/token/create", {**LINK, "products": ["auth"]}).json()
        access, _ = emu.create_item()
        update = plaid.post("/link/token/create", {**LINK, "access_token": access}).json()
        clock.advance(30 * 60)
        assert error_code(client.post("/link/api/open", json={"link_token": update["link_token"]})) == (
            "INVALID_LINK_TOKEN"
        )
        assert client.post("/link/api/open", json={"link_token": token["link_token"]}).status_code == 200
        clock.advance(4 * 3600)
        assert error_code(client.post("/link/api/open", json={"link_token": token["link_token"]})) == (
            "INVALID_LINK_TOKEN"
        )


def test_invalidate_rotates_the_token(linker: Linker, emu: RunningEmulator) -> None:
    access, item_id = emu.create_item()
    new = linker.plaid_call("/item/access_token/invalidate", {"access_token": access}).json()[
        "new_access_token"
    ]
    assert new != access and new.startswith("access-sandbox-")
    assert error_code(linker.plaid_call("/item/get", {"access_token": access})) == "INVALID_ACCESS_TOKEN"
    assert linker.plaid_call("/item/get", {"access_token": new}).json()["item"]["item_id"] == item_id


def test_remove_then_everything_is_item_not_found(linker: Linker, emu: RunningEmulator) -> None:
    access, _ = emu.create_item()
    linker.plaid_call("/item/remove", {"access_token": access})
    for path, extra in [
        ("/item/get", {}),
        ("/accounts/get", {}),
        ("/accounts/balance/get", {}),
        ("/item/remove", {}),
        ("/item/access_token/invalidate", {}),
        ("/item/webhook/update", {"webhook": "http://127.0.0.1:9/"}),
    ]:
        response = linker.plaid_call(path, {"access_token": access, **extra})
        assert (response.status_code, error_code(response)) == (400, "ITEM_NOT_FOUND"), path
    update = linker.plaid_call("/link/token/create", {**LINK, "access_token": access})
    assert error_code(update) == "ITEM_NOT_FOUND"


def test_webhook_update(linker: Linker, emu: RunningEmulator) -> None:
    access, _ = emu.create_item()
    item = linker.plaid_call(
        "/item/webhook/update", {"access_token": access, "webhook": "http://127.0.0.1:9/new"}
    ).json()["item"]
    assert item["webhook"] == "http://127.0.0.1:9/new"
    assert linker.plaid_call("/item/get", {"access_token": access}).json()["item"]["webhook"] == (
        "http://127.0.0.1:9/new"
    )


def test_institutions_search(linker: Linker) -> None:
    body = {
        "query": "first platypus",
        "country_codes": ["US"],
        "options": {"include_optional_metadata": True},
    }
    found = linker.plaid_call("/institutions/search", body).json()["institutions"]
    assert found[0]["institution_id"] == "ins_109508" and found[0]["url"] == "https://plaid.com"
    assert all("first platypus" in i["name"].lower() for i in found)
    oauth = linker.plaid_call("/institutions/search", {**body, "options": {"oauth": True}}).json()
    assert {i["institution_id"] for i in oauth["institutions"]} == {"ins_132241"}
    uk = linker.plaid_call("/institutions/search", {"query": "platypus", "country_codes": ["GB"]}).json()
    assert {i["institution_id"] for i in uk["institutions"]} == {"ins_116834", "ins_117181"}
    assert (
        error_code(linker.plaid_call("/institutions/search", {**body, "country_codes": ["XX"]}))
        == "INVALID_FIELD"
    )
