"""The library side of the redaction rule: credentials, exceptions, reprs, models and logging."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance import ConfigurationError, PlaidClient, PlaidNetworkError, RetryPolicy
from plaid_balance._json import dumps
from plaid_balance._log import protect_loggers
from plaid_balance._redact import redact, remember
from plaid_balance._secret import SecretStr

SECRET = "lib-canary-secret-8Jq2"
TOKEN = "access-sandbox-7f1c2d3e-aaaa-4bbb-8ccc-0123456789ab"


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Every record of every logger at DEBUG, as a library user who turns logging up would see them."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _client(secret: str, handler: httpx.MockTransport | None = None, **kwargs: object) -> PlaidClient:
    return PlaidClient(
        "client-id",
        secret,
        "sandbox",
        retry=RetryPolicy(attempts=3, wait_initial=0, wait_max=0, wait_jitter=0),
        transport=handler,
        **kwargs,  # type: ignore[arg-type]
    )


@given(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30).filter(
        lambda s: s.strip() and any(not (" " <= c <= "~") for c in s.strip())
    )
)
def test_a_secret_that_cannot_be_a_header_is_refused_before_any_request(secret: str) -> None:
    calls: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500)

    transport = httpx.MockTransport(record)
    with pytest.raises(ConfigurationError) as raised:
        _client(f"abc{secret}xyz", transport)
    assert "PLAID_SECRET" in str(raised.value)
    assert secret.strip() not in str(raised.value)
    assert calls == []


def test_lower_layer_errors_never_carry_the_secret_or_token(debug_log: io.StringIO) -> None:
    protect_loggers()

    def explode(request: httpx.Request) -> httpx.Response:
        # A transport error that quotes the request, as some HTTP stacks do.
        raise httpx.ConnectError(f"failed {request.headers['PLAID-SECRET']} {request.content.decode()}")

    client = _client(SECRET, httpx.MockTransport(explode))
    with pytest.raises(PlaidNetworkError) as raised:
        client.accounts_balance_get(TOKEN)
    texts = [str(raised.value), repr(raised.value), raised.value.message, repr(client), debug_log.getvalue()]
    for text in texts:
        assert SECRET not in text and TOKEN not in text, text


def test_url_passwords_are_masked_in_errors_and_reprs() -> None:
    with pytest.raises(ConfigurationError) as raised:
        _client(SECRET, base_url="http://user:url-pass-word-1@10.0.0.1")
    assert "url-pass-word-1" not in str(raised.value)
    with pytest.raises(ConfigurationError) as raised:
        _client(SECRET, base_url="http://user:url-pass-word-2@127.0.0.1:9")
    assert "url-pass-word-2" not in f"{raised.value} {raised.value!r}"
    assert "url-pass-word-3" not in redact("postgresql://u:url-pass-word-3@db/x?sslpassword=url-pass-word-3")


def test_secret_values_print_and_serialise_masked_and_are_known_to_the_redactor() -> None:
    value = SecretStr("secret-field-value-1")
    assert "secret-field-value-1" not in f"{value} {value!r} {dumps({'token': value})}"
    assert value.get_secret_value() == "secret-field-value-1"
    assert "secret-field-value-1" not in redact("copied as text: secret-field-value-1")


@given(
    st.lists(
        st.from_regex(r"access-sandbox-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", fullmatch=True),
        max_size=80,
    )
)
def test_many_tokens_are_masked_wherever_they_are_quoted(tokens: list[str]) -> None:
    remember(*tokens)
    text = " | ".join(f"token={t}, again:{t}" for t in tokens)
    clean = redact(text)
    assert not any(t in clean for t in tokens)


def test_library_users_see_no_bare_retry_lines() -> None:
    """With no logging configured, a retried call prints nothing (no bare ``stamina.retry_scheduled``)."""
    code = (
        "import httpx\n"
        "from plaid_balance import PlaidClient, PlaidNetworkError, RetryPolicy\n"
        "t = httpx.MockTransport(lambda r: httpx.Response(500, json={'error_type': 'API_ERROR', "
        "'error_code': 'INTERNAL_SERVER_ERROR', 'error_message': 'x'}))\n"
        "c = PlaidClient('id', 'secret-value', retry=RetryPolicy(attempts=3, wait_initial=0, wait_max=0, "
        "wait_jitter=0), transport=t)\n"
        "try:\n    c.accounts_balance_get('access-sandbox-x')\nexcept Exception as e:\n    pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
