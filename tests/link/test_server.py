"""The one-time server's security rules, through HTTP against a real server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaid_balance.link.outcome import LinkExit, LinkSuccess, parse_result
from plaid_balance.link.page import LinkScript, content_security_policy
from plaid_balance.link.server import MAX_BODY, LinkSession, LocalLinkServer

SCRIPT = LinkScript.for_base_url("http://127.0.0.1:9")
SUCCESS = {
    "outcome": "success",
    "public_token": "public-sandbox-1",
    "metadata": {
        "institution": {"name": "First Platypus Bank", "institution_id": "ins_109508"},
        "accounts": [
            {"id": "acc-1", "name": "Checking", "mask": "0000", "type": "depository", "subtype": "checking"}
        ],
        "link_session_id": "s-1",
    },
}


class Page:
    """A client that behaves like our page in the browser (same origin, JSON, the state token)."""

    def __init__(self, server: LocalLinkServer, http: httpx.Client) -> None:
        self.server = server
        self.http = http
        self.origin = f"http://127.0.0.1:{server.port}"
        self.url = f"{self.origin}{server.session.base_path}"
        signed_in = http.get(server.page_url())  # the session cookie, as the browser gets it
        assert signed_in.status_code == 303 and signed_in.headers["location"] == server.session.base_path

    def post(self, what: str, payload: Any, **headers: str) -> httpx.Response:
        sent = {"Origin": self.origin, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}
        sent.update(headers)
        content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.http.post(self.url + what, content=content, headers=sent)

    def result(self, payload: dict[str, Any], **headers: str) -> httpx.Response:
        return self.post("result", {**payload, "state": self.server.session.state}, **headers)


@pytest.fixture
def session() -> LinkSession:
    return LinkSession("link-sandbox-token")


@pytest.fixture
def page_client(session: LinkSession) -> Iterator[Page]:
    with LocalLinkServer(session, SCRIPT) as server, httpx.Client(timeout=10) as http:
        yield Page(server, http)


def test_the_page_is_served_only_on_its_one_time_path_with_a_strict_policy(page_client: Page) -> None:
    server = page_client.server
    assert page_client.url.startswith("http://127.0.0.1:")
    assert len(server.session.path_token) >= 32
    response = page_client.http.get(page_client.url)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == content_security_policy(SCRIPT)
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert "link-sandbox-token" in response.text
    assert SCRIPT.url in response.text
    assert server.session.page_loaded.is_set()
    for path in ("/", "/x/", f"/{server.session.path_token}x/", "/link.js", "/result"):
        assert page_client.http.get(f"http://127.0.0.1:{server.port}{path}").status_code == 404


def test_a_valid_result_is_delivered_once_and_a_replay_is_refused(page_client: Page) -> None:
    assert page_client.result(SUCCESS).status_code == 200
    result = page_client.server.session.result
    assert isinstance(result, LinkSuccess)
    assert result.public_token == "public-sandbox-1"
    assert result.institution_id == "ins_109508"
    assert "public-sandbox-1" not in repr(result)
    replay = page_client.result({**SUCCESS, "public_token": "public-sandbox-2"})
    assert replay.status_code == 409
    assert page_client.server.session.result is result
    # The page itself is gone once the session has its result.
    assert page_client.http.get(page_client.url).status_code == 410


def test_an_exit_is_a_result_too(page_client: Page) -> None:
    exit_payload = {"outcome": "exit", "error": None, "metadata": {"status": "requires_credentials"}}
    assert page_client.result(exit_payload).status_code == 200
    assert page_client.server.session.result == LinkExit(status="requires_credentials")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),
        ({"Content-Type": "text/plain"}, 415),
        ({"Host": "localhost"}, 421),
        ({"Host": "attacker.example:80"}, 421),
    ],
)
def test_posts_from_elsewhere_are_refused(page_client: Page, headers: dict[str, str], status: int) -> None:
    assert page_client.result(SUCCESS, **headers).status_code == status
    assert page_client.server.session.result is None


def test_a_post_without_origin_or_with_a_wrong_state_is_refused(page_client: Page) -> None:
    body = json.dumps({**SUCCESS, "state": page_client.server.session.state}).encode()
    no_origin = page_client.http.post(
        page_client.url + "result", content=body, headers={"Content-Type": "application/json"}
    )
    assert no_origin.status_code == 403
    assert page_client.post("result", {**SUCCESS, "state": "guess"}).status_code == 403
    assert page_client.post("result", SUCCESS).status_code == 403
    assert page_client.server.session.result is None


def test_oversized_and_garbage_bodies_are_refused(page_client: Page) -> None:
    big = {**SUCCESS, "state": page_client.server.session.state, "pad": "x" * MAX_BODY}
    assert page_client.post("result", big).status_code == 413
    assert page_client.post("result", b"\xff\xfe not json").status_code == 400
    assert page_client.post("result", b"[1, 2]").status_code == 400
    assert page_client.post("result", b"[" * 100_000).status_code in {400, 413}
    assert page_client.server.session.result is None
    assert page_client.result(SUCCESS).status_code == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
forged_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"outcome": st.sampled_from(["success", "exit", "other"])},
        optional={
            "public_token": json_values,
            "metadata": json_values,
            "error": json_values,
            "state": st.text(max_size=60),
        },
    ).map(lambda v: json.dumps(v).encode()),
)
forged_headers = st.fixed_dictionaries(
    {},
    optional={
        "Origin": st.sampled_from(["http://evil.example", "null", "http://127.0.0.1", "https://127.0.0.1:1"]),
        "Sec-Fetch-Site": st.sampled_from(["cross-site", "same-site", "none"]),
        "Content-Type": st.sampled_from(
            ["text/plain", "application/x-www-form-urlencoded", "application/json"]
        ),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=forged_bodies, headers=forged_headers, where=st.sampled_from(["result", "event"]))
def test_forged_posts_never_deliver_and_the_server_stays_correct(
    page_client: Page, body: bytes, headers: dict[str, str], where: str
) -> None:
    """Anything without the real state token is refused; the server keeps answering and stays unused."""
    response = page_client.post(where, body, **headers)
    assert response.status_code in {400, 403, 413, 415}
    assert page_client.server.session.result is None
    assert page_client.http.get(page_client.url).status_code == 200


@settings(max_examples=300, deadline=None)
@given(metadata=json_values, token=json_values, outcome=st.sampled_from(["success", "exit", None, 1]))
def test_only_well_formed_results_parse(metadata: Any, token: Any, outcome: Any) -> None:
    payload = {"outcome": outcome, "public_token": token, "metadata": metadata}
    try:
        result = parse_result(payload)
    except ValueError:
        return
    assert outcome in {"success", "exit"}
    assert isinstance(metadata, dict | None)
    if isinstance(result, LinkSuccess):
        assert isinstance(token, str) and token.strip() == result.public_token


@pytest.mark.parametrize(
    "payload",
    [
        {"outcome": "success", "public_token": ""},
        {"outcome": "success", "public_token": 42},
        {"outcome": "success", "public_token": "p", "metadata": []},
        {"outcome": "success", "public_token": "p", "metadata": {"accounts": [{"name": "no id"}]}},
        {"outcome": "success", "public_token": "p" * 600},
        {"outcome": "maybe"},
    ],
)
def test_malformed_results_with_the_right_state_are_refused_and_do_not_use_up_the_session(
    page_client: Page, payload: dict[str, Any]
) -> None:
    assert page_client.result(payload).status_code == 400
    assert page_client.server.session.result is None
    assert page_client.result(SUCCESS).status_code == 200


def test_events_reach_the_terminal_only_with_the_state_token(session: LinkSession) -> None:
    seen: list[tuple[str, str | None]] = []
    session.on_event = lambda name, institution: seen.append((name, institution))
    with LocalLinkServer(session, SCRIPT) as server, httpx.Client(timeout=10) as http:
        client = Page(server, http)
        assert client.post("event", {"event": "OPEN", "state": session.state}).status_code == 200
        assert client.post("event", {"event": "FORGED", "state": "nope"}).status_code == 403
        assert client.post("event", {"event": "x" * 65, "state": session.state}).status_code == 200
    assert seen == [("OPEN", None)]


def test_the_server_is_gone_after_close(session: LinkSession) -> None:
    server = LocalLinkServer(session, SCRIPT)
    url = server.page_url()
    server.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_two_sessions_have_different_secrets_and_ports() -> None:
    with LocalLinkServer(LinkSession("a"), SCRIPT) as one, LocalLinkServer(LinkSession("b"), SCRIPT) as two:
        assert one.port != two.port
        assert one.session.path_token != two.session.path_token
        assert one.session.state != two.session.state
        with httpx.Client() as http:
            assert http.get(one.page_url()).status_code == 303  # signed in to the first
            wrong = http.get(f"http://127.0.0.1:{one.port}{two.session.base_path}")
        assert wrong.status_code == 404
