"""Charts of stored history: balances per account and assets/liabilities/net per currency, over time.

One row per currency (amounts in different currencies never share an axis): on the left each account's
current balance (credit and loan dashed, as amounts owed), on the right the totals. Written as PNG, SVG,
or a self-contained HTML page with the SVG inline. matplotlib is imported here only (``[chart]`` extra);
amounts are converted to float for drawing only.
"""

from __future__ import annotations

import html
import io
from datetime import datetime
from pathlib import Path
from typing import Any

from plaid_balance._errors import ConfigurationError
from plaid_balance._safe_text import safe_text
from plaid_balance.history.series import History

FORMATS = {".png": "png", ".svg": "svg", ".html": "html", ".htm": "html"}


def chart_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigurationError(f"unsupported chart file {path.name!r}: use a .png, .svg or .html name")
    return fmt


def _pyplot() -> Any:
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise ConfigurationError("charts need matplotlib: pip install 'plaid-balance[chart]'") from None
    matplotlib.use("Agg")  # never a GUI: this runs in terminals, cron jobs and CI
    # Titles and account names are text, not TeX: "$x$" in a bank's account name is two dollar signs.
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    return plt


def _money_axis(ax: Any, currency: str) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_ylabel(f"Amount ({currency})")
    ax.grid(True, alpha=0.3)


def _date_axis(ax: Any) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.set_xlabel("Retrieved (UTC)")


def _naive(values: list[datetime]) -> list[datetime]:
    # matplotlib draws naive datetimes as-is; all stored times are UTC.
    return [v.replace(tzinfo=None) for v in values]


def build_figure(history: History, *, title: str | None = None) -> Any:
    plt = _pyplot()
    currencies = list(history.totals) or sorted({s.latest.currency or "?" for s in history.accounts})
    rows = max(1, len(currencies))
    fig, axes = plt.subplots(rows, 2, figsize=(15, 5.2 * rows), squeeze=False, constrained_layout=True)
    first, last = _span(history)
    fig.suptitle(
        safe_text(title or f"Balance history · {history.snapshot_count} snapshots · {first} → {last}"),
        fontsize=14,
    )
    for row, currency in enumerate(currencies):
        left, right = axes[row][0], axes[row][1]
        for series in (s for s in history.accounts if (s.latest.currency or "?") == currency):
            points = [p for p in series.points if p.account.current_balance is not None]
            if not points:
                continue
            owed = series.latest.is_liability
            left.plot(
                _naive([p.at for p in points]),
                [float(p.account.current_balance or 0) for p in points],
                marker="o",
                markersize=4,
                linestyle="--" if owed else "-",
                label=safe_text(f"{series.label} ({series.latest.type}{', owed' if owed else ''})"),
            )
        left.set_title(f"Current balance per account ({currency})")
        totals = history.totals.get(currency, [])
        if totals:
            times = _naive([t.at for t in totals])
            right.plot(times, [float(t.assets) for t in totals], marker="o", markersize=4, label="Assets")
            right.plot(
                times,
                [float(t.liabilities) for t in totals],
                marker="o",
                markersize=4,
                label="Liabilities (owed)",
            )
            right.plot(
                times, [float(t.net) for t in totals], marker="o", linewidth=2.5, label="Net", color="black"
            )
            right.axhline(0, color="grey", linewidth=0.8)
        right.set_title(f"Assets, liabilities and net ({currency})")
        for ax in (left, right):
            _money_axis(ax, currency)
            _date_axis(ax)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8, frameon=False)
    return fig


def _span(history: History) -> tuple[str, str]:
    times = [p.at for s in history.accounts for p in s.points]
    if not times:
        return "—", "—"
    return min(times).strftime("%Y-%m-%d %H:%M UTC"), max(times).strftime("%Y-%m-%d %H:%M UTC")


def render_svg(history: History, *, title: str | None = None) -> str:
    plt = _pyplot()
    fig = build_figure(history, title=title)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    return buffer.getvalue()


def _html_page(svg: str, history: History, title: str) -> str:
    # Inline SVG must not carry its own XML prolog or DOCTYPE inside an HTML body.
    start = svg.find("<svg")
    inline = svg[start:] if start >= 0 else svg
    first, last = _span(history)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
        "svg{max-width:100%;height:auto}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f"<p>{history.snapshot_count} snapshots, {len(history.accounts)} accounts, "
        f"{html.escape(first)} to {html.escape(last)}. Amounts are never summed across currencies; "
        "liabilities are amounts owed on credit and loan accounts.</p>\n"
        f"{inline}\n</body>\n</html>\n"
    )


def write_chart(history: History, path: Path, *, title: str | None = None) -> str:
    """Draw the chart into ``path`` (format from its suffix); return the format written."""
    fmt = chart_format(path)
    if history.empty:
        raise ConfigurationError("no stored history to chart (save snapshots with --save first)")
    heading = title or "Balance history"
    try:
        if fmt == "html":
            path.write_text(
                _html_page(render_svg(history, title=heading), history, heading), encoding="utf-8"
            )
        else:
            plt = _pyplot()
            fig = build_figure(history, title=title)
            fig.savefig(path, format=fmt, dpi=110)
            plt.close(fig)
    except OSError as exc:
        raise ConfigurationError(f"cannot write chart {path}: {exc.strerror or exc}") from None
    return fmt
