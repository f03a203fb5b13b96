"""The command boundary: where a command's declaration loads its implementation (docs/architecture.md,
"Start-up cost").

A declaration's callback imports its implementation inside ``with loading():``, and a command that can
print a table asks ``table_printer`` for ``cli.tables`` (and with it rich) when ``--format table`` is
chosen, and hands it to the implementation: JSON and CSV never load rich. When the command line
owns the process (``main`` run as the console script), the collector is paused while those imports run
and what they built (tens of thousands of modules, classes and functions, alive until the process ends)
then moves to the permanent generation, so that no collection walks it again: the imports are about half
of a ``get``'s time, and the collections they set off a tenth of that. An in-process caller (a test's
``CliRunner``, an application calling the click command) keeps its collector as it was.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plaid_balance.cli.render import TablePrinter

_owned = False


def own_the_process() -> None:
    """Called by ``main`` when it is the console script's entry: this process ends with the command."""
    global _owned
    _owned = True


@contextmanager
def loading() -> Iterator[None]:
    """Around a declaration's import of its implementation (and, for ``--format table``, of ``cli.tables``)."""
    if not _owned or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def table_printer(output_format: str) -> TablePrinter | None:
    """``cli.tables`` when the command is to print a table, else None (call it inside ``loading()``)."""
    if output_format != "table":
        return None
    import plaid_balance.cli.tables as tables  # the command boundary: a table's printer, with rich

    return tables
