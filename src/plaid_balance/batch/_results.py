"""What a batch produces: one ``ItemResult`` per Item, and the ``BatchSummary`` they add up to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from plaid_balance._error_body import INPUT_ERROR, INTERNAL_ERROR, ErrorBody, Verdict
from plaid_balance._items_file import InputError
from plaid_balance._json import encode, to_builtins
from plaid_balance._money import ZERO, exact_sub, exact_sum
from plaid_balance._report import BalanceReport, CurrencyTotals, FailureReport, Report


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One Item's outcome: exactly the report ``get`` gives (or its failure), plus where it came from.

    ``line`` is the Item's 1-based line in the items file (its position for other sources) and ``label``
    the label given with it; the access token is never part of a result.
    """

    line: int
    label: str | None
    report: Report

    @property
    def success(self) -> bool:
        return isinstance(self.report, BalanceReport)

    @property
    def item_id(self) -> str | None:
        return self.report.item_id if isinstance(self.report, BalanceReport) else None

    @property
    def error(self) -> ErrorBody | None:
        return self.report.error if isinstance(self.report, FailureReport) else None

    @property
    def error_code(self) -> str | None:
        return self.report.error.error_code if isinstance(self.report, FailureReport) else None

    @property
    def error_message(self) -> str | None:
        return self.report.error.error_message if isinstance(self.report, FailureReport) else None

    @property
    def is_input_error(self) -> bool:
        return isinstance(self.report, FailureReport) and self.report.error.error_type == INPUT_ERROR

    def to_dict(self) -> dict[str, Any]:
        """The result line as plain data (``Decimal`` and ``datetime`` kept as objects)."""
        return {**to_builtins(self.report), "label": self.label, "line": self.line}

    def to_json(self) -> bytes:
        """The result line as compact JSON, without the newline: the report's own JSON, then label and line.

        Built by appending to the report's encoding rather than re-encoding a merged dict: this runs once
        per Item on the event loop.
        """
        return b'%s,"label":%s,"line":%d}' % (encode(self.report)[:-1], encode(self.label), self.line)


def input_failure(error: InputError, environment: str | None) -> ItemResult:
    """A line of the items file that could not be read, as that line's failed result."""
    body = ErrorBody(error_type=INPUT_ERROR, error_code="MALFORMED_LINE", error_message=error.message)
    return ItemResult(error.line, error.label, FailureReport(error=body, environment=environment))


def unexpected_failure(exc: BaseException, environment: str | None) -> FailureReport:
    """A bug met while fetching one Item: that Item fails, the batch goes on."""
    # Only the exception's type: its text could quote a request body, and a body holds the token.
    body = ErrorBody(
        error_type=INTERNAL_ERROR,
        error_code="UNEXPECTED_ERROR",
        error_message=f"plaid-balance failed on this Item ({type(exc).__name__}); please report it",
    )
    return FailureReport(error=body, environment=environment)


@dataclass
class BatchSummary:
    """Counts and per-currency totals over a run, fed one result at a time (results are not kept).

    Totals are exact: summed without rounding at any size, per currency, never across currencies.
    ``requests`` and ``rate_limited`` count HTTP attempts (retries included) and 429 answers during the
    run. When a run is interrupted, ``not_done`` is how many Items got no result; ``not_done_exact`` is
    False when the source could not be counted to its end (a pipe), and the figure is then a minimum.
    ``not_saved`` counts reports fetched (and billed) that the history store refused (``save_error``
    says why, e.g. a full disk); ``not_printed`` counts results the command had but could not write
    (a reader that stopped reading when the run was interrupted).
    """

    ok: int = 0
    failed: int = 0
    input_errors: int = 0
    not_done: int = 0
    not_done_exact: bool = True
    interrupted: bool = False
    not_saved: int = 0
    save_error: str | None = None
    not_printed: int = 0
    rate_limited: int = 0
    requests: int = 0
    elapsed_seconds: float = 0.0
    errors_by_code: Counter[str] = field(default_factory=Counter)
    _assets: dict[str, Decimal] = field(default_factory=dict, repr=False)
    _liabilities: dict[str, Decimal] = field(default_factory=dict, repr=False)

    @property
    def done(self) -> int:
        return self.ok + self.failed

    @property
    def verdict(self) -> Verdict:
        if self.interrupted:
            return "interrupted"
        if self.input_errors:
            return "input"
        if self.not_saved:
            return "storage"
        return "partial" if self.failed else "ok"

    def add(self, result: ItemResult) -> None:
        report = result.report
        if isinstance(report, BalanceReport):
            self.ok += 1
            for code, totals in report.totals.items():
                self._assets[code] = exact_sum([totals.assets], self._assets.get(code, ZERO))
                self._liabilities[code] = exact_sum([totals.liabilities], self._liabilities.get(code, ZERO))
            return
        self.failed += 1
        if result.is_input_error:
            self.input_errors += 1
        self.errors_by_code[report.error.error_code] += 1

    @property
    def totals(self) -> dict[str, CurrencyTotals]:
        """Per currency, summed over the Items that succeeded."""
        return {
            code: CurrencyTotals(
                assets=self._assets[code],
                liabilities=self._liabilities[code],
                net=exact_sub(self._assets[code], self._liabilities[code]),
            )
            for code in sorted(self._assets)
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": True,
            "items": self.done + self.not_done,
            "ok": self.ok,
            "failed": self.failed,
            "input_errors": self.input_errors,
            "not_done": self.not_done,
            "not_done_exact": self.not_done_exact,
            "interrupted": self.interrupted,
            "not_saved": self.not_saved,
            "not_printed": self.not_printed,
            "errors_by_code": dict(sorted(self.errors_by_code.items())),
            "totals": {code: to_builtins(t) for code, t in self.totals.items()},
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }

    def to_json(self) -> bytes:
        """The summary line as compact JSON (``"summary": true`` tells it apart from result lines)."""
        return encode(self.to_dict())
