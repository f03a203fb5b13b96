"""The HTTP side: webhooks verified or refused (and counted), /metrics with the expected series,
bearer tokens, and mounting another app (the dashboard) on the watch's port."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.responses import JSONResponse

from plaid_balance._health import Health
from plaid_balance._http_guard import HostRule
from plaid_balance.watch.app import create_app, watch_guard
from tests.watch.signing import Signer, item_webhook
from tests.watch.test_service import Rig


def client_for(rig: Rig, token: str | None = None, mounts=()) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    guard = watch_guard(HostRule.bound("127.0.0.1", 80), token=token or TOKEN, webhook_path="/plaid/webhook")
    app = create_app(rig.watch, guard=guard, webhook_path="/plaid/webhook", mounts=mounts)
    headers = {} if token else {"Authorization": f"Bearer {TOKEN}"}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers=headers
    )


TOKEN = "watch-test-token-" + "x" * 16


def health_of(rig: Rig) -> Health:
    return rig.watch.state.items["item-1"].health


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


async def test_webhooks_are_verified_and_forgeries_refused_and_counted() -> None:
    rig = Rig()
    signer = Signer()
    rig.plaid.keys[signer.kid] = signer.jwk()
    await rig.watch.load()
    await rig.step()
    async with client_for(rig) as http:
        body = item_webhook("ERROR", "item-1", error={"error_code": "ITEM_LOGIN_REQUIRED"})
        forged = await http.post(
            "/plaid/webhook",
            content=body,
            headers={"Plaid-Verification": Signer().sign(body, rig.clock.now())},
        )
        assert forged.status_code == 401 and forged.json() == {"error": "bad_signature"}
        assert rig.vault.health_calls == []
        genuine = await http.post(
            "/plaid/webhook", content=body, headers={"Plaid-Verification": signer.sign(body, rig.clock.now())}
        )
        assert genuine.status_code == 200
        assert health_of(rig) is Health.NEEDS_REPAIR
        repaired = item_webhook("LOGIN_REPAIRED", "item-1")
        answer = await http.post(
            "/plaid/webhook",
            content=repaired,
            headers={"Plaid-Verification": signer.sign(repaired, rig.clock.now())},
        )
        assert answer.status_code == 200
        assert health_of(rig) is Health.OK
        assert (await http.post("/plaid/webhook", content=b"x" * 70_000)).status_code == 413
        metrics = samples((await http.get("/metrics")).text)
    refused = {s[0]["reason"]: s[1] for s in metrics["plaid_balance_webhooks_refused_total"]}
    assert refused == {"bad_signature": 1.0}
    received = {s[0]["webhook_code"]: s[1] for s in metrics["plaid_balance_webhooks_received_total"]}
    assert received == {"ERROR": 1.0, "LOGIN_REPAIRED": 1.0}
    assert [h for _, h, _ in rig.vault.health_calls] == [Health.NEEDS_REPAIR, Health.OK]


async def test_metrics_have_the_expected_series() -> None:
    rig = Rig()
    await rig.watch.load()
    await rig.step()
    async with client_for(rig) as http:
        response = await http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    metrics = samples(response.text)
    [(labels, value)] = [
        s for s in metrics["plaid_balance_account_current"] if s[0]["account_id"] == "acc-checking"
    ]
    assert value == 500.0
    assert labels == {
        "alias": "checking",
        "institution": "First Platypus Bank",
        "account_id": "acc-checking",
        "name": "Plaid Checking",
        "mask": "0000",
        "type": "depository",
        "subtype": "checking",
        "currency": "USD",
    }
    assert [s[1] for s in metrics["plaid_balance_account_limit"]] == [2000.0]
    assert any(
        s[0]["source"] == "realtime" for s in metrics["plaid_balance_account_last_updated_timestamp_seconds"]
    )
    health = {s[0]["state"]: s[1] for s in metrics["plaid_balance_item_health"]}
    assert health["ok"] == 1.0 and health["needs_repair"] == 0.0
    assert metrics["plaid_balance_budget_left"] == [({"alias": "checking", "period": "day"}, 1.0)]
    assert metrics["plaid_balance_billed_calls_total"] == [({"alias": "checking"}, 1.0)]
    calls = {(s[0]["endpoint"], s[0]["outcome"]): s[1] for s in metrics["plaid_balance_api_calls_total"]}
    assert calls == {("/accounts/balance/get", "ok"): 1.0}
    assert any(name == "plaid_balance_refresh_duration_seconds_count" for name in metrics)


async def test_bearer_token_guards_everything_but_webhooks_and_healthz() -> None:
    rig = Rig()
    await rig.watch.load()

    async def dashboard(scope, receive, send):  # type: ignore[no-untyped-def]
        await JSONResponse({"alerts": len(rig.watch.alert_history())})(scope, receive, send)

    async with client_for(rig, token="s3cret-token", mounts=[("/dashboard", dashboard)]) as http:
        for path in ("/metrics", "/status", "/alerts", "/dashboard/"):
            assert (await http.get(path)).status_code == 401
            assert (await http.get(path, headers={"Authorization": "Bearer wrong"})).status_code == 401
            ok = await http.get(path, headers={"Authorization": "Bearer s3cret-token"})
            assert ok.status_code == 200, path
        assert (await http.get("/healthz")).status_code == 200
        # The webhook endpoint is for Plaid, whose proof is the JWT: no bearer token, but a refusal.
        assert (await http.post("/plaid/webhook", content=b"{}")).json() == {"error": "missing_header"}
        status = (await http.get("/status", headers={"Authorization": "Bearer s3cret-token"})).json()
    assert status["items"][0]["alias"] == "checking"
    assert "access-" not in str(status)
