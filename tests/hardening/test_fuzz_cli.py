"""Every command, fuzzed: generated options, arguments, files and environment.

The property, for every run: it ends within its timeout, the exit code is a documented one, there is no
traceback, and a run refused before doing any work says so in at most one line on stderr (click's usage
block included). Commands are discovered from the CLI itself, so a new command is fuzzed without
editing this file. ``PLAID_FUZZ_EXAMPLES`` sets the runs per command (default 30).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plaid_balance.cli import cli
from plaid_balance.cli.exit_codes import ExitCode
from tests.hardening.conftest import Backend
from tests.hardening.forkserver import ForkServer, RunResult
from tests.hardening.hostile import (
    DATES,
    DURATIONS,
    HOSTS,
    NUMBERS,
    URLS,
    arbitrary_text,
    file_content,
    hostile_value,
)

EXAMPLES = int(os.environ.get("PLAID_FUZZ_EXAMPLES", "50"))
DOCUMENTED = {int(code) for code in ExitCode} - {int(ExitCode.BUG)}
# Options the fuzzer leaves alone: binding a public address is not something a test may do.
NEVER = {"allow_non_loopback", "help", "version"}
# Servers and interactive commands wait for someone: they pass if they say so before the timeout.
# Servers run until stopped: a run that is still serving at its timeout has passed if it said so.
SERVERS = {("emulator", "serve"), ("watch",), ("link",), ("dashboard",)}
# What a server (or demo --dashboard) prints once it serves or waits for someone.
SERVING = ("listening", "Waiting", "press Ctrl-C to stop")
PATH_NAMES = {"access_token_file", "jobfile", "items_file", "custom_config", "output", "chart", "db"}
# Inputs the fuzzer once found a fault with, run first every time: {command: [(args, a file's content)]}.
# The file's path goes where the args say "{file}".
FOUND: dict[tuple[str, ...], list[tuple[list[str], bytes]]] = {
    # A file whose only line is malformed: the refusal is that line, not that line plus a summary.
    ("items", "import"): [(["{file}"], b'access_token\n"\n'), (["{file}"], b"access_token,label\nnope,x\n")],
}
VARIABLES = [
    "PLAID_CLIENT_ID",
    "PLAID_SECRET",
    "PLAID_ACCESS_TOKEN",
    "PLAID_ENVIRONMENT",
    "PLAID_BASE_URL",
    "PLAID_TIMEOUT",
    "PLAID_BALANCE_DB",
    "COLUMNS",
]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    ctx = click.Context(group)
    found: list[tuple[str, ...]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    return command


COMMANDS = _commands(cli)


def _values_for(param: click.Parameter, backend: Backend, workdir: Path) -> st.SearchStrategy[Any]:
    """Values for one parameter: hostile ones, plus ones of its own kind so deeper code is reached."""
    name = param.name or ""
    if isinstance(param.type, click.Choice):
        kind: st.SearchStrategy[str] = st.sampled_from([str(c) for c in param.type.choices])
    elif name in PATH_NAMES or isinstance(param.type, click.Path):
        # Mostly a file with hostile content: that is where parsers meet the outside world.
        return st.one_of(
            file_content().map(lambda content: _write(workdir, content)),
            file_content().map(lambda content: _write(workdir, content)),
            file_content().map(lambda content: _write(workdir, content)),
            st.sampled_from(
                [
                    "-",
                    str(workdir),
                    str(workdir / "missing" / "x"),
                    str(workdir / "out.png"),
                    str(workdir / "out.svg"),
                    str(workdir / "chart.html"),
                    f"sqlite:///{workdir}/h.db",
                    str(workdir / "plain.db"),
                    "postgresql://fuzz:pw-in-url-123456@127.0.0.1:1/db",
                    "mysql://x/y",
                    "sqlite:////nonexistent/dir/h.db",
                ]
            ),
            hostile_value(),
        )
    elif name in {"host"}:
        kind = st.sampled_from(HOSTS)
    elif name in {"listen"}:
        # Loopback only: a test never listens where other hosts can reach it.
        kind = st.sampled_from(
            ["127.0.0.1:0", "[::1]:0", "localhost:0", "127.0.0.1:99999", "127.0.0.1:١", ":0"]
        )
    elif name in {"base_url"}:
        kind = st.sampled_from([*URLS, backend.emulator.base_url])
    elif name in {"access_token_arg"}:
        kind = st.sampled_from([backend.token, backend.hostile_token])
    elif "time" in name or "last_updated" in name or name in {"since", "until"}:
        kind = st.sampled_from(DATES + DURATIONS)
    elif "age" in name or "duration" in name:
        kind = st.sampled_from(DURATIONS)
    else:
        kind = st.sampled_from([*NUMBERS, "1", "2", "25"])
    return st.one_of(kind, hostile_value())


def _write(workdir: Path, content: bytes) -> str:
    handle, path = tempfile.mkstemp(dir=workdir, suffix=".in")
    os.write(handle, content)
    os.close(handle)
    return path


@st.composite
def _invocation(
    draw: st.DrawFn, path: tuple[str, ...], backend: Backend, workdir: Path
) -> tuple[list[str], dict[str, str], bytes]:
    command = _command(path)
    argv: list[str] = ["-v"] if draw(st.booleans()) else []
    argv += list(path)
    for param in command.params:
        if param.name in NEVER or not isinstance(param, click.Option | click.Argument):
            continue
        if isinstance(param, click.Option) and param.is_flag:
            if draw(st.booleans()):
                argv.append(
                    param.opts[0]
                    if not param.secondary_opts or draw(st.booleans())
                    else param.secondary_opts[0]
                )
            continue
        required = isinstance(param, click.Argument) or param.required
        if not required and not draw(st.booleans()):
            continue
        value = draw(_values_for(param, backend, workdir))
        if isinstance(param, click.Argument):
            argv += ["--", value] if value.startswith("-") and value != "-" else [value]
        else:
            argv += [param.opts[-1], value]
    env = backend.env()
    env["HOME"] = str(workdir)
    if draw(st.booleans()):
        env["PLAID_ACCESS_TOKEN"] = draw(st.sampled_from([backend.token, backend.hostile_token]))
    for variable in draw(st.lists(st.sampled_from(VARIABLES), unique=True, max_size=3)):
        env[variable] = draw(st.one_of(hostile_value(), st.sampled_from(["sandbox", "60", "80", "40"])))
    stdin = draw(st.one_of(st.just(b""), file_content(), st.just(backend.token.encode())))
    return argv, env, stdin


def check_run(result: RunResult, path: tuple[str, ...]) -> None:
    err = result.err
    assert "Traceback (most recent call last)" not in err, result
    assert "Exception ignored" not in err, result
    if result.timed_out:
        waiting = any(marker in err for marker in SERVING)
        # demo --dashboard serves until stopped, like the servers.
        assert (path in SERVERS or "press Ctrl-C to stop" in err) and waiting, (
            f"no answer in time: {result!r}"
        )
        return
    assert result.code in DOCUMENTED, f"undocumented exit code: {result!r}"
    lines = [line for line in err.splitlines() if not line.startswith("warning:")]
    assert not any(line.startswith("Usage:") for line in lines), result
    if result.code == ExitCode.USAGE and not result.stdout.strip():
        assert len(lines) <= 1, f"a refusal takes one line: {result!r}"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_survives_hostile_input(
    path: tuple[str, ...], backend: Backend, forks: ForkServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workdir = tmp_path_factory.mktemp("fuzz")
    timeout = 10.0 if path in SERVERS else 60.0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(invocation=_invocation(path, backend, workdir))
    def run(invocation: tuple[list[str], dict[str, str], bytes]) -> None:
        argv, env, stdin = invocation
        result = forks.run(argv, env=env, cwd=str(workdir), stdin=stdin, timeout=timeout, serving=SERVING)
        check_run(result, path)

    for args, content in FOUND.get(path, []):
        file = _write(workdir, content)
        argv = [*path, *(file if arg == "{file}" else arg for arg in args)]
        run = example(invocation=(argv, {**backend.env(), "HOME": str(workdir)}, b""))(run)
    run()


def test_every_command_is_fuzzed() -> None:
    """Discovery found the commands (a broken discovery would make the fuzz test vacuous)."""
    assert {("get",), ("batch",), ("check",), ("history",), ("emulator", "serve")} <= set(COMMANDS)


def test_arbitrary_text_never_holds_nul() -> None:
    @given(arbitrary_text())
    def check(text: str) -> None:
        assert "\x00" not in text

    check()
