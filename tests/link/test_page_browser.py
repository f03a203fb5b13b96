"""Our Link page in real headless Chromium, with a stand-in Link script that has Plaid's API.

This checks the page's side of the contract on its own: it starts Link with our link token, posts
onSuccess/onExit to its own server with the state token, shows where the user stands, and runs under a
Content-Security-Policy that blocks injected inline script.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from plaid_balance.link.outcome import LinkExit, LinkSuccess
from plaid_balance.link.page import LinkScript
from plaid_balance.link.server import LinkSession, LocalLinkServer


@pytest.fixture
def served(fake_plaid_url: str) -> Iterator[LocalLinkServer]:
    events: list[str] = []
    session = LinkSession("link-sandbox-page-test", on_event=lambda name, _inst: events.append(name))
    with LocalLinkServer(session, LinkScript.for_base_url(fake_plaid_url)) as server:
        server.events = events  # type: ignore[attr-defined]
        yield server


def conclude(served: LocalLinkServer, state: str, message: str) -> None:
    """Be the command: once the page's result has arrived, give the page its verdict."""
    assert served.session.done.wait(30)
    served.session.conclude(state, message)


def test_success_is_posted_to_our_server_and_the_page_says_done(page: Any, served: LocalLinkServer) -> None:
    page.goto(served.page_url())
    assert page.get_attribute("#fake-link", "data-token") == "link-sandbox-page-test"
    page.click("#fake-success")
    page.wait_for_selector("body[data-state=working]")
    assert page.inner_text("#status") == "Connected. Finishing in your terminal…"  # not "done" before it is
    conclude(
        served, "done", "Done: First Platypus Bank is linked as first-platypus-bank. You can close this tab."
    )
    page.wait_for_selector("body[data-state=done]")
    assert "is linked as first-platypus-bank" in page.inner_text("#status")
    assert served.session.conclusion_seen.is_set()
    result = served.session.result
    assert isinstance(result, LinkSuccess)
    assert result.public_token == "public-fake-link-sandbox-page-test"
    assert result.institution_name == "First Platypus Bank"
    assert [a.account_id for a in result.accounts] == ["acc-1"]
    assert "OPEN" in served.events  # type: ignore[attr-defined]


def test_closing_link_is_posted_as_an_exit(page: Any, served: LocalLinkServer) -> None:
    page.goto(served.page_url())
    page.click("#fake-exit")
    page.wait_for_selector("body[data-state=exit]")
    assert "nothing was linked" in page.inner_text("#status")
    assert served.session.result == LinkExit(status="requires_credentials", link_session_id="session-1")


def test_an_error_exit_keeps_plaids_error_code(page: Any, served: LocalLinkServer) -> None:
    page.goto(served.page_url())
    page.click("#fake-error")
    page.wait_for_selector("body[data-state=exit]")
    result = served.session.result
    assert isinstance(result, LinkExit)
    assert result.error_code == "INVALID_CREDENTIALS"
    assert result.error_message == "The credentials were not correct."


def test_a_second_result_from_the_same_page_is_refused(page: Any, served: LocalLinkServer) -> None:
    page.goto(served.page_url())
    page.click("#fake-success")
    conclude(served, "done", "Done.")
    page.wait_for_selector("body[data-state=done]")
    page.click("#fake-exit")  # a later onExit (or a replay) must not replace the success
    page.wait_for_selector("body[data-state=exit]")
    assert isinstance(served.session.result, LinkSuccess)


def test_a_refusal_is_what_the_page_says(page: Any, served: LocalLinkServer) -> None:
    """The command refused the bank after Link succeeded: the page says so, never "Done"."""
    page.goto(served.page_url())
    page.click("#fake-success")
    conclude(
        served, "refused", "Not linked: the vault already holds First Platypus Bank as first-platypus-bank."
    )
    page.wait_for_selector("body[data-state=refused]")
    assert page.inner_text("#status").startswith("Not linked: the vault already holds")


def test_the_policy_blocks_injected_inline_script(page: Any, served: LocalLinkServer) -> None:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    page.goto(served.page_url())
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.appendChild(s); }"
    )
    assert page.evaluate("() => window.injected") is None
    assert any("Content Security Policy" in text for text in violations)


def test_when_link_cannot_load_the_page_says_so(page: Any) -> None:
    session = LinkSession("link-sandbox-unreachable")
    events: list[str] = []
    session.on_event = lambda name, _inst: events.append(name)
    with LocalLinkServer(session, LinkScript.for_base_url("http://127.0.0.1:9")) as server:
        page.goto(server.page_url())
        page.wait_for_selector("body[data-state=error]")
        assert "could not be loaded" in page.inner_text("#status")
    assert events == ["LOAD_FAILED"]
    # The command stops waiting at once, and says why.
    assert isinstance(session.result, LinkExit)
    assert session.result.error_code == "LINK_LOAD_FAILED"
    assert "http://127.0.0.1:9/link/v2/stable/link-initialize.js" in str(session.result.error_message)
