"""`plaid-balance emulator serve`."""

from __future__ import annotations

import subprocess
import sys

import httpx
from click.testing import CliRunner

from plaid_balance.cli.emulator import emulator


def test_serve_refuses_non_loopback_without_flag() -> None:
    result = CliRunner().invoke(emulator, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--allow-non-loopback" in result.output


def test_serve_rejects_unknown_fault() -> None:
    result = CliRunner().invoke(emulator, ["serve", "--fail-next", "bogus"])
    assert result.exit_code == 2
    assert "unknown fault" in result.output


def test_serve_announces_url_and_credentials() -> None:
    code = "from plaid_balance.cli.emulator import emulator; emulator()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", "0", "--log-level", "warning"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "client_id=emulator-client-id" in line and "secret=emulator-secret" in line
        base_url = line.split("listening on ", 1)[1].split()[0]
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.post(
            f"{base_url}/institutions/get_by_id",
            json={"institution_id": "ins_109508", "country_codes": ["US"]},
            headers={"PLAID-CLIENT-ID": "emulator-client-id", "PLAID-SECRET": "emulator-secret"},
            timeout=10,
        )
        assert response.json()["institution"]["name"] == "First Platypus Bank"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
