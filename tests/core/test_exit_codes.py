"""The one mapping from outcome to exit code, and the places that document it."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from plaid_balance import (
    BalanceReport,
    ConfigurationError,
    ErrorBody,
    FailureReport,
    PlaidAPIError,
    PlaidNetworkError,
    StorageError,
)
from plaid_balance._error_body import funds_check_failure, network_failure
from plaid_balance._errors import DatabaseURLError
from plaid_balance.cli import cli
from plaid_balance.cli.exit_codes import EXIT_CODES, ExitCode, exit_code_for, exit_codes_markdown
from plaid_balance.funds import decide
from plaid_balance.history import HistoryError
from tests.plaid_fakes import report_of

README = Path(__file__).resolve().parents[2] / "README.md"


def _plaid(error_type: str, code: str, status: int = 400) -> ErrorBody:
    return ErrorBody(error_type=error_type, error_code=code, http_status=status)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (None, ExitCode.OK),
        (ConfigurationError("bad flag"), ExitCode.USAGE),
        (StorageError("disk full"), ExitCode.STORAGE),
        (HistoryError("cannot write"), ExitCode.STORAGE),
        (DatabaseURLError("not a URL"), ExitCode.USAGE),
        (PlaidAPIError(_plaid("ITEM_ERROR", "ITEM_LOGIN_REQUIRED")), ExitCode.PLAID_ERROR),
        (network_failure("TIMEOUT", "slow"), ExitCode.NETWORK_ERROR),
        (FailureReport(error=_plaid("ITEM_ERROR", "ITEM_LOGIN_REQUIRED")), ExitCode.PLAID_ERROR),
        (FailureReport(error=network_failure("TIMEOUT", "slow").error), ExitCode.NETWORK_ERROR),
        (
            FailureReport(error=ErrorBody(error_type="INPUT_ERROR", error_code="MALFORMED_LINE")),
            ExitCode.USAGE,
        ),
        (ErrorBody(error_type="INTERNAL_ERROR", error_code="UNEXPECTED_ERROR"), ExitCode.BUG),
        (funds_check_failure("CURRENCY_MISMATCH", "no conversion"), ExitCode.USAGE),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (BrokenPipeError(), ExitCode.CLOSED_PIPE),
        (RuntimeError("unforeseen"), ExitCode.BUG),
    ],
)
def test_each_outcome_has_its_code(outcome: object, expected: ExitCode) -> None:
    assert exit_code_for(outcome) == expected


def test_reports_and_decisions() -> None:
    report = report_of(current=Decimal("10"), available=Decimal("10"))
    assert isinstance(report, BalanceReport)
    assert exit_code_for(report) == ExitCode.OK
    account = report.accounts[0]
    assert exit_code_for(decide(account, Decimal("5"))) == ExitCode.OK
    assert exit_code_for(decide(account, Decimal("50"))) == ExitCode.INSUFFICIENT_FUNDS


def test_every_code_is_documented_once_and_contract_numbers_hold() -> None:
    assert set(EXIT_CODES) == set(ExitCode)
    assert {int(c) for c in ExitCode} == {0, 1, 2, 3, 4, 5, 6, 7, 8, 130, 141}


def test_readme_table_is_the_mapping() -> None:
    assert exit_codes_markdown() in README.read_text(encoding="utf-8")


def test_help_lists_every_code() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for code, text in EXIT_CODES.items():
        line = next(line for line in result.output.splitlines() if line.strip().startswith(f"{int(code)} "))
        assert text.split()[0] in line


def test_a_closed_pipe_is_quiet_and_documented() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "plaid_balance", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # the reader goes away before the command writes anything
    stderr = child.stderr.read()
    assert child.wait(timeout=60) == ExitCode.CLOSED_PIPE
    assert stderr == b""


def test_failure_reports_carry_the_same_error_type_as_exceptions() -> None:
    exc = PlaidAPIError(_plaid("ITEM_ERROR", "ITEM_LOGIN_REQUIRED"))
    report = FailureReport.from_exception(exc, "sandbox")
    assert report.error is exc.error
    assert isinstance(report.error, ErrorBody)
    assert report.error.retryable is False


def test_the_public_surface_resolves() -> None:
    import plaid_balance

    for name in plaid_balance.__all__:
        assert getattr(plaid_balance, name) is not None, name
    assert plaid_balance.__version__ == "0.1.0"


def _every_exception_class() -> list[type[BaseException]]:
    # Load every package that defines or re-exports an exception, then walk the tree from its root.
    import importlib

    from plaid_balance._errors import PlaidBalanceError

    for name in ("batch", "funds", "history", "link", "vault", "watch.config", "watch.store", "_extras"):
        importlib.import_module(f"plaid_balance.{name}")
    found: list[type[BaseException]] = []
    todo: list[type[BaseException]] = [PlaidBalanceError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


KINDS = (ConfigurationError, StorageError, PlaidAPIError, PlaidNetworkError)


def test_every_exception_is_of_exactly_one_kind() -> None:
    """One base per kind of failure (decision 84): the exit code cannot depend on the order of checks."""
    from plaid_balance._errors import LinkAborted, PlaidBalanceError, PlaidFailure

    kinds = (*KINDS, LinkAborted)
    for cls in _every_exception_class():
        if cls in (PlaidBalanceError, PlaidFailure) or cls.__name__ == "VaultError":
            continue  # the root, the two failures of a call, and a family that spans two kinds
        mine = [kind for kind in kinds if issubclass(cls, kind)]
        assert len(mine) == 1, f"{cls.__module__}.{cls.__name__} is of {len(mine)} kinds: {mine}"


def test_every_exception_is_defined_in_the_one_tree() -> None:
    """httpx's ``_exceptions.py``: the tree is drawn in one module, and every class in it is in the drawing."""
    from plaid_balance import _errors

    for cls in _every_exception_class():
        assert cls.__module__ == "plaid_balance._errors", f"{cls.__module__}.{cls.__name__}"
        assert cls.__name__ in (_errors.__doc__ or ""), f"{cls.__name__} is not drawn in the tree"


def test_exit_codes_need_no_loaded_modules() -> None:
    """The mapping reads no sys.modules: a storage error that is also a lookup error cannot exist."""
    import inspect

    from plaid_balance.cli import exit_codes

    source = inspect.getsource(exit_codes)
    assert "sys.modules" not in source
    assert exit_code_for(HistoryError("x")) == ExitCode.STORAGE
    assert not issubclass(HistoryError, ConfigurationError)
