"""The admin API drives every failure control over plain HTTP, as a Node, Go or Ruby test suite would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from plaid_balance.emulator import EmulatorConfig, ManualClock, run_emulator


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def http(clock: ManualClock) -> Iterator[httpx.Client]:
    with run_emulator(EmulatorConfig(), clock=clock) as emu, httpx.Client(base_url=emu.base_url) as client:
        client.headers.update({"PLAID-CLIENT-ID": emu.client_id, "PLAID-SECRET": emu.secret})
        yield client


def new_item(http: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = http.post("/__emulator/items", json=body)
    assert answer.status_code == 200, answer.text
    item: dict[str, Any] = answer.json()["items"][0]
    return item


def balance(http: httpx.Client, item: dict[str, Any]) -> httpx.Response:
    return http.post("/accounts/balance/get", json={"access_token": item["access_token"]})


def faults(http: httpx.Client, item: dict[str, Any], **body: Any) -> httpx.Response:
    return http.post(f"/__emulator/items/{item['item_id']}/faults", json=body)


def test_an_item_with_exact_balances_over_http(http: httpx.Client) -> None:
    item = new_item(
        http,
        accounts=[{"current": "12345678901234567.89", "available": "0.01", "name": "Big"}, {"current": 7}],
        products=["auth"],
    )
    answer = balance(http, item)
    # The raw JSON keeps every digit (a float would not).
    assert b'"current":12345678901234567.89' in answer.content
    accounts = answer.json()["accounts"]
    assert [a["account_id"] for a in accounts] == item["account_ids"]
    assert accounts[0]["name"] == "Big" and accounts[1]["balances"]["available"] == 7
    bad = http.post("/__emulator/items", json={"accounts": [{"current": 1, "colour": "red"}]})
    assert bad.status_code == 400 and "colour" in bad.json()["error_message"]
    assert http.post("/__emulator/items", json={"accounts": [{"available": 1}]}).status_code == 400


@pytest.mark.parametrize(
    ("fail_next", "status", "code"),
    [
        ("PRODUCT_NOT_READY", 400, "PRODUCT_NOT_READY"),
        ("ITEM_LOGIN_REQUIRED", 400, "ITEM_LOGIN_REQUIRED"),
        ("BALANCE_LIMIT", 429, "BALANCE_LIMIT"),
        ("error", 500, "INTERNAL_SERVER_ERROR"),
    ],
)
def test_queued_failures_over_http(http: httpx.Client, fail_next: str, status: int, code: str) -> None:
    item = new_item(http)
    assert faults(http, item, fail_next=[fail_next]).status_code == 200
    failed = balance(http, item)
    assert (failed.status_code, failed.json()["error_code"]) == (status, code)
    assert balance(http, item).status_code == 200


def test_login_required_state_over_http(http: httpx.Client) -> None:
    item = new_item(http)
    faults(http, item, reset_login=True)
    for _ in range(2):
        assert balance(http, item).json()["error_code"] == "ITEM_LOGIN_REQUIRED"
    repaired = http.post(f"/__emulator/items/{item['item_id']}/event", json={"code": "LOGIN_REPAIRED"})
    assert repaired.status_code == 200
    assert balance(http, item).status_code == 200


def test_slow_over_http(http: httpx.Client, clock: ManualClock) -> None:
    """latency_ms makes the Item's balance calls take that long (measured on the emulator's clock)."""
    item = new_item(http)
    assert faults(http, item, latency_ms=2500).json()["config"]["latency_ms"] == 2500
    assert balance(http, item).status_code == 200
    assert clock.monotonic() == pytest.approx(2.5)
    faults(http, item, clear=True)
    before = clock.monotonic()
    balance(http, item)
    assert clock.monotonic() == before


def test_webhooks_and_billing_over_http(http: httpx.Client) -> None:
    item = new_item(http, products=["transactions"], webhook="https://example.com/hook")
    fired = http.post(
        f"/__emulator/items/{item['item_id']}/event",
        json={"code": "SYNC_UPDATES_AVAILABLE", "webhook_type": "TRANSACTIONS"},
    )
    assert fired.json()["webhook"]["webhook_type"] == "TRANSACTIONS"
    assert http.get("/__emulator/webhooks").json()["deliveries"][-1]["body"] == fired.json()["webhook"]
    wrong = http.post(
        f"/__emulator/items/{item['item_id']}/event", json={"code": "PRODUCT_READY", "webhook_type": "ASSETS"}
    )
    assert wrong.json()["error_code"] == "SANDBOX_PRODUCT_NOT_ENABLED"
    faults(http, item, fail_next=["error"])
    for _ in range(3):
        balance(http, item)
    assert http.get("/__emulator/billing").json() == {
        "balance_calls": 2,
        "balance_calls_by_item": {item["item_id"]: 2},
    }
    assert http.get("/__emulator/stats").json()["billing"]["balance_calls"] == 2
    http.post("/__emulator/reset")
    assert http.get("/__emulator/billing").json()["balance_calls"] == 0
