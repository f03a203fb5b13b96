"""TOML job files for ``plaid-balance run``: a named balance fetch, its input and an env allowlist.

Example (``run.toml`` at the repository root)::

    [job]
    name = "Plaid balance"
    env = ["PLAID_CLIENT_ID", "PLAID_SECRET", "PLAID_ACCESS_TOKEN"]

    [job.main]
    name = "plaid_get_balance"

    [job.main.input]
    access_token = "${PLAID_ACCESS_TOKEN}"
    plaid_environment = "sandbox"

``${VAR}`` is read from the environment, and only for variables in ``env``, so real tokens never sit in
the file. The job reads its credentials through the same allowlist. Anything unknown is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from plaid_balance._bounded import InputTooLarge, read_bounded
from plaid_balance._config import Environment, parse_environment
from plaid_balance._errors import ConfigurationError, InvalidValue
from plaid_balance._parse import parse_access_token, parse_datetime
from plaid_balance._secret import SecretStr
from plaid_balance._toml import TomlFile

FUNCTIONS = ("plaid_get_balance",)
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CREDENTIAL_NAMES = {"client_id": "PLAID_CLIENT_ID", "secret": "PLAID_SECRET"}


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class BalanceInput(_Strict, frozen=True, forbid_unknown_fields=True, kw_only=True):
    access_token: Annotated[str, msgspec.Meta(min_length=1)]
    plaid_environment: str = Environment.SANDBOX.value
    account_ids: list[str] | None = None
    min_last_updated_datetime: str | None = None
    cached: bool = False


class MainFunction(_Strict, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: Literal["plaid_get_balance"]
    input: BalanceInput


class VariableName(str):
    """An environment variable's name (``PLAID_SECRET``)."""

    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> VariableName:
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return cls(value)


class JobDefinition(_Strict, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1)]
    main: MainFunction
    env: list[VariableName] = msgspec.field(default_factory=list)


class JobFile(_Strict, frozen=True, forbid_unknown_fields=True, kw_only=True):
    job: JobDefinition


class ResolvedJob(msgspec.Struct, frozen=True, kw_only=True):
    """A job with its ``${VAR}`` references filled in and its credentials read through the allowlist."""

    name: str
    access_token: SecretStr
    environment: Environment
    account_ids: list[str] | None
    min_last_updated_datetime: datetime | None
    cached: bool
    client_id: str
    secret: SecretStr


MAX_JOB_FILE_BYTES = 1 << 16  # a job file is a few lines; anything bigger is the wrong file


def load_job(path: str | Path) -> JobFile:
    try:
        data = read_bounded(path, limit=MAX_JOB_FILE_BYTES)
    except InputTooLarge:
        raise ConfigurationError(f"job file {path} is larger than {MAX_JOB_FILE_BYTES // 1024} KiB") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot read job file {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError(f"job file {path} is not UTF-8 text") from None
    # The one TOML reader (the watch config's too): every mistake is ``path:line: key: problem``.
    file = TomlFile(Path(path), text, what="job file", doc="the README's job file section")
    return file.convert(file.parse(), JobFile, choices={"name": FUNCTIONS})


class AllowedEnvironment:
    """The slice of the environment a job may read: only names on its allowlist (case-insensitive)."""

    def __init__(self, allow: Sequence[str], environ: Mapping[str, str]) -> None:
        self._allowed = {name.upper() for name in allow}
        self._values = {k.upper(): v for k, v in environ.items() if k.upper() in self._allowed}

    def get(self, name: str) -> str | None:
        if name.upper() not in self._allowed:
            raise ConfigurationError(f"the job reads ${{{name}}}, which is not in its env allowlist")
        return self._values.get(name.upper())

    def optional(self, name: str) -> str | None:
        return self._values.get(name.upper()) if name.upper() in self._allowed else None


def _substitute(value: str, env: AllowedEnvironment, key: str) -> str:
    def replace(match: re.Match[str]) -> str:
        found = env.get(match.group(1))
        if found is None or not found.strip():
            raise ConfigurationError(f"{key} refers to ${{{match.group(1)}}}, which is not set")
        return found.strip()

    return _REFERENCE.sub(replace, value)


def _access_token(value: str) -> str:
    try:
        return parse_access_token(value)
    except InvalidValue as exc:
        raise ConfigurationError(f"access_token: {exc}") from None


def _parse_datetime(value: str) -> datetime:
    try:
        return parse_datetime(value)
    except InvalidValue as exc:
        raise ConfigurationError(f"min_last_updated_datetime: {exc}") from None


def resolve_job(job_file: JobFile, environ: Mapping[str, str]) -> ResolvedJob:
    job = job_file.job
    env = AllowedEnvironment(job.env, environ)
    given = job.main.input
    token = _access_token(_substitute(given.access_token, env, "access_token"))
    min_updated = given.min_last_updated_datetime
    # Credentials too come through the allowlist: a job cannot read what it did not declare.
    credentials = {key: env.optional(name) for key, name in _CREDENTIAL_NAMES.items()}
    missing = [_CREDENTIAL_NAMES[key] for key, value in credentials.items() if not (value or "").strip()]
    if missing:
        raise ConfigurationError(
            f"missing Plaid credentials: {' and '.join(missing)} must be set and on the job's env allowlist"
        )
    return ResolvedJob(
        name=job.name,
        access_token=SecretStr(token),
        environment=parse_environment(_substitute(given.plaid_environment, env, "plaid_environment")),
        account_ids=[_substitute(a, env, "account_ids") for a in given.account_ids]
        if given.account_ids
        else None,
        min_last_updated_datetime=_parse_datetime(_substitute(min_updated, env, "min_last_updated_datetime"))
        if min_updated
        else None,
        cached=given.cached,
        client_id=(credentials["client_id"] or "").strip(),
        secret=SecretStr((credentials["secret"] or "").strip()),
    )
