"""The emulator as a hardened server: exact money, bounded bodies and nesting, Plaid's error shape everywhere."""

from __future__ import annotations

import json
import select
import socket
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plaid_balance.emulator import EmulatorConfig, FaultKind, RunningEmulator, run_emulator
from plaid_balance.emulator.errors import CATALOGUE
from tests.emulator.emulator_support import PlaidHTTP, error_code
from tests.plaid_schema import AnswerChecker

PLAID_ERROR = "PlaidError"
PATHS = [
    "/sandbox/public_token/create",
    "/item/public_token/exchange",
    "/accounts/balance/get",
    "/accounts/get",
    "/item/get",
    "/item/remove",
    "/sandbox/item/reset_login",
    "/institutions/get_by_id",
    "/institutions/search",
    "/item/access_token/invalidate",
    "/item/webhook/update",
    "/link/token/create",
    "/link/token/get",
    "/sandbox/item/fire_webhook",
    "/webhook_verification_key/get",
    "/institutions/get",
    "/item/import",
]
_SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _custom(amount: str) -> str:
    return json.dumps({"override_accounts": [{"type": "depository", "subtype": "checking"}]}).replace(
        '"subtype": "checking"', f'"subtype": "checking", "starting_balance": {amount}'
    )


def _link_custom(plaid_http: PlaidHTTP, password: str) -> httpx.Response:
    return plaid_http.post(
        "/sandbox/public_token/create",
        {
            "institution_id": "ins_109508",
            "initial_products": ["transactions"],
            "options": {"override_username": "user_custom", "override_password": password},
        },
    )


def _balance_text(plaid_http: PlaidHTTP, password: str) -> str:
    created = _link_custom(plaid_http, password)
    assert created.status_code == 200, created.text
    token = plaid_http.post("/item/public_token/exchange", {"public_token": created.json()["public_token"]})
    return plaid_http.balance(token.json()["access_token"]).text


def test_big_custom_balance_is_served_digit_for_digit(plaid_http: PlaidHTTP) -> None:
    text = _balance_text(plaid_http, _custom("12345678901234567.89"))
    assert '"current":12345678901234567.89' in text
    assert '"available":12345678901234567.89' in text


@_SLOW
@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: abs(d.adjusted()) < 40
    )
)
def test_any_exact_amount_round_trips(plaid_http: PlaidHTTP, amount: Decimal) -> None:
    text = _balance_text(plaid_http, _custom(str(amount)))
    served = json.loads(text, parse_float=Decimal)["accounts"][0]["balances"]["current"]
    assert str(served) == str(amount)


@pytest.mark.parametrize(
    "amount", ['"NaN"', '"Infinity"', '"-Infinity"', '"1_000"', '"١٢٣"', "NaN", "Infinity", '"12abc"', "true"]
)
def test_non_finite_or_non_numeric_balances_are_refused(
    plaid_http: PlaidHTTP, answers: AnswerChecker, amount: str
) -> None:
    response = _link_custom(plaid_http, _custom(amount))
    assert (response.status_code, error_code(response)) == (400, "INVALID_FIELD")
    answers.check_response("/sandbox/public_token/create", response)


def test_in_process_items_refuse_non_finite_balances(emu: RunningEmulator) -> None:
    from plaid_balance.emulator import PlaidAPIError

    for bad in (float("nan"), float("inf"), "NaN", Decimal("Infinity")):
        with pytest.raises(PlaidAPIError, match="finite"):
            emu.create_item(
                username="user_custom", password={"override_accounts": [{"starting_balance": bad}]}
            )


