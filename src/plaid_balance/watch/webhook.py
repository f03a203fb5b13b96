"""Verifying Plaid webhooks as Plaid documents it (docs/api/webhooks/webhook-verification).

1. The ``Plaid-Verification`` header is a JWT whose header says ``alg: ES256`` (anything else is refused
   before any key is looked at, so ``none`` and HMAC tricks cannot work).
2. Its ``kid`` names a key fetched from ``/webhook_verification_key/get`` and cached; a key whose
   ``expired_at`` is set is refused. A cached key is asked for again after ``key_ttl`` (one minute), so
   a key Plaid has since expired stops being trusted within that minute.
3. The signature is checked with that key; the ``iat`` claim must be a finite number at most five
   minutes old (NaN and infinities compare false with everything, so they are refused first).
4. The SHA-256 of the raw body must equal the ``request_body_sha256`` claim (constant-time compare).
5. A body accepted in the last five minutes is refused when it comes again (a replay of a captured
   genuine webhook): its hash is remembered for the window.

The endpoint faces the Internet, so what a forger can make it keep or do is bounded (docs/security.md):
a ``kid`` longer than 64 characters or outside ``[A-Za-z0-9._-]`` is refused before any key is looked
up; Plaid's own keys are cached apart (at most 16), and the ids Plaid said it does not know are
remembered for ``unknown_ttl`` in a cache of the ``max_keys`` most recently used; fetches for ids not
known to be Plaid's, all together, are limited by a token bucket (``fetch_burst`` at once, then one every
``fetch_interval``): beyond it such a webhook is answered "try again later", while Plaid's own keys are
still refreshed (once per ``key_ttl`` each), so a flood of forgeries never blocks genuine webhooks; and
the replay memory keeps at most ``max_remembered`` hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

from plaid_balance.watch.clock import Clock

MAX_AGE: Final = timedelta(minutes=5)
HEADER: Final = "plaid-verification"
# Plaid signs with one key at a time and announces the next ahead: a few are ever live.
MAX_KNOWN_KEYS: Final = 16
# Plaid's key ids are UUIDs; 64 characters of a URL-safe alphabet leave room for any future form.
KID_PATTERN: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Given a key id, Plaid's answer's ``key`` object (a JWK with created_at/expired_at), or None if unknown.
KeyFetcher = Callable[[str], Awaitable[Mapping[str, Any] | None]]


class WebhookRefused(Exception):
    """Why a webhook was not accepted; ``reason`` is a short label used in metrics and logs.

    ``detail`` never repeats more than a few dozen characters of what the sender sent."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(f"webhook refused ({reason}): {detail}")


class KeyUnavailable(Exception):
    """The key could not be had now (Plaid unreachable, or the fetch budget spent): try again later."""


@dataclass(frozen=True, slots=True)
class VerifiedWebhook:
    """A webhook that passed every check: its JSON object and the time Plaid signed it (``iat``)."""

    payload: dict[str, Any]
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class _CachedKey:
    jwk: Mapping[str, Any]
    fetched: datetime


_V = TypeVar("_V")


