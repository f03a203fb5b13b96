"""Charts of stored history: balances per account and assets/liabilities/net per currency, over time.

One row per currency (amounts in different currencies never share an axis): on the left each account's
current balance (credit and loan dashed, as amounts owed), on the right the totals. Written as PNG, SVG,
or a self-contained HTML page with the SVG inline. matplotlib is imported here only (``[chart]`` extra);
amounts are converted to float for drawing only.

Readable at any size: every account keeps its own colour-and-marker pair and its legend entry (the legend
sits beside the plot, in as many columns as it needs, and the figure grows to hold it); short spans get
hour:minute labels; text from banks and users is drawn literally (``$`` is not mathtext).
"""

from __future__ import annotations

import html
import io
import logging
import math
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from plaid_balance._errors import ConfigurationError
from plaid_balance.history.series import History

FORMATS = {".png": "png", ".svg": "svg", ".html": "html", ".htm": "html"}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LEGEND_ROWS = 22  # entries per legend column before another column starts


def chart_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigurationError(f"unsupported chart file {path.name!r}: use a .png, .svg or .html name")
    return fmt


def _pyplot() -> Any:
    import matplotlib  # `history --chart` checked for plaid-balance[chart] before any database work

    matplotlib.use("Agg")  # never a GUI: this runs in terminals, cron jobs and CI
    # Titles and account names are text, not TeX: "$x$" in a bank's account name is two dollar signs.
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    return plt


@contextmanager
def _quiet() -> Iterator[None]:
    """No matplotlib chatter on stderr: a missing glyph (an emoji in a bank's name) is drawn as a box."""
    loggers = [
        logging.getLogger(name) for name in ("matplotlib", "matplotlib.font_manager", "matplotlib.mathtext")
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="matplotlib")
            warnings.filterwarnings("ignore", message="Glyph .* missing")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def literal(text: str) -> str:
    """Text drawn as written: ``$`` would start mathtext, control characters are shown escaped."""
    shown = text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return shown.replace("\\", "\\\\").replace("$", r"\$")


def style(index: int) -> tuple[Any, str]:
    """A colour and marker for the index-th line; no two lines share the pair (20 colours × 8 markers)."""
    import matplotlib

    tab20 = matplotlib.colormaps["tab20"]
    colours = [tab20(i) for i in range(20)]
    # Even entries of tab20 first (the strong shades), then the light ones.
    order = [*colours[0::2], *colours[1::2]]
    return order[index % len(order)], MARKERS[(index // len(order)) % len(MARKERS)]


def _money_axis(ax: Any, currency: str) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_ylabel(f"Amount ({literal(currency)})")
    ax.grid(True, alpha=0.3)


def _date_axis(ax: Any, first: datetime, last: datetime) -> None:
    import matplotlib.dates as mdates

    span = last - first
    if span < timedelta(minutes=1):
        # One instant: give it an hour of room instead of a zero-width axis (and matplotlib's warning).
        ax.set_xlim(first - timedelta(minutes=30), last + timedelta(minutes=30))
        span = timedelta(hours=1)
    if span <= timedelta(hours=36):
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))  # type: ignore[no-untyped-call]
        days = sorted({first.date(), last.date()})
        ax.set_xlabel(f"Retrieved (UTC, {' – '.join(d.isoformat() for d in days)})")
    else:
        locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        ax.set_xlabel("Retrieved (UTC)")


def _naive(values: list[datetime]) -> list[datetime]:
    # matplotlib draws naive datetimes as-is; all stored times are UTC.
    return [v.replace(tzinfo=None) for v in values]


def legend_labels(history: History, names: Mapping[str, str] | None = None) -> dict[tuple[str, str], str]:
    """Each account's legend entry, naming its bank: the Item's alias in the vault (``names``:
    item_id → alias), else the institution. Three "Plaid Checking ••0000" at one bank stay apart: entries
    that would still read the same end with the last characters of their Item's id."""
    labels = {}
    for series in history.accounts:
        bank = (names or {}).get(series.item_id) or series.institution_name or series.institution_id or "?"
        owed = ", owed" if series.latest.is_liability else ""
        labels[series.item_id, series.account_id] = f"{bank}: {series.label} ({series.latest.type}{owed})"
    groups: dict[str, list[str]] = {}
    for (item_id, _), text in labels.items():
        groups.setdefault(text, []).append(item_id)
    suffix = {text: _unique_suffix(ids) for text, ids in groups.items() if len(set(ids)) > 1}
    return {
        key: f"{text} · Item …{key[0][-suffix[text] :]}" if text in suffix else text
        for key, text in labels.items()
    }


def _unique_suffix(item_ids: list[str]) -> int:
    """How many trailing characters tell these Items apart (at least 4)."""
    distinct = set(item_ids)
    longest = max(map(len, distinct))
    return next((n for n in range(4, longest) if len({i[-n:] for i in distinct}) == len(distinct)), longest)


