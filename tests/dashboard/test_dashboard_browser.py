"""The dashboard in real headless Chromium: every page, the numbers against the database, sorting, range
selection, the CSV download, keyboard use, labels and contrast. With ``PLAID_BALANCE_SCREENSHOTS=docs/images``
the screenshots of docs/dashboard.md are refreshed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from plaid_balance.dashboard._data import DashboardData
from tests.browsers import screenshot

CONTRAST = """
() => {
  function lum(rgb) {
    const c = rgb.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function bg(el) {
    while (el) { const b = getComputedStyle(el).backgroundColor;
      if (b && !b.startsWith('rgba(0, 0, 0, 0)') && b !== 'transparent') return b; el = el.parentElement; }
    return 'rgb(255, 255, 255)';
  }
  let worst = 99, where = '';
  for (const el of document.querySelectorAll('body *')) {
    if (!el.childNodes.length || ![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none' || parseFloat(s.opacity) < 1) continue;
    const a = lum(s.color), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst) { worst = ratio; where = el.tagName + ' ' + el.textContent.trim().slice(0, 30); }
  }
  return [worst, where];
}
"""


@pytest.fixture
def page(browser: Any, live: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live)
    yield page
    context.close()
    assert errors == [], errors  # no script error, no CSP violation


def shoot(page: Any, name: str) -> None:
    screenshot(page, "dashboard", name)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_overview_shows_the_database_numbers(page: Any, data: DashboardData) -> None:
    assert page.url.endswith("/")  # the login token left the address bar
    totals = data.net_worth()["USD"]
    cells = page.locator('#net-worth tr[data-currency="USD"] td')
    shown = [cells.nth(i).get_attribute("data-value") for i in range(3)]
    assert shown == [f"{totals.assets:f}", f"{totals.liabilities:f}", f"{totals.net:f}"]
    text = cells.nth(2).text_content().replace(",", "").strip()
    assert Decimal(text) == totals.net
    assert page.locator("#items tbody tr").count() == len(data.items())
    page.locator('.plot[data-ready="true"]').wait_for()
    shoot(page, "overview")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_accounts_sort_by_clicking_headings(page: Any, data: DashboardData) -> None:
    page.get_by_role("link", name="Accounts").click()
    page.wait_for_url("**/accounts")
    rows = page.locator("#accounts tbody tr")
    assert rows.count() == len(data.accounts())
    page.locator('a[data-sort="current"]').click()
    page.wait_for_url("**sort=current&dir=asc")
    values = [Decimal(v) for v in rows.evaluate_all("rs => rs.map(r => r.children[5].dataset.value)") if v]
    assert values == sorted(values)
    page.locator('a[data-sort="current"]').click()  # again: descending
    page.wait_for_url("**sort=current&dir=desc")
    values = [Decimal(v) for v in rows.evaluate_all("rs => rs.map(r => r.children[5].dataset.value)") if v]
    assert values == sorted(values, reverse=True)
    assert page.locator('th[aria-sort="descending"]').count() == 1
    shoot(page, "accounts")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_history_range_chart_legend_and_csv(page: Any, data: DashboardData) -> None:
    page.get_by_role("link", name="History").click()
    page.locator('.plot[data-ready="true"]').wait_for()
    page.get_by_label("Show", exact=True).select_option("items")
    page.get_by_label("Range", exact=True).select_option("30d")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**view=items**range=30d**")
    page.locator('.plot[data-ready="true"]').wait_for()
    legend = page.locator(".legend button")
    assert legend.count() == len(data.items())
    legend.first.click()
    assert legend.first.get_attribute("aria-pressed") == "false"
    shoot(page, "history-items")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    csv_text = Path(info.value.path()).read_text(encoding="utf-8")
    assert csv_text.splitlines()[0].split(",")[1:] == [s.label for s in data.items_chart("30d", "USD").series]
    page.get_by_label("Show", exact=True).select_option("accounts")
    page.get_by_role("button", name="Show").click()
    page.locator('.plot[data-ready="true"]').wait_for()
    assert page.locator(".legend button").count() == len(data.accounts())
    shoot(page, "history-accounts")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_keyboard_labels_and_contrast(page: Any) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Accounts"
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts")
    for path in ("/", "/accounts", "/history"):
        page.goto(page.url.split("/accounts")[0].rstrip("/") + path) if path != "/accounts" else None
        unlabelled = page.evaluate(
            "() => [...document.querySelectorAll('select, input, button')]"
            ".filter(e => !(e.labels && e.labels.length) && !e.textContent.trim() && !e.getAttribute('aria-label')).length"
        )
        assert unlabelled == 0
        worst, where = page.evaluate(CONTRAST)
        assert worst >= 4.5, where


@pytest.mark.timeout(120)
def test_demo_dashboard_is_populated_on_a_machine_with_no_keys(browser: Any, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAID")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "plaid_balance", "demo", "--dashboard", "--no-browser"],
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "HOME": str(tmp_path)},
    )
    try:
        assert proc.stderr is not None
        url = ""
        for line in proc.stderr:
            if line.startswith("dashboard: http"):
                url = line.split(" ", 1)[1].strip()
                break
        assert url
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(url)
        assert page.locator("#items tbody tr").count() == 3
        page.locator('.plot[data-ready="true"]').wait_for()
        shoot(page, "demo-overview")
        page.goto(url.split("/?")[0] + "/history?view=accounts&range=90d")
        page.locator('.plot[data-ready="true"]').wait_for()
        assert page.locator(".legend button").count() == 36
        shoot(page, "demo-history-accounts")
        context.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
