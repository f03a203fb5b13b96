"""`plaid-balance emulator serve`: options, refusals (one line, exit 2) and the start-up banner."""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from plaid_balance.cli.emulator import emulator, serve_command
from plaid_balance.cli.exit_codes import ExitCode

_SERVE = [sys.executable, "-c", "from plaid_balance.cli import main; main()", "emulator", "serve"]


def _refusal(args: list[str]) -> tuple[int, list[str]]:
    # Through the real entry point: it is main that makes every usage error one line.
    result = subprocess.run([*_SERVE, *args], capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, [line for line in result.stderr.splitlines() if line.strip()]


def test_serve_refuses_non_loopback_without_flag() -> None:
    code, lines = _refusal(["--host", "0.0.0.0"])
    assert code == ExitCode.USAGE
    assert len(lines) == 1 and "--allow-non-loopback" in lines[0]


def test_serve_rejects_unknown_fault() -> None:
    code, lines = _refusal(["--fail-next", "bogus"])
    assert code == ExitCode.USAGE
    assert len(lines) == 1 and "unknown fault" in lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--client-id", ""], "client_id must not be empty"),
        (["--secret", ""], "secret must not be empty"),
        (["--secret", "two words"], "secret may hold only printable ASCII"),
        (["--client-id", "naïve"], "client_id may hold only printable ASCII"),
        (["--latency-ms", "nan"], "'nan' is not a number"),
        (["--latency-jitter-ms", "nan"], "'nan' is not a number"),
        (["--hang-seconds", "nan"], "'nan' is not a number"),
        (["--latency-ms", "١٠"], "'١٠' is not a number"),
        (["--error-rate", "0.6", "--drop-rate", "0.6"], "add up to more than 1"),
    ],
)
def test_unusable_options_are_refused_in_one_line(args: list[str], words: str) -> None:
    code, lines = _refusal(args)
    assert code == ExitCode.USAGE
    assert len(lines) == 1 and words in lines[0], lines


@pytest.mark.parametrize(
    "args",
    [["--latency-ms", "inf"], ["--latency-ms", "-1"], ["--hang-seconds", "1e9"], ["--rate-window-seconds", "0"],
     ["--latency-jitter-ms", "-inf"], ["--port", "70000"]],
)  # fmt: skip
def test_out_of_range_options_are_usage_errors(args: list[str]) -> None:
    result = CliRunner().invoke(emulator, ["serve", *args])
    assert result.exit_code == ExitCode.USAGE
    assert "Traceback" not in result.output


@settings(max_examples=60, deadline=None)
@given(
    option=st.sampled_from(["--latency-ms", "--latency-jitter-ms", "--hang-seconds", "--rate-window-seconds",
                            "--error-rate", "--client-id", "--secret", "--port", "--seed", "--host"]),
    value=st.one_of(st.floats().map(repr), st.text(max_size=12), st.sampled_from(["nan", "inf", "-0", "1e308"])),
)  # fmt: skip
def test_generated_option_values_never_crash(option: str, value: str) -> None:
    """Any value is refused with the usage exit code, never a traceback: the port is taken, so even a valid
    value ends in "cannot listen" rather than a server."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args = ["serve", "--port", port, option, value] if option != "--port" else ["serve", option, port]
        result = CliRunner().invoke(emulator, args)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "Traceback" not in result.output


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([*_SERVE, "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == ExitCode.USAGE
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0], proc.stderr
    assert proc.stdout == ""


def test_every_option_has_help_text() -> None:
    undocumented = [p.name for p in serve_command.params if not getattr(p, "help", None)]
    assert undocumented == []
    result = CliRunner().invoke(emulator, ["serve", "--help"])
    assert result.exit_code == 0 and "export" in result.output


@pytest.mark.parametrize(
    ("secret", "environment"),
    [
        ("s3cr'et", {}),
        # A plain value is what redaction would have masked: it came on the command line after --secret.
        ("my-own-test-secret", {}),
        # The default, with PLAID_SECRET already pointing at it (a second emulator after pasting the line).
        (None, {"PLAID_SECRET": "emulator-secret"}),
    ],
)
def test_serve_prints_ready_to_paste_exports(secret: str | None, environment: dict[str, str]) -> None:
    """The export line carries the secret the emulator accepts, as chosen, never masked; stderr does not."""
    import os

    chosen = ["--secret", secret] if secret is not None else []
    proc = subprocess.Popen(
        [*_SERVE, "--port", "0", "--log-level", "warning", "--client-id", "my-id$", *chosen],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **environment},
    )
    try:
        assert proc.stderr is not None and proc.stdout is not None
        banner = proc.stderr.readline()
        assert "listening on http://127.0.0.1:" in banner
        export = proc.stdout.readline().strip()
        words = shlex.split(export)
        assert words[0] == "export"
        env = dict(word.split("=", 1) for word in words[1:])
        assert env["PLAID_CLIENT_ID"] == "my-id$" and env["PLAID_SECRET"] == (secret or "emulator-secret")
        response = httpx.post(
            f"{env['PLAID_BASE_URL']}/institutions/get_by_id",
            json={"institution_id": "ins_109508", "country_codes": ["US"]},
            headers={"PLAID-CLIENT-ID": env["PLAID_CLIENT_ID"], "PLAID-SECRET": env["PLAID_SECRET"]},
            timeout=10,
        )
        assert response.json()["institution"]["name"] == "First Platypus Bank"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        rest = proc.stderr.read() if proc.stderr is not None else ""
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert (secret or "emulator-secret") not in banner + rest