def build_figure(
    history: History, *, title: str | None = None, names: Mapping[str, str] | None = None
) -> Any:
    plt = _pyplot()
    labels = legend_labels(history, names)
    currencies = list(history.totals) or sorted({s.latest.currency or "?" for s in history.accounts})
    per_currency = {c: [s for s in history.accounts if (s.latest.currency or "?") == c] for c in currencies}
    most = max((len(v) for v in per_currency.values()), default=1)
    legend_columns = max(1, math.ceil(most / LEGEND_ROWS))
    rows = max(1, len(currencies))
    height = max(5.2, 0.2 * min(most, LEGEND_ROWS) + 1.5)
    fig, axes = plt.subplots(
        rows,
        2,
        figsize=(15 + 3.2 * legend_columns, height * rows),
        squeeze=False,
        layout="constrained",
        width_ratios=[2 + 0.35 * legend_columns, 1.4],
    )
    first, last = _span(history)
    heading = literal(title) if title else f"Balance history · {history.snapshot_count} snapshots"
    fig.suptitle(f"{heading}\n{_span_text(first, last)}", fontsize=14)
    for row, currency in enumerate(currencies):
        left, right = axes[row][0], axes[row][1]
        for index, series in enumerate(per_currency[currency]):
            points = [p for p in series.points if p.account.current_balance is not None]
            if not points:
                continue
            owed = series.latest.is_liability
            colour, marker = style(index)
            left.plot(
                _naive([p.at for p in points]),
                [float(p.account.current_balance or 0) for p in points],
                marker=marker,
                markersize=4,
                color=colour,
                linestyle="--" if owed else "-",
                label=literal(labels[series.item_id, series.account_id]),
            )
        left.set_title(f"Current balance per account ({literal(currency)})")
        totals = history.totals.get(currency, [])
        if totals:
            times = _naive([t.at for t in totals])
            right.plot(times, [float(t.assets) for t in totals], marker="o", markersize=4, label="Assets")
            right.plot(
                times,
                [float(t.liabilities) for t in totals],
                marker="s",
                markersize=4,
                linestyle="--",
                label="Liabilities (owed)",
            )
            right.plot(
                times, [float(t.net) for t in totals], marker="o", linewidth=2.5, label="Net", color="black"
            )
            right.axhline(0, color="grey", linewidth=0.8)
        right.set_title(f"Assets, liabilities and net ({literal(currency)})")
        for ax in (left, right):
            _money_axis(ax, currency)
            if first is not None and last is not None:
                _date_axis(ax, first.replace(tzinfo=None), last.replace(tzinfo=None))
        if left.get_legend_handles_labels()[0]:
            left.legend(
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                ncols=legend_columns,
                fontsize=8,
                frameon=False,
                borderaxespad=0,
            )
        if right.get_legend_handles_labels()[0]:
            right.legend(loc="best", fontsize=8)
    return fig


def _span(history: History) -> tuple[datetime | None, datetime | None]:
    times = [p.at for s in history.accounts for p in s.points]
    return (min(times), max(times)) if times else (None, None)


def _span_text(first: datetime | None, last: datetime | None) -> str:
    if first is None or last is None:
        return "—"
    return f"{first.strftime('%Y-%m-%d %H:%M')} → {last.strftime('%Y-%m-%d %H:%M')} UTC"


def render_svg(history: History, *, title: str | None = None, names: Mapping[str, str] | None = None) -> str:
    plt = _pyplot()
    with _quiet():
        fig = build_figure(history, title=title, names=names)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
        plt.close(fig)
    return buffer.getvalue()


def _html_page(svg: str, history: History, title: str) -> str:
    # Inline SVG must not carry its own XML prolog or DOCTYPE inside an HTML body.
    start = svg.find("<svg")
    inline = svg[start:] if start >= 0 else svg
    span = _span_text(*_span(history))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
        "svg{max-width:100%;height:auto}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f"<p>{history.snapshot_count} snapshots, {len(history.accounts)} accounts, {html.escape(span)}. "
        "Amounts are never summed across currencies; liabilities are amounts owed on credit and loan "
        "accounts.</p>\n"
        f"{inline}\n</body>\n</html>\n"
    )


def write_chart(
    history: History, path: Path, *, title: str | None = None, names: Mapping[str, str] | None = None
) -> str:
    """Draw the chart into ``path`` (format from its suffix); return the format written. ``names``
    (item_id → alias) names each account's bank in the legend."""
    fmt = chart_format(path)
    if history.empty:
        raise ConfigurationError("no stored history to chart (save snapshots with --save first)")
    try:
        if fmt == "html":
            heading = title or "Balance history"
            svg = render_svg(history, title=title, names=names)
            path.write_text(_html_page(svg, history, heading), encoding="utf-8")
        else:
            plt = _pyplot()
            with _quiet():
                fig = build_figure(history, title=title, names=names)
                fig.savefig(path, format=fmt, dpi=110)
                plt.close(fig)
    except OSError as exc:
        raise ConfigurationError(f"cannot write chart {path}: {exc.strerror or exc}") from None
    return fmt
