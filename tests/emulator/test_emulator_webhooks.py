"""Item webhooks: sent on reset_login, update-mode repair, fire_webhook and Item events, each signed as Plaid
signs them, and accepted by a verifier written from Plaid's documented steps (and refused when tampered)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest

from plaid_balance.emulator import EmulatorConfig, ManualClock, RunningEmulator, run_emulator
from tests.emulator.emulator_support import PlaidHTTP, error_code
from tests.plaid_schema import AnswerChecker

SCHEMAS = {
    "ERROR": "ItemErrorWebhook",
    "PENDING_EXPIRATION": "PendingExpirationWebhook",
    "PENDING_DISCONNECT": "PendingDisconnectWebhook",
    "USER_PERMISSION_REVOKED": "UserPermissionRevokedWebhook",
    "USER_ACCOUNT_REVOKED": "UserAccountRevokedWebhook",
    "LOGIN_REPAIRED": "ItemLoginRepairedWebhook",
    "NEW_ACCOUNTS_AVAILABLE": "NewAccountsAvailableWebhook",
    "WEBHOOK_UPDATE_ACKNOWLEDGED": "WebhookUpdateAcknowledgedWebhook",
}

PRODUCT_SCHEMAS = {
    ("TRANSACTIONS", "DEFAULT_UPDATE"): "DefaultUpdateWebhook",
    ("AUTH", "DEFAULT_UPDATE"): "AuthDefaultUpdateWebhook",
    ("IDENTITY", "DEFAULT_UPDATE"): "IdentityDefaultUpdateWebhook",
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): "InvestmentsDefaultUpdateWebhook",
    ("HOLDINGS", "DEFAULT_UPDATE"): "HoldingsDefaultUpdateWebhook",
    ("LIABILITIES", "DEFAULT_UPDATE"): "LiabilitiesDefaultUpdateWebhook",
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): "SyncUpdatesAvailableWebhook",
    ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): "RecurringTransactionsUpdateWebhook",
    ("AUTH", "SMS_MICRODEPOSITS_VERIFICATION"): "HostedMMDVerificationWebhook",
    ("ASSETS", "PRODUCT_READY"): "AssetsProductReadyWebhook",
    ("ASSETS", "ERROR"): "AssetsErrorWebhook",
}
ALL_PRODUCTS = ("transactions", "auth", "identity", "investments", "liabilities", "assets")


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


class Receiver:
    """A local webhook endpoint that records what arrives."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(Received({k.lower(): v for k, v in self.headers.items()}, raw))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/plaid/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PlaidWebhookVerifier:
    """Plaid's webhook verification, step by step as documented:
    1. read the JWT header of Plaid-Verification without verifying it; the alg must be ES256;
    2. fetch the key for its kid from /webhook_verification_key/get (refuse a key whose expired_at is set);
    3. verify the JWT with that key; its iat must be no more than 5 minutes old;
    4. compare the SHA-256 of the raw body with the request_body_sha256 claim, in constant time."""

    def __init__(self, plaid: PlaidHTTP, now: datetime | None = None) -> None:
        self.plaid = plaid
        self.now = now

    def verify(self, received: Received) -> bool:
        token = received.headers.get("plaid-verification")
        if not token:
            return False
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "ES256":
            return False
        answer = self.plaid.post("/webhook_verification_key/get", {"key_id": header.get("kid")})
        if answer.status_code != 200:
            return False
        jwk = answer.json()["key"]
        if jwk["expired_at"] is not None:
            return False
        key = jwt.PyJWK(jwk).key
        try:
            claims = jwt.decode(token, key=key, algorithms=["ES256"], options={"verify_iat": False})
        except jwt.InvalidTokenError:
            return False
        now = self.now or datetime.now(UTC)
        if now - datetime.fromtimestamp(claims["iat"], UTC) > timedelta(minutes=5):
            return False
        digest = hashlib.sha256(received.raw).hexdigest()
        return hmac.compare_digest(digest, claims["request_body_sha256"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def verifier(plaid_http: PlaidHTTP) -> PlaidWebhookVerifier:
    return PlaidWebhookVerifier(plaid_http)


def _arrived(emu: RunningEmulator, receiver: Receiver, count: int) -> list[Received]:
    assert emu.drain_webhooks(10)
    assert len(receiver.received) == count, emu.webhook_deliveries()
    return receiver.received


def test_reset_login_sends_a_verified_error_webhook(
    emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver, verifier: PlaidWebhookVerifier,
    answers: AnswerChecker,
) -> None:  # fmt: skip
    access, item_id = emu.create_item(webhook=receiver.url)
    plaid_http.post("/sandbox/item/reset_login", {"access_token": access})
    [received] = _arrived(emu, receiver, 1)
    assert verifier.verify(received)
    body = received.body
    assert (body["webhook_code"], body["item_id"]) == ("ERROR", item_id)
    assert body["error"]["error_code"] == "ITEM_LOGIN_REQUIRED" and body["error"]["status"] == 400
    assert not answers.errors("ItemErrorWebhook", body)
    # Plaid formats webhook bodies with two-space indentation; the signature covers exactly those bytes.
    assert received.raw.startswith(b'{\n  "')
    header = jwt.get_unverified_header(received.headers["plaid-verification"])
    assert header["alg"] == "ES256" and header["kid"]


def test_update_mode_repair_sends_login_repaired(
    emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver, verifier: PlaidWebhookVerifier
) -> None:
    access, item_id = emu.create_item(webhook=receiver.url)
    emu.reset_login(item_id)
    link = {"client_name": "t", "language": "en", "country_codes": ["US"], "user": {"client_user_id": "u"}}
    token = plaid_http.post("/link/token/create", {**link, "access_token": access}).json()["link_token"]
    client = plaid_http.client
    sid = client.post("/link/api/open", json={"link_token": token}).json()["link_session_id"]
    client.post("/link/api/login", json={"link_token": token, "link_session_id": sid, "username": "user_good",
                                         "password": "pass_good"})  # fmt: skip
    client.post("/link/api/complete", json={"link_token": token, "link_session_id": sid})
    error, repaired = _arrived(emu, receiver, 2)
    assert (error.body["webhook_code"], repaired.body["webhook_code"]) == ("ERROR", "LOGIN_REPAIRED")
    assert verifier.verify(repaired)
    assert plaid_http.balance(access).status_code == 200


@pytest.mark.parametrize("code", sorted(set(SCHEMAS) - {"WEBHOOK_UPDATE_ACKNOWLEDGED"}))
def test_fire_webhook_sends_each_item_webhook(
    emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver, verifier: PlaidWebhookVerifier,
    answers: AnswerChecker, code: str,
) -> None:  # fmt: skip
    access, _item_id = emu.create_item(webhook=receiver.url)
    fired = plaid_http.post("/sandbox/item/fire_webhook", {"access_token": access, "webhook_code": code})
    answers.check_response("/sandbox/item/fire_webhook", fired)
    assert fired.json()["webhook_fired"] is True
    [received] = _arrived(emu, receiver, 1)
    assert verifier.verify(received)
    assert received.body["webhook_code"] == code and received.body["environment"] == "sandbox"
    assert not answers.errors(SCHEMAS[code], received.body)


def test_item_states_follow_the_webhooks(
    emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver
) -> None:
    access, item_id = emu.create_item(webhook=receiver.url)
    expiring = emu.item_event(item_id, "PENDING_EXPIRATION")
    item = plaid_http.post("/item/get", {"access_token": access}).json()["item"]
    assert item["consent_expiration_time"] == expiring["consent_expiration_time"]
    emu.item_event(item_id, "USER_PERMISSION_REVOKED")
    assert error_code(plaid_http.balance(access)) == "USER_PERMISSION_REVOKED"
    emu.item_event(item_id, "LOGIN_REPAIRED")
    assert plaid_http.balance(access).status_code == 200
    disconnect = emu.item_event(item_id, "PENDING_DISCONNECT", reason="INSTITUTION_MIGRATION")
    assert disconnect["reason"] == "INSTITUTION_MIGRATION"
    _arrived(emu, receiver, 4)


def test_admin_item_event(emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver) -> None:
    _, item_id = emu.create_item(webhook=receiver.url)
    client = plaid_http.client
    sent = client.post(f"/__emulator/items/{item_id}/event", json={"code": "NEW_ACCOUNTS_AVAILABLE"}).json()
    assert sent["webhook"]["webhook_code"] == "NEW_ACCOUNTS_AVAILABLE"
    assert client.post(f"/__emulator/items/{item_id}/event", json={"code": "NOPE"}).status_code == 400
    assert client.post("/__emulator/items/none/event", json={"code": "ERROR"}).status_code == 404
    _arrived(emu, receiver, 1)
    log = client.get("/__emulator/webhooks").json()["deliveries"]
    assert log[-1]["status"] == 200 and log[-1]["url"] == receiver.url


def test_webhook_update_is_acknowledged_at_the_new_url(
    emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver, verifier: PlaidWebhookVerifier
) -> None:
    access, _item_id = emu.create_item()
    plaid_http.post("/item/webhook/update", {"access_token": access, "webhook": receiver.url})
    [received] = _arrived(emu, receiver, 1)
    assert received.body["webhook_code"] == "WEBHOOK_UPDATE_ACKNOWLEDGED"
    assert received.body["new_webhook_url"] == receiver.url
    assert verifier.verify(received)


def test_tampering_and_forgery_are_caught(
    emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver, verifier: PlaidWebhookVerifier
) -> None:
    _access, item_id = emu.create_item(webhook=receiver.url)
    emu.item_event(item_id, "NEW_ACCOUNTS_AVAILABLE")
    [good] = _arrived(emu, receiver, 1)
    assert verifier.verify(good)
    assert not verifier.verify(Received(good.headers, good.raw.replace(b"sandbox", b"production")))
    assert not verifier.verify(Received({}, good.raw))
    from cryptography.hazmat.primitives.asymmetric import ec

    kid = jwt.get_unverified_header(good.headers["plaid-verification"])["kid"]
    claims = {
        "iat": int(datetime.now(UTC).timestamp()),
        "request_body_sha256": hashlib.sha256(good.raw).hexdigest(),
    }
    forged = jwt.encode(
        claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": kid}
    )
    assert not verifier.verify(Received({"plaid-verification": forged}, good.raw))
    hs256 = jwt.encode(
        claims, "a-guessed-shared-secret-of-32-bytes!", algorithm="HS256", headers={"kid": kid}
    )
    assert not verifier.verify(Received({"plaid-verification": hs256}, good.raw))
    # After a key rotation the old key reports expired_at, so what it signed is refused.
    emu.rotate_webhook_key()
    old = plaid_http.post("/webhook_verification_key/get", {"key_id": kid}).json()["key"]
    assert old["expired_at"] is not None
    assert not verifier.verify(good)
    emu.item_event(item_id, "NEW_ACCOUNTS_AVAILABLE")
    assert verifier.verify(_arrived(emu, receiver, 2)[1])


def test_old_webhooks_fail_the_five_minute_rule(plaid_http: PlaidHTTP, receiver: Receiver) -> None:
    clock = ManualClock(start=datetime.now(UTC))
    with run_emulator(EmulatorConfig(), clock=clock) as emu, httpx.Client(base_url=emu.base_url) as client:
        plaid = PlaidHTTP(emu, client)
        _, item_id = emu.create_item(webhook=receiver.url)
        emu.item_event(item_id, "NEW_ACCOUNTS_AVAILABLE")
        [received] = _arrived(emu, receiver, 1)
        assert PlaidWebhookVerifier(plaid).verify(received)
        late = datetime.now(UTC) + timedelta(minutes=6)
        assert not PlaidWebhookVerifier(plaid, now=late).verify(received)


def test_verification_key_endpoint(plaid_http: PlaidHTTP, answers: AnswerChecker) -> None:
    unknown = plaid_http.post("/webhook_verification_key/get", {"key_id": "nope"})
    answers.check_response("/webhook_verification_key/get", unknown)
    assert error_code(unknown) == "INVALID_WEBHOOK_VERIFICATION_KEY_ID"


def test_key_matches_spec(emu: RunningEmulator, plaid_http: PlaidHTTP, answers: AnswerChecker) -> None:
    kid = emu.core.webhooks.current_key.kid
    answer = plaid_http.post("/webhook_verification_key/get", {"key_id": kid})
    answers.check_response("/webhook_verification_key/get", answer)
    key = answer.json()["key"]
    assert (key["alg"], key["crv"], key["kty"], key["use"], key["expired_at"]) == (
        "ES256",
        "P-256",
        "EC",
        "sig",
        None,
    )


def test_fire_webhook_needs_a_webhook_and_sends_only_to_loopback(
    emu: RunningEmulator, plaid_http: PlaidHTTP
) -> None:
    """No webhook URL: SANDBOX_WEBHOOK_INVALID. A URL off the machine is accepted, as Plaid accepts it, and
    the webhook is logged as not sent: nothing leaves the machine."""
    bare, _ = emu.create_item()
    answer = plaid_http.post("/sandbox/item/fire_webhook", {"access_token": bare, "webhook_code": "ERROR"})
    assert error_code(answer) == "SANDBOX_WEBHOOK_INVALID"
    remote, _remote_id = emu.create_item(webhook="https://example.com/hook")
    answer = plaid_http.post(
        "/sandbox/item/fire_webhook",
        {"access_token": remote, "webhook_code": "DEFAULT_UPDATE", "webhook_type": "TRANSACTIONS"},
    )
    assert answer.json()["webhook_fired"] is True
    last = emu.webhook_deliveries()[-1]
    assert last["url"] == "https://example.com/hook" and last["error"].startswith("not sent")
    assert last["body"]["webhook_code"] == "DEFAULT_UPDATE"


@pytest.mark.parametrize(
    ("webhook_type", "code"),
    [("ITEM", "DEFAULT_UPDATE"), ("TRANSACTIONS", "LOGIN_REPAIRED"), ("ASSETS", "DEFAULT_UPDATE"),
     ("NOPE", "DEFAULT_UPDATE"), (None, "AUTHORIZATION_GRANTED"), (None, "NOPE")],
)  # fmt: skip
def test_fire_webhook_refuses_pairs_the_sandbox_does_not_fire(
    emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver, webhook_type: str | None, code: str
) -> None:
    access, _ = emu.create_item(webhook=receiver.url, products=ALL_PRODUCTS)
    body = {"access_token": access, "webhook_code": code}
    if webhook_type is not None:
        body["webhook_type"] = webhook_type
    answer = plaid_http.post("/sandbox/item/fire_webhook", body)
    assert answer.status_code == 400 and error_code(answer) == "INVALID_FIELD"
    assert emu.drain_webhooks(10) and receiver.received == []


@pytest.mark.parametrize(("webhook_type", "code"), sorted(PRODUCT_SCHEMAS))
def test_fire_webhook_sends_each_product_webhook(
    emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver, verifier: PlaidWebhookVerifier,
    answers: AnswerChecker, webhook_type: str, code: str,
) -> None:  # fmt: skip
    """Every product webhook Plaid's Sandbox fires arrives signed, in the shape of its schema in the spec."""
    access, item_id = emu.create_item(webhook=receiver.url, products=ALL_PRODUCTS)
    fired = plaid_http.post(
        "/sandbox/item/fire_webhook",
        {"access_token": access, "webhook_code": code, "webhook_type": webhook_type},
    )
    answers.check_response("/sandbox/item/fire_webhook", fired)
    assert fired.json()["webhook_fired"] is True
    [received] = _arrived(emu, receiver, 1)
    assert verifier.verify(received)
    body = received.body
    assert (body["webhook_type"], body["webhook_code"], body["item_id"]) == (webhook_type, code, item_id)
    assert not answers.errors(PRODUCT_SCHEMAS[webhook_type, code], body)
    # A product webhook reports; it does not change the Item.
    assert plaid_http.balance(access).status_code == 200


def test_default_update_without_a_type_is_transactions(
    emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver
) -> None:
    access, _ = emu.create_item(webhook=receiver.url)
    plaid_http.post("/sandbox/item/fire_webhook", {"access_token": access, "webhook_code": "DEFAULT_UPDATE"})
    [received] = _arrived(emu, receiver, 1)
    assert (received.body["webhook_type"], received.body["new_transactions"]) == ("TRANSACTIONS", 0)


@pytest.mark.parametrize(("webhook_type", "code"), sorted(PRODUCT_SCHEMAS))
def test_product_webhooks_need_the_product(
    emu: RunningEmulator, plaid_http: PlaidHTTP, receiver: Receiver, webhook_type: str, code: str
) -> None:
    """An Item without the webhook's product gets SANDBOX_PRODUCT_NOT_ENABLED, as Plaid's Sandbox answers."""
    access, _ = emu.create_item(webhook=receiver.url, products=("balance_plus",))
    answer = plaid_http.post(
        "/sandbox/item/fire_webhook",
        {"access_token": access, "webhook_code": code, "webhook_type": webhook_type},
    )
    assert (answer.status_code, error_code(answer)) == (400, "SANDBOX_PRODUCT_NOT_ENABLED")
    assert answer.json()["error_type"] == "SANDBOX_ERROR"
    assert emu.drain_webhooks(10) and receiver.received == []


def test_a_receiver_that_is_down_never_blocks(emu: RunningEmulator, plaid_http: PlaidHTTP) -> None:
    receiver = Receiver()
    url = receiver.url
    receiver.close()
    access, _ = emu.create_item(webhook=url)
    assert plaid_http.post("/sandbox/item/reset_login", {"access_token": access}).status_code == 200
    assert emu.drain_webhooks(10)
    assert "ConnectError" in (emu.webhook_deliveries()[-1]["error"] or "")
