"""``plaid-balance sandbox-token``: a sandbox access token, from Plaid's Sandbox or the emulator."""

from __future__ import annotations

import os
from typing import Any

import click

from plaid_balance._sandbox import DEFAULT_INSTITUTION, DEFAULT_PASSWORD, DEFAULT_USERNAME
from plaid_balance.cli.common import base_url_option, fail, make_client, timeout_option
from plaid_balance.cli.exit_codes import exit_code_for

_MAX_CONFIG_BYTES = 1 << 20


def _password(password: str | None, custom_config: str | None) -> str | dict[str, Any]:
    if custom_config is None:
        return password or DEFAULT_PASSWORD
    import json  # here: --help needs neither

    from plaid_balance._bounded import InputTooLarge, read_bounded

    try:
        data = read_bounded(custom_config, limit=_MAX_CONFIG_BYTES)
        config = json.loads(data.decode("utf-8"))
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


def _write_private(path: str, text: str) -> None:
    """Write the token readable by its owner only, replacing the file whole (never half-written)."""
    from pathlib import Path

    target = Path(path)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        temporary.replace(target)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


@click.command(name="sandbox-token")
@click.option("--institution", default=DEFAULT_INSTITUTION, show_default=True, help="Sandbox institution id.")
@click.option("--username", default=DEFAULT_USERNAME, show_default=True, help="Sandbox user.")
@click.option("--password", default=None, help=f"Sandbox password [default: {DEFAULT_PASSWORD}].")
@click.option(
    "--custom-config",
    type=click.Path(dir_okay=False),
    help="JSON file with a user_custom configuration (implies --username user_custom).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the token to this file (mode 0600) instead of stdout.",
)
@base_url_option
@timeout_option
def sandbox_token(
    institution: str,
    username: str,
    password: str | None,
    custom_config: str | None,
    output: str | None,
    base_url: str | None,
    timeout: float,
) -> None:
    """Create a sandbox Item and print its access token (Plaid Sandbox, or the emulator via --base-url).

    Uses PLAID_CLIENT_ID / PLAID_SECRET. The item_id goes to stderr, the token to stdout or --output.
    """
    from plaid_balance._errors import PlaidFailure
    from plaid_balance._sandbox import create_sandbox_item

    secret_word = _password(password, custom_config)
    if custom_config is not None:
        username = "user_custom"
    with make_client("sandbox", base_url, timeout) as client:
        try:
            item = create_sandbox_item(client, institution, username, secret_word)
        except PlaidFailure as exc:
            fail(str(exc), exit_code_for(exc))
    if output is not None:
        _write_private(output, item.access_token.get_secret_value() + "\n")
        click.echo(f"wrote the access token of Item {item.item_id} to {output}", err=True)
    else:
        click.echo(f"item_id: {item.item_id}", err=True)
        from plaid_balance.cli.streams import write_secret

        write_secret(
            item.access_token.get_secret_value() + "\n"
        )  # what the user asked for: the one output not masked