def test_content_length_over_the_limit_is_refused_unread(
    plaid_http: PlaidHTTP, answers: AnswerChecker
) -> None:
    request = plaid_http.client.build_request(
        "POST", "/accounts/balance/get", content=b"{}", headers={"Content-Length": str(300 * 1024 * 1024)}
    )
    # httpx would wait to send 300 MB; a raw socket shows the answer comes before the body.
    emu_url = urlsplit(str(plaid_http.client.base_url))
    with socket.create_connection((emu_url.hostname, emu_url.port), timeout=10) as sock:
        head = (
            f"POST {request.url.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {300 * 1024 * 1024}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"{")
        status, body = _read_response(sock)
    assert status == 413
    parsed = json.loads(body)
    assert parsed["error_code"] == "INVALID_BODY"
    assert not answers.errors(PLAID_ERROR, parsed)


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(head.split()[1]), body


def test_a_streamed_body_is_cut_off_at_the_limit() -> None:
    """A chunked body of unannounced size: the emulator answers 413 once it passes the limit, long before the
    sender is done, so it never holds more than the limit."""
    limit = 64 * 1024
    with run_emulator(EmulatorConfig(max_body_bytes=limit)) as emu:
        url = urlsplit(emu.base_url)
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(
                b"POST /accounts/balance/get HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            piece = b"8000\r\n" + b" " * 0x8000 + b"\r\n"
            sent = 0
            while sent < 300 * 1024 * 1024:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                try:
                    sock.sendall(piece)
                except OSError:
                    break
                sent += 0x8000
            status, body = _read_response(sock)
    assert status == 413
    assert json.loads(body)["error_code"] == "INVALID_BODY"
    # Socket buffers hold a few MB at most; the sender was stopped far short of 300 MB.
    assert sent < 32 * 1024 * 1024


def test_deep_nesting_is_refused(plaid_http: PlaidHTTP, answers: AnswerChecker) -> None:
    for depth in (33, 5_000, 200_000):
        body = b'{"access_token": ' + b"[" * depth + b"]" * depth + b"}"
        response = plaid_http.client.post("/accounts/balance/get", content=body)
        assert (response.status_code, error_code(response)) == (400, "INVALID_BODY")
        assert not answers.errors(PLAID_ERROR, response.json())
    deep_password = "[" * 100_000 + "]" * 100_000
    response = _link_custom(plaid_http, deep_password)
    assert error_code(response) == "INVALID_FIELD"


@pytest.mark.parametrize("fault", sorted([*CATALOGUE, FaultKind.ERROR, FaultKind.INSTITUTION_NOT_RESPONDING]))
def test_every_fail_next_code_answers_in_plaids_shape(
    plaid_http: PlaidHTTP, emu: RunningEmulator, answers: AnswerChecker, fault: str
) -> None:
    token, item_id = emu.create_item()
    emu.set_item_faults(item_id, fail_next=[fault])
    response = plaid_http.balance(token)
    assert response.status_code >= 400
    assert response.headers["content-type"] == "application/json"
    answers.check_response("/accounts/balance/get", response)
    expected = CATALOGUE.get(fault)
    if expected is not None:
        assert (response.status_code, response.json()["error_type"]) == (expected.status, expected.error_type)


def test_a_bug_in_a_rule_answers_in_plaids_shape(
    monkeypatch: pytest.MonkeyPatch, answers: AnswerChecker
) -> None:
    from plaid_balance.emulator.rules import PlaidRules

    def broken(self: PlaidRules, *args: Any) -> dict[str, Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(PlaidRules, "item_get", broken)
    with run_emulator() as emu, httpx.Client(base_url=emu.base_url) as client:
        token, _ = emu.create_item()
        response = PlaidHTTP(emu, client).post("/item/get", {"access_token": token})
    assert (response.status_code, error_code(response)) == (500, "INTERNAL_SERVER_ERROR")
    answers.check_response("/item/get", response)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    ["access_token", "public_token", "institution_id", "initial_products", "country_codes", "options",
     "client_id", "secret", "account_ids", "reason_code", "query", "x", "link_token", "client_name", "language",
     "user", "products", "webhook", "webhook_code", "key_id", "hosted_link", "account_filters", "update",
     "count", "offset", "user_auth", "webhook_type", "accounts", "code"]
)  # fmt: skip


@_SLOW
@given(
    path=st.sampled_from(PATHS),
    body=st.dictionaries(field_names, json_values, max_size=5) | json_values,
    with_credentials=st.booleans(),
)
def test_any_body_gets_a_plaid_answer(
    plaid_http: PlaidHTTP, answers: AnswerChecker, path: str, body: Any, with_credentials: bool
) -> None:
    if with_credentials and isinstance(body, dict):
        body = {**body, "client_id": plaid_http.emu.client_id, "secret": plaid_http.emu.secret}
    response = plaid_http.client.post(path, content=json.dumps(body))
    assert response.headers["content-type"] == "application/json"
    answers.check_response(path, response)


@_SLOW
@given(raw=st.binary(max_size=200))
def test_any_bytes_get_a_plaid_answer(plaid_http: PlaidHTTP, answers: AnswerChecker, raw: bytes) -> None:
    response = plaid_http.client.post("/accounts/balance/get", content=raw)
    assert response.status_code == 400
    assert not answers.errors(PLAID_ERROR, response.json())


def test_admin_errors_are_plaid_shaped(plaid_http: PlaidHTTP, answers: AnswerChecker) -> None:
    client = plaid_http.client
    for response in (
        client.post("/__emulator/items", content=b"[" * 10_000),
        client.post("/__emulator/items", json={"count": -1}),
        client.post("/__emulator/items", json={"count": "many"}),
        client.post("/__emulator/items/nope/faults", json={"fail_next": ["error"]}),
        client.post("/__emulator/reset", json={"items": "yes"}),
    ):
        assert 400 <= response.status_code < 500
        assert not answers.errors(PLAID_ERROR, response.json())


@_SLOW
@given(
    path=st.sampled_from(
        ["/link/api/open", "/link/api/search", "/link/api/login", "/link/api/complete", "/link/api/exit",
         "/link/api/other", "/__emulator/items", "/__emulator/reset", "/__emulator/items/x/faults",
         "/__emulator/items/x/event"]
    ),
    body=st.dictionaries(field_names, json_values, max_size=5) | json_values,
)  # fmt: skip
def test_link_ui_and_admin_calls_answer_in_plaids_shape(
    plaid_http: PlaidHTTP, answers: AnswerChecker, path: str, body: Any
) -> None:
    response = plaid_http.client.post(path, content=json.dumps(body))
    assert response.headers["content-type"] == "application/json"
    if response.status_code >= 400:
        assert not answers.errors(PLAID_ERROR, response.json())


account_fields = st.dictionaries(
    st.sampled_from(
        ["current", "available", "limit", "currency", "type", "subtype", "name", "mask", "colour"]
    ),
    json_values | st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    max_size=6,
)


@_SLOW
@given(
    accounts=st.lists(
        account_fields
        | st.fixed_dictionaries(
            {"current": st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)},
            optional={
                "available": st.none() | st.integers(),
                "currency": st.sampled_from(["USD", "EUR", "BTC"]),
            },
        ),
        max_size=3,
    )
    | json_values
)
@example(accounts=[{"current": "81297426016484.91"}])  # more digits than a float holds
def test_admin_accounts_give_an_item_or_a_plaid_error(
    plaid_http: PlaidHTTP, answers: AnswerChecker, accounts: Any
) -> None:
    """Any `accounts` for POST /__emulator/items makes an Item whose balances are the amounts given, or is
    refused with a 4xx Plaid error; never a 500."""
    response = plaid_http.client.post("/__emulator/items", content=json.dumps({"accounts": accounts}))
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert not answers.errors(PLAID_ERROR, response.json())
        return
    [item] = response.json()["items"]
    if accounts is None:
        return  # no accounts given: the Sandbox's default roster
    served = plaid_http.balance(item["access_token"])
    assert served.status_code == 200
    given_current = [Decimal(str(a["current"])) for a in accounts]
    # Read as Decimal: the answer keeps every digit, a float would not.
    answer = json.loads(served.content, parse_float=Decimal, parse_int=Decimal)
    assert [a["balances"]["current"] for a in answer["accounts"]] == given_current
