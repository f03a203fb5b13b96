"""Fault injection, rate limiting, stats and the admin API."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from plaid_balance.emulator import EmulatorConfig, FaultConfig, ManualClock, RunningEmulator, run_emulator
from tests.emulator.emulator_support import PlaidHTTP, error_code


def test_fail_next_exact_counts(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    token, item_id = emu.create_item()
    other, _ = emu.create_item()
    emu.set_item_faults(item_id, fail_next=["error", "error", "PRODUCT_NOT_READY"])
    assert plaid_http.balance(other).status_code == 200  # other Items are unaffected
    first, second, third, fourth = (plaid_http.balance(token) for _ in range(4))
    assert (first.status_code, first.json()["error_type"], error_code(first)) == (
        500,
        "API_ERROR",
        "INTERNAL_SERVER_ERROR",
    )
    assert error_code(second) == "INTERNAL_SERVER_ERROR"
    assert (third.status_code, error_code(third)) == (400, "PRODUCT_NOT_READY")
    assert fourth.status_code == 200
    stats = emu.stats()
    assert stats["balance_attempts_by_item"][item_id] == 4
    assert stats["faults_injected"] == {"error": 2, "PRODUCT_NOT_READY": 1}
    assert stats["responses_by_error_code"]["INTERNAL_SERVER_ERROR"] == 2


def test_institution_not_responding(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    token, item_id = emu.create_item()
    emu.set_item_faults(item_id, fail_next=["institution_not_responding"])
    response = plaid_http.balance(token)
    assert (response.status_code, response.json()["error_type"], error_code(response)) == (
        400,
        "INSTITUTION_ERROR",
        "INSTITUTION_NOT_RESPONDING",
    )


def test_transport_faults(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    token, _ = emu.create_item()
    emu.set_item_faults(token, fail_next=["drop", "malformed", "truncated"])
    with pytest.raises(httpx.RemoteProtocolError):
        plaid_http.balance(token)
    malformed = plaid_http.balance(token)
    assert malformed.status_code == 200
    with pytest.raises(ValueError, match="Expecting value"):
        malformed.json()
    truncated = plaid_http.balance(token)
    assert truncated.status_code == 200
    assert truncated.text.startswith('{"accounts":[')
    with pytest.raises(ValueError, match=r"Unterminated|Expecting|delimiter"):
        truncated.json()
    assert plaid_http.balance(token).status_code == 200


def test_a_hang_outlasts_the_client_and_ends_when_the_emulator_stops() -> None:
    # On a clock that never moves, a 30-second hang would never end by itself: only the client leaving or the
    # emulator stopping ends it.
    config = EmulatorConfig(faults=FaultConfig(hang_seconds=30))
    with ThreadPoolExecutor(1) as pool, run_emulator(config, clock=ManualClock()) as emu:
        token, item_id = emu.create_item()
        emu.set_item_faults(item_id, fail_next=["hang", "hang"])
        body = {"client_id": emu.client_id, "secret": emu.secret, "access_token": token}
        url = f"{emu.base_url}/accounts/balance/get"
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(url, json=body, timeout=0.3)
        hanging = pool.submit(httpx.post, url, json=body, timeout=60)
        while emu.stats()["faults_injected"].get("hang", 0) < 2:
            threading.Event().wait(0.01)
    # Leaving the block stopped the emulator: the hanging call got its answer rather than waiting out its hang.
    assert hanging.result().status_code == 200


def test_latency_and_jitter_are_added_to_balance_calls_only() -> None:
    clock = ManualClock()
    config = EmulatorConfig(faults=FaultConfig(latency_ms=150, latency_jitter_ms=50, seed=1))
    with run_emulator(config, clock=clock) as emu, httpx.Client(base_url=emu.base_url) as client:
        plaid_http = PlaidHTTP(emu, client)
        token, _ = emu.create_item()
        before = clock.monotonic()
        assert plaid_http.balance(token).status_code == 200
        waited = clock.monotonic() - before
        assert 0.150 < waited <= 0.200  # the latency and some of the jitter, on the emulator's clock
        before = clock.monotonic()
        assert plaid_http.post("/item/get", {"access_token": token}).status_code == 200
        assert clock.monotonic() == before


def test_random_faults_are_seeded() -> None:
    def outcomes() -> list[int]:
        config = EmulatorConfig(rate_limits_enabled=False, faults=FaultConfig(error_rate=0.5, seed=42))
        with run_emulator(config) as emu, httpx.Client(base_url=emu.base_url) as client:
            plaid_http = PlaidHTTP(emu, client)
            token, _ = emu.create_item()
            return [plaid_http.balance(token).status_code for _ in range(20)]

    first = outcomes()
    assert first == outcomes()
    assert set(first) == {200, 500}


def test_per_item_rates_override_start_up_config(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    token, item_id = emu.create_item()
    emu.set_item_faults(item_id, institution_not_responding_rate=1.0)
    assert error_code(plaid_http.balance(token)) == "INSTITUTION_NOT_RESPONDING"
    emu.set_item_faults(item_id, clear=True)
    assert plaid_http.balance(token).status_code == 200
    with pytest.raises(ValueError, match="unknown fault"):
        emu.set_item_faults(item_id, fail_next=["bogus"])


def test_rate_limits_per_item_and_per_client() -> None:
    config = EmulatorConfig(rate_window_seconds=1.0)
    rule = config.rate_limits["/accounts/balance/get"]
    rule.per_item, rule.per_client = 3, 5
    clock = ManualClock()
    with run_emulator(config, clock=clock) as emu, httpx.Client(base_url=emu.base_url) as client:
        plaid_http = PlaidHTTP(emu, client)
        token_a, item_a = emu.create_item()
        token_b, _ = emu.create_item()
        statuses = [plaid_http.balance(token_a).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = plaid_http.balance(token_a)
        assert (limited.json()["error_type"], error_code(limited)) == ("RATE_LIMIT_EXCEEDED", "BALANCE_LIMIT")
        assert limited.json()["error_message"] == (
            "rate limit exceeded for attempts to access this item. please try again later"
        )
        assert [plaid_http.balance(token_b).status_code for _ in range(2)] == [200, 200]
        client_limited = plaid_http.balance(token_b)
        assert (client_limited.status_code, error_code(client_limited)) == (429, "ACCOUNTS_BALANCE_GET_LIMIT")
        stats = emu.stats()
        assert stats["rate_limited"] == {"BALANCE_LIMIT": 2, "ACCOUNTS_BALANCE_GET_LIMIT": 1}
        assert stats["balance_attempts_by_item"][item_a] == 5
        assert stats["balance_max_in_window"]["per_item"] == 5
        assert stats["balance_max_in_window"]["per_client"] == 8
        clock.advance(1.05)  # the window slides past the earlier calls
        assert plaid_http.balance(token_a).status_code == 200


def test_rate_limits_can_be_disabled() -> None:
    with (
        run_emulator(EmulatorConfig(rate_limits_enabled=False)) as emu,
        httpx.Client(base_url=emu.base_url) as client,
    ):
        plaid_http = PlaidHTTP(emu, client)
        token, _ = emu.create_item()
        assert {plaid_http.balance(token).status_code for _ in range(30)} == {200}
        assert emu.stats()["balance_max_in_window"]["per_item"] == 30


def test_peak_counts_a_paced_client_correctly() -> None:
    clock = ManualClock()
    with (
        run_emulator(EmulatorConfig(rate_window_seconds=0.3), clock=clock) as emu,
        httpx.Client(base_url=emu.base_url) as client,
    ):
        plaid_http = PlaidHTTP(emu, client)
        token, _ = emu.create_item()
        for _ in range(4):
            plaid_http.balance(token)
            clock.advance(0.35)
        assert emu.stats()["balance_max_in_window"]["per_item"] == 1


def test_admin_api(plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    client = plaid_http.client
    created = client.post("/__emulator/items", json={"count": 3}).json()["items"]
    assert len(created) == 3
    token, item_id = created[0]["access_token"], created[0]["item_id"]
    faults = client.post(f"/__emulator/items/{item_id}/faults", json={"fail_next": ["INSTITUTION_DOWN"]})
    assert faults.json()["fail_next"] == ["INSTITUTION_DOWN"]
    assert error_code(plaid_http.balance(token)) == "INSTITUTION_DOWN"
    assert client.post(f"/__emulator/items/{item_id}/faults", json={"fail_next": ["nope"]}).status_code == 400
    assert client.post("/__emulator/items/unknown/faults", json={}).status_code == 404
    client.post(f"/__emulator/items/{item_id}/faults", json={"reset_login": True})
    assert error_code(plaid_http.balance(token)) == "ITEM_LOGIN_REQUIRED"
    stats = client.get("/__emulator/stats").json()
    assert stats["requests_by_endpoint"] == {"/accounts/balance/get": 2}
    assert stats["responses_by_status"] == {"400": 2}
    assert stats["balance_attempts_by_item"] == {item_id: 2}
    assert stats["items"] == 3
    assert client.post("/__emulator/reset").json()["reset"] is True
    assert client.get("/__emulator/stats").json()["requests_total"] == 0
    emu.reset_stats()
    client.post("/__emulator/reset", json={"items": True})
    assert emu.stats()["items"] == 0
