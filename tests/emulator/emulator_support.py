"""Helpers shared by the emulator tests (kept out of conftest.py so test modules can import them)."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from plaid_balance.emulator import RunningEmulator


class SpecValidator:
    """Validates bodies against Plaid's official OpenAPI schemas ($refs resolved inside the document)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._root = {"components": spec["components"]}

    def response_schema(self, path: str, status: int) -> dict[str, Any]:
        responses = self.spec["paths"][path]["post"]["responses"]
        entry = responses["200"] if status == 200 else responses["default"]
        schema: dict[str, Any] = entry["content"]["application/json"]["schema"]
        return schema

    def errors(self, schema: dict[str, Any], body: Any) -> list[str]:
        validator = OAS30Validator({**self._root, **schema}, format_checker=oas30_format_checker)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]

    def check_response(self, path: str, response: httpx.Response) -> None:
        body = response.json()
        problems = self.errors(self.response_schema(path, response.status_code), body)
        assert not problems, f"{path} {response.status_code} does not match the spec: {problems}\n{body}"


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
