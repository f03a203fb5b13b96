"""One rule bounds every log line, the library's and the watch's: text from outside (Plaid's error message,
a bank's name, a webhook's detail) is masked, escaped to one line and cut, however large it comes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance import PlaidAPIError, PlaidClient, RetryPolicy
from plaid_balance._log import MAX_MESSAGE_CHARS, MAX_VALUE_CHARS, protect_loggers
from plaid_balance._redact import redact
from plaid_balance.watch import logs

HUGE = "First Platypus Bank " * 50_000  # 1 MB
TOKEN = "access-sandbox-7f1c2d3e-aaaa-4bbb-8ccc-0123456789ab"
STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class EveryExtra(logging.Formatter):
    """A structured formatter as applications use (python-json-logger's way): the message and every
    ``extra`` the record carries."""

    def format(self, record: logging.LogRecord) -> str:
        extras = {k: v for k, v in vars(record).items() if k not in STANDARD}
        return json.dumps({"msg": record.getMessage(), **extras}, default=str)


@pytest.fixture
def structured_log() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(EveryExtra())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    protect_loggers()
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_a_megabyte_error_message_from_plaid_logs_a_bounded_line(structured_log: io.StringIO) -> None:
    """Plaid answers a 500 whose error_message is 1 MB; the retry's log record (stamina's, with the error
    as an extra) is a line of a few kilobytes at most, saying how much was cut."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = {
            "error_type": "API_ERROR",
            "error_code": "INTERNAL_SERVER_ERROR",
            "error_message": HUGE,
            "display_message": None,
            "request_id": "req-1",
        }
        return httpx.Response(500, json=body)

    retry = RetryPolicy(attempts=2, wait_initial=0, wait_max=0, wait_jitter=0)
    with (
        PlaidClient(
            "client-id", "a-secret-value", "sandbox", retry=retry, transport=httpx.MockTransport(answer)
        ) as client,
        pytest.raises(PlaidAPIError),
    ):
        client.accounts_balance_get(TOKEN)
    lines = structured_log.getvalue().splitlines()
    [retried] = [json.loads(line) for line in lines if "retry_scheduled" in line]
    assert "INTERNAL_SERVER_ERROR" in retried["stamina.caused_by"]
    assert retried["stamina.caused_by"].endswith("more characters)")
    assert all(len(line) < MAX_MESSAGE_CHARS + 12 * MAX_VALUE_CHARS for line in lines)
    assert TOKEN not in structured_log.getvalue()


@given(
    message=st.text(max_size=3 * MAX_MESSAGE_CHARS),
    value=st.text(max_size=3 * MAX_VALUE_CHARS),
    repeat=st.integers(1, 400),
)
def test_any_library_record_is_one_bounded_line(message: str, value: str, repeat: int) -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(EveryExtra())
    logger = logging.getLogger("plaid_balance.test_log_lines")
    protect_loggers()
    logger.addHandler(handler)
    try:
        logger.warning("%s", message * repeat, extra={"detail": value * repeat, "pair": (value * repeat, 1)})
    finally:
        logger.removeHandler(handler)
    record = json.loads(buffer.getvalue())
    assert buffer.getvalue().count("\n") == 1
    assert len(record["msg"]) <= MAX_MESSAGE_CHARS
    assert len(record["detail"]) <= MAX_VALUE_CHARS and len(record["pair"][0]) <= MAX_VALUE_CHARS
    assert not any(c in record["msg"] + record["detail"] for c in "\n\r\x1b\x85\u2028")
    if len(message * repeat) <= MAX_MESSAGE_CHARS and (message * repeat).isprintable():
        # Masked by the one rule only where it holds a secret an earlier test made known.
        assert record["msg"] == redact(message * repeat)


@pytest.mark.parametrize("as_json", [True, False])
def test_the_watch_logs_by_the_same_rule(
    capsys: pytest.CaptureFixture[str], as_json: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1 MB institution name in a field and in a message: the same bounds as the library's lines; a
    secret at the cut is masked whole, never left half-shown."""
    secret = "watch-bearer-token-0123456789"
    watch_log = logging.getLogger("plaid_balance.watch")
    for logger in (watch_log, logging.getLogger("plaid_balance"), logging.getLogger("uvicorn.error")):
        monkeypatch.setattr(logger, "handlers", list(logger.handlers))
        monkeypatch.setattr(logger, "propagate", logger.propagate)
        monkeypatch.setattr(logger, "level", logger.level)
    protect_loggers()  # as in the watch's process: the library's filter runs first, then the formatter
    logs.configure(as_json=as_json, secrets=[secret])
    straddling = "x" * (MAX_VALUE_CHARS - 30) + secret + "y" * 10  # unmasked, cut inside the secret
    watch_log.warning("cannot read %s", HUGE, extra={"fields": {"institution": HUGE, "detail": straddling}})
    line = capsys.readouterr().err
    assert line.count("\n") == 1
    assert len(line) < MAX_MESSAGE_CHARS + 3 * MAX_VALUE_CHARS
    assert secret[:5] not in line
    if as_json:
        record = json.loads(line)
        assert len(record["msg"]) <= MAX_MESSAGE_CHARS and len(record["institution"]) <= MAX_VALUE_CHARS
        assert record["institution"].startswith("First Platypus Bank")
        assert record["detail"] == "x" * (MAX_VALUE_CHARS - 30) + "***" + "y" * 10
