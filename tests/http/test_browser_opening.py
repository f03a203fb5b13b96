"""Opening the browser leaves nothing worth reading: the browser's command line holds only a private
file's address, the file is the user's alone, and the sign-in link inside works once."""

from __future__ import annotations

import json
import os
import re
import stat
import time
from pathlib import Path
from typing import Any

import httpx

from plaid_balance.emulator import RunningEmulator
from tests.http import servers
from tests.link.cli_support import cli_env

RECORDER = """#!/bin/sh
# Stands in for the user's browser: records the command line it was started with, as /proc would show it.
printf '%s\\n' "$@" > "$RECORD.tmp" && mv "$RECORD.tmp" "$RECORD"
"""


def recorder(tmp_path: Path) -> tuple[dict[str, str], Path]:
    script = tmp_path / "browser.sh"
    script.write_text(RECORDER)
    script.chmod(0o700)
    record = tmp_path / "argv.txt"
    return {"BROWSER": str(script), "RECORD": str(record)}, record


def wait_for_file(path: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    return path.read_text()


def private_link(argv: list[str]) -> tuple[Path, str]:
    """The file the browser was handed, checked to be private, and the link it leads to."""
    assert len(argv) == 1 and argv[0].startswith("file:///"), argv
    assert "token" not in argv[0] and "127.0.0.1" not in argv[0]
    opened = Path(argv[0].removeprefix("file://"))
    mode = opened.stat()
    assert stat.S_IMODE(mode.st_mode) == 0o600 and mode.st_uid == os.getuid()
    assert stat.S_IMODE(opened.parent.stat().st_mode) == 0o700
    match = re.search(r'content="0;url=([^"]+)"', opened.read_text())
    assert match is not None
    return opened, match.group(1).replace("&amp;", "&")


def test_the_dashboard_opens_the_browser_on_a_private_file_whose_link_works_once(
    tmp_path: Path, context: Any
) -> None:
    env, record = recorder(tmp_path)
    with servers.dashboard(tmp_path, env=env) as dash:
        argv = wait_for_file(record).splitlines()
        opened, link = private_link(argv)
        printed = dash.sign_in
        assert link.startswith(dash.base + "/?token=") and link != printed
        # The real browser, on the file it was handed, ends signed in on the dashboard.
        page = context.new_page()
        page.goto(opened.as_uri())
        page.wait_for_url(dash.base + "/")
        page.locator("#net-worth").wait_for()
        # What a local user may have seen is worth nothing now: the link is used up.
        with httpx.Client(timeout=10) as someone_else:
            again = someone_else.get(link)
            assert again.status_code == 403 and "used already" in again.text
            assert someone_else.get(dash.base + "/").status_code == 401
        # The printed link signs in one more browser, once.
        with httpx.Client(timeout=10) as other:
            assert other.get(printed).status_code == 303
            assert other.get(dash.base + "/balances.json").status_code == 200
            assert other.get(printed).status_code == 403
    assert not opened.parent.exists()  # the private folder goes with the command


def test_link_opens_the_browser_on_a_private_file_not_the_pages_secret_path(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    from plaid_balance.vault import new_key_text

    env = {**cli_env(emu.base_url, emu.client_id, emu.secret, tmp_path / "v.db", new_key_text())}
    browser_env, record = recorder(tmp_path)
    running = servers.Running(["link", "--timeout", "1m"], {**env, **browser_env})
    try:
        argv = wait_for_file(record).splitlines()
        _, link = private_link(argv)
        page_path = link.split("?")[0].rsplit("/", 2)[1]
        assert page_path not in json.dumps(argv)
        with httpx.Client(timeout=10) as browser:
            assert browser.get(link).status_code == 303
            page = browser.get(link.split("?")[0])
            assert page.status_code == 200 and "link-config" in page.text
        with httpx.Client(timeout=10) as someone_else:
            assert someone_else.get(link).status_code == 403
            assert someone_else.get(link.split("?")[0]).status_code == 401
    finally:
        running.stop()
