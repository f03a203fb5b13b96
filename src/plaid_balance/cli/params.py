"""click parameter types: one per kind of value, each a thin shell over ``plaid_balance._parse``.

The kinds: numbers, amounts, currencies, durations, date-times, URLs, Item references (alias or
item_id) and account selectors (account_id, mask or name).

Every option of every command uses these instead of click's ``FloatRange``/``IntRange``/``Choice`` for
values a user types, so a bad value is refused the same way on the command line, in a variable and in
a job file: ASCII digits, finite, bounded. Where the value came from a variable, ``main`` reports it
under the variable's name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

# The parsers (and decimal, urllib) are imported when a value is converted: every command's --help
# imports this module, and help needs none of them.
if TYPE_CHECKING:
    from decimal import Decimal

    from plaid_balance._parse import Sign


class _Type(click.ParamType):  # type: ignore[type-arg]
    """Converts strings with a ``_parse`` function; values already converted pass through."""

    result_type: type | tuple[type, ...] = object

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from plaid_balance._errors import InvalidValue

        if isinstance(value, self.result_type) and not isinstance(value, str):
            return value
        try:
            return self.parse(str(value))
        except InvalidValue as exc:
            self.fail(str(exc), param, ctx)


class Number(_Type):
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

    def parse(self, text: str) -> float:
        from plaid_balance._parse import parse_number

        return parse_number(
            text, minimum=self.minimum, maximum=self.maximum, min_open=self.min_open, integer=self.integer
        )


class Integer(Number):
    def __init__(self, minimum: int | None = None, maximum: int | None = None) -> None:
        super().__init__(minimum, maximum, integer=True)


class Rate(Number):
    """A share between 0 and 1."""

    def __init__(self) -> None:
        super().__init__(0.0, 1.0)
        self.name = "RATE"


class Amount(_Type):
    """An exact amount (``plaid_balance._parse.parse_amount``); positive unless ``sign`` says otherwise."""

    name = "AMOUNT"
    result_type = ()  # a Decimal default is read again from its text: exact either way

    def __init__(self, *, sign: Sign = "positive") -> None:
        self.sign: Sign = sign

    def parse(self, text: str) -> Decimal:
        from plaid_balance._parse import parse_amount

        return parse_amount(text, sign=self.sign)


class Currency(_Type):
    """A currency code, upper-cased: ISO 4217 or one of Plaid's unofficial codes."""

    name = "CODE"
    result_type = ()

    def parse(self, text: str) -> str:
        from plaid_balance._parse import parse_currency

        return parse_currency(text)


class ItemReference(_Type):
    """An Item in the vault: its alias (any case) or its item_id (``parse_item_reference``)."""

    name = "ALIAS"
    result_type = ()

    def parse(self, text: str) -> str:
        from plaid_balance._parse import parse_item_reference

        return parse_item_reference(text)


class AccountSelector(_Type):
    """An account: its account_id, mask or name (``parse_account_selector``)."""

    name = "ACCOUNT"
    result_type = ()

    def parse(self, text: str) -> str:
        from plaid_balance._parse import parse_account_selector

        return parse_account_selector(text)


class Duration(_Type):
    name = "DURATION"
    result_type = timedelta

    def __init__(self, *, allow_zero: bool = True) -> None:
        self.allow_zero = allow_zero

    def parse(self, text: str) -> timedelta:
        from plaid_balance._parse import parse_duration

        return parse_duration(text, allow_zero=self.allow_zero)


class When(_Type):
    """An ISO 8601 date-time (UTC if no zone) or a duration back from now (``2d``)."""

    name = "DATETIME|DURATION"
    result_type = datetime

    def parse(self, text: str) -> datetime:
        from plaid_balance._parse import parse_when

        return parse_when(text, datetime.now(UTC))


class Url(_Type):
    name = "URL"
    result_type = str

    def parse(self, text: str) -> str:
        from plaid_balance._parse import parse_url

        return parse_url(text)


class FilePath(click.Path):
    """``click.Path`` whose value is a ``pathlib.Path``. pathlib (with the urllib.parse and ipaddress it
    imports, about 5 ms) is loaded when a path is converted, not when ``--help`` builds the command."""

    def coerce_path_result(self, value: Any) -> Any:
        import os
        from pathlib import Path

        return Path(os.fsdecode(value))


class DatabaseUrl(click.ParamType):  # type: ignore[type-arg]
    """A history database: a file path or a sqlite/postgresql URL; checked here so a bad one from
    ``PLAID_BALANCE_DB`` is reported under that name. The value stays the text given."""

    name = "PATH|URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from plaid_balance._errors import ConfigurationError
        from plaid_balance.storage.engine import parse_db_url

        try:
            parse_db_url(str(value))
        except ConfigurationError as exc:
            self.fail(str(exc), param, ctx)
        return value


class Environment(click.Choice):  # type: ignore[type-arg]
    """A Plaid environment; a retired one (``development``) gets the explanation, not "not one of"."""

    def __init__(self) -> None:
        from plaid_balance._config import Environment as Env

        super().__init__([e.value for e in Env], case_sensitive=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from plaid_balance._config import parse_environment
        from plaid_balance._errors import ConfigurationError

        try:
            return parse_environment(str(value)).value
        except ConfigurationError as exc:
            self.fail(str(exc), param, ctx)


def _variable_name(param: click.Parameter) -> str | None:
    import os

    names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
    return next((n for n in names if n in os.environ), names[0] if names else None)


def usage_error_line(exc: click.ClickException) -> str:
    """The one stderr line for a usage error (click prints usage, a hint and the error on three).

    A bad value that came from a variable is reported under the variable's name, since that is
    what the user has to fix.
    """
    from click.core import ParameterSource

    from plaid_balance._safe_text import safe_text

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
    from plaid_balance._redact import remember, remember_url_secrets

    previous = ""
    for arg in argv:
        name, equals, inline = arg.partition("=") if arg.startswith("--") else ("", "", "")
        if equals and any(word in name for word in _SECRET_OPTION):
            remember(inline)
        elif previous.startswith("-") and any(word in previous for word in _SECRET_OPTION):
            remember(arg)
        remember_url_secrets(inline or arg)
        previous = arg
