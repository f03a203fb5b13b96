"""Every input the product reads has a bound on the bytes actually read, never on ``st_size``:
devices and pipes that never end (``/dev/zero``) are refused in one line with little memory."""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance._bounded import InputTooLarge, bounded_lines, read_bounded
from plaid_balance.cli.exit_codes import ExitCode
from plaid_balance.vault import new_key_text
from tests.hardening.conftest import Backend

CLI = [sys.executable, "-c", "from plaid_balance.cli import main; main()"]
MEMORY_LIMIT = 1 << 30  # address space: imports need a few hundred MiB, /dev/zero would need it all


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
        preexec_fn=_limit_memory,
    )


def zero(tmp_path: Path, name: str) -> Path:
    """A file name for /dev/zero (the name picks the import format)."""
    path = tmp_path / name
    path.symlink_to("/dev/zero")
    return path


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["batch"], "items.csv"),
        (["items", "import"], "tokens.jsonl"),
        (["items", "import"], "tokens.csv"),
        (["items", "import"], "secrets.env"),
        (["watch", "--check", "-c"], "watch.toml"),
        (["run"], "job.toml"),
        (["get", "--access-token-file"], "token"),
        (["sandbox-token", "--custom-config"], "custom.json"),
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
def test_an_endless_input_is_refused_in_one_line(
    argv: list[str], name: str, backend: Backend, tmp_path: Path
) -> None:
    """/dev/zero as an items file, import file, .env, watch config, job file, token file or JSON
    configuration: exit 2 with one line, within a 1 GiB address space."""
    env = {
        **backend.env(),
        "HOME": str(tmp_path),
        "PLAID_BALANCE_DB": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "PLAID_BALANCE_VAULT_KEY": new_key_text(),
    }
    result = run([*argv, str(zero(tmp_path, name))], env, tmp_path)
    assert result.returncode == ExitCode.USAGE, result.stderr[-2000:]
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr


def test_an_endless_vault_key_file_is_refused_in_one_line(backend: Backend, tmp_path: Path) -> None:
    """A key file that is a pipe fed forever: the storage exit code, one line, bounded memory."""
    fifo = tmp_path / "vault.key"
    os.mkfifo(fifo, 0o600)
    stop = threading.Event()

    def feed() -> None:
        try:
            with open(fifo, "wb") as pipe:
                while not stop.is_set():
                    pipe.write(b"A" * 65536)
        except OSError:  # the reader closed its end: the point
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    items = tmp_path / "items.csv"
    items.write_text(f"access_token\n{backend.token}\n")
    env = {
        **backend.env(),
        "HOME": str(tmp_path),
        "PLAID_BALANCE_DB": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "PLAID_BALANCE_VAULT_KEY_FILE": str(fifo),
        "PLAID_BALANCE_KEYRING": "off",
    }
    try:
        result = run(["items", "import", str(items)], env, tmp_path)
    finally:
        stop.set()
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # unblock a feeder still waiting for a reader
        feeder.join(timeout=10)
    assert result.returncode == ExitCode.STORAGE, result.stderr[-2000:]
    assert "too large to hold a vault key" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@given(
    data=st.binary(max_size=400) | st.lists(st.binary(max_size=40), max_size=12).map(b"\n".join),
    limit=st.integers(1, 64),
)
def test_bounded_lines_give_the_input_back_or_refuse_a_line_beyond_the_limit(data: bytes, limit: int) -> None:
    """The lines read are the input, each within the limit (its newline aside), or InputTooLarge when
    some line is longer: never a line cut in two."""
    longest = max(len(line) for line in data.split(b"\n"))
    try:
        lines = list(bounded_lines(io.BytesIO(data), limit=limit))
    except InputTooLarge:
        assert longest > limit
    else:
        assert longest <= limit
        assert b"".join(lines) == data


@given(data=st.binary(max_size=300), limit=st.integers(0, 300))
def test_read_bounded_gives_the_bytes_or_refuses_beyond_the_limit(data: bytes, limit: int) -> None:
    """Exactly at the limit is fine; one byte more is refused, whatever the file says its size is."""
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        if len(data) > limit:
            with pytest.raises(InputTooLarge):
                read_bounded(handle.name, limit=limit)
        else:
            assert read_bounded(handle.name, limit=limit) == data
