"""The vault's tokens travel as the package's one ``SecretStr``; here only how a token is shown masked."""

from __future__ import annotations

from plaid_balance._secret import MASK, SecretStr

__all__ = ["MASK", "SecretStr", "mask_token"]


def mask_token(token: str) -> str:
    """Keep Plaid's ``access-<environment>-`` prefix (not secret) and at most the last four characters."""
    parts = token.split("-", 2)
    prefix = f"{parts[0]}-{parts[1]}-" if len(parts) == 3 and parts[0] in {"access", "public"} else ""
    tail = token[-4:] if len(token) >= 16 else ""
    return f"{prefix}…{tail}"
