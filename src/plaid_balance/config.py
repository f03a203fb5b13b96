"""Where plaid-balance finds its credentials, environment and endpoint.

Credentials come from the environment: ``PLAID_CLIENT_ID`` / ``PLAID_SECRET`` (the seed job's lower-case
``plaid_client_id`` / ``plaid_secret`` work too, since names are matched case-insensitively). The secret
is held as a ``SecretStr`` so it never shows up in a repr, a log line or a traceback.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from plaid_balance._parse import InvalidValue, check_header_value, parse_url
from plaid_balance._redact import redact, remember
from plaid_balance.errors import ConfigurationError

PLAID_VERSION: Final = "2020-09-14"
DEFAULT_TIMEOUT: Final = 60.0  # a live balance call can take 30 s or more
MAX_TIMEOUT: Final = 3600.0  # longer is a typo, and a hung call should not hold a batch for a day
DEFAULT_CONNECT_TIMEOUT: Final = 10.0


class Environment(StrEnum):
    SANDBOX = "sandbox"
    PRODUCTION = "production"

    @property
    def base_url(self) -> str:
        return f"https://{self.value}.plaid.com"


def parse_environment(value: str | Environment) -> Environment:
    if isinstance(value, Environment):
        return value
    try:
        return Environment(value.strip().lower())
    except ValueError:
        hint = " (Plaid decommissioned it in 2024)" if value.strip().lower() == "development" else ""
        choices = ", ".join(e.value for e in Environment)
        raise ConfigurationError(
            f"unknown Plaid environment {value!r}{hint}; use one of: {choices}"
        ) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str) -> str:
    """Accept https anywhere, plain http only on loopback (a local emulator or proxy).

    Syntax (IDN hosts, ports, stray characters) is checked by the one URL validator; the result has
    an ASCII host, so the HTTP stack never meets a name it cannot encode.
    """
    try:
        normalised = parse_url(url, what="base URL")
    except InvalidValue as exc:
        raise ConfigurationError(redact(str(exc))) from None
    parts = urlsplit(normalised)
    hostname = parts.hostname or ""
    if parts.scheme == "http" and not _is_loopback(hostname):
        raise ConfigurationError(
            f"refusing plain http to {hostname}: http is allowed only for loopback addresses"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(redact(f"malformed base URL {url!r}: no query or fragment allowed"))
    return normalised


class Settings(BaseSettings):
    """Settings read from the environment (and only from it: never from files holding secrets)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    plaid_client_id: str = ""
    plaid_secret: SecretStr = SecretStr("")
    plaid_environment: str = Environment.SANDBOX.value
    plaid_base_url: str | None = None
    plaid_timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]).upper()
        raise ConfigurationError(f"invalid setting {name}: {first['msg']}") from None


def require_credentials(client_id: str | None, secret: str | SecretStr | None) -> tuple[str, SecretStr]:
    """Both credentials present and sendable, checked before any request is made."""
    secret_value = secret.get_secret_value() if isinstance(secret, SecretStr) else (secret or "")
    remember(secret_value)
    missing = [
        name
        for name, value in (("PLAID_CLIENT_ID", client_id), ("PLAID_SECRET", secret_value))
        if not (value or "").strip()
    ]
    if missing:
        raise ConfigurationError(f"missing Plaid credentials: set {' and '.join(missing)}")
    assert client_id is not None
    try:
        # A newline or non-ASCII character cannot go in a header: httpx would fail with the value in
        # its message, on every retry. Refuse it here, once, without quoting it.
        return check_header_value("PLAID_CLIENT_ID", client_id), SecretStr(
            check_header_value("PLAID_SECRET", secret_value)
        )
    except InvalidValue as exc:
        raise ConfigurationError(str(exc)) from None
