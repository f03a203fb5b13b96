"""click parameter types: one per kind of value, each declared here and converted by ``plaid_balance._parse``.

The kinds: numbers, amounts, currencies, durations, date-times, URLs, Item references (alias or
item_id) and account selectors (account_id, mask or name).

Every option of every command uses these instead of click's ``FloatRange``/``IntRange``/``Choice`` for
values a user types, so a bad value is refused the same way on the command line, in a variable and in
a job file: ASCII digits, finite, bounded. Where the value came from a variable, ``main`` reports it
under the variable's name.

A type here is a declaration (its name in the help, its bounds), as a command's ``cli/<command>.py``
is: every ``--help`` imports this module. Converting a value is part of running the command, so it is
done by the implementation, ``cli/impl/params.py`` (the parsers, with decimal, urllib and idna), loaded
by ``convert`` when click first converts a value: never for ``--help``, which click answers before
converting anything (decision 97's boundary, applied to the options: decision 112).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from plaid_balance._config import Environment as PlaidEnvironment
from plaid_balance._config import parse_environment
from plaid_balance._errors import ConfigurationError
from plaid_balance._redact import remember, remember_url_secrets
from plaid_balance._safe_text import safe_text

if TYPE_CHECKING:
    from plaid_balance._parse import Sign


class Kind(click.ParamType):  # type: ignore[type-arg]
    """A kind of value (``plaid_balance._parse``); values already converted (a default) pass through."""

    result_type: type | tuple[type, ...] = object

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.result_type) and not isinstance(value, str):
            return value
        from plaid_balance.cli.impl.params import convert  # the boundary: a value is converted as it runs

        return convert(self, str(value), param, ctx)


class Number(Kind):
    """A finite float (or int) within bounds; ``min_open`` excludes the minimum itself."""

    result_type = (int, float)

    def __init__(
        self,
        minimum: float | None = None,
        maximum: float | None = None,
        *,
        min_open: bool = False,
        integer: bool = False,
    ) -> None:
        self.minimum, self.maximum, self.min_open, self.integer = minimum, maximum, min_open, integer
        self.name = "INTEGER" if integer else "NUMBER"


class Integer(Number):
    def __init__(self, minimum: int | None = None, maximum: int | None = None) -> None:
        super().__init__(minimum, maximum, integer=True)


class Rate(Number):
    """A share between 0 and 1."""

    def __init__(self) -> None:
        super().__init__(0.0, 1.0)
        self.name = "RATE"


class Amount(Kind):
    """An exact amount (``plaid_balance._parse.parse_amount``); positive unless ``sign`` says otherwise."""

    name = "AMOUNT"
    result_type = ()  # a Decimal default is read again from its text: exact either way

    def __init__(self, *, sign: Sign = "positive") -> None:
        self.sign: Sign = sign


class Currency(Kind):
    """A currency code, upper-cased: ISO 4217 or one of Plaid's unofficial codes."""

    name = "CODE"
    result_type = ()


class ItemReference(Kind):
    """An Item in the vault: its alias (any case) or its item_id (``parse_item_reference``)."""

    name = "ALIAS"
    result_type = ()


class AccountSelector(Kind):
    """An account: its account_id, mask or name (``parse_account_selector``)."""

    name = "ACCOUNT"
    result_type = ()


class Duration(Kind):
    name = "DURATION"
    result_type = timedelta

    def __init__(self, *, allow_zero: bool = True) -> None:
        self.allow_zero = allow_zero


class When(Kind):
    """An ISO 8601 date-time (UTC if no zone) or a duration back from now (``2d``)."""

    name = "DATETIME|DURATION"
    result_type = datetime


class Url(Kind):
    name = "URL"
    result_type = str


class FilePath(click.Path):
    """``click.Path`` whose value is a ``pathlib.Path``. pathlib (with the urllib.parse and ipaddress it
    imports, about 3 ms) is loaded when a path is converted (``cli/impl/params.py``), not when ``--help``
    builds the command."""

    def coerce_path_result(self, value: Any) -> Any:
        from plaid_balance.cli.impl.params import as_path  # the boundary, as for every Kind

        return as_path(value)


class Environment(click.Choice):  # type: ignore[type-arg]
    """A Plaid environment; a retired one (``development``) gets the explanation, not "not one of"."""

    def __init__(self) -> None:
        super().__init__([e.value for e in PlaidEnvironment], case_sensitive=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return parse_environment(str(value)).value
        except ConfigurationError as exc:
            self.fail(str(exc), param, ctx)


def _variable_name(param: click.Parameter) -> str | None:
    names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
    return next((n for n in names if n in os.environ), names[0] if names else None)


def usage_error_line(exc: click.ClickException) -> str:
    """The one stderr line for a usage error (click prints usage, a hint and the error on three).

    A bad value that came from a variable is reported under the variable's name, since that is
    what the user has to fix.
    """
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    param = getattr(exc, "param", None)
    if isinstance(exc, click.BadParameter) and ctx is not None and param is not None and param.name:
        variable = _variable_name(param)
        if variable and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT:
            message = f"invalid value in {variable}: {exc.message}"
    hint = f" (see '{ctx.command_path} --help')" if isinstance(exc, click.UsageError) and ctx else ""
    return f"error: {safe_text(message)}{hint}"


_SECRET_OPTION = ("token", "secret", "password", "key")


def remember_secret_arguments(argv: list[str]) -> None:
    """Register secrets given on the command line (``--access-token X``, a ``--db`` URL's password)."""
    previous = ""
    for arg in argv:
        name, equals, inline = arg.partition("=") if arg.startswith("--") else ("", "", "")
        if equals and any(word in name for word in _SECRET_OPTION):
            remember(inline)
        elif previous.startswith("-") and any(word in previous for word in _SECRET_OPTION):
            remember(arg)
        remember_url_secrets(inline or arg)
        previous = arg
