"""Converting the command line's values: each kind of ``cli/params.py`` read by its one parser.

Loaded by a parameter type when click first converts a value, which happens only when a command runs
(``--help`` is answered before any value is converted); so it imports the parsers at the top, like any
implementation module.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from plaid_balance._errors import InvalidValue
from plaid_balance._parse import (
    parse_account_selector,
    parse_amount,
    parse_currency,
    parse_duration,
    parse_item_reference,
    parse_number,
    parse_url,
    parse_when,
)
from plaid_balance.cli import params


def parse(kind: params.Kind, text: str) -> Any:
    """``text`` read as ``kind``; raises ``InvalidValue`` saying what was expected."""
    match kind:
        case params.Number():
            return parse_number(
                text, minimum=kind.minimum, maximum=kind.maximum, min_open=kind.min_open, integer=kind.integer
            )
        case params.Amount():
            return parse_amount(text, sign=kind.sign)
        case params.Currency():
            return parse_currency(text)
        case params.ItemReference():
            return parse_item_reference(text)
        case params.AccountSelector():
            return parse_account_selector(text)
        case params.Duration():
            return parse_duration(text, allow_zero=kind.allow_zero)
        case params.When():
            return parse_when(text, datetime.now(UTC))
        case params.Url():
            return parse_url(text)
    raise TypeError(f"no parser for {type(kind).__name__}")  # a bug: a Kind without its case here


def convert(kind: params.Kind, text: str, param: click.Parameter | None, ctx: click.Context | None) -> Any:
    """What click's ``convert`` returns: the parsed value, or a usage error saying what was expected."""
    try:
        return parse(kind, text)
    except InvalidValue as exc:
        kind.fail(str(exc), param, ctx)


def as_path(value: str | bytes) -> Path:
    """A ``click.Path`` value as a ``pathlib.Path``."""
    return Path(os.fsdecode(value))
