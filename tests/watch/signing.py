"""Plaid-style webhook signing for tests: an ES256 key, its JWK as /webhook_verification_key/get
returns it, and Plaid-Verification JWTs over a body, following Plaid's documented scheme."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm


@dataclass
class Signer:
    kid: str = "kid-1"
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    expired_at: int | None = None

    def jwk(self) -> dict[str, Any]:
        public = json.loads(ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {
            **public,
            "alg": "ES256",
            "use": "sig",
            "kid": self.kid,
            "created_at": 1_700_000_000,
            "expired_at": self.expired_at,
        }

    def sign(self, body: bytes, at: datetime, **overrides: Any) -> str:
        claims = {"iat": int(at.timestamp()), "request_body_sha256": hashlib.sha256(body).hexdigest()}
        claims.update(overrides)
        return jwt.encode(claims, self.private_key, algorithm="ES256", headers={"kid": self.kid})


def item_webhook(code: str, item_id: str, **extra: Any) -> bytes:
    payload = {
        "webhook_type": "ITEM",
        "webhook_code": code,
        "item_id": item_id,
        "environment": "sandbox",
        **extra,
    }
    return json.dumps(payload).encode()
