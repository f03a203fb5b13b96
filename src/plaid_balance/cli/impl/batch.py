"""``plaid-balance batch``: balances for many Items under Plaid's rate limits (see docs/batch.md).

The library does the work (``plaid_balance.batch``: the run, its limits, its summary); this module only
turns options into a ``BatchClient``, handles Ctrl-C, draws progress and prints.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from plaid_balance import history as histories
from plaid_balance._bounded import InputTooLarge, bounded_lines
from plaid_balance._errors import PlaidBalanceError
from plaid_balance._items_file import MAX_LINE_BYTES
from plaid_balance._safe_text import safe_text
from plaid_balance.batch import (
    BatchClient,
    BatchItem,
    BatchOptions,
    BatchOptionsError,
    ItemsFileError,
    open_items,
)
from plaid_balance.cli._line_writer import LineWriter
from plaid_balance.cli.common import fail
from plaid_balance.cli.exit_codes import ExitCode, exit_code_for
from plaid_balance.cli.impl.common import announce_retries, history_store
from plaid_balance.cli.impl.item_ref import ItemRef, vault_items
from plaid_balance.cli.render import REPAIR_CODES, money, repair_hint

if TYPE_CHECKING:
    from plaid_balance._items_file import InputFormat
    from plaid_balance.batch import BatchOptions, BatchSummary, ItemResult, ReportHistory


INTERRUPTED_GRACE_SECONDS = 1.0


def _literal(value: object) -> Any:
    """Bank data and file data for a rich table: shown as the characters they are, never as markup."""

    return Text(safe_text(value))


def summary_text(summary: BatchSummary) -> list[str]:

    failures = ", ".join(f"{code} {n}" for code, n in sorted(summary.errors_by_code.items()))
    lines = [
        f"batch: {summary.ok} ok, {summary.failed} failed{f' ({failures})' if failures else ''}"
        f" in {summary.elapsed_seconds:.1f} s; {summary.requests} requests, {summary.rate_limited} rate-limited"
    ]
    if summary.interrupted:
        at_least = "" if summary.not_done_exact else "at least "
        lines.append(f"interrupted: {at_least}{summary.not_done} Items not done")
    if summary.not_printed:
        lines.append(
            f"not printed: {summary.not_printed} results fetched but not written (stdout was not read)"
        )
    if summary.not_saved:
        lines.append(_not_saved(summary))
    for code, totals in summary.totals.items():
        lines.append(
            f"totals {code}: assets {money(totals.assets)} · liabilities {money(totals.liabilities)}"
            f" · net {money(totals.net)}"
        )
    return lines


def _not_saved(summary: BatchSummary) -> str:
    return f"not saved: {summary.not_saved} reports fetched and printed but not stored: {summary.save_error}"


def _row(result: ItemResult) -> tuple[Any, ...]:
    """A short row for the table: the report itself is dropped, so memory stays small per Item."""

    report = result.report
    label = _literal(result.label or "")
    if result.success:
        assert result.item_id is not None
        totals = "; ".join(f"{money(t.net)} {code}" for code, t in report.totals.items())  # type: ignore[union-attr]
        accounts = str(report.account_count)  # type: ignore[union-attr]
        return (result.line, label, _literal(result.item_id), "ok", accounts, _literal(totals))
    status = _literal(result.error_code)
    status.stylize("red")
    return (result.line, label, "", status, "", "")


def _table_text(rows: list[tuple[Any, ...]]) -> str:
    """The table as text, rendered for stdout (its width and colours) but written like any output."""

    console = Console(file=sys.stdout)
    # The label (the alias, with --all) is what the user types: never cut. The Item id gives way first,
    # then the column goes; a table that still cannot fit is printed wider than the terminal.
    label_width = max([5, *(len(str(r[1])) for r in rows)])
    widths = {"Line": max([4, *(len(str(r[0])) for r in rows)]), "Status": 6, "Accounts": 8}
    net_width = max([3, *(len(str(r[5])) for r in rows)])
    fixed = label_width + sum(widths.values()) + net_width + 3 * 5 + 1
    with_item = console.width - fixed - 3 >= 8
    table = Table(title="Batch balances")
    for name, justify in (
        ("Line", "right"),
        ("Label", "left"),
        ("Item", "left"),
        ("Status", "left"),
        ("Accounts", "right"),
        ("Net", "right"),
    ):
        if name == "Item" and not with_item:
            continue
        table.add_column(
            name,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=True,
            min_width={"Label": label_width, "Net": net_width, **widths}.get(name),
            overflow="ellipsis",
        )
    console.width = max(console.width, fixed)
    for row in sorted(rows, key=lambda r: int(r[0])):
        cells = row[1:] if with_item else (row[1], *row[3:])
        table.add_row(str(row[0]), *cells)
    with console.capture() as captured:
        console.print(table)
    return captured.get()


class _Progress:
    """A rich progress bar on stderr, only when asked (by default when stderr is a terminal)."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self._bar: Any = None
        if not enabled:
            return

        self._bar = Progress(
            TextColumn("batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("failed {task.fields[failed]}"),
            TextColumn("{task.fields[rate]:.1f}/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task("batch", total=total, failed=0, rate=0.0)
        self._started = time.monotonic()
        self._bar.start()

    def note(self, message: str) -> None:
        if self._bar is not None:
            self._bar.console.print(_literal(message))
        else:
            click.echo(message, err=True)

    def update(self, done: int, failed: int) -> None:
        if self._bar is not None:
            rate = done / max(time.monotonic() - self._started, 1e-9)
            self._bar.update(self._task, completed=done, failed=failed, rate=rate)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _count_items(path: str) -> int | None:
    """Non-blank lines of a regular file, for the progress bar's total (a header is subtracted later)."""

    if path == "-":
        return None
    try:
        with open(path, "rb") as fh:
            return sum(1 for raw in bounded_lines(fh, limit=MAX_LINE_BYTES) if raw.strip())
    except (OSError, InputTooLarge):
        return None


async def _run(
    items_file: str | VaultItems,
    input_format: InputFormat,
    options: BatchOptions,
    client_kwargs: dict[str, Any],
    output_format: str,
    summary_line: bool,
    progress: bool,
    history: ReportHistory | None,
) -> BatchSummary:

    loop = asyncio.get_running_loop()
    consuming: asyncio.Task[None] | None = None
    signalled = False

    def on_signal() -> None:
        nonlocal signalled
        if signalled:
            # A second Ctrl-C: the user insists; lines already out are whole.
            os._exit(ExitCode.INTERRUPTED)
        signalled = True
        if consuming is not None:
            consuming.cancel()

    # Installed here rather than relying on asyncio.run's handler, which is skipped when the parent
    # started us with SIGINT ignored. The loop runs it between callbacks; stdout is written by its own
    # thread, so a Ctrl-C is seen at once, even with a slow reader.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        announce_retries()
        try:
            client = BatchClient(options, **client_kwargs)
        except PlaidBalanceError as exc:
            fail(exc)
        try:
            reader = (
                items_file
                if isinstance(items_file, VaultItems)
                else await open_items(items_file, input_format)
            )
        except ItemsFileError as exc:
            fail(exc)
        total = (
            (items_file.count_unread() if isinstance(items_file, VaultItems) else _count_items(items_file))
            if progress
            else None
        )
        if total is not None and reader.format == "csv":
            total -= 1
        bar = _Progress(progress, total)
        rows: list[tuple[Any, ...]] = []

        # (who, error code, alias when the Item is the vault's) of Items only a new login can fix
        to_repair: list[tuple[str, str, str | None]] = []
        from_vault = isinstance(items_file, VaultItems)
        async with client, reader, LineWriter(sys.stdout) as out:
            run = client.run(reader, history=history)

            async def consume() -> None:
                async with run:
                    async for result in run:
                        if result.is_input_error:
                            bar.note(f"error: items file {items_file}: {result.error_message}")
                        elif result.error_code in REPAIR_CODES:
                            who = result.label or f"line {result.line}"
                            to_repair.append((who, result.error_code, result.label if from_vault else None))
                        if output_format == "ndjson":
                            await out.write(result.to_json().decode() + "\n")
                            if out.closed:
                                return
                        else:
                            rows.append(_row(result))
                        bar.update(run.summary.done, run.summary.failed)

            consuming = asyncio.create_task(consume())
            try:
                await consuming
            except asyncio.CancelledError:
                if not consuming.cancelled():
                    raise  # we were cancelled ourselves, not by on_signal
            except PlaidBalanceError as exc:  # the items file or the history database failed mid-run
                bar.stop()
                fail(exc)
            finally:
                bar.stop()
            summary = run.summary
            if signalled:
                # Stop within a second or two even when stdout is not being read: results still
                # queued are dropped (whole lines only) and counted as fetched but not printed.
                out.grace = INTERRUPTED_GRACE_SECONDS
                summary.not_printed = await out.settle(out.grace)
            if output_format == "table":
                await out.write(_table_text(rows))
                if signalled and await out.settle(out.grace) > summary.not_printed:
                    summary.not_printed += len(rows) - 1  # the table was the one line dropped
            if summary_line:
                dropped = out.dropped
                await out.write(summary.to_json().decode() + "\n")
                if signalled and await out.settle(out.grace) > dropped:
                    click.echo(summary.to_json().decode(), err=True)  # stdout would not take it
        if out.closed:
            raise BrokenPipeError
        if out.error is not None:
            fail(f"cannot write the results: {out.error.strerror or out.error}", ExitCode.USAGE)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    if not summary_line:
        for line in summary_text(summary):
            click.echo(line, err=True)
    elif summary.not_saved:  # the summary line says it too, but a failure is always said on stderr
        click.echo(_not_saved(summary), err=True)

    for who, code, alias in to_repair:
        click.echo(f"{who}: {code}{repair_hint(code, alias)}", err=True)
    return summary


def run(
    items_file: str | None,
    all_items: bool,
    environment: str,
    base_url: str | None,
    timeout: float,
    concurrency: int,
    rate_limit: int | None,
    item_rate_limit: int | None,
    rate_window: float,
    cached: bool,
    min_last_updated: datetime | None,
    output_format: str,
    input_format: InputFormat,
    save: bool,
    max_age: timedelta | None,
    db: str | None,
    summary_line: bool,
    progress: bool | None,
) -> None:

    if cached and min_last_updated is not None:
        raise click.UsageError("--min-last-updated applies to real-time balances, not --cached")
    try:
        options = BatchOptions(
            concurrency=concurrency,
            rate_limit=rate_limit,
            item_rate_limit=item_rate_limit,
            window_seconds=rate_window,
            cached=cached,
            min_last_updated_datetime=min_last_updated,
        )
    except BatchOptionsError as exc:
        fail(exc)
    source: str | VaultItems
    if all_items == (items_file is not None):
        raise click.UsageError("give ITEMS_FILE or --all (every Item in the vault), not both or neither")
    if items_file is None:
        environment = batch_environment(db, environment)
        source = VaultItems(vault_items(db, environment))
    else:
        source = items_file
    client_kwargs: dict[str, Any] = {"environment": environment, "base_url": base_url, "timeout": timeout}
    show_progress = sys.stderr.isatty() if progress is None else progress
    with history_store(save, max_age, db) as store:
        history = None
        if store is not None:
            history = histories.Recall(store, max_age=max_age, save=save)

        summary = asyncio.run(
            _run(
                source,
                input_format,
                options,
                client_kwargs,
                output_format,
                summary_line,
                show_progress,
                history,
            )
        )
    sys.exit(exit_code_for(summary))


def batch_environment(db: str | None, chosen: str) -> str:
    """The environment of a batch over the vault: the chosen one, else the one its Items share."""
    context = click.get_current_context(silent=True)
    source = context.get_parameter_source("environment") if context is not None else None
    if source not in (None, click.core.ParameterSource.DEFAULT):
        return chosen
    environments = {ref.environment for ref in vault_items(db)}
    if len(environments) > 1:
        fail("the vault holds sandbox and production Items: choose one with --environment")
    return environments.pop() or chosen


class VaultItems:
    """The vault's Items as a batch items source (labels are the aliases), like an opened items file."""

    format = "vault"

    def __init__(self, refs: list[ItemRef]) -> None:
        self._entries = [
            BatchItem(access_token=ref.access_token.get_secret_value(), label=ref.alias, line=n)
            for n, ref in enumerate(refs, start=1)
        ]

    def __repr__(self) -> str:
        return f"VaultItems({len(self._entries)} Items)"

    async def __aenter__(self) -> VaultItems:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def __aiter__(self) -> AsyncIterator[Any]:
        for entry in self._entries:
            yield entry

    def count_unread(self) -> int:
        return len(self._entries)
