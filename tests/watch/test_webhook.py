"""Webhook verification as Plaid documents it, with keys and JWTs these tests make themselves."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaid_balance.watch.webhook import KeyUnavailable, WebhookRefused, WebhookVerifier
from tests.watch.conftest import run_in_thread
from tests.watch.signing import Signer, item_webhook
from tests.watch.support import ManualClock

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
    verified = await v.verify({"plaid-verification": signer.sign(BODY, clock.now())}, BODY)
    assert verified.payload["webhook_code"] == "ERROR"
    assert verified.issued_at == clock.now()
    clock.advance(30)
    other = item_webhook("LOGIN_REPAIRED", "item-1")
    await v.verify({"plaid-verification": signer.sign(other, clock.now())}, other)
    assert keys.fetches == ["kid-1"]
    clock.advance(60)  # past the cache's life: fetched again (an expiry would now be seen)
    third = item_webhook("NEW_ACCOUNTS_AVAILABLE", "item-1")
    await v.verify({"plaid-verification": signer.sign(third, clock.now())}, third)
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
    assert (await v.verify({"plaid-verification": token}, BODY)).payload["item_id"] == "item-1"


@settings(max_examples=100, deadline=None)
@given(header=st.text(max_size=300), body=st.binary(max_size=200))
def test_any_header_is_refused_with_a_reason_never_a_crash(header: str, body: bytes) -> None:
    clock = ManualClock()
    v = verifier(Keys(Signer()), clock)

    async def main() -> None:
        with pytest.raises(WebhookRefused):
            await v.verify({"plaid-verification": header}, body)

    run_in_thread(main)


async def test_forged_webhooks_with_fresh_kids_cost_a_handful_of_fetches_and_bounded_memory() -> None:
    """3,000 forged webhooks, each naming a new key id, make a few calls to Plaid, and the key cache
    and the memory they leave behind stay bounded."""
    import tracemalloc

    clock, signer = ManualClock(), Signer()
    keys = Keys(signer)
    v = verifier(keys, clock)
    forged = [Signer(kid=f"forged-{n:05d}", private_key=signer.private_key) for n in range(3_000)]
    tokens = [f.sign(BODY, clock.now()) for f in forged]
    await v.verify({"plaid-verification": signer.sign(BODY, clock.now())}, BODY)  # Plaid's key, known
    tracemalloc.start()
    try:
        for token in tokens[:500]:  # warm up: the caches reach their bound
            with contextlib.suppress(WebhookRefused, KeyUnavailable):
                await v.verify({"plaid-verification": token}, BODY)
        before = tracemalloc.take_snapshot()
        answers = {"refused": 0, "later": 0}
        for n, token in enumerate(tokens[500:]):
            clock.advance(0.1)
            try:
                await v.verify({"plaid-verification": token}, BODY)
            except WebhookRefused:
                answers["refused"] += 1
            except KeyUnavailable:
                answers["later"] += 1
            if n % 10 == 0:  # Plaid keeps posting genuine ones meanwhile, and they keep working
                body = item_webhook("NEW_ACCOUNTS_AVAILABLE", f"item-{n}")
                await v.verify({"plaid-verification": signer.sign(body, clock.now())}, body)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert answers["refused"] + answers["later"] == 2_500
    # 250 s of forgery at ten a second: the bucket's 5 at once, then one per 10 s (~25), and the real
    # key's refetch once a minute.
    assert len(keys.fetches) < 60, len(keys.fetches)
    # 2,500 forgeries leave less than 100 bytes each (today: ~15 KB each, never freed).
    assert grown < 250_000, grown


async def test_a_replayed_genuine_webhook_is_refused_within_the_window() -> None:
    """A captured genuine webhook sent again (same token, or the same body re-signed) is refused."""
    clock, signer = ManualClock(), Signer()
    v = verifier(Keys(signer), clock)
    token = signer.sign(BODY, clock.now())
    await v.verify({"plaid-verification": token}, BODY)
    clock.advance(200)
    assert await refused(v, {"plaid-verification": token}) == "replayed"
    assert await refused(v, {"plaid-verification": signer.sign(BODY, clock.now())}) == "replayed"


@pytest.mark.parametrize("iat", [float("nan"), float("inf"), float("-inf"), "1700000000", None, [1], True])
async def test_an_iat_that_is_not_a_finite_number_is_refused(iat: object) -> None:
    """NaN passes every `<`/`>` age check; it, the infinities and non-numbers are refused."""
    clock, signer = ManualClock(), Signer()
    v = verifier(Keys(signer), clock)
    token = signer.sign(BODY, clock.now(), iat=iat)
    assert await refused(v, {"plaid-verification": token}) == "malformed"


async def test_a_key_plaid_has_since_expired_stops_being_trusted_within_a_minute() -> None:
    """After Plaid sets the key's expired_at, webhooks signed with it are refused within a minute."""
    clock, signer = ManualClock(), Signer()
    keys = Keys(signer)
    v = verifier(keys, clock)
    await v.verify({"plaid-verification": signer.sign(BODY, clock.now())}, BODY)
    keys.keys[signer.kid] = {**signer.jwk(), "expired_at": int(clock.now().timestamp())}
    clock.advance(61)
    other = item_webhook("LOGIN_REPAIRED", "item-1")
    assert await refused(v, {"plaid-verification": signer.sign(other, clock.now())}, other) == "expired_key"


@settings(max_examples=100, deadline=None)
@given(kid=st.text(min_size=65, max_size=400) | st.text(alphabet="\x00\x1b /%\u202e\"'<>", min_size=1))
def test_a_long_or_strange_kid_is_refused_before_any_fetch(kid: str) -> None:
    """A kid over 64 characters or outside a URL-safe alphabet never reaches Plaid."""
    clock, keys = ManualClock(), Keys(Signer())
    v = verifier(keys, clock)

    async def main() -> None:
        token = Signer(kid=kid).sign(BODY, clock.now())
        with pytest.raises(WebhookRefused) as caught:
            await v.verify({"plaid-verification": token}, BODY)
        assert caught.value.reason == "malformed"
        assert len(str(caught.value)) < 200  # the kid is not repeated back

    run_in_thread(main)
    assert keys.fetches == []
