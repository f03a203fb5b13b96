"""DNS rebinding in real Chromium against every server the product runs: a page of another origin whose
name now resolves to 127.0.0.1 reads nothing, from any path, even while the user is signed in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plaid_balance.emulator import RunningEmulator
from plaid_balance.link.page import LinkScript
from plaid_balance.link.server import LinkSession, LocalLinkServer
from tests.http import servers
from tests.http.conftest import REBOUND

ATTACK = """
<!DOCTYPE html><html><body><script>
window.readAll = async (paths) => {
  const out = {};
  for (const path of paths) {
    try {
      const r = await fetch(path, {credentials: "include", cache: "no-store"});
      out[path] = [r.status, await r.text()];
    } catch (e) { out[path] = ["blocked", String(e)]; }
  }
  return out;
};
</script></body></html>
"""


def attack(context: Any, port: int, paths: list[str]) -> dict[str, list[Any]]:
    """Load the attacker's page as ``http://evil.test:PORT/`` (its own script, served by the attacker,
    here by Playwright), then let it fetch ``paths`` from its origin, which now resolves to 127.0.0.1."""
    origin = f"http://{REBOUND}:{port}"
    page = context.new_page()
    page.route(
        f"{origin}/",
        lambda route: (
            route.fulfill(status=200, content_type="text/html", body=ATTACK)
            if route.request.is_navigation_request()
            else route.fallback()
        ),
    )
    page.goto(f"{origin}/")
    result: dict[str, list[Any]] = page.evaluate("paths => window.readAll(paths)", paths)
    page.close()
    return result


def assert_refused(result: dict[str, list[Any]], *, port: int) -> None:
    for path, (status, body) in result.items():
        assert status == 421, (path, status, body[:200])
        assert body.strip() == f"this server answers only as 127.0.0.1:{port}, not '{REBOUND}:{port}'"


def sign_in(context: Any, url: str) -> None:
    """The user's own browser is signed in (its cookie is for 127.0.0.1, never sent to evil.test)."""
    page = context.new_page()
    assert page.goto(url).status == 200
    page.close()


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1].split("/")[0])


def test_the_watch_with_its_dashboard_refuses_a_rebinding_page(
    emu: RunningEmulator, tmp_path: Path, context: Any
) -> None:
    with servers.watch(emu, tmp_path) as watch:
        port = port_of(watch.base)
        sign_in(context, watch.sign_in)
        result = attack(
            context,
            port,
            [
                "/status",
                "/metrics",
                "/alerts",
                "/healthz",
                "/dashboard/",
                "/dashboard/accounts",
                "/dashboard/balances.json",
                "/dashboard/history.json",
                "/nope",
            ],
        )
    assert_refused(result, port=port)


def test_the_dashboard_refuses_a_rebinding_page(tmp_path: Path, context: Any) -> None:
    with servers.dashboard(tmp_path, "--no-browser") as dash:
        port = port_of(dash.base)
        sign_in(context, dash.sign_in)
        result = attack(
            context,
            port,
            [
                "/",
                "/accounts",
                "/balances.json",
                "/history.json",
                "/latest.json",
                "/static/dashboard.js",
                "/x",
            ],
        )
    assert_refused(result, port=port)


@pytest.fixture
def link_page() -> Iterator[LocalLinkServer]:
    with LocalLinkServer(
        LinkSession("link-sandbox-rebinding"), LinkScript.for_base_url("http://127.0.0.1:9")
    ) as s:
        assert s.wait_started()
        yield s


def test_the_link_page_refuses_a_rebinding_page(link_page: LocalLinkServer, context: Any) -> None:
    """Even knowing the page's secret path, the page of another name reads neither the link token nor
    the state token."""
    sign_in(context, link_page.page_url())
    base = link_page.session.base_path
    result = attack(context, link_page.port, [base, f"{base}link.js", f"{base}status", "/"])
    assert_refused(result, port=link_page.port)
