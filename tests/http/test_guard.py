"""The one guard in front of every server (``_http_guard``), through HTTP: the Host rule, deny-by-default
tokens, one-time sign-in links, and the headers on every answer, refusals and errors included."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from plaid_balance import _http_guard
from plaid_balance._http_guard import STRICT_CSP, Guard, HostRule
from plaid_balance._local_server import LocalServer

TOKEN = "guard-test-token-" + "x" * 16
SECRET_PAGE = "balances: 1234.56"


def app() -> Starlette:
    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse(SECRET_PAGE)

    async def broken(request: Request) -> PlainTextResponse:
        raise RuntimeError("a bug")

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/", page),
            Route("/any/{rest:path}", page),
            Route("/broken", broken),
            Route("/healthz", healthz),
            Route("/hook", healthz, methods=["POST"]),
        ]
    )


def client(guard: Guard, **kwargs: Any) -> Any:
    from starlette.testclient import TestClient

    return TestClient(
        guard.protect(app()),
        base_url="http://127.0.0.1:8787",
        raise_server_exceptions=False,
        follow_redirects=False,
        **kwargs,
    )


def guard(**kwargs: Any) -> Guard:
    return Guard(HostRule.bound("127.0.0.1", 8787), token=TOKEN, open_paths=("/healthz", "/hook"), **kwargs)


def assert_headers(response: Any) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == STRICT_CSP


def test_every_answer_carries_the_headers_refusals_404s_and_errors_included() -> None:
    """no-store and the strict policy on a page, a 404, a 500, a 405 and every refusal."""
    g = guard()
    with client(g, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        answers = [
            http.get("/"),
            http.get("/nope"),
            http.get("/broken"),
            http.get("/hook"),
            http.get("/healthz"),
            http.get("/", headers={"Host": "evil.test:8787"}),
            http.get("/", headers={"Authorization": ""}),
            http.get("/?token=wrong"),
            http.get(f"/?token={g.sign_in_token()}"),
        ]
    assert [a.status_code for a in answers] == [200, 404, 500, 405, 200, 421, 401, 403, 303]
    for answer in answers:
        assert_headers(answer)
        assert SECRET_PAGE not in answer.text or answer.status_code == 200


def test_a_page_keeps_its_own_policy_and_the_guard_still_sets_no_store() -> None:
    async def styled(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse(
            "x", headers={"Content-Security-Policy": "default-src 'self'", "Cache-Control": "max-age=99"}
        )(scope, receive, send)

    from starlette.testclient import TestClient

    http = TestClient(guard().protect(styled), base_url="http://127.0.0.1:8787")
    answer = http.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.headers["content-security-policy"] == "default-src 'self'"
    assert answer.headers.get_list("cache-control") == ["no-store"]


@settings(max_examples=200, deadline=None)
@given(path=st.text(st.characters(codec="utf-8", exclude_characters="?#\x00"), max_size=40))
def test_deny_by_default_every_path_but_the_open_ones_needs_a_credential(path: str) -> None:
    """Any path (a route added tomorrow too) answers 401 without a credential; only the open list is open."""
    url = "/" + path.lstrip("/")
    with client(guard()) as http:
        answer = http.get(httpx.URL(quote(url)))
    if url in ("/healthz", "/hook"):
        assert answer.status_code in (200, 405)
    else:
        assert answer.status_code == 401, url
        assert answer.headers["www-authenticate"] == "Bearer"
        assert SECRET_PAGE not in answer.text


def test_bearer_token_and_only_it() -> None:
    with client(guard()) as http:
        assert http.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).text == SECRET_PAGE
        for wrong in (f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer", TOKEN, f"Bearer {TOKEN[:-1]}"):
            assert http.get("/", headers={"Authorization": wrong}).status_code == 401, wrong


def test_a_sign_in_link_works_once_and_gives_a_strict_httponly_cookie() -> None:
    """The one-time token is traded for a session cookie, and refused the second time."""
    g = guard()
    link = g.sign_in_url("http://127.0.0.1:8787", "/any/page")
    with client(g) as browser, client(g) as other:
        assert other.head(link).status_code == 401  # a link preview does not use the link up
        signed_in = browser.get(link + "&view=items")
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/any/page?view=items"  # the token left the address
        cookie = signed_in.headers["set-cookie"]
        assert cookie.startswith("plaid_balance_8787=")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert TOKEN not in cookie and link.split("token=")[1] not in cookie  # a session of its own
        assert browser.get("/any/page").text == SECRET_PAGE
        again = other.get(link)
        assert again.status_code == 403 and "used already" in again.text
        assert other.get("/").status_code == 401
        forged = other.get("/", headers={"Cookie": "plaid_balance_8787=" + link.split("token=")[1]})
        assert forged.status_code == 401


def test_a_chosen_token_signs_in_again_and_again_a_generated_one_is_never_shown() -> None:
    with client(guard()) as http:
        assert http.get(f"/?token={TOKEN}").status_code == 303
        assert http.get(f"/?token={TOKEN}").status_code == 303
    generated = Guard(HostRule.bound("127.0.0.1", 8787))
    assert generated.token_generated and len(generated.token) >= 40
    assert generated.token not in repr(generated)


def test_sign_in_links_beyond_the_limit_die_oldest_first() -> None:
    g = guard()
    first = g.sign_in_token()
    for _ in range(64):
        g.sign_in_token()
    with client(g) as http:
        assert http.get(f"/?token={first}").status_code == 403


def test_signed_in_browsers_beyond_the_limit_are_forgotten_oldest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_http_guard, "MAX_SESSIONS", 3)
    g = guard()
    with client(g) as http:
        cookies = [http.get(f"/?token={TOKEN}").headers["set-cookie"].split(";")[0] for _ in range(4)]
    with client(g) as http:
        answers = [http.get("/", headers={"Cookie": cookie}).status_code for cookie in cookies]
    assert answers == [401, 200, 200, 200]


def test_a_browser_sent_from_another_site_gets_a_page_that_moves_on_by_itself() -> None:
    """From the private file the browser was opened on (Sec-Fetch-Site: cross-site), a redirect would
    lose the SameSite=Strict cookie; a page of our own moves on instead, with no script."""
    g = guard()
    with client(g) as http:
        answer = http.get(f"/any/x?token={g.sign_in_token()}", headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 200 and "set-cookie" in answer.headers
    assert '<meta http-equiv="refresh" content="0;url=/any/x">' in answer.text
    assert "<script" not in answer.text
    assert_headers(answer)


@settings(max_examples=200, deadline=None)
@given(path=st.text(st.characters(codec="utf-8", exclude_characters="?#\x00"), max_size=30))
@example(path="/\\evil.example")
@example(path="/x\r\nSet-Cookie: a=b")
def test_the_sign_in_redirect_never_leaves_the_server(path: str) -> None:
    """Whatever the path (``//evil.example``, ``/\\evil.example``, CR LF), the browser stays here."""
    g = guard()
    with client(g) as http:
        answer = http.get(httpx.URL(quote(path, safe="/")), params={"token": g.sign_in_token()})
    location = answer.headers["location"]
    assert re.fullmatch(r"/([^/\\].*)?", location), location
    assert "\r" not in location and "\n" not in location


@settings(max_examples=300, deadline=None)
@given(
    host=st.one_of(
        st.sampled_from(
            [
                "127.0.0.1:8787",
                "LOCALHOST:8787",
                "localhost",
                "127.0.0.1",
                "127.0.0.1:9000",
                "127.0.0.2:8787",
                "evil.test:8787",
                "127.0.0.1.evil.test:8787",
                "localhost.evil.test",
                "[::1]:8787",
                "127.0.0.1:x",
                "127.0.0.1:",
                "localhost:123456",
                "127.0.0.1:８７８７",
                "",
            ]
        ),
        st.text(max_size=30),
    )
)
def test_the_host_must_name_the_bound_address(host: str) -> None:
    """Loopback: the address and ``localhost``, on any port (forwarded ports change it); any other name or
    address is 421."""
    rule = HostRule.bound("127.0.0.1", 8787)
    name, colon, port = host.strip().lower().partition(":")
    expected = name in {"127.0.0.1", "localhost"} and (
        not colon or (port.isascii() and port.isdigit() and len(port) <= 5)
    )
    assert rule.allows(host) is expected


@given(address=st.ip_addresses(), port=st.integers(1, 65535))
def test_a_wildcard_bind_answers_to_addresses_never_to_foreign_names(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int
) -> None:
    """A rebinding page always has a name; an address in the Host cannot point anywhere else."""
    rule = HostRule.bound("0.0.0.0", 8787, also=["watch.example.org"])
    shown = f"[{address}]" if address.version == 6 else str(address)
    assert rule.allows(f"{shown}:{port}") and rule.allows(shown)
    assert rule.allows(f"localhost:{port}") and rule.allows("watch.example.org")
    assert not rule.allows(f"evil.test:{port}") and not rule.allows("watch.example.org.evil.test")


@pytest.fixture
def served() -> Iterator[LocalServer]:
    with LocalServer(lambda _host, _port: app(), open_paths=("/healthz",)) as server:
        assert server.wait_started()
        yield server


def test_every_local_server_is_behind_the_guard(served: LocalServer) -> None:
    """Over a real socket: the open path is open, the rest needs the token, a foreign Host is 421."""
    with httpx.Client(base_url=served.base_url, timeout=10) as http:
        assert http.get("/healthz").status_code == 200
        assert http.get("/").status_code == 401
        assert http.get("/", headers={"Host": f"evil.test:{served.port}"}).status_code == 421
        assert http.get("/healthz", headers={"Host": f"evil.test:{served.port}"}).status_code == 421
        assert http.get(served.sign_in_url()).status_code == 303
        assert http.get("/").text == SECRET_PAGE


def test_a_sign_in_link_on_a_double_slash_path_stays_here(served: LocalServer) -> None:
    """``GET //evil.example/x?token=...`` as sent on the wire (httpx would read the path as a host)."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.sendall(
            f"GET //evil.example/x?token={served.guard.sign_in_token()} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{served.port}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head = answer.decode("latin-1").split("\r\n\r\n")[0].lower()
    assert head.startswith("http/1.1 303")
    assert "\r\nlocation: /evil.example/x\r\n" in head + "\r\n"
