"""The dashboard's web app (Starlette + Jinja2): pages, the chart data as JSON and CSV, and its guard.

Security (docs/dashboard.md explains it for users):

* every page and file needs the dashboard's login token: given once in the URL (``/?token=...``), which
  answers with an HttpOnly, SameSite=Strict cookie and a redirect to the same page without the token, or
  as ``Authorization: Bearer`` (scripts, the watch's port);
* the Host header must name the address the server was started on (a DNS-rebinding page cannot reach it
  under another name);
* every answer carries a strict Content-Security-Policy (scripts and styles from the dashboard itself
  only, no inline script, no framing), ``no-store`` and ``no-referrer``;
* the pages only read: nothing changes state, so there is no form to forge. Repairs are shown as the exact
  command to run;
* bank data is escaped by Jinja2's autoescape; amounts reach the browser as exact decimal strings.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from plaid_balance._csv import csv_text
from plaid_balance.dashboard._data import RANGES, Chart, DashboardData, Totals

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

COOKIE: Final = "plaid_balance_dashboard"
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
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


class Guard:
    """The login token and the one Host this server answers to."""

    def __init__(self, token: str, hosts: Sequence[str]) -> None:
        self.token = token
        self.hosts = {h.lower() for h in hosts}

    def host_ok(self, host: str) -> bool:
        return not self.hosts or host.lower() in self.hosts

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def authorised(self, request: Request) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.token_ok(value.strip()):
            return True
        return self.token_ok(request.cookies.get(COOKIE))


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
    token: str,
    hosts: Sequence[str] = (),
    alerts: Callable[[], list[Any] | None] | None = None,
    root_path: str = "",
    require_token: bool = True,
) -> Starlette:
    """The dashboard as an ASGI app. ``require_token=False`` only where something in front of it (the
    watch's bearer-token middleware) already checks every request."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Route

    env = _templates()
    guard = Guard(token, hosts)
    static_root = files("plaid_balance.dashboard") / "static"

    def respond(body: Response) -> Response:
        body.headers.update(HEADERS)
        return body

    def gate(request: Request) -> Response | None:
        if not guard.host_ok(request.headers.get("host", "")):
            return respond(PlainTextResponse("unknown host", 421))
        given = request.query_params.get("token")
        if given is not None:
            if not guard.token_ok(given):
                return respond(PlainTextResponse("wrong or expired dashboard token", 403))
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(query)}" if query else "")
            redirect = respond(RedirectResponse(target, 303))
            redirect.set_cookie(COOKIE, token, httponly=True, samesite="strict", path=root_path or "/")
            return redirect
        if require_token and not guard.authorised(request):
            return respond(
                PlainTextResponse(
                    "this dashboard needs its login token: open the URL plaid-balance dashboard printed",
                    401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            )
        return None

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
        if (stop := gate(request)) is not None:
            return stop
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
        if (stop := gate(request)) is not None:
            return stop
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
        if (stop := gate(request)) is not None:
            return stop
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
        if (stop := gate(request)) is not None:
            return stop
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
        if (stop := gate(request)) is not None:
            return stop
        chart, _ = chart_for(request)
        return respond(JSONResponse(chart_json(chart)))

    async def latest(request: Request) -> Response:
        """When the newest balance was stored: what the pages poll to redraw when new ones arrive."""
        if (stop := gate(request)) is not None:
            return stop
        return respond(JSONResponse({"latest": _iso(data.latest_at())}))

    async def alerts_page(request: Request) -> Response:
        if (stop := gate(request)) is not None:
            return stop
        events = alerts() if alerts is not None else data.alerts()
        return page("alerts.html", request, title="Alerts", events=events)

    async def static(request: Request) -> Response:
        if (stop := gate(request)) is not None:
            return stop
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
        Route("/alerts", alerts_page),
        Route("/latest.json", latest),
        Route("/static/{name}", static),
    ]

    async def unreadable(request: Request, exc: Exception) -> Response:
        # A database that fails or holds a corrupt row: one line in the answer, not a traceback.
        from plaid_balance._safe_text import bounded_text

        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return respond(PlainTextResponse(f"cannot read the history database: {bounded_text(first)}", 503))

    from sqlalchemy.exc import SQLAlchemyError

    return Starlette(routes=routes, exception_handlers={SQLAlchemyError: unreadable})
