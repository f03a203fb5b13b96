"""The emulator's Link in real headless Chromium: a page on another origin loads link-initialize.js, opens
Link in an iframe, and gets onSuccess/onExit through postMessage, as with Plaid's own script."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from plaid_balance.emulator import RunningEmulator
from tests.emulator.emulator_support import PlaidHTTP

# Set to a folder to refresh the screenshots in docs/ (e.g. PLAID_BALANCE_SCREENSHOTS=docs/images).
SCREENSHOTS = os.environ.get("PLAID_BALANCE_SCREENSHOTS")
LINK = {
    "client_name": "plaid-balance",
    "language": "en",
    "country_codes": ["US"],
    "user": {"client_user_id": "u1"},
}

HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>host</title></head><body>
<h1>Host application</h1><button id="open">Connect a bank</button><button id="exit">exit()</button>
<script src="{script}"></script>
<script>
window.events = []; window.result = null;
const handler = Plaid.create({{
  token: {token},
  onSuccess: (publicToken, metadata) => {{ window.result = {{kind: "success", publicToken, metadata}}; }},
  onExit: (error, metadata) => {{ window.result = {{kind: "exit", error, metadata}}; }},
  onEvent: (name, metadata) => {{ window.events.push(name); }},
}});
document.getElementById("open").onclick = () => handler.open();
document.getElementById("exit").onclick = () => handler.exit();
</script></body></html>"""


@pytest.fixture
def host(emu: RunningEmulator) -> Iterator[str]:
    """A page on another origin (another port), like plaid-balance's own local Link page."""
    script = f"{emu.base_url}/link/v2/stable/link-initialize.js"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            token = parse_qs(urlsplit(self.path).query).get("token", [""])[0]
            body = HOST_PAGE.format(script=script, token=json.dumps(token)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 900, "height": 720})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"emulator-link-{name}.png"))


def _link_token(plaid_http: PlaidHTTP, **extra: Any) -> str:
    body = {**LINK, "products": ["transactions"], **extra}
    response = plaid_http.post("/link/token/create", {k: v for k, v in body.items() if v is not None})
    assert response.status_code == 200, response.text
    token: str = response.json()["link_token"]
    return token


def _result(page: Any) -> dict[str, Any]:
    page.wait_for_function("window.result !== null")
    result: dict[str, Any] = page.evaluate("window.result")
    return result


def test_connect_a_bank_in_the_browser(page: Any, host: str, plaid_http: PlaidHTTP) -> None:
    token = _link_token(plaid_http)
    page.goto(f"{host}?token={token}")
    page.click("#open")
    link = page.frame_locator("iframe[title='Plaid Link']")
    link.locator("#institution-search").fill("tartan")
    link.locator("button.institution", has_text="Tartan Bank").click()
    _shot(page, "1-credentials")
    link.locator("#username").fill("user_good")
    link.locator("#password").fill("wrong")
    link.locator("#submit-credentials").click()
    assert "not correct" in link.locator("#error").inner_text()
    _shot(page, "2-wrong-password")
    link.locator("#password").fill("pass_good")
    link.locator("#submit-credentials").click()
    boxes = link.locator("input[name=account]")
    boxes.first.wait_for()
    _shot(page, "3-accounts")
    count = boxes.count()
    for index in range(2, count):
        boxes.nth(index).uncheck()
    link.locator("#submit-accounts").click()
    result = _result(page)
    assert result["kind"] == "success"
    metadata = result["metadata"]
    assert metadata["institution"] == {"name": "Tartan Bank", "institution_id": "ins_109511"}
    assert [a["name"] for a in metadata["accounts"]] == ["Plaid Checking", "Plaid Saving"]
    assert page.locator("iframe").count() == 0
    events = page.evaluate("window.events")
    assert events[:1] == ["OPEN"] and "HANDOFF" in events and "ERROR" in events
    exchanged = plaid_http.post("/item/public_token/exchange", {"public_token": result["publicToken"]}).json()
    balances = plaid_http.balance(exchanged["access_token"]).json()["accounts"]
    assert [a["account_id"] for a in balances] == [a["id"] for a in metadata["accounts"]]


