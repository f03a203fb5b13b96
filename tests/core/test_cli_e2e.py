"""``get``, ``run``, ``demo`` and ``sandbox-token`` end to end: real CLI, real HTTP, the local emu."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import stamina

from plaid_balance.emulator import RunningEmulator
from tests.core.conftest import Result
from tests.emulators import emulator_env


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    # The real retry policy runs (attempt counts included); only the sleeping between attempts is skipped.
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


CONTRACT_KEYS = ["success", "item_id", "institution_id", "accounts", "total_balance", "account_count"]
ACCOUNT_KEYS = [
    "account_id", "name", "type", "subtype", "mask", "current_balance", "available_balance", "currency",
]  # fmt: skip


def creds(emu: RunningEmulator, token: str | None = None) -> dict[str, str]:
    env = emulator_env(emu)
    if token:
        env["PLAID_ACCESS_TOKEN"] = token
    return env


def assert_no_secrets(result: Result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.everything()


def parse(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.out, parse_float=Decimal)
    return data


def test_get_prints_the_contract(emu: RunningEmulator, cli: Any) -> None:
    token, item_id = emu.create_item()
    result = cli("get", env=creds(emu, token))
    assert result.code == 0, result.err
    report = parse(result)
    assert list(report)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert report["success"] is True
    assert report["item_id"] == item_id
    assert report["institution_id"] == "ins_109508"
    assert report["account_count"] == len(report["accounts"]) > 0
    checking = next(a for a in report["accounts"] if a["mask"] == "0000")
    assert list(checking)[: len(ACCOUNT_KEYS)] == ACCOUNT_KEYS
    assert (checking["name"], checking["type"], checking["subtype"]) == (
        "Plaid Checking",
        "depository",
        "checking",
    )
    assert (checking["current_balance"], checking["available_balance"], checking["currency"]) == (
        110,
        100,
        "USD",
    )
    assert report["total_balance"] == sum(Decimal(a["current_balance"]) for a in report["accounts"])
    usd = report["totals"]["USD"]
    assert usd["net"] == usd["assets"] - usd["liabilities"]
    assert report["environment"] == "sandbox"
    assert report["request_id"]
    assert report["source"] == "realtime"
    assert_no_secrets(result, token, emu.secret)


def test_token_from_file_and_stdin(emu: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    token, _ = emu.create_item()
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    from_file = cli("get", "--access-token-file", str(token_file), env=creds(emu))
    from_stdin = cli("get", "--access-token-file", "-", env=creds(emu), stdin=token)
    assert (from_file.code, from_stdin.code) == (0, 0)
    assert parse(from_file)["item_id"] == parse(from_stdin)["item_id"]


def test_token_on_the_command_line_works_but_warns(emu: RunningEmulator, cli: Any) -> None:
    token, _ = emu.create_item()
    result = cli("get", "--access-token", token, env=creds(emu))
    assert result.code == 0
    assert "warning: --access-token exposes the token" in result.err
    assert_no_secrets(result, token)


def test_account_filter_and_formats(emu: RunningEmulator, cli: Any) -> None:
    token, _ = emu.create_item()
    first = parse(cli("get", env=creds(emu, token)))["accounts"][0]["account_id"]
    one = cli("get", "--account-id", first, env=creds(emu, token))
    assert [a["account_id"] for a in parse(one)["accounts"]] == [first]
    table = cli("get", "--format", "table", env={**creds(emu, token), "COLUMNS": "160"})
    assert table.code == 0 and "Plaid Checking" in table.out and "Net" in table.out
    csv_out = cli("get", "--format", "csv", env=creds(emu, token))
    lines = csv_out.out.splitlines()
    assert lines[0].startswith("item_id,institution_id,account_id,name")
    assert len(lines) == 1 + parse(cli("get", env=creds(emu, token)))["account_count"]


# Runs the console script's entry in a fresh interpreter and says, last on stderr, whether rich was loaded.
RICH_PROBE = """
import atexit, sys
atexit.register(lambda: sys.__stderr__.write("rich loaded: %s\\n" % ("rich" in sys.modules)))
from plaid_balance.cli import main
main()
"""


@pytest.mark.parametrize(
    ("args", "shown", "rich"),
    [
        (["get"], '"success": true', False),
        (["get", "--format", "csv"], "item_id,institution_id", False),
        (["get", "--format", "table"], "Plaid Checking", True),
        (["check", "--account", "0000", "--amount", "1.00"], '"decision": "pass"', False),
        (["check", "--account", "0000", "--amount", "1.00", "--format", "table"], "PASS", True),
    ],
)
def test_only_a_table_loads_rich(emu: RunningEmulator, args: list[str], shown: str, rich: bool) -> None:
    token, _ = emu.create_item()
    env = {**os.environ, **creds(emu, token), "COLUMNS": "160"}
    result = subprocess.run(
        [sys.executable, "-c", RICH_PROBE, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert shown in result.stdout
    assert result.stderr.splitlines()[-1] == f"rich loaded: {rich}"


def test_multi_currency_item_has_no_single_total(emu: RunningEmulator, cli: Any) -> None:
    config = {
        "override_accounts": [
            {"type": "depository", "subtype": "checking", "starting_balance": 0.10, "currency": "USD",
             "meta": {"name": "A", "mask": "0001"}},
            {"type": "depository", "subtype": "savings", "starting_balance": 0.20, "currency": "USD",
             "meta": {"name": "B", "mask": "0002"}},
            {"type": "depository", "subtype": "checking", "starting_balance": 50, "currency": "EUR",
             "meta": {"name": "C", "mask": "0003"}},
            {"type": "credit", "subtype": "credit card", "starting_balance": 0.05, "currency": "EUR",
             "meta": {"name": "D", "mask": "0004", "limit": 100}},
        ]
    }  # fmt: skip
    token, _ = emu.create_item(username="user_custom", password=config)
    report = parse(cli("get", env=creds(emu, token)))
    assert report["total_balance"] is None
    assert report["totals"]["USD"] == {"assets": Decimal("0.30"), "liabilities": 0, "net": Decimal("0.30")}
    assert report["totals"]["EUR"]["net"] == Decimal("49.95")


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("get",), {"PLAID_CLIENT_ID": "c", "PLAID_SECRET": "s"}, "no access token"),
        (("get",), {"PLAID_ACCESS_TOKEN": "access-sandbox-x"}, "missing Plaid credentials"),
        (("get", "--environment", "development"), {}, "Invalid value for '--environment'"),
        (("get", "--base-url", "http://example.com"), {"PLAID_ACCESS_TOKEN": "t", "PLAID_CLIENT_ID": "c",
                                                         "PLAID_SECRET": "s"}, "only for loopback"),
        (("get", "--access-token-file", "/nonexistent/token"), {}, "cannot read access token file"),
        (("get", "--min-last-updated", "yesterday"), {}, "neither an ISO 8601"),
        (("get", "--format", "xml"), {}, "Invalid value for '--format'"),
        (("get", "--bogus"), {}, "No such option"),
        (("nope",), {}, "No such command"),
        (("run", "/nonexistent.toml"), {}, "cannot read job file"),
    ],
)  # fmt: skip
def test_user_mistakes_give_one_line_and_exit_2(
    cli: Any, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = cli(*args, env=env)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


def test_plaid_errors_exit_3_with_the_error_object(emu: RunningEmulator, cli: Any) -> None:
    token, item_id = emu.create_item()
    emu.reset_login(item_id)
    result = cli("get", env=creds(emu, token))
    assert result.code == 3
    error = parse(result)["error"]
    assert parse(result)["success"] is False
    assert (error["error_type"], error["error_code"], error["http_status"]) == (
        "ITEM_ERROR",
        "ITEM_LOGIN_REQUIRED",
        400,
    )
    assert error["retryable"] is False and error["request_id"]
    assert "ITEM_LOGIN_REQUIRED" in result.err
    assert_no_secrets(result, token, emu.secret)

    unknown = cli("get", env=creds(emu, "access-sandbox-00000000-0000-4000-8000-000000000000"))
    assert unknown.code == 3
    assert parse(unknown)["error"]["error_code"] == "INVALID_ACCESS_TOKEN"

    bad_keys = cli("get", env={**creds(emu, token), "PLAID_SECRET": "wrong-secret"})
    assert bad_keys.code == 3
    assert parse(bad_keys)["error"]["error_code"] == "INVALID_API_KEYS"
    assert_no_secrets(bad_keys, "wrong-secret")

    bad_account = cli("get", "--account-id", "nope", env=creds(emu, token))
    assert bad_account.code == 3


def test_network_errors_exit_4(cli: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"PLAID_CLIENT_ID": "c", "PLAID_SECRET": "s", "PLAID_ACCESS_TOKEN": "access-sandbox-x",
           "PLAID_BASE_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
    result = cli("get", env=env)
    assert result.code == 4
    error = parse(result)["error"]
    assert (error["error_type"], error["error_code"], error["retryable"]) == (
        "NETWORK_ERROR",
        "CONNECT_ERROR",
        True,
    )


@pytest.mark.parametrize(
    ("faults", "attempts", "code"),
    [
        (["error", "error"], 3, 0),  # 500s, then success on the third attempt
        (["drop", "truncated"], 3, 0),
        (["malformed"], 2, 0),
        (["PRODUCT_NOT_READY"], 2, 0),
        (["BALANCE_LIMIT"], 2, 0),
        (["error", "error", "error"], 3, 3),  # the attempt budget is 3
        (["ITEM_LOGIN_REQUIRED"], 1, 3),  # never retried
        (["INSTITUTION_NOT_RESPONDING"], 1, 3),  # retryable later, not now
    ],
)
def test_retries_under_injected_faults_are_counted_by_the_emulator(
    emu: RunningEmulator, cli: Any, faults: list[str], attempts: int, code: int
) -> None:
    token, item_id = emu.create_item()
    emu.set_item_faults(item_id, fail_next=faults)
    result = cli("get", env=creds(emu, token))
    assert result.code == code, result.out
    assert emu.stats()["balance_attempts_by_item"][item_id] == attempts


def test_cached_reads_accounts_get(emu: RunningEmulator, cli: Any) -> None:
    token, item_id = emu.create_item()
    result = cli("get", "--cached", env=creds(emu, token))
    assert result.code == 0
    assert parse(result)["source"] == "cached"
    assert item_id not in emu.stats()["balance_attempts_by_item"]


def test_capital_one_needs_min_last_updated(emu: RunningEmulator, cli: Any) -> None:
    token, _ = emu.create_item(institution_id="ins_128026")
    refused = cli("get", env=creds(emu, token))
    assert refused.code == 3
    assert parse(refused)["error"]["error_code"] == "INVALID_FIELD"
    assert "--min-last-updated" in refused.err + refused.out
    accepted = cli("get", "--min-last-updated", "30d", env=creds(emu, token))
    assert accepted.code == 0, accepted.out
    assert all(a["last_updated_datetime"] for a in parse(accepted)["accounts"])


def write_job(tmp_path: Path, body: str) -> str:
    path = tmp_path / "job.toml"
    path.write_text(body)
    return str(path)


JOB = """
[job]
name = "balances"
env = ["PLAID_CLIENT_ID", "PLAID_SECRET", "MY_TOKEN"]
[job.main]
name = "plaid_get_balance"
[job.main.input]
access_token = "${MY_TOKEN}"
plaid_environment = "sandbox"
"""


def test_run_job_file(emu: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    token, item_id = emu.create_item()
    env = {**creds(emu), "MY_TOKEN": token}
    result = cli("run", write_job(tmp_path, JOB), env=env)
    assert result.code == 0, result.err
    assert parse(result)["item_id"] == item_id
    assert_no_secrets(result, token, emu.secret)


def test_shipped_run_toml_runs(emu: RunningEmulator, cli: Any) -> None:
    token, item_id = emu.create_item()
    shipped = Path(__file__).resolve().parents[2] / "run.toml"
    result = cli("run", str(shipped), env=creds(emu, token))
    assert result.code == 0, result.err
    assert parse(result)["item_id"] == item_id


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (JOB + "colour = 'blue'\n", "job.main.input.colour: unknown key"),
        (
            JOB.replace('name = "plaid_get_balance"', 'name = "plaid_transfer"'),
            "job.main.name: 'plaid_transfer' is not one of: plaid_get_balance",
        ),
        (JOB.replace('"MY_TOKEN"]', '"OTHER"]'), "not in its env allowlist"),
        (JOB.replace('env = ["PLAID_CLIENT_ID", "PLAID_SECRET",', "env = ["), "on the job's env allowlist"),
        (JOB.replace("[job.main]", "[job.mian]"), "job.mian: unknown key"),
        ("job = [", "not valid TOML"),
        (JOB.replace('"sandbox"', '"development"'), "decommissioned"),
    ],
)
def test_bad_job_files_are_clear(
    emu: RunningEmulator, cli: Any, tmp_path: Path, body: str, message: str
) -> None:
    token, _ = emu.create_item()
    result = cli("run", write_job(tmp_path, body), env={**creds(emu), "MY_TOKEN": token, "OTHER": "x"})
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert_no_secrets(result, token)


def test_demo_runs_offline_with_no_credentials(cli: Any) -> None:
    result = cli("demo", "--format", "json")
    assert result.code == 0, result.err
    report = parse(result)
    assert report["success"] is True
    assert {a["name"] for a in report["accounts"]} >= {"Plaid Checking", "Plaid Saving", "Plaid Credit Card"}


def test_sandbox_token_against_the_emulator(emu: RunningEmulator, cli: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    created = cli("sandbox-token", "--output", str(token_file), env=creds(emu))
    assert created.code == 0, created.err
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    token = token_file.read_text().strip()
    assert token.startswith("access-sandbox-")
    assert_no_secrets(created, token)
    fetched = cli("get", "--access-token-file", str(token_file), env=creds(emu))
    assert fetched.code == 0

    to_stdout = cli("sandbox-token", "--institution", "ins_109509", env=creds(emu))
    assert to_stdout.out.strip().startswith("access-sandbox-")
    assert "item_id:" in to_stdout.err


def test_verbose_says_why_it_retries_without_leaking(emu: RunningEmulator, cli: Any) -> None:
    token, item_id = emu.create_item()
    emu.set_item_faults(item_id, fail_next=["error"])
    result = cli("-v", "get", env=creds(emu, token))
    assert result.code == 0
    assert "retry 1" in result.err and "INTERNAL_SERVER_ERROR" in result.err
    assert_no_secrets(result, token, emu.secret)


def test_rate_limits_are_retried_then_reported(cli: Any) -> None:
    from plaid_balance.emulator import EmulatorConfig, RateLimitRule, run_emulator

    limits = {"/accounts/balance/get": RateLimitRule(per_item=1, per_client=100, item_error_code="BALANCE_LIMIT",
                                                     client_error_code="ACCOUNTS_BALANCE_GET_LIMIT")}  # fmt: skip
    with run_emulator(EmulatorConfig(rate_limits=limits, rate_window_seconds=60)) as emu:
        token, item_id = emu.create_item()
        assert cli("get", env=creds(emu, token)).code == 0
        limited = cli("get", env=creds(emu, token))
        assert limited.code == 3
        error = parse(limited)["error"]
        assert (error["error_type"], error["error_code"], error["http_status"]) == (
            "RATE_LIMIT_EXCEEDED", "BALANCE_LIMIT", 429,
        )  # fmt: skip
        assert error["retryable"] is True
        assert emu.stats()["balance_attempts_by_item"][item_id] == 1 + 3


def test_a_rate_limited_call_waits_and_recovers() -> None:
    from plaid_balance import PlaidClient, RetryPolicy
    from plaid_balance.emulator import EmulatorConfig, RateLimitRule, run_emulator

    limits = {"/accounts/balance/get": RateLimitRule(per_item=1, item_error_code="BALANCE_LIMIT")}
    policy = RetryPolicy(attempts=3, wait_initial=0, wait_jitter=0, rate_limit_wait=0.6)
    with (
        stamina.set_testing(False),
        run_emulator(EmulatorConfig(rate_limits=limits, rate_window_seconds=0.5)) as emu,
    ):
        token, item_id = emu.create_item()
        with PlaidClient(emu.client_id, emu.secret, base_url=emu.base_url, retry=policy) as plaid:
            plaid.accounts_balance_get(token)
            plaid.accounts_balance_get(token)  # 429 first, then allowed once the window has slid
        assert emu.stats()["balance_attempts_by_item"][item_id] == 3
        assert emu.stats()["responses_by_error_code"]["BALANCE_LIMIT"] == 1
