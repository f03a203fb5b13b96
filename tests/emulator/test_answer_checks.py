"""The checks of Plaid answers (tests/plaid_schema.py) can fail: a good answer passes, and the same answer
broken on purpose (a required field missing, a value of the wrong type, a value no enum has) is refused,
by plaid-python's models alone and, where the spec is at hand, by the spec alone. Without the spec, the
schema tests still pass from the clone alone, the spec's own examples skipped, never an error."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plaid_balance.emulator import RunningEmulator
from tests.emulator.emulator_support import PlaidHTTP
from tests.plaid_schema import AnswerChecker, load_spec

REPO = Path(__file__).resolve().parents[2]
Breakage = Callable[[dict[str, Any]], None]


def _checker(kind: str) -> AnswerChecker:
    if kind == "models":
        return AnswerChecker(None)
    spec = load_spec()
    if spec is None:
        pytest.skip("Plaid's OpenAPI spec is not beside the clone (set PLAID_OPENAPI_DIR to check it too)")
    return AnswerChecker(spec, models=False)


@pytest.fixture(params=["models", "spec"])
def checker(request: pytest.FixtureRequest) -> AnswerChecker:
    return _checker(request.param)


def _balance(plaid_http: PlaidHTTP, emu: RunningEmulator) -> dict[str, Any]:
    token, _ = emu.create_item()
    response = plaid_http.balance(token)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _error(plaid_http: PlaidHTTP) -> dict[str, Any]:
    response = plaid_http.balance("access-sandbox-unknown")
    assert response.status_code == 400
    body: dict[str, Any] = response.json()
    return body


def _pop(*path: str | int) -> Breakage:
    def breaking(body: dict[str, Any]) -> None:
        target: Any = body
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return breaking


def _set(value: Any, *path: str | int) -> Breakage:
    def breaking(body: dict[str, Any]) -> None:
        target: Any = body
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return breaking


BALANCE_BREAKAGES = {
    "request_id missing": _pop("request_id"),
    "item missing": _pop("item"),
    "account_id missing": _pop("accounts", 0, "account_id"),
    "balance not a number": _set("lots", "accounts", 0, "balances", "current"),
    "accounts not a list": _set({"0": "x"}, "accounts"),
    "account type not in the enum": _set("piggy_bank", "accounts", 0, "type"),
}
ERROR_BREAKAGES = {
    "error_code missing": _pop("error_code"),
    "status not a number": _set("four hundred", "status"),
    "error_type not in the enum": _set("OOPS_ERROR", "error_type"),
}


def test_good_answers_pass(checker: AnswerChecker, plaid_http: PlaidHTTP, emu: RunningEmulator) -> None:
    assert checker.answer_errors("/accounts/balance/get", 200, _balance(plaid_http, emu)) == []
    assert checker.answer_errors("/accounts/balance/get", 400, _error(plaid_http)) == []
    assert checker.errors("PlaidError", _error(plaid_http)) == []


@pytest.mark.parametrize("breakage", sorted(BALANCE_BREAKAGES))
def test_a_broken_balance_answer_is_refused(
    checker: AnswerChecker, plaid_http: PlaidHTTP, emu: RunningEmulator, breakage: str
) -> None:
    body = copy.deepcopy(_balance(plaid_http, emu))
    BALANCE_BREAKAGES[breakage](body)
    assert checker.answer_errors("/accounts/balance/get", 200, body) != []


@pytest.mark.parametrize("breakage", sorted(ERROR_BREAKAGES))
def test_a_broken_error_answer_is_refused(
    checker: AnswerChecker, plaid_http: PlaidHTTP, breakage: str
) -> None:
    body = copy.deepcopy(_error(plaid_http))
    ERROR_BREAKAGES[breakage](body)
    assert checker.answer_errors("/accounts/balance/get", 400, body) != []
    assert checker.errors("PlaidError", body) != []


def test_a_broken_webhook_and_request_are_refused(checker: AnswerChecker) -> None:
    webhook = {
        "webhook_type": "ITEM",
        "webhook_code": "ERROR",
        "item_id": "item-1",
        "error": None,
        "environment": "sandbox",
    }
    assert checker.errors("ItemErrorWebhook", webhook) == []
    assert checker.errors("ItemErrorWebhook", {k: v for k, v in webhook.items() if k != "item_id"}) != []
    assert checker.errors("ItemErrorWebhook", {**webhook, "environment": "moon"}) != []
    request = {
        "client_name": "plaid-balance",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "u1"},
        "products": ["auth"],
    }
    assert checker.request_errors("/link/token/create", request) == []
    assert checker.request_errors("/link/token/create", {**request, "products": ["balancez"]}) != []
    assert checker.request_errors("/link/token/create", {**request, "country_codes": ["XX"]}) != []
    assert checker.request_errors("/link/token/create", {**request, "user": "u1"}) != []


def test_without_the_spec_the_schema_tests_pass_from_the_clone_alone(tmp_path: Path) -> None:
    env = {**os.environ, "PLAID_OPENAPI_DIR": str(tmp_path / "nowhere")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rs",
            "tests/emulator/test_emulator_schema.py",
            "tests/link/test_request.py",
            "tests/core/test_client.py::test_every_spec_example_parses_into_a_report",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "2 skipped" in summary and "error" not in summary, summary
    assert "Plaid's OpenAPI spec is not beside the clone" in result.stdout
