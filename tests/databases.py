"""Database fixtures (history, vault): a throw-away PostgreSQL server, and a database URL per backend.

Imported by tests/conftest.py, so every test package can ask for ``db_url``, ``pg_url`` or ``sqlite_url``.

The server is started once per session with initdb + pg_ctl on 127.0.0.1 on a free port in a temp dir,
as the ``postgres`` user when running as root (PostgreSQL refuses root). Without PostgreSQL binaries the
PostgreSQL tests skip, except when ``CI`` is set: there they fail.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

PG_USER = "postgres"


def _unavailable(reason: str) -> NoReturn:
    message = f"PostgreSQL cannot be started: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _pg_bin(name: str) -> str | None:
    # Debian keeps the server binaries out of PATH, under /usr/lib/postgresql/<version>/bin.
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"{what}: {exc}")
    if done.returncode != 0:
        _unavailable(f"{what} exited {done.returncode}: {(done.stderr or done.stdout).strip()[-600:]}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of the maintenance database of a PostgreSQL server private to this test session."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        _unavailable("initdb/pg_ctl not found (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="plaid-balance-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            _unavailable(f"running as root and there is no {PG_USER!r} user to run the server as")
        shutil.chown(base, PG_USER)
        prefix = ["runuser", "-u", PG_USER, "--"]
    data = base / "data"
    _run(
        [
            *prefix,
            initdb,
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        "initdb",
    )
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {base} -F -c max_connections=60"
    _run(
        [
            *prefix,
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(base / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        ],
        "pg_ctl start",
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server for one test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    plain = pg_server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'nested' / 'history.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty history database, once per backend."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))
