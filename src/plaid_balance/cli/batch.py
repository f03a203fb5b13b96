"""``plaid-balance batch``: balances for many Items under Plaid's rate limits (see docs/batch.md)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import click

from plaid_balance._errors import PlaidBalanceError
from plaid_balance._report import BalanceReport
from plaid_balance.batch.items import INPUT_FORMATS, InputFormat, ItemsFileError, open_items
from plaid_balance.batch.runner import (
    DEFAULT_CONCURRENCY,
    BatchCounters,
    BatchOptions,
    BatchSummary,
    ItemResult,
    ReportHistory,
    limiter_of,
    make_batch_client,
    run_batch,
)
from plaid_balance.cli import params
from plaid_balance.cli.common import (
    announce_retries,
    cached_option,
    connection_options,
    fail,
    min_last_updated_option,
)
from plaid_balance.cli.exit_codes import ExitCode, exit_code_for
from plaid_balance.cli.recall import history_options, history_store
from plaid_balance.cli.render import dumps_line, money


def _summary_text(summary: BatchSummary) -> list[str]:
    failures = ", ".join(f"{code} {n}" for code, n in sorted(summary.errors_by_code.items()))
    lines = [
        f"batch: {summary.ok} ok, {summary.failed} failed{f' ({failures})' if failures else ''}"
        f" in {summary.elapsed_seconds:.1f} s; {summary.requests} requests, {summary.rate_limited} rate-limited"
    ]
    if summary.interrupted:
        at_least = "" if summary.not_done_exact else "at least "
        lines.append(f"interrupted: {at_least}{summary.not_done} Items not done")
    for code, totals in summary.totals.items():
        lines.append(
            f"totals {code}: assets {money(totals.assets)} · liabilities {money(totals.liabilities)}"
            f" · net {money(totals.net)}"
        )
    return lines


def _row(result: ItemResult) -> tuple[str, ...]:
    """A short row for the table: the report itself is dropped, so memory stays small per Item."""
    report = result.report
    if isinstance(report, BalanceReport):
        totals = "; ".join(f"{money(t.net)} {code}" for code, t in report.totals.items())
        return (str(result.line), result.label or "", report.item_id, "ok", str(report.account_count), totals)
    return (str(result.line), result.label or "", "", result.error_code or "", "", "")


def _print_table(rows: list[tuple[str, ...]], summary: BatchSummary) -> None:
    from rich.table import Table

    from plaid_balance.cli.text import cell, console

    table = Table(title="Batch balances", caption=cell(" · ".join(_summary_text(summary))))
    for name, justify in (
        ("Line", "right"),
        ("Label", "left"),
        ("Item", "left"),
        ("Status", "left"),
        ("Accounts", "right"),
        ("Net", "right"),
    ):
        table.add_column(name, justify=justify, no_wrap=name in {"Status", "Net"})  # type: ignore[arg-type]
    for row in sorted(rows, key=lambda r: int(r[0])):
        # Labels come from the items file: literal text; a failed Item's status in red.
        status = cell(row[3], "" if row[3] == "ok" else "red")
        table.add_row(*map(cell, row[:3]), status, *map(cell, row[4:]))
    console().print(table)


class _Progress:
    """A rich progress bar on stderr, only when stderr is a terminal; otherwise plain stderr lines."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self._bar: Any = None
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from plaid_balance.cli.text import console

        self._bar = Progress(
            TextColumn("batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("failed {task.fields[failed]}"),
            TextColumn("{task.fields[rate]:.1f}/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task("batch", total=total, failed=0, rate=0.0)
        self._started = time.monotonic()
        self._bar.start()

    def note(self, message: str) -> None:
        from plaid_balance._safe_text import safe_text
        from plaid_balance.cli.text import cell

        # Messages quote the items file: one line, shown literally above the bar.
        if self._bar is not None:
            self._bar.console.print(cell(message))
        else:
            click.echo(safe_text(message), err=True)

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
            return sum(1 for raw in fh if raw.strip())
    except OSError:
        return None


async def _run(
    items_file: str,
    input_format: InputFormat,
    options: BatchOptions,
    client_kwargs: dict[str, Any],
    output_format: str,
    summary_line: bool,
    progress: bool,
    history: ReportHistory | None = None,
) -> int:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    stopping = False

    def on_signal() -> None:
        nonlocal stopping
        if stopping:
            # A second Ctrl-C: the user insists. Lines are flushed whole, so stdout is still valid.
            os._exit(ExitCode.INTERRUPTED)
        stopping = True
        task.cancel()

    # Installed here rather than relying on asyncio.run's handler, which is skipped when the parent
    # started us with SIGINT ignored; the loop runs it between callbacks, never in the middle of a write.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)

    try:
        reader = await open_items(items_file, input_format)
    except ItemsFileError as exc:
        fail(str(exc))
    try:
        announce_retries()
        client = make_batch_client(options, **client_kwargs)
    except PlaidBalanceError as exc:
        await reader.aclose()
        fail(exc)

    total = _count_items(items_file) if progress else None
    if total is not None and reader.format == "csv":
        total -= 1
    bar = _Progress(progress, total)
    summary = BatchSummary()
    counters = BatchCounters()
    rows: list[tuple[str, ...]] = []
    write: Callable[[str], object] = sys.stdout.write
    started = time.monotonic()
    try:
        async with client, reader:
            try:
                async for result in run_batch(reader, client, options, counters=counters, history=history):
                    summary.add(result)
                    if result.is_input_error:
                        bar.note(f"error: items file {items_file}: {result.error_message}")
                    if output_format == "ndjson":
                        # One write per complete line, then flush: a reader (or a Ctrl-C) never sees half a line.
                        write(dumps_line(result.to_dict()) + "\n")
                        sys.stdout.flush()
                    else:
                        rows.append(_row(result))
                    bar.update(summary.done, summary.failed)
            except PlaidBalanceError as exc:  # the history database failed mid-run
                fail(exc)
            except asyncio.CancelledError:
                task.uncancel()
                summary.interrupted = True
                unread = reader.count_unread()
                summary.not_done = counters.read - summary.done + (unread or 0)
                summary.not_done_exact = unread is not None
    finally:
        bar.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    summary.elapsed_seconds = time.monotonic() - started
    limiter = limiter_of(client)
    summary.requests, summary.rate_limited = limiter.requests, limiter.rate_limited

    if output_format == "table":
        _print_table(rows, summary)
    if summary_line:
        write(dumps_line(summary.to_dict()) + "\n")
        sys.stdout.flush()
    else:
        for line in _summary_text(summary):
            click.echo(line, err=True)
    return exit_code_for(summary)


@click.command()
@click.argument("items_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@connection_options
@click.option(
    "--concurrency",
    type=params.Integer(1, 500),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Items fetched at the same time, on one connection pool.",
)
@click.option(
    "--rate-limit",
    type=params.Integer(1, 1_000_000),
    metavar="N",
    help="Requests per minute for the whole client [default: Plaid's documented limit: "
    "production 1,200, sandbox 100; with --cached 15,000 / 5,000].",
)
@click.option(
    "--item-rate-limit",
    type=params.Integer(1, 1_000_000),
    metavar="N",
    help="Requests per minute per Item [default: production 5, sandbox 25; with --cached 15 / 100].",
)
@click.option(
    "--rate-window",
    type=params.Number(0.1, 86_400.0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="The window the two limits count over; change it only for an emulator with a shorter window.",
)
@cached_option
@min_last_updated_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["ndjson", "table"]),
    default="ndjson",
    show_default=True,
    help="ndjson streams one result line per Item as it finishes; table prints one table at the end.",
)
@click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    help="auto: .csv is CSV, .jsonl/.ndjson/.json is JSON lines, otherwise the first line decides.",
)
@history_options
@click.option(
    "--summary", "summary_line", is_flag=True, help="Print the summary as the last stdout line (JSON)."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr [default: only when stderr is a terminal].",
)
def batch(
    items_file: str,
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
    """Fetch balances for every Item in ITEMS_FILE ('-' for stdin).

    ITEMS_FILE is CSV with an 'access_token,label' header, or JSON lines like
    {"access_token": "...", "label": "..."}. Each Item gives one result line (the 'get' report plus
    'label' and 'line'). Exit codes: 0 all ok, 5 some or all Items failed, 2 usage error or a malformed
    line in ITEMS_FILE (the other lines still run), 130 interrupted.
    """
    if cached and min_last_updated is not None:
        raise click.UsageError("--min-last-updated applies to real-time balances, not --cached")
    options = BatchOptions(
        concurrency=concurrency,
        rate_limit=rate_limit,
        item_rate_limit=item_rate_limit,
        window_seconds=rate_window,
        cached=cached,
        min_last_updated_datetime=min_last_updated,
    )
    client_kwargs: dict[str, Any] = {"environment": environment, "base_url": base_url, "timeout": timeout}
    show_progress = sys.stderr.isatty() if progress is None else progress
    with history_store(save, max_age, db) as store:
        history = None
        if store is not None:
            from plaid_balance.history import Recall

            history = Recall(store, max_age=max_age, save=save)
        code = asyncio.run(
            _run(
                items_file,
                input_format,
                options,
                client_kwargs,
                output_format,
                summary_line,
                show_progress,
                history,
            )
        )
    sys.exit(code)
