"""Item webhooks as Plaid sends them: JSON POSTed to the Item's webhook URL, signed with an ES256 key.

Signing follows Plaid's webhook verification docs: the `Plaid-Verification` header is a JWT whose header has
`alg: ES256` and the `kid` of a key served by /webhook_verification_key/get, and whose claims are `iat` and
`request_body_sha256` (hex SHA-256 of the exact body bytes). Delivery runs on its own thread so an answer never
waits for a receiver; only loopback URLs are ever contacted (the emulator is a local test tool).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import queue
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

from plaid_balance.emulator import jsonio
from plaid_balance.emulator.clock import Clock

log = logging.getLogger("plaid_balance.emulator.webhooks")
_DELIVERY_LOG = 1000


def _b64url(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


@dataclass(slots=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey
    created_at: int
    expired_at: int | None = None

    def jwk(self) -> dict[str, Any]:
        """The public key as /webhook_verification_key/get returns it (Plaid's JWKPublicKey)."""
        numbers = self.private_key.public_key().public_numbers()
        return {
            "alg": "ES256",
            "crv": "P-256",
            "kid": self.kid,
            "kty": "EC",
            "use": "sig",
            "x": _b64url(numbers.x),
            "y": _b64url(numbers.y),
            "created_at": self.created_at,
            "expired_at": self.expired_at,
        }


def is_loopback_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(slots=True)
class Delivery:
    url: str
    body: dict[str, Any]
    sent_at: str
    status: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "body": self.body, "sent_at": self.sent_at, "status": self.status,
                "error": self.error}  # fmt: skip


@dataclass(slots=True)
class _Job:
    url: str
    payload: bytes
    headers: dict[str, str]
    delivery: Delivery


@dataclass
class WebhookSender:
    """Signs and sends webhooks; keeps the signing keys and a log of deliveries for tests."""

    clock: Clock
    timeout: float
    keys: list[SigningKey] = field(default_factory=list)
    deliveries: deque[Delivery] = field(default_factory=lambda: deque(maxlen=_DELIVERY_LOG))

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    # -- keys -----------------------------------------------------------------------------------------------

    def _timestamp(self) -> int:
        return int(self.clock.now().timestamp())

    @property
    def current_key(self) -> SigningKey:
        # Made on first use: an emulator that never signs makes no key.
        with self._lock:
            return self.keys[-1] if self.keys else self._add_key()

    def _add_key(self) -> SigningKey:
        now = self._timestamp()
        if self.keys:
            self.keys[-1].expired_at = now
        key = SigningKey(
            kid=str(uuid.uuid4()), private_key=ec.generate_private_key(ec.SECP256R1()), created_at=now
        )
        self.keys.append(key)
        return key

    def rotate_key(self) -> SigningKey:
        """A new current key; the previous one gets its expired_at (verifiers must then refuse it)."""
        with self._lock:
            return self._add_key()

    def key(self, kid: str) -> SigningKey | None:
        with self._lock:
            return next((k for k in self.keys if k.kid == kid), None)

    def sign(self, payload: bytes, *, iat: datetime | None = None) -> str:
        """The Plaid-Verification header value for a body."""
        import jwt

        key = self.current_key
        claims = {
            "iat": int((iat or self.clock.now()).timestamp()),
            "request_body_sha256": hashlib.sha256(payload).hexdigest(),
        }
        return jwt.encode(claims, key.private_key, algorithm="ES256", headers={"kid": key.kid})

    # -- delivery -------------------------------------------------------------------------------------------

    def send(self, url: str, body: dict[str, Any]) -> Delivery:
        """Queue one webhook. Plaid formats webhook bodies with two-space indentation; the signature covers
        these exact bytes."""
        payload = msgspec.json.format(jsonio.encode(body), indent=2)
        delivery = Delivery(url=url, body=body, sent_at=self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
        with self._lock:
            self.deliveries.append(delivery)
        if not is_loopback_url(url):
            delivery.error = "not sent: the emulator delivers webhooks to loopback URLs only"
            return delivery
        headers = {"Content-Type": "application/json", "Plaid-Verification": self.sign(payload)}
        with self._lock:
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="plaid-emulator-webhooks", daemon=True)
                self._thread.start()
        self._queue.put(_Job(url, payload, headers, delivery))
        return delivery

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False) as client:
            while True:
                job = self._queue.get()
                if job is None:
                    return
                try:
                    response = client.post(job.url, content=job.payload, headers=job.headers)
                    job.delivery.status = response.status_code
                except httpx.HTTPError as exc:
                    job.delivery.error = f"{type(exc).__name__}: {exc}"
                    log.info("webhook to %s failed: %s", job.url, job.delivery.error)
                finally:
                    with self._lock:
                        self._pending -= 1
                        self._idle.notify_all()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued webhook was delivered or failed; False if that took longer than timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return [d.to_json() for d in self.deliveries]

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=self.timeout + 1)
