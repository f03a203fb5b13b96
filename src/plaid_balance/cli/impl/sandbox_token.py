"""``plaid-balance sandbox-token``: a sandbox access token, from Plaid's Sandbox or the emulator."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import click

from plaid_balance import _json_text as json_text
from plaid_balance._bounded import InputTooLarge, read_bounded
from plaid_balance._config import SANDBOX_PASSWORD
from plaid_balance._errors import PlaidFailure
from plaid_balance._sandbox import create_sandbox_item
from plaid_balance.cli.common import fail
from plaid_balance.cli.exit_codes import ExitCode, exit_code_for
from plaid_balance.cli.impl.common import make_client
from plaid_balance.cli.streams import write_secret

_MAX_CONFIG_BYTES = 1 << 20


def _password(password: str | None, custom_config: str | None) -> str | dict[str, Any]:
    if custom_config is None:
        return password or SANDBOX_PASSWORD

    try:
        data = read_bounded(custom_config, limit=_MAX_CONFIG_BYTES)
        config = json_text.loads(data.decode("utf-8"))
    except InputTooLarge:
        fail(f"{custom_config} is larger than {_MAX_CONFIG_BYTES // 1024} KiB")
    except OSError as exc:
        fail(f"cannot read {custom_config}: {exc.strerror or exc}")
    except ValueError as exc:
        fail(f"{custom_config} is not valid JSON: {exc}")
    except RecursionError:  # the parser descends once per level of nesting
        fail(f"{custom_config} is nested too deeply to be a user_custom configuration")
    if not isinstance(config, dict):
        fail(f"{custom_config} must hold a JSON object (a user_custom configuration)")
    return config


class _TokenFile:
    """Where ``-o`` puts the token, made ready *before* the Item is created (a bad path costs no Item).

    A regular file (or a new one) is written to a 0600 temporary file in the same folder, flushed to disk
    and renamed over the target: the file holds the whole token or is left as it was. A device or pipe
    (``/dev/stdout``) is written in place, never replaced. Every failure is an ``OSError``.
    """

    def __init__(self, path: str) -> None:

        self.target = Path(path)
        self.temporary: Path | None = None
        try:
            mode = self.target.stat().st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory")
        if mode is not None and not stat.S_ISREG(mode):
            self.descriptor = os.open(self.target, os.O_WRONLY | os.O_APPEND)
            return
        folder = self.target.parent
        descriptor, name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=folder)
        self.descriptor, self.temporary = descriptor, Path(name)  # mkstemp makes it 0600

    def commit(self, text: str) -> None:
        data = memoryview(text.encode("utf-8"))
        try:
            while data:
                data = data[os.write(self.descriptor, data) :]
            if self.temporary is not None:
                os.fsync(self.descriptor)
        finally:
            descriptor, self.descriptor = self.descriptor, -1
            os.close(descriptor)
        if self.temporary is not None:
            os.replace(self.temporary, self.target)
            self.temporary = None
            _sync_folder(self.target.parent)

    def discard(self) -> None:
        if self.descriptor >= 0:
            os.close(self.descriptor)
            self.descriptor = -1
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
            self.temporary = None


def _sync_folder(folder: Any) -> None:
    """The rename itself survives a crash once the folder is flushed (POSIX; a no-op elsewhere)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _kept_nowhere(client: Any, item: Any, output: str, exc: OSError) -> str:
    """The Item was made but its token cannot be written: remove it so nothing is left unaccounted for."""

    problem = f"cannot write the access token to {output}: {exc.strerror or exc}"
    try:
        client.item_remove(item.access_token)
    except PlaidFailure as removal:
        return (
            f"{problem}; the sandbox Item {item.item_id} was created but its token is not kept anywhere, "
            f"and removing it failed ({removal}): it stays in the Sandbox unused (Sandbox Items cost nothing)"
        )
    return f"{problem}; the sandbox Item {item.item_id} was removed again, so nothing is left behind"


def run(
    institution: str,
    username: str,
    password: str | None,
    custom_config: str | None,
    output: str | None,
    base_url: str | None,
    timeout: float,
) -> None:
    secret_word = _password(password, custom_config)
    if custom_config is not None:
        username = "user_custom"
    target: _TokenFile | None = None
    if output is not None:
        try:
            target = _TokenFile(output)
        except OSError as exc:
            fail(f"cannot write the access token to {output}: {exc.strerror or exc} (no Item was created)")
    try:
        with make_client("sandbox", base_url, timeout) as client:
            try:
                item = create_sandbox_item(client, institution, username, secret_word)
            except PlaidFailure as exc:
                fail(str(exc), exit_code_for(exc))
            if target is not None:
                try:
                    target.commit(item.access_token.get_secret_value() + "\n")
                except OSError as exc:
                    fail(_kept_nowhere(client, item, str(output), exc), ExitCode.USAGE)
    finally:
        if target is not None:
            target.discard()
    if output is not None:
        click.echo(f"wrote the access token of Item {item.item_id} to {output}", err=True)
    else:
        click.echo(f"item_id: {item.item_id}", err=True)

        write_secret(
            item.access_token.get_secret_value() + "\n"
        )  # what the user asked for: the one output not masked
