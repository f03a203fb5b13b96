"""Helpers shared by the emulator tests (kept out of conftest.py so test modules can import them)."""

from __future__ import annotations

from typing import Any

import httpx

from plaid_balance.emulator import RunningEmulator


class PlaidHTTP:
    """Thin httpx wrapper that adds the emulator's credentials to each call."""

    def __init__(self, emu: RunningEmulator, client: httpx.Client) -> None:
        self.emu = emu
        self.client = client

    def post(self, path: str, body: dict[str, Any] | None = None, *, auth: bool = True) -> httpx.Response:
        payload = dict(body or {})
        if auth:
            payload.setdefault("client_id", self.emu.client_id)
            payload.setdefault("secret", self.emu.secret)
        return self.client.post(path, json=payload)

    def balance(self, access_token: str, **options: Any) -> httpx.Response:
        body: dict[str, Any] = {"access_token": access_token}
        if options:
            body["options"] = options
        return self.post("/accounts/balance/get", body)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error_code"]
    return code


def credentials(emu: RunningEmulator) -> dict[str, str]:
    return {"client_id": emu.client_id, "secret": emu.secret}
