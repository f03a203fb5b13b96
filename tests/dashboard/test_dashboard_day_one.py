"""Issue 20 §2 in headless Chromium: a dashboard on its first day (40 snapshots of a 30-second watch)
draws them at the resolution they have, on an axis that covers that and nothing more, with the date and
time on hover in the viewer's own (named) time zone; it updates itself when new balances are stored; at
phone width tables scroll in their own box, never the page. With ``PLAID_BALANCE_SCREENSHOTS=docs/images`` the
screenshots of docs/dashboard.md are refreshed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from plaid_balance.history import open_store
from tests.browsers import screenshot
from tests.dashboard.conftest import NOW
from tests.history.samples import account, report

FIRST = NOW - timedelta(seconds=30 * 39)


def save(db_url: str, at: Any, step: int) -> None:
    with open_store(db_url) as store:
        for item in ("item-day-one-a", "item-day-one-b"):
            accounts = [
                account(f"{item}-checking", current=f"{1200 + step}.50", available="1100"),
                account(f"{item}-card", current="310.25", type_="credit", subtype="credit card", mask="3333"),
            ]
            store.save(report(step, item_id=item, accounts=accounts, retrieved_at=at))


@pytest.fixture
def sample(db_url: str) -> list[Any]:
    """A watch started 20 minutes ago, every 30 seconds: 40 snapshots per Item, nothing older."""
    for step in range(40):
        save(db_url, FIRST + timedelta(seconds=30 * step), step)
    return []


def open_page(browser: Any, live: str, **context: Any) -> tuple[Any, Any, list[str]]:
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live)
    return ctx, page, errors


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_day_one_chart_has_minutes_an_honest_axis_and_local_times(browser: Any, live: str) -> None:
    """Not one point on a 90-day axis: every 30 s, from the first snapshot to now, hover in New York time."""
    ctx, page, errors = open_page(
        browser, live, viewport={"width": 1280, "height": 900}, timezone_id="America/New_York", locale="en-US"
    )
    try:
        plot = page.locator('.plot[data-chart="trend-data"][data-ready="true"][data-x-range]')
        plot.wait_for()
        chart = page.evaluate("JSON.parse(document.getElementById('trend-data').textContent)")
        assert chart["start"] == int(FIRST.timestamp()) and chart["end"] == int(NOW.timestamp())
        assert len(chart["times"]) >= 40 and chart["times"][-1] == chart["end"]
        assert all(b - a <= 30 for a, b in zip(chart["times"], chart["times"][1:], strict=False))
        low, high = (float(v) for v in plot.get_attribute("data-x-range").split(","))
        assert (low, high) == (chart["start"], chart["end"])  # the axis: that window, nothing beyond
        caption = page.locator("figure.small figcaption").inner_text()
        assert "since Nov 20, 2026, 12:40 PM EST (all the history there is)" in caption, caption
        assert "90 days" not in caption
        latest = page.locator("p.when").inner_text()
        assert latest == "Latest: Nov 20, 2026, 01:00 PM EST · times in your time zone (America/New_York)"
        box = page.locator("figure.small .u-over").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        hovered = page.locator("p.when").inner_text()
        assert hovered.startswith("At Nov 20, 2026, 12:5") and hovered.endswith(
            "PM EST · times in your time zone (America/New_York)"
        )
        assert page.locator("header time").inner_text() == "Nov 20, 2026, 01:00 PM EST"
        page.mouse.move(0, 0)
        screenshot(page, "dashboard", "day-one")
    finally:
        ctx.close()
    assert errors == [], errors


@pytest.mark.timeout(120)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_page_updates_itself_when_new_balances_are_stored(browser: Any, live: str, db_url: str) -> None:
    """A new snapshot (as the watch writes one) reaches an open page with no reload by the user."""
    ctx, page, errors = open_page(browser, live, viewport={"width": 1280, "height": 900})
    try:
        page.locator('.plot[data-ready="true"]').first.wait_for()
        before = page.evaluate("document.body.dataset.latest")
        assert before == NOW.isoformat()
        save(db_url, NOW + timedelta(seconds=30), 40)
        after = (NOW + timedelta(seconds=30)).isoformat()
        page.wait_for_selector(f'body[data-latest="{after}"]', state="attached", timeout=30_000)
        # Two Items, each 1,240.50 in checking and 310.25 owed: the new net worth is on the page.
        assert (
            page.locator('#net-worth tr[data-currency="USD"] td').nth(2).get_attribute("data-value")
            == "1860.50"
        )
    finally:
        ctx.close()
    assert errors == [], errors


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_at_phone_width_tables_scroll_in_their_own_box(browser: Any, live: str) -> None:
    """375 px wide: no page scrolls sideways; the wide accounts table scrolls inside its box."""
    ctx, page, errors = open_page(browser, live, viewport={"width": 375, "height": 812}, is_mobile=True)
    try:
        base = page.url.rstrip("/")
        for path, name in (("/", "phone-overview"), ("/accounts", "phone-accounts"), ("/history", None)):
            page.goto(base + path)
            page.locator("main").wait_for()
            if path != "/accounts":
                page.locator('.plot[data-ready="true"]').first.wait_for()
            wide = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert wide <= 0, (path, wide)
            if name:
                screenshot(page, "dashboard", name)
        table = page.locator("#accounts")
        page.goto(base + "/accounts")
        assert table.evaluate(
            "t => t.scrollWidth > t.clientWidth && getComputedStyle(t).overflowX === 'auto'"
        )
    finally:
        ctx.close()
    assert errors == [], errors
