"""The dashboard's web app (Starlette + Jinja2): pages, the chart data as JSON and CSV, the balances as JSON.

Security (docs/security.md explains it for users):

* whoever serves the app puts it behind the one guard (``_http_guard``): the Host rule, the token (a
  one-time sign-in link traded for an HttpOnly, SameSite=Strict cookie, or ``Authorization: Bearer``),
  ``no-store`` on every answer. The app itself checks nothing of that;
* every page carries the dashboard's strict Content-Security-Policy (scripts and styles from the
  dashboard itself only, no inline script, no framing);
* the pages only read: nothing changes state, so there is no form to forge. Repairs are shown as the exact
  command to run;
* bank data is escaped by Jinja2's autoescape; amounts reach the browser as exact decimal strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from plaid_balance._csv import csv_text
from plaid_balance._errors import StorageError
from plaid_balance._safe_text import bounded_text
from plaid_balance.dashboard._data import RANGES, Chart, DashboardData, Totals

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
STATIC: Final = {
    "uPlot.iife.min.js": "text/javascript",
    "uPlot.min.css": "text/css",
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}
SORT_KEYS: Final = (
    "alias",
    "institution",
    "name",
    "mask",
    "type",
    "current",
    "available",
    "limit",
    "currency",
)
CHART_VIEWS: Final = ("networth", "items", "accounts")


def money_parts(value: Decimal | None) -> tuple[str, str]:
    """``Decimal('-1234.5')`` → ``('-1,234', '.5')``: the page aligns the two parts on the point."""
    if value is None:
        return "", ""
    text = f"{value:,f}"
    whole, dot, frac = text.partition(".")
    return whole, dot + frac


def plain(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def age(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def chart_json(chart: Chart) -> dict[str, Any]:
    """The chart for the page's script: times as epoch seconds, values as exact strings; ``start`` and
    ``end`` are the window the axis covers."""
    window = chart.window or ((chart.times[0], chart.times[-1]) if chart.times else None)
    return {
        "title": chart.title,
        "currency": chart.currency,
        "start": int(window[0].timestamp()) if window else None,
        "end": int(window[1].timestamp()) if window else None,
        "times": [int(t.timestamp()) for t in chart.times],
        "series": [
            {"key": s.key, "label": s.label, "values": [plain(v) for v in s.values]} for s in chart.series
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def script_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: bank data cannot close the tag."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_csv(chart: Chart) -> str:
    header = ["time", *(s.label for s in chart.series)]
    rows = (
        [t.isoformat(), *((plain(s.values[i]) or "") for s in chart.series)]
        for i, t in enumerate(chart.times)
    )
    return csv_text([header, *rows])


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _totals_json(totals: dict[str, Totals]) -> dict[str, dict[str, str]]:
    return {
        currency: {"assets": f"{t.assets:f}", "liabilities": f"{t.liabilities:f}", "net": f"{t.net:f}"}
        for currency, t in sorted(totals.items())
    }


def balances_json(data: DashboardData) -> dict[str, Any]:
    """The latest balances per Item and account and the net worth per currency, amounts as exact decimal
    strings (``/balances.json``, for scripts and home automation; documented in docs/dashboard.md)."""
    accounts: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(data.accounts(), key=lambda r: (r.name.casefold(), r.account_id)):
        accounts.setdefault(row.item_id, []).append(
            {
                "account_id": row.account_id,
                "name": row.name,
                "mask": row.mask,
                "type": row.type,
                "subtype": row.subtype,
                "currency": row.currency,
                "current": plain(row.current),
                "available": plain(row.available),
                "limit": plain(row.limit),
                "as_of": _when(row.at),
            }
        )
    return {
        "as_of": _when(data.clock()),
        "net_worth": _totals_json(data.net_worth()),
        "items": [
            {
                "alias": item.alias,
                "item_id": item.item_id,
                "institution": item.institution,
                "health": item.health,
                "as_of": _when(item.last_refresh),
                "totals": _totals_json(item.totals),
                "accounts": accounts.get(item.item_id, []),
            }
            for item in data.items()
        ],
    }


def _templates() -> Any:
    from jinja2 import Environment, FunctionLoader, select_autoescape

    root = files("plaid_balance.dashboard") / "templates"

    def load(name: str) -> str | None:
        target = root / name
        return target.read_text(encoding="utf-8") if target.is_file() else None

    env = Environment(loader=FunctionLoader(load), autoescape=select_autoescape(default=True))
    env.filters["money"] = money_parts
    env.filters["plain"] = plain
    return env


def create_app(
    data: DashboardData,
    *,
    alerts: Callable[[], list[Any] | None] | None = None,
    root_path: str = "",
) -> Starlette:
    """The dashboard as an ASGI app, to be served behind ``_http_guard`` (``LocalServer`` and the watch's
    server do that for every app they serve)."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    env = _templates()
    static_root = files("plaid_balance.dashboard") / "static"

    def respond(body: Response) -> Response:
        body.headers["Content-Security-Policy"] = CSP
        return body

    def page(name: str, request: Request, **context: Any) -> Response:
        now = data.clock()
        html = env.get_template(name).render(
            base=root_path or "",
            path=request.url.path,
            now=now,
            age=lambda t: age(t, now),
            alerts_enabled=alerts is not None or data.alerts(1) is not None,
            latest=_iso(data.latest_at()),
            **context,
        )
        return respond(HTMLResponse(html))

    def chart_for(request: Request) -> tuple[Chart, dict[str, str]]:
        q = request.query_params
        range_key = q.get("range") or "90d"
        range_key = range_key if range_key in RANGES else "90d"
        view = q.get("view") or "networth"
        view = view if view in CHART_VIEWS else "networth"
        currencies = data.currencies()
        currency = q.get("currency") or ""
        currency = currency if currency in currencies else (currencies[0] if currencies else "")
        item = q.get("item") or ""
        field_name = "available" if q.get("field") == "available" else "current"
        if view == "items":
            chart = data.items_chart(range_key, currency or None)
        elif view == "accounts":
            chart = data.accounts_chart(range_key, item or None, field_name)
        else:
            chart = data.net_worth_chart(range_key, currency or None)
        params = {"range": range_key, "view": view, "currency": currency, "item": item, "field": field_name}
        return chart, params

    async def overview(request: Request) -> Response:
        items = data.items()
        trend = data.net_worth_chart("90d", None)
        return page(
            "overview.html",
            request,
            title="Overview",
            net_worth=data.net_worth(),
            items=items,
            trend=script_json(chart_json(trend)),
            trend_chart=trend,
            ninety_days=timedelta(days=90),
            zero=Totals(),
        )

    async def accounts(request: Request) -> Response:
        sort = request.query_params.get("sort", "alias")
        sort = sort if sort in SORT_KEYS else "alias"
        descending = request.query_params.get("dir") == "desc"
        rows = data.accounts()

        def key(row: Any) -> tuple[bool, Any]:
            value = getattr(row, sort)
            if isinstance(value, str):
                value = value.casefold()
            return (value is None, value if value is not None else 0)

        rows.sort(key=lambda r: (r.alias.casefold(), r.name.casefold()))
        present = [r for r in rows if getattr(r, sort) is not None]
        missing = [r for r in rows if getattr(r, sort) is None]
        present.sort(key=key, reverse=descending)
        return page(
            "accounts.html",
            request,
            title="Accounts",
            rows=present + missing,
            sort=sort,
            descending=descending,
            columns=SORT_KEYS,
        )

    async def history(request: Request) -> Response:
        chart, params = chart_for(request)
        return page(
            "history.html",
            request,
            title="History",
            chart=chart,
            chart_data=script_json(chart_json(chart)),
            params=params,
            ranges=list(RANGES),
            currencies=data.currencies(),
            item_choices=data.item_choices(),
            csv_query=urlencode(params),
        )

    async def history_csv(request: Request) -> Response:
        chart, params = chart_for(request)
        name = f"plaid-balance-{params['view']}-{params['range']}.csv"
        return respond(
            Response(
                chart_csv(chart),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        )

    async def history_json(request: Request) -> Response:
        chart, _ = chart_for(request)
        return respond(JSONResponse(chart_json(chart)))

    async def latest(request: Request) -> Response:
        """When the newest balance was stored: what the pages poll to redraw when new ones arrive."""
        return respond(JSONResponse({"latest": _iso(data.latest_at())}))

    async def balances(request: Request) -> Response:
        return respond(JSONResponse(balances_json(data)))

    async def alerts_page(request: Request) -> Response:
        events = alerts() if alerts is not None else data.alerts()
        return page("alerts.html", request, title="Alerts", events=events)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return respond(PlainTextResponse("not found", 404))
        body = (static_root / name).read_bytes()
        return respond(Response(body, media_type=STATIC[name]))

    routes = [
        Route("/", overview),
        Route("/accounts", accounts),
        Route("/history", history),
        Route("/history.csv", history_csv),
        Route("/history.json", history_json),
        Route("/balances.json", balances),
        Route("/alerts", alerts_page),
        Route("/latest.json", latest),
        Route("/static/{name}", static),
    ]

    async def unreadable(request: Request, exc: Exception) -> Response:
        # A database that fails or holds a corrupt row: one line in the answer, not a traceback.
        text = getattr(exc, "reason", "") or str(exc)
        first = text.splitlines()[0] if text else type(exc).__name__
        return respond(PlainTextResponse(f"cannot read the history database: {bounded_text(first)}", 503))

    return Starlette(routes=routes, exception_handlers={StorageError: unreadable})
