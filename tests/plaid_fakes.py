"""A scripted fake Plaid behind httpx.MockTransport: real payloads, counted attempts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from plaid_balance import BalanceReport
from plaid_balance._json import decode, encode
from plaid_balance.models import AccountsGetResponse

Responder = Callable[[httpx.Request], httpx.Response]


def account(
    account_id: str,
    *,
    current: Any = 110,
    available: Any = 100,
    type_: str = "depository",
    subtype: str | None = "checking",
    currency: str | None = "USD",
    unofficial: str | None = None,
    limit: Any = None,
    name: str = "Plaid Checking",
    mask: str | None = "0000",
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "balances": {
            "available": available,
            "current": current,
            "limit": limit,
            "iso_currency_code": currency,
            "unofficial_currency_code": unofficial,
        },
        "mask": mask,
        "name": name,
        "official_name": None,
        "type": type_,
        "subtype": subtype,
    }


def item(item_id: str = "item-1", **fields: Any) -> dict[str, Any]:
    """Plaid's ``Item`` object with every required field; ``fields`` override or add."""
    return {
        "item_id": item_id,
        "institution_id": "ins_109508",
        "webhook": None,
        "error": None,
        "available_products": [],
        "billed_products": ["transactions"],
        "consent_expiration_time": None,
        "update_type": "background",
        **fields,
    }


def balance_body(
    *accounts: dict[str, Any], institution_id: str | None = "ins_109508", request_id: str = "req-ok"
) -> dict[str, Any]:
    return {"accounts": list(accounts), "item": item(institution_id=institution_id), "request_id": request_id}


def plaid_error(error_type: str, error_code: str, message: str = "something happened") -> dict[str, Any]:
    return {
        "error_type": error_type,
        "error_code": error_code,
        "error_message": message,
        "display_message": None,
        "request_id": "req-err",
    }


class FakePlaid:
    """Answers each request with the next scripted response (the last one repeats); records requests."""

    def __init__(self, *script: tuple[int, Any] | Exception | bytes) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    @property
    def attempts(self) -> int:
        return len(self.requests)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script[min(len(self.requests), len(self.script)) - 1]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, bytes):
            return httpx.Response(200, content=step, headers={"content-type": "application/json"})
        status, body = step
        if isinstance(body, str):
            return httpx.Response(status, content=body.encode())
        return httpx.Response(
            status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def async_transport(self) -> httpx.MockTransport:
        """The same script for an ``AsyncPlaidClient`` (httpx's mock transport serves both)."""
        return httpx.MockTransport(self)


def report_of(*accounts: dict[str, Any], environment: str = "sandbox", **one: Any) -> BalanceReport:
    """The report plaid-balance builds from this answer (``one`` = fields of a single ``account``)."""
    payload = balance_body(*(accounts or (account("a1", **one),)))
    return BalanceReport.from_plaid(decode(encode(payload), AccountsGetResponse), environment=environment)
