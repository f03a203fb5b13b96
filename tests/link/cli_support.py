"""Run ``plaid-balance link`` as a real process and follow what it tells the user."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.background import Background

LOCAL_URL = re.compile(r"(http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]+/\?token=[A-Za-z0-9_-]+)")
HOSTED_URL = re.compile(r"^\s+(https?://\S+/link/hosted\?\S+)$")


def cli_env(base_url: str, client_id: str, secret: str, db: Path, key: str) -> dict[str, str]:
    """The environment of a user with keys, pointed at a local Plaid and a vault in a temp dir."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PLAID")}
    env.update(
        PLAID_CLIENT_ID=client_id,
        PLAID_SECRET=secret,
        PLAID_BASE_URL=base_url,
        PLAID_BALANCE_DB=str(db),
        PLAID_BALANCE_VAULT_KEY=key,
        PLAID_BALANCE_KEYRING="off",
    )
    return env


class LinkProcess(Background):
    """``plaid-balance link ...`` running in the background; stderr is read as it comes."""

    def __init__(self, args: Sequence[str], env: dict[str, str]) -> None:
        super().__init__(["link", *args], env, stdout=subprocess.PIPE)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 60) -> str:
        """The first group of the first stderr line matching ``pattern``."""
        text: str = self.first(lambda line: (match := pattern.search(line)) and match.group(1), timeout)
        return text

    def local_url(self) -> str:
        return self.wait_for(LOCAL_URL)

    def nth_local_url(self, n: int, timeout: float = 60) -> str:
        """The ``n``-th (from 1) local page the command printed: one per Item ``link --update --all`` repairs."""
        self.wait_until(lambda: len(self._urls()) >= n, timeout=timeout)
        urls = self._urls()
        if len(urls) < n:
            raise AssertionError(f"fewer than {n} local pages:\n" + "\n".join(self.lines))
        return urls[n - 1]

    def _urls(self) -> list[str]:
        return [match.group(1) for line in self.lines if (match := LOCAL_URL.search(line))]

    def hosted_url(self) -> str:
        return self.wait_for(HOSTED_URL)

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Exit code, stdout and stderr once the process ends."""
        assert self.process.stdout is not None
        stdout = self.process.stdout.read()
        code = self.process.wait(timeout=timeout)
        self.join_reader()
        return code, stdout, "\n".join(self.lines)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
