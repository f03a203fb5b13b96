"""The tables people read (``--format table``), drawn with rich: a report's accounts and totals, totals
across Items, a funds decision.

Loaded at the command boundary, and only when a table is asked for (``import rich`` is a fifth of a
``get``'s start-up, and most runs print JSON): a declaration whose command prints tables imports this module
beside its implementation when ``--format table`` is chosen, and hands it over as the ``TablePrinter``
(``cli.render``) that the implementation prints with (docs/architecture.md, Start-up cost).
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from plaid_balance._report import BalanceReport, CurrencyTotals, Report, combined_totals
from plaid_balance.cli.render import _iso, aligned_money, money
from plaid_balance.cli.text import cell, console
from plaid_balance.funds import FundsDecision
from plaid_balance.history.freshness import describe_age


def balance_table(report: BalanceReport, width: int = 80, alias: str | None = None) -> Any:
    """A rich ``Table`` of the accounts with per-currency totals as the footer, fitted to ``width``.

    Bank data is shown literally (``cli.text.cell``). Amounts are never cut and their decimal points line
    up; names and types give way first (ending in "…"), and a table whose amounts alone are wider than
    ``width`` is printed wider rather than cut.
    """

    currencies = sorted({a.currency or "—" for a in report.accounts})
    single = currencies[0] if len(currencies) == 1 else None
    title = f"{report.institution_name or report.institution_id or 'Item'} · {report.item_id}"
    if alias:
        title = f"{alias} · {title}"  # the name the user types: a title wraps, never cuts it
    caption = f"{report.source} balances · {report.environment} · retrieved {_iso(report.retrieved_at)}"
    if report.age_seconds is not None:
        caption += f" · {report.age_seconds:.0f}s old"
    if single:
        caption += f" · all amounts in {single}"
    caption += " · credit and loan balances are amounts owed"

    totals = list(report.totals.items())
    columns = {
        "Current": [a.current_balance for a in report.accounts]
        + [v for _, t in totals for v in (t.assets, t.liabilities, t.net)],
        "Available": [a.available_balance for a in report.accounts] + [None] * (3 * len(totals)),
        "Limit": [a.limit for a in report.accounts] + [None] * (3 * len(totals)),
    }
    shown = {heading: aligned_money(values) for heading, values in columns.items()}
    amount_widths = {h: max([len(h), *map(len, texts)]) for h, texts in shown.items()}
    kinds = [a.subtype or a.type or "" for a in report.accounts]
    kind_width = min(max([4, *map(len, kinds)]), 12)
    mask_width = max([4, *(len(a.mask or "") for a in report.accounts)])
    currency_width = 0 if single else max(4, *map(len, currencies))
    # Three characters of border and padding per column, one more for the outer edge.
    fixed = sum(amount_widths.values()) + kind_width + mask_width + currency_width
    count = 6 if single else 7
    name_width = max(8, width - fixed - 3 * count - 1)

    # min_width: what the amounts need whole; the printer widens its console to it rather than cut them.
    table = Table(title=cell(title), caption=cell(caption), min_width=fixed + 8 + 3 * count + 1)
    table.add_column("Account", no_wrap=True, overflow="ellipsis", max_width=name_width)
    table.add_column("Type", no_wrap=True, overflow="ellipsis", max_width=kind_width)
    table.add_column("Mask", no_wrap=True, min_width=mask_width)
    for heading, column_width in amount_widths.items():
        table.add_column(heading, justify="right", no_wrap=True, min_width=column_width)
    if not single:
        table.add_column("Cur.", no_wrap=True, min_width=currency_width)

    def row(*cells: Any, currency: str | None = None) -> None:
        table.add_row(*cells, *([] if single else [cell(currency or "—")]))

    n = len(report.accounts)
    for i, a in enumerate(report.accounts):
        owed = "red" if a.is_liability and a.current_balance is not None else ""
        row(
            cell(a.name),
            cell(kinds[i]),
            cell(a.mask or "—"),
            cell(shown["Current"][i], owed),
            cell(shown["Available"][i]),
            cell(shown["Limit"][i]),
            currency=a.currency,
        )
    for j, (code, _) in enumerate(totals):
        table.add_section()
        for k, (label, style) in enumerate((("Assets", ""), ("Liabilities", "red"), ("Net", "bold"))):
            row(
                cell(label, "bold"),
                "",
                "",
                cell(shown["Current"][n + 3 * j + k], style),
                "",
                "",
                currency=code,
            )
    return table


def combined_table(totals: dict[str, CurrencyTotals], answered: int, asked: int) -> Any:
    """The totals per currency across several Items' reports: assets, liabilities and net, one row per
    currency (never added across currencies); the caption says how many Items they cover."""

    codes = list(totals)
    columns = {
        "Assets": aligned_money([totals[c].assets for c in codes]),
        "Liabilities": aligned_money([totals[c].liabilities for c in codes]),
        "Net": aligned_money([totals[c].net for c in codes]),
    }
    missing = f" ({asked - answered} failed: not counted)" if answered < asked else ""
    table = Table(
        title="All Items: totals per currency",
        caption=f"{answered} of {asked} Items{missing} · never added across currencies",
    )
    table.add_column("Currency", no_wrap=True)
    for heading in columns:
        table.add_column(heading, justify="right", no_wrap=True)
    for i, code in enumerate(codes):
        table.add_row(
            cell(code),
            cell(columns["Assets"][i]),
            cell(columns["Liabilities"][i], "red"),
            cell(columns["Net"][i], "bold"),
        )
    return table


def print_table(report: BalanceReport, alias: str | None = None) -> None:
    out = console()
    table = balance_table(report, out.width, alias)
    # Amounts are never cut: a table that cannot fit is printed wider than the terminal instead.
    if table.min_width and table.min_width > out.width:
        out.width = table.min_width
    out.print(table)


def print_combined(reports: list[Report]) -> None:
    """After every Item's table: the totals per currency across them (the Items that answered)."""
    ok = [r for r in reports if isinstance(r, BalanceReport)]
    if ok:
        console().print(combined_table(combined_totals(r.totals for r in ok), len(ok), len(reports)))


def print_decision(decision: FundsDecision) -> None:
    a = decision.account
    verdict = cell("PASS", "bold green") if decision.passed else cell("FAIL", "bold red")
    table = Table(title=Text.assemble("Sufficient funds: ", verdict), show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    mask = f" ••{a.mask}" if a.mask else ""
    # The name and mask are the bank's text: shown literally, never as markup.
    table.add_row("Account", cell(f"{a.name}{mask} ({a.type}/{a.subtype or '—'}) {a.account_id}"))
    table.add_row("Amount", cell(money(decision.amount, decision.currency)))
    table.add_row(
        "Balance used", cell(f"{decision.balance_used}: {money(decision.figure, decision.currency)}")
    )
    if decision.shortfall:
        table.add_row("Short by", cell(money(decision.shortfall, decision.currency)))
    table.add_row("Reason", cell(decision.reason))
    age = describe_age(decision.age_seconds or 0)
    origin = (
        "stored snapshot (no Plaid call)" if decision.source == "stored" else f"{decision.source} from Plaid"
    )
    table.add_row("Source", cell(f"{origin}, {age} old"))
    if decision.stale:
        table.add_row("Stale", cell("yes", "bold red"))
    console().print(table)
