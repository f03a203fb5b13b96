"""The ``plaid_emulator`` fixture used as another project would use it: the fixture and the official SDK only.

Nothing here imports this repository's tests or plaid-balance's library; ``plaid`` is plaid-python, pointed
at the emulator by ``host`` and ``api_key`` and nothing else. test_entry_point.py runs this very file in a
directory of its own, so the fixture is seen to come from the installed entry point.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import plaid
import pytest
import urllib3
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from plaid_balance.testing import PlaidEmulator


def sdk(emulator: PlaidEmulator) -> plaid_api.PlaidApi:
    """The official client, pointed at the emulator: host and keys are the only change."""
    configuration = plaid.Configuration(host=emulator.base_url, api_key=emulator.api_key)
    return plaid_api.PlaidApi(plaid.ApiClient(configuration))


def balances(emulator: PlaidEmulator, access_token: str, **kwargs: Any) -> Any:
    return sdk(emulator).accounts_balance_get(AccountsBalanceGetRequest(access_token=access_token), **kwargs)


def plaid_error(excinfo: pytest.ExceptionInfo[plaid.ApiException]) -> tuple[int, str, str]:
    body = json.loads(excinfo.value.body)
    return excinfo.value.status, body["error_type"], body["error_code"]


def test_an_item_with_exact_balances(plaid_emulator: PlaidEmulator) -> None:
    """The accounts a test asks for come back through the SDK as given, to the cent."""
    item = plaid_emulator.create_item(
        [
            {"current": Decimal("1234.56"), "available": "1200.01", "name": "Operating", "mask": "1111"},
            {"type": "credit", "subtype": "credit card", "current": "250.5", "limit": "1000"},
            {"current": "99.99", "available": None, "currency": "EUR"},
        ]
    )
    answer = balances(plaid_emulator, item.access_token)
    got = {a.account_id: a for a in answer.accounts}
    assert list(got) == list(item.account_ids)
    operating, card, euros = (got[i] for i in item.account_ids)
    assert (operating.name, operating.mask) == ("Operating", "1111")
    assert (operating.balances.current, operating.balances.available) == (1234.56, 1200.01)
    assert (card.balances.current, card.balances.limit, card.balances.available) == (250.5, 1000, 749.5)
    assert euros.balances.available is None and euros.balances.iso_currency_code == "EUR"


def test_login_required_until_repaired(plaid_emulator: PlaidEmulator) -> None:
    item = plaid_emulator.create_item()
    plaid_emulator.login_required(item)
    with pytest.raises(plaid.ApiException) as excinfo:
        balances(plaid_emulator, item.access_token)
    assert plaid_error(excinfo) == (400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    status = sdk(plaid_emulator).item_get(ItemGetRequest(access_token=item.access_token))
    assert status.item.error.error_code == "ITEM_LOGIN_REQUIRED"
    with pytest.raises(plaid.ApiException):
        balances(plaid_emulator, item.access_token)  # still: a state, not a one-off
    plaid_emulator.repair(item)
    assert balances(plaid_emulator, item.access_token).accounts


@pytest.mark.parametrize(
    ("control", "expected"),
    [
        ("product_not_ready", (400, "ITEM_ERROR", "PRODUCT_NOT_READY")),
        ("rate_limited", (429, "RATE_LIMIT_EXCEEDED", "BALANCE_LIMIT")),
        ("server_error", (500, "API_ERROR", "INTERNAL_SERVER_ERROR")),
    ],
)
def test_failures_for_the_next_calls(
    plaid_emulator: PlaidEmulator, control: str, expected: tuple[int, str, str]
) -> None:
    """Each control fails exactly the number of calls asked for, with Plaid's status and error object."""
    item = plaid_emulator.create_item()
    getattr(plaid_emulator, control)(item, times=2)
    for _ in range(2):
        with pytest.raises(plaid.ApiException) as excinfo:
            balances(plaid_emulator, item.access_token)
        assert plaid_error(excinfo) == expected
    assert balances(plaid_emulator, item.access_token).accounts


def test_any_plaid_error_code_or_fault(plaid_emulator: PlaidEmulator) -> None:
    item = plaid_emulator.create_item()
    plaid_emulator.fail_next(item, "INSTITUTION_DOWN", "malformed")
    with pytest.raises(plaid.ApiException) as excinfo:
        balances(plaid_emulator, item.access_token)
    assert plaid_error(excinfo) == (400, "INSTITUTION_ERROR", "INSTITUTION_DOWN")
    with pytest.raises(plaid.ApiTypeError):  # 200 with an HTML page for a body: the SDK cannot read it
        balances(plaid_emulator, item.access_token)


def test_a_slow_item_runs_into_the_clients_timeout(plaid_emulator: PlaidEmulator) -> None:
    item = plaid_emulator.create_item()
    other = plaid_emulator.create_item()
    plaid_emulator.slow(item, 1.0)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        balances(plaid_emulator, item.access_token, _request_timeout=0.2)
    assert balances(plaid_emulator, other.access_token, _request_timeout=5).accounts  # only that Item


class Receiver:
    """A webhook endpoint of the test's own."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, raw))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/plaid"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()
    running.server.server_close()


def test_fire_a_webhook_and_verify_it(plaid_emulator: PlaidEmulator, receiver: Receiver) -> None:
    """The webhook arrives signed; its key comes from /webhook_verification_key/get through the SDK."""
    item = plaid_emulator.create_item(webhook=receiver.url)
    sent = plaid_emulator.fire_webhook(item, "DEFAULT_UPDATE", webhook_type="TRANSACTIONS")
    [delivery] = plaid_emulator.webhooks()
    assert delivery["status"] == 200 and delivery["body"] == sent
    headers, raw = receiver.received[0]
    assert json.loads(raw)["webhook_code"] == "DEFAULT_UPDATE"
    token = headers["plaid-verification"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = sdk(plaid_emulator).webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=kid)).key
    jwk = {name: key[name] for name in ("alg", "crv", "kid", "kty", "use", "x", "y")}
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["ES256"])
    assert claims["request_body_sha256"] == hashlib.sha256(raw).hexdigest()


def test_what_the_emulator_billed(plaid_emulator: PlaidEmulator) -> None:
    """Plaid bills each successful balance call; failed ones cost nothing."""
    item = plaid_emulator.create_item()
    other = plaid_emulator.create_item()
    plaid_emulator.server_error(item)
    with pytest.raises(plaid.ApiException):
        balances(plaid_emulator, item.access_token)
    balances(plaid_emulator, item.access_token)
    balances(plaid_emulator, item.access_token)
    balances(plaid_emulator, other.access_token)
    assert plaid_emulator.billed_balance_calls(item) == 2
    assert plaid_emulator.billed() == {
        "balance_calls": 3,
        "balance_calls_by_item": {item.item_id: 2, other.item_id: 1},
    }


def test_one_emulator_for_the_session(plaid_emulator_session: PlaidEmulator) -> None:
    item = plaid_emulator_session.create_item([{"current": "5"}])
    assert balances(plaid_emulator_session, item.access_token).accounts[0].balances.current == 5
    plaid_emulator_session.reset()
    with pytest.raises(plaid.ApiException) as excinfo:
        balances(plaid_emulator_session, item.access_token)
    assert plaid_error(excinfo)[2] == "INVALID_ACCESS_TOKEN"
    assert plaid_emulator_session.billed()["balance_calls"] == 0