def test_select_institution_screen(page: Any, host: str, plaid_http: PlaidHTTP) -> None:
    page.goto(f"{host}?token={_link_token(plaid_http)}")
    page.click("#open")
    link = page.frame_locator("iframe[title='Plaid Link']")
    link.locator("button.institution").first.wait_for()
    _shot(page, "0-institutions")
    assert link.locator("#client-name").inner_text() == "plaid-balance"


def test_cancel_calls_on_exit(page: Any, host: str, plaid_http: PlaidHTTP) -> None:
    page.goto(f"{host}?token={_link_token(plaid_http)}")
    page.click("#open")
    link = page.frame_locator("iframe[title='Plaid Link']")
    link.locator("button.institution").first.wait_for()
    link.locator("#plaid-close").click()
    result = _result(page)
    assert result["kind"] == "exit" and result["error"] is None
    assert result["metadata"]["status"] == "institution_not_found"
    assert result["metadata"]["link_session_id"]
    assert page.locator("iframe").count() == 0


def test_handler_exit_closes_link(page: Any, host: str, plaid_http: PlaidHTTP) -> None:
    page.goto(f"{host}?token={_link_token(plaid_http)}")
    page.click("#open")
    page.frame_locator("iframe[title='Plaid Link']").locator("button.institution").first.wait_for()
    page.evaluate("document.getElementById('exit').click()")
    assert _result(page)["kind"] == "exit"


def test_an_invalid_token_exits_with_its_error(page: Any, host: str) -> None:
    page.goto(f"{host}?token=link-sandbox-00000000-0000-4000-8000-000000000000")
    page.click("#open")
    result = _result(page)
    assert result["kind"] == "exit"
    assert result["error"]["error_code"] == "INVALID_LINK_TOKEN"


def test_update_mode_after_reset_login(
    page: Any, host: str, plaid_http: PlaidHTTP, emu: RunningEmulator
) -> None:
    access, item_id = emu.create_item()
    emu.reset_login(item_id)
    token = _link_token(plaid_http, access_token=access, products=None)
    page.goto(f"{host}?token={token}")
    page.click("#open")
    link = page.frame_locator("iframe[title='Plaid Link']")
    link.locator("#update-note").wait_for()
    assert "First Platypus Bank" in link.locator("#institution-name").inner_text()
    _shot(page, "4-update-mode")
    link.locator("#username").fill("user_good")
    link.locator("#password").fill("pass_good")
    link.locator("#submit-credentials").click()
    result = _result(page)
    assert result["kind"] == "success" and result["publicToken"].startswith("public-sandbox-")
    assert plaid_http.balance(access).status_code == 200
    assert emu.stats()["items"] == 1


def test_hosted_link_page(page: Any, plaid_http: PlaidHTTP) -> None:
    created = plaid_http.post("/link/token/create", {**LINK, "products": ["auth"], "hosted_link": {}}).json()
    page.goto(created["hosted_link_url"])
    page.locator("button.institution", has_text="First Platypus Bank").click()
    page.locator("#username").fill("user_good")
    page.locator("#password").fill("pass_good")
    page.locator("#submit-credentials").click()
    page.locator("#submit-accounts").click()
    page.locator("#step-done").wait_for()
    _shot(page, "5-hosted-done")
    got = plaid_http.post("/link/token/get", {"link_token": created["link_token"]}).json()
    public_token = got["link_sessions"][0]["results"]["item_add_results"][0]["public_token"]
    exchanged = plaid_http.post("/item/public_token/exchange", {"public_token": public_token})
    assert exchanged.status_code == 200


def test_link_pages_send_a_strict_csp(plaid_http: PlaidHTTP) -> None:
    ui = plaid_http.client.get("/link/ui", params={"token": "x"})
    csp = ui.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'self' http://127.0.0.1:* http://localhost:*" in csp
    script = plaid_http.client.get("/link/v2/stable/link-initialize.js")
    assert script.headers["content-type"].startswith("text/javascript")
