"""Where plaid-balance finds its credentials, environment and endpoint.

Everything comes from arguments or from the environment: ``PLAID_CLIENT_ID`` / ``PLAID_SECRET`` (the
older lower-case ``plaid_client_id`` / ``plaid_secret`` work too), ``PLAID_ENVIRONMENT``,
``PLAID_BASE_URL`` and ``PLAID_TIMEOUT``. Five variables need no settings framework: they are read and
validated here. The secret is held as a ``SecretStr`` so it never shows up in a repr, a log line or a
traceback. What the values are (environments, timeouts' bounds) is ``plaid_balance._config``, which
every ``--help`` imports; this module, with the URL and number parsers and the secret's type, is
imported when a command runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from plaid_balance._config import DEFAULT_TIMEOUT, MAX_TIMEOUT, Environment, parse_environment
from plaid_balance._errors import ConfigurationError, InvalidValue
from plaid_balance._loopback import is_loopback
from plaid_balance._parse import parse_number, parse_url
from plaid_balance._secret import SecretStr


def validate_base_url(url: str) -> str:
    """Accept https anywhere, plain http only on loopback (a local emulator or proxy)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise ConfigurationError("malformed base URL: expected http(s)://host[:port]") from None
    if "@" in parts.netloc:
        # Never echo it: the part before "@" is a user name and password.
        raise ConfigurationError(
            "the base URL must not contain user:password@; Plaid authenticates by headers"
        )
    try:
        # The one URL validator: IDN hosts become ASCII, malformed ones are refused here, not in httpx.
        url = parse_url(url, what="base URL")
        parts = urlsplit(url)
    except InvalidValue as exc:
        raise ConfigurationError(str(exc)) from None
    assert parts.hostname is not None
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"refusing plain http to {parts.hostname}: http is allowed only for loopback addresses"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"malformed base URL {url!r}: no query or fragment allowed")
    return url.strip().rstrip("/")


def _lookup(environ: Mapping[str, str], name: str) -> str | None:
    """``NAME`` or its lower-case ``name``; an empty value counts as unset."""
    for key in (name, name.lower()):
        value = environ.get(key)
        if value is not None and value.strip():
            return value
    return None


def parse_timeout(value: str | float, name: str = "PLAID_TIMEOUT") -> float:
    """Seconds, more than 0 and at most an hour: ASCII digits, finite (the one number validator)."""
    try:
        return parse_number(str(value), minimum=0.0, maximum=MAX_TIMEOUT, min_open=True)
    except InvalidValue as exc:
        raise ConfigurationError(f"invalid setting {name}: {exc} (seconds)") from None


class Settings(NamedTuple):
    """What the environment says: ``PLAID_CLIENT_ID``, ``PLAID_SECRET``, ``PLAID_ENVIRONMENT``,
    ``PLAID_BASE_URL``, ``PLAID_TIMEOUT`` (never read from files holding secrets)."""

    client_id: str | None = None
    secret: SecretStr | None = None  # SecretStr: masked in every repr
    environment: Environment = Environment.SANDBOX
    base_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT


def environment_setting(environ: Mapping[str, str] | None = None) -> Environment:
    """``PLAID_ENVIRONMENT`` (sandbox when unset); a bad value raises naming the variable."""
    value = _lookup(os.environ if environ is None else environ, "PLAID_ENVIRONMENT")
    try:
        return Environment.SANDBOX if value is None else parse_environment(value)
    except ConfigurationError as exc:
        raise ConfigurationError(f"invalid setting PLAID_ENVIRONMENT: {exc}") from None


def base_url_setting(environ: Mapping[str, str] | None = None) -> str | None:
    """``PLAID_BASE_URL``, validated (``None`` when unset)."""
    value = _lookup(os.environ if environ is None else environ, "PLAID_BASE_URL")
    try:
        return None if value is None else validate_base_url(value)
    except ConfigurationError as exc:
        raise ConfigurationError(f"invalid setting PLAID_BASE_URL: {exc}") from None


def timeout_setting(environ: Mapping[str, str] | None = None) -> float:
    """``PLAID_TIMEOUT`` in seconds (the default when unset)."""
    value = _lookup(os.environ if environ is None else environ, "PLAID_TIMEOUT")
    return DEFAULT_TIMEOUT if value is None else parse_timeout(value)


def credential_settings(environ: Mapping[str, str] | None = None) -> tuple[str | None, SecretStr | None]:
    """``PLAID_CLIENT_ID`` and ``PLAID_SECRET`` as given (checked by ``require_credentials``)."""
    env = os.environ if environ is None else environ
    secret = _lookup(env, "PLAID_SECRET")
    return _lookup(env, "PLAID_CLIENT_ID"), None if secret is None else SecretStr(secret)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings; a bad value raises ``ConfigurationError`` naming the variable."""
    env = os.environ if environ is None else environ
    client_id, secret = credential_settings(env)
    return Settings(
        client_id=client_id,
        secret=secret,
        environment=environment_setting(env),
        base_url=base_url_setting(env),
        timeout=timeout_setting(env),
    )


def _credential_problem(value: str) -> str | None:
    # Plaid's ids and secrets are printable ASCII; anything else could never authenticate and, in an HTTP
    # header, would break the request in ways whose error messages might quote the header.
    if not value:
        return "is empty"
    if any(not ("!" <= c <= "~") for c in value):
        return "contains a character that is not printable ASCII (a space, newline or non-ASCII letter?)"
    return None


def require_credentials(client_id: str | None, secret: str | SecretStr | None) -> tuple[str, SecretStr]:
    """Both credentials, stripped and validated before any request is made; errors never quote them."""
    secret_value = secret.get_secret_value() if isinstance(secret, SecretStr) else (secret or "")
    values = {"PLAID_CLIENT_ID": (client_id or "").strip(), "PLAID_SECRET": secret_value.strip()}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ConfigurationError(f"missing Plaid credentials: set {' and '.join(missing)}")
    for name, value in values.items():
        problem = _credential_problem(value)
        if problem:
            raise ConfigurationError(f"invalid {name}: it {problem}")
    return values["PLAID_CLIENT_ID"], SecretStr(values["PLAID_SECRET"])
