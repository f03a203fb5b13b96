"""``plaid-balance dashboard`` as a process: start-up line, login URL, refusals, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from plaid_balance.dashboard._sample import write_sample_history
from plaid_balance.storage.database import Database


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plaid_balance", "dashboard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_a_missing_database_is_one_line_and_nothing_is_created(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    done = run("--no-browser", "--db", str(db))
    assert done.returncode == 7
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not db.exists()


def test_beyond_loopback_needs_a_chosen_token(tmp_path: Path) -> None:
    done = run("--no-browser", "--host", "0.0.0.0", "--db", str(tmp_path / "x.db"))
    assert done.returncode == 2 and "PLAID_BALANCE_DASHBOARD_TOKEN" in done.stderr
    weak = run(
        "--no-browser",
        "--host",
        "0.0.0.0",
        "--db",
        str(tmp_path / "x.db"),
        env={"PLAID_BALANCE_DASHBOARD_TOKEN": "short"},
    )
    assert weak.returncode == 2 and len(weak.stderr.strip().splitlines()) == 1


def test_a_bad_port_is_a_usage_error(tmp_path: Path) -> None:
    done = run("--no-browser", "--port", "70000", "--db", str(tmp_path / "x.db"))
    assert done.returncode == 2 and "Traceback" not in done.stderr


@pytest.mark.timeout(90)
def test_serves_with_its_login_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    with Database.open(url) as database:
        write_sample_history(database, items=2, accounts_per_item=3, days=10)
    proc = subprocess.Popen(
        [sys.executable, "-m", "plaid_balance", "dashboard", "--no-browser", "--db", url],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("dashboard: http://127.0.0.1:") and "?token=" in line
        login = line.split(" ", 1)[1].strip()
        with httpx.Client(follow_redirects=True) as http:
            assert http.get(login.split("?")[0]).status_code == 401
            page = http.get(login)
            assert page.status_code == 200 and "Net worth" in page.text
            assert http.get(login.split("/?")[0] + "/accounts").status_code == 200  # the cookie
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
        rest = proc.stderr.read()
        assert "Traceback" not in rest
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_demo_dashboard_removes_its_database_on_sigterm_and_sighup(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """`kill` or closing the terminal ends `demo --dashboard` as Ctrl-C does: its temporary database is gone."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "plaid_balance", "demo", "--dashboard", "--no-browser"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("dashboard: http"):
                break
        [folder] = tmp_path.glob("plaid-balance-demo-*")
        assert (folder / "demo.db").is_file()
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 128 + sig
        assert "Traceback" not in proc.stderr.read()
        assert list(tmp_path.glob("plaid-balance-demo-*")) == []
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_dashboard_removes_its_redirect_folder_on_sigterm_and_sighup(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """`kill` or closing the terminal ends `dashboard` as Ctrl-C does: the private folder holding the
    browser's redirect file (a sign-in link in it) is gone, as `demo --dashboard`'s database is."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    with Database.open(url) as database:
        write_sample_history(database, items=1, accounts_per_item=1, days=2)
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plaid_balance", "dashboard", "--db", url],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TMPDIR": str(temp), "BROWSER": "true"},  # a browser that opens nothing
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "signs in one browser" in line:
                break
        [folder] = temp.glob("plaid-balance-*")
        redirect = folder / "open-1.html"
        for _ in range(600):  # the browser is opened just after the lines are printed
            if redirect.exists():
                break
            time.sleep(0.05)
        assert redirect.is_file()
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 128 + sig
        assert proc.stderr.read().splitlines() == [
            "stopped (SIGTERM)" if sig == signal.SIGTERM else "stopped: the terminal closed (SIGHUP)"
        ]
        assert list(temp.iterdir()) == []
    finally:
        if proc.poll() is None:
            proc.kill()
