"""The local web server behind the dashboard and the Link page, and the loopback rule they share."""

from __future__ import annotations

import ipaddress
import socket

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from plaid_balance._local_server import LocalServer
from plaid_balance._loopback import is_loopback


def echo_app(host: str, port: int) -> Starlette:
    async def where(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{host}:{port}")

    return Starlette(routes=[Route("/", where)])


def test_the_app_is_built_for_the_bound_address_and_served() -> None:
    with LocalServer(echo_app) as server:
        assert server.wait_started()
        assert server.host == "127.0.0.1" and server.port > 0
        answer = httpx.get(
            server.base_url, timeout=10, headers={"Authorization": f"Bearer {server.guard.token}"}
        )
        assert answer.text == f"127.0.0.1:{server.port}"
        assert httpx.get(server.base_url, timeout=10).status_code == 401  # every server is behind the guard
        assert "server" not in answer.headers  # no uvicorn banner
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url, timeout=10)


def test_a_taken_port_is_an_oserror_in_the_caller() -> None:
    with LocalServer(echo_app) as server, pytest.raises(OSError, match=r"(?i)address already in use"):
        LocalServer(echo_app, "127.0.0.1", server.port)


def test_an_app_that_cannot_be_built_leaves_the_port_free() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def broken(host: str, port: int) -> Starlette:
        raise RuntimeError("no app")

    with pytest.raises(RuntimeError):
        LocalServer(broken, "127.0.0.1", port)
    with LocalServer(echo_app, "localhost", port) as server:  # the socket was closed: the port binds again
        assert server.wait_started() and server.port == port


@given(address=st.ip_addresses())
def test_loopback_is_127_slash_8_and_colon_colon_1(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    expected = address.is_loopback
    assert is_loopback(str(address)) is expected
    if address.version == 6:
        assert is_loopback(f"[{address}]") is expected


@given(
    name=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6})?", fullmatch=True).filter(
        lambda n: n != "localhost"
    )
)
def test_localhost_is_the_only_name_trusted_as_loopback(name: str) -> None:
    assert is_loopback("localhost")
    assert not is_loopback(name)
