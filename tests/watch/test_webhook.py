"""Webhook verification as Plaid documents it, with keys and JWTs these tests make themselves."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaid_balance.watch.webhook import WebhookRefused, WebhookVerifier
from tests.watch.signing import Signer, item_webhook
from tests.watch.support import ManualClock

pytestmark = pytest.mark.anyio
BODY = item_webhook("ERROR", "item-1", error={"error_code": "ITEM_LOGIN_REQUIRED"})


class Keys:
    def __init__(self, *signers: Signer) -> None:
        self.keys = {s.kid: s.jwk() for s in signers}
        self.fetches: list[str] = []

    async def __call__(self, kid: str) -> Mapping[str, Any] | None:
        self.fetches.append(kid)
        return self.keys.get(kid)


def verifier(keys: Keys, clock: ManualClock) -> WebhookVerifier:
    return WebhookVerifier(keys, clock)


async def refused(v: WebhookVerifier, headers: dict[str, str], body: bytes = BODY) -> str:
    with pytest.raises(WebhookRefused) as caught:
        await v.verify(headers, body)
    return caught.value.reason


async def test_a_genuine_webhook_is_accepted_and_its_key_cached() -> None:
    clock, signer = ManualClock(), Signer()
    keys = Keys(signer)
    v = verifier(keys, clock)
    payload = await v.verify({"plaid-verification": signer.sign(BODY, clock.now())}, BODY)
    assert payload["webhook_code"] == "ERROR"
    clock.advance(60)
    await v.verify({"plaid-verification": signer.sign(BODY, clock.now())}, BODY)
    assert keys.fetches == ["kid-1"]
    clock.advance(3600)  # past the cache's life: fetched again (an expiry would now be seen)
    await v.verify({"plaid-verification": signer.sign(BODY, clock.now())}, BODY)
    assert keys.fetches == ["kid-1", "kid-1"]


async def test_forgeries_are_refused() -> None:
    clock, signer = ManualClock(), Signer()
    v = verifier(Keys(signer), clock)
    now = clock.now()
    assert await refused(v, {}) == "missing_header"
    assert await refused(v, {"plaid-verification": "not-a-jwt"}) == "malformed"
    # Same kid, another key: the signature does not match.
    assert await refused(v, {"plaid-verification": Signer().sign(BODY, now)}) == "bad_signature"
    # The body was changed after signing.
    tampered = BODY.replace(b"ITEM_LOGIN_REQUIRED", b"LOGIN_REPAIRED")
    assert await refused(v, {"plaid-verification": signer.sign(BODY, now)}, tampered) == "body_mismatch"
    # An HMAC token "signed" with the public key (algorithm confusion), and alg none.
    claims = {"iat": int(now.timestamp()), "request_body_sha256": hashlib.sha256(BODY).hexdigest()}
    public = json.dumps(signer.jwk()).encode()
    signing_input = f"{b64({'alg': 'HS256', 'kid': 'kid-1'})}.{b64(claims)}"
    mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    hs = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert await refused(v, {"plaid-verification": hs}) == "bad_alg"
    none = f"{b64({'alg': 'none', 'kid': 'kid-1'})}.{b64(claims)}."
    assert await refused(v, {"plaid-verification": none}) == "bad_alg"


def b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


async def test_old_tokens_and_unknown_or_expired_keys_are_refused() -> None:
    clock, signer = ManualClock(), Signer()
    expired = Signer(kid="kid-old", expired_at=1_700_000_500)
    keys = Keys(signer, expired)
    v = verifier(keys, clock)
    token = signer.sign(BODY, clock.now())
    clock.advance(301)
    assert await refused(v, {"plaid-verification": token}) == "too_old"
    assert await refused(v, {"plaid-verification": expired.sign(BODY, clock.now())}) == "expired_key"
    stranger = Signer(kid="kid-unknown")
    for _ in range(5):
        assert await refused(v, {"plaid-verification": stranger.sign(BODY, clock.now())}) == "unknown_key"
    # Forged kids do not make the watch call Plaid once per request.
    assert keys.fetches.count("kid-unknown") == 1


async def test_a_token_five_minutes_old_is_still_accepted() -> None:
    clock, signer = ManualClock(), Signer()
    v = verifier(Keys(signer), clock)
    token = signer.sign(BODY, clock.now())
    clock.advance(300)
    assert (await v.verify({"plaid-verification": token}, BODY))["item_id"] == "item-1"


@settings(max_examples=100, deadline=None)
@given(header=st.text(max_size=300), body=st.binary(max_size=200))
def test_any_header_is_refused_with_a_reason_never_a_crash(header: str, body: bytes) -> None:
    import asyncio

    clock = ManualClock()
    v = verifier(Keys(Signer()), clock)

    async def main() -> None:
        with pytest.raises(WebhookRefused):
            await v.verify({"plaid-verification": header}, body)

    asyncio.run(main())
