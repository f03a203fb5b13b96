"""What a Link session ends with: a public token and its metadata, or the user's exit.

The page posts these as JSON; ``parse_result`` accepts exactly the shape our page sends and refuses
anything else (wrong types, missing fields, oversized strings) with ``ValueError``, so a forged or
garbled post can never reach the token exchange.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from plaid_balance.vault import VaultAccount

MAX_STRING: Final = 512  # every id, name and token Plaid sends is far shorter
MAX_ACCOUNTS: Final = 200


@dataclass(frozen=True, slots=True)
class LinkSuccess:
    """Link's onSuccess: the public token (exchanged once, within 30 minutes) and what the user picked."""

    public_token: str = field(repr=False)
    institution_id: str | None = None
    institution_name: str | None = None
    # The vault's own account type: an account without a name is named by its id, as the vault keeps it.
    accounts: tuple[VaultAccount, ...] = ()
    link_session_id: str | None = None


@dataclass(frozen=True, slots=True)
class LinkExit:
    """Link's onExit: the user closed Link, or Link ended on an error (its code kept for the message)."""

    status: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    link_session_id: str | None = None
    institution_name: str | None = None


LinkResult = LinkSuccess | LinkExit


def _text(value: Any, what: str, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > MAX_STRING or (required and not value.strip()):
        raise ValueError(f"{what} must be a string of at most {MAX_STRING} characters")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object")
    return value


def parse_result(payload: Any) -> LinkResult:
    """The result our page posts: ``{"outcome": "success"|"exit", ...}``; anything else is refused."""
    body = _object(payload, "the body")
    outcome = body.get("outcome")
    metadata = _object(body.get("metadata"), "metadata")
    institution = _object(metadata.get("institution"), "metadata.institution")
    session_id = _text(metadata.get("link_session_id"), "link_session_id")
    if outcome == "success":
        public_token = _text(body.get("public_token"), "public_token", required=True)
        assert public_token is not None
        raw_accounts = metadata.get("accounts") or []
        if not isinstance(raw_accounts, list) or len(raw_accounts) > MAX_ACCOUNTS:
            raise ValueError("metadata.accounts must be a list")
        accounts = []
        for raw in raw_accounts:
            account = _object(raw, "an account")
            account_id = _text(account.get("id"), "account id", required=True)
            assert account_id is not None
            accounts.append(
                VaultAccount(
                    account_id=account_id,
                    name=_text(account.get("name"), "account name") or account_id,
                    mask=_text(account.get("mask"), "account mask"),
                    type=_text(account.get("type"), "account type"),
                    subtype=_text(account.get("subtype"), "account subtype"),
                )
            )
        return LinkSuccess(
            public_token=public_token.strip(),
            institution_id=_text(institution.get("institution_id"), "institution_id"),
            institution_name=_text(institution.get("name"), "institution name"),
            accounts=tuple(accounts),
            link_session_id=session_id,
        )
    if outcome == "exit":
        error = _object(body.get("error"), "error")
        return LinkExit(
            status=_text(metadata.get("status"), "status"),
            error_code=_text(error.get("error_code"), "error_code"),
            error_message=_text(error.get("display_message") or error.get("error_message"), "error message"),
            link_session_id=session_id,
            institution_name=_text(institution.get("name"), "institution name"),
        )
    raise ValueError("outcome must be 'success' or 'exit'")
