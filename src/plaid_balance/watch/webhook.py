"""Verifying Plaid webhooks as Plaid documents it (docs/api/webhooks/webhook-verification).

1. The ``Plaid-Verification`` header is a JWT whose header says ``alg: ES256`` (anything else is refused
   before any key is looked at, so ``none`` and HMAC tricks cannot work).
2. Its ``kid`` names a key fetched from ``/webhook_verification_key/get`` and cached; a key whose
   ``expired_at`` is set is refused, and cached keys are fetched again after ``key_ttl`` so that an
   expiry Plaid announces is seen.
3. The signature is checked with that key; the ``iat`` claim must be at most five minutes old.
4. The SHA-256 of the raw body must equal the ``request_body_sha256`` claim (constant-time compare).

Unknown key ids are remembered for a while, so that forged webhooks cannot make the watch call Plaid
once per request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from plaid_balance.watch.clock import Clock

MAX_AGE: Final = timedelta(minutes=5)
HEADER: Final = "plaid-verification"

# Given a key id, Plaid's answer's ``key`` object (a JWK with created_at/expired_at), or None if unknown.
KeyFetcher = Callable[[str], Awaitable[Mapping[str, Any] | None]]


class WebhookRefused(Exception):
    """Why a webhook was not accepted; ``reason`` is a short label used in metrics and logs."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(f"webhook refused ({reason}): {detail}")


@dataclass(slots=True)
class _CachedKey:
    jwk: Mapping[str, Any] | None  # None: Plaid does not know this kid
    fetched: datetime


class WebhookVerifier:
    def __init__(
        self,
        fetch_key: KeyFetcher,
        clock: Clock,
        *,
        key_ttl: timedelta = timedelta(hours=1),
        unknown_ttl: timedelta = timedelta(minutes=10),
    ) -> None:
        self._fetch_key = fetch_key
        self._clock = clock
        self._key_ttl = key_ttl
        self._unknown_ttl = unknown_ttl
        self._keys: dict[str, _CachedKey] = {}

    async def verify(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """The webhook's JSON payload, or ``WebhookRefused``."""
        import jwt

        token = headers.get(HEADER) or headers.get("Plaid-Verification")
        if not token:
            raise WebhookRefused("missing_header", "no Plaid-Verification header")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise WebhookRefused("malformed", "Plaid-Verification is not a JWT") from None
        if header.get("alg") != "ES256":
            raise WebhookRefused("bad_alg", f"alg {header.get('alg')!r} is not ES256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise WebhookRefused("malformed", "the JWT header has no kid")
        jwk = await self._key(kid)
        try:
            key = jwt.PyJWK(dict(jwk), algorithm="ES256")
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=["ES256"],
                # iat is checked below against the injected clock; Plaid's JWTs carry no exp.
                options={"require": ["iat", "request_body_sha256"], "verify_iat": False, "verify_exp": False},
            )
        except jwt.InvalidSignatureError:
            raise WebhookRefused("bad_signature", "signature does not match the key") from None
        except jwt.PyJWTError as exc:
            raise WebhookRefused("malformed", f"JWT not accepted: {exc}") from None
        self._check_age(claims.get("iat"))
        expected = claims.get("request_body_sha256")
        actual = hashlib.sha256(body).hexdigest()
        if not isinstance(expected, str) or not hmac.compare_digest(actual.encode(), expected.encode()):
            raise WebhookRefused("body_mismatch", "body does not match request_body_sha256")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            raise WebhookRefused("malformed", "body is not JSON") from None
        if not isinstance(payload, dict):
            raise WebhookRefused("malformed", "body is not a JSON object")
        return payload

    def _check_age(self, iat: Any) -> None:
        if isinstance(iat, bool) or not isinstance(iat, int | float):
            raise WebhookRefused("malformed", "iat is not a number")
        age = self._clock.now().timestamp() - float(iat)
        if age > MAX_AGE.total_seconds():
            raise WebhookRefused("too_old", f"issued {int(age)} s ago, more than 5 minutes")
        if age < -MAX_AGE.total_seconds():
            raise WebhookRefused("too_old", "issued in the future (clock skew above 5 minutes)")

    async def _key(self, kid: str) -> Mapping[str, Any]:
        now = self._clock.now()
        cached = self._keys.get(kid)
        ttl = self._unknown_ttl if cached is not None and cached.jwk is None else self._key_ttl
        if cached is None or now - cached.fetched >= ttl:
            jwk = await self._fetch_key(kid)
            cached = self._keys[kid] = _CachedKey(dict(jwk) if jwk is not None else None, now)
        if cached.jwk is None:
            raise WebhookRefused("unknown_key", f"Plaid has no verification key {kid!r}")
        if cached.jwk.get("expired_at") is not None:
            raise WebhookRefused("expired_key", f"verification key {kid!r} has expired")
        return cached.jwk