class _TokenBucket:
    """At most ``burst`` events at once, refilled at one per ``interval`` (on the injected clock)."""

    def __init__(self, clock: Clock, *, burst: int, interval: timedelta) -> None:
        self._clock = clock
        self._burst = float(burst)
        self._interval = interval.total_seconds()
        self._tokens = float(burst)
        self._at = clock.now()

    def take(self) -> bool:
        now = self._clock.now()
        elapsed = max((now - self._at).total_seconds(), 0.0)
        self._tokens = min(self._burst, self._tokens + elapsed / self._interval)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class WebhookVerifier:
    def __init__(
        self,
        fetch_key: KeyFetcher,
        clock: Clock,
        *,
        key_ttl: timedelta = timedelta(minutes=1),
        unknown_ttl: timedelta = timedelta(minutes=10),
        max_keys: int = 1_024,
        fetch_burst: int = 5,
        fetch_interval: timedelta = timedelta(seconds=10),
        max_remembered: int = 10_000,
    ) -> None:
        self._fetch_key = fetch_key
        self._clock = clock
        self._key_ttl = key_ttl
        self._unknown_ttl = unknown_ttl
        self._max_keys = max_keys
        self._known: OrderedDict[str, _CachedKey] = OrderedDict()  # Plaid's keys, by kid
        self._unknown: OrderedDict[str, datetime] = OrderedDict()  # kids Plaid said it does not know
        self._fetches = _TokenBucket(clock, burst=fetch_burst, interval=fetch_interval)
        self._max_remembered = max_remembered
        self._seen: OrderedDict[bytes, datetime] = OrderedDict()  # body hash -> when accepted

    async def verify(self, headers: Mapping[str, str], body: bytes) -> VerifiedWebhook:
        """The verified webhook, or ``WebhookRefused``; ``KeyUnavailable`` when its key cannot be had now."""
        import jwt

        token = headers.get(HEADER) or headers.get("Plaid-Verification")
        if not token:
            raise WebhookRefused("missing_header", "no Plaid-Verification header")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise WebhookRefused("malformed", "Plaid-Verification is not a JWT") from None
        if header.get("alg") != "ES256":
            raise WebhookRefused("bad_alg", "alg is not ES256")
        kid = header.get("kid")
        if not isinstance(kid, str) or KID_PATTERN.fullmatch(kid) is None:
            raise WebhookRefused("malformed", "the JWT header has no kid of at most 64 safe characters")
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
        except jwt.PyJWTError:
            raise WebhookRefused("malformed", "JWT not accepted") from None
        issued_at = self._check_age(claims.get("iat"))
        expected = claims.get("request_body_sha256")
        digest = hashlib.sha256(body)
        if not isinstance(expected, str) or not hmac.compare_digest(
            digest.hexdigest().encode(), expected.encode()
        ):
            raise WebhookRefused("body_mismatch", "body does not match request_body_sha256")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            raise WebhookRefused("malformed", "body is not JSON") from None
        if not isinstance(payload, dict):
            raise WebhookRefused("malformed", "body is not a JSON object")
        self._remember(digest.digest())
        return VerifiedWebhook(payload, issued_at)

    def _check_age(self, iat: Any) -> datetime:
        if isinstance(iat, bool) or not isinstance(iat, int | float) or not math.isfinite(iat):
            raise WebhookRefused("malformed", "iat is not a finite number")
        age = self._clock.now().timestamp() - float(iat)
        if age > MAX_AGE.total_seconds():
            raise WebhookRefused("too_old", f"issued {int(age)} s ago, more than 5 minutes")
        if age < -MAX_AGE.total_seconds():
            raise WebhookRefused("too_old", "issued in the future (clock skew above 5 minutes)")
        return datetime.fromtimestamp(float(iat), UTC)

    def _remember(self, digest: bytes) -> None:
        """Refuse a body accepted within the window; else remember it (oldest forgotten first)."""
        now = self._clock.now()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at <= MAX_AGE * 2 and len(self._seen) < self._max_remembered:
                break
            del self._seen[oldest]
        if digest in self._seen:
            raise WebhookRefused("replayed", "this body was accepted less than 5 minutes ago")
        self._seen[digest] = now

    async def _key(self, kid: str) -> Mapping[str, Any]:
        now = self._clock.now()
        known = self._known.get(kid)
        if known is not None and now - known.fetched < self._key_ttl:
            jwk = known.jwk
        else:
            unknown_since = self._unknown.get(kid)
            if unknown_since is not None and now - unknown_since < self._unknown_ttl:
                self._unknown.move_to_end(kid)
                raise WebhookRefused("unknown_key", "Plaid has no verification key with this kid")
            # Plaid's own keys are refreshed once per key_ttl each; any other kid spends the bucket.
            if known is None and not self._fetches.take():
                raise KeyUnavailable("too many verification keys asked for: try again later")
            fetched = await self._fetch_key(kid)
            if fetched is None:
                self._known.pop(kid, None)
                _put(self._unknown, kid, now, self._max_keys)
                raise WebhookRefused("unknown_key", "Plaid has no verification key with this kid")
            jwk = dict(fetched)
            self._unknown.pop(kid, None)
            _put(self._known, kid, _CachedKey(jwk, now), MAX_KNOWN_KEYS)
        if jwk.get("expired_at") is not None:
            raise WebhookRefused("expired_key", "the verification key has expired")
        return jwk


def _put(cache: OrderedDict[str, _V], key: str, value: _V, size: int) -> None:
    """Set ``key`` as the most recently used, forgetting the least recently used beyond ``size``."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > size:
        cache.popitem(last=False)
