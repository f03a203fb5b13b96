"""Showing outside text on the terminal: the one way tables, progress bars and notes print it.

Anything from Plaid (account and institution names), a file (batch labels) or the user goes into rich
as ``cell(value)``: a ``Text`` whose characters are shown literally (no markup, no emoji codes) and
whose control characters and escape sequences are neutralised by ``safe_text``. ``console()`` gives a
rich ``Console`` with markup, emoji and highlighting off, so even a plain string cell is literal;
styling is given as ``Text`` styles, never as ``[markup]`` inside strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from plaid_balance._safe_text import safe_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


def cell(value: object, style: str = "") -> Text:
    """Outside text as a rich ``Text``: literal, one line, nothing the terminal would act on."""

    return Text("" if value is None else safe_text(value), style=style)


def console(*, stderr: bool = False) -> Console:
    """A rich ``Console`` that never interprets text as markup, emoji codes or highlights."""
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False)
