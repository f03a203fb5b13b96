"""Run ``plaid-balance link`` as a real process and follow what it tells the user."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

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


class LinkProcess:
    """``plaid-balance link ...`` running in the background; stderr is read as it comes."""

    def __init__(self, args: Sequence[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "plaid_balance", "link", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 60) -> str:
        """The first group of the first stderr line matching ``pattern``."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(pattern.search(line) for line in self.lines) or self.process.poll() is not None,
                timeout=timeout,
            )
            for line in self.lines:
                match = pattern.search(line)
                if match:
                    return match.group(1)
        raise AssertionError(f"no line matching {pattern.pattern} (found={found}):\n" + "\n".join(self.lines))

    def local_url(self) -> str:
        return self.wait_for(LOCAL_URL)

    def nth_local_url(self, n: int, timeout: float = 60) -> str:
        """The ``n``-th (from 1) local page the command printed: one per Item ``link --update --all`` repairs."""
        with self._changed:
            self._changed.wait_for(
                lambda: len(self._urls()) >= n or self.process.poll() is not None, timeout=timeout
            )
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
        self._reader.join(timeout=5)
        return code, stdout, "\n".join(self.lines)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
