"""Alert delivery through Apprise to a real local receiver, and the outbox's retries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from plaid_balance._errors import WatchConfigError
from plaid_balance.watch.alerts import AlertEvent
from plaid_balance.watch.config import Notifier, parse_config
from plaid_balance.watch.notify import AppriseSender, Outbox, check_notifiers
from tests.watch.receiver import receiver
from tests.watch.support import ManualClock

EVENT = AlertEvent(
    "rent money",
    "acc-1",
    "firing",
    "Low balance: checking: Plaid Checking ••0000",
    "checking: Plaid Checking ••0000: available 42.10 USD is below 100 USD",
    datetime(2026, 11, 25, tzinfo=UTC),
    (),
)


async def test_apprise_delivers_to_a_local_json_webhook() -> None:
    with receiver() as inbox:
        sender = AppriseSender({"ops": Notifier("ops", (inbox.url("/hook"),))})
        assert await sender.send("ops", [EVENT])
    [post] = inbox.posts
    assert post["path"] == "/hook"
    assert post["title"] == EVENT.title and post["message"] == EVENT.message
    assert post["type"] == "failure"


async def test_outbox_retries_a_failed_delivery_until_it_works() -> None:
    clock = ManualClock()
    with receiver() as inbox:
        inbox.status = 503
        outbox = Outbox(AppriseSender({"ops": Notifier("ops", (inbox.url(),))}), clock)
        outbox.add(EVENT, ["ops"])
        [first] = await outbox.deliver_due()
        assert not first.delivered and outbox.pending
        assert await outbox.deliver_due() == []  # not due again before the delay
        clock.advance(30)
        inbox.status = 200
        [second] = await outbox.deliver_due()
        assert second.delivered and second.attempts == 2 and not outbox.pending
    assert len(inbox.posts) == 1


async def test_outbox_gives_up_after_a_day() -> None:
    clock = ManualClock()
    # Nothing listens on port 9 of loopback here: every attempt fails fast.
    outbox = Outbox(AppriseSender({"ops": Notifier("ops", ("json://127.0.0.1:9/x",))}), clock)
    outbox.add(EVENT, ["ops"])
    results = []
    for _ in range(40):
        results += await outbox.deliver_due()
        clock.advance(3600)
    assert results[-1].gave_up and not outbox.pending
    assert 20 <= len(results) <= 30


def test_a_url_apprise_does_not_know_is_a_located_config_error() -> None:
    config = parse_config('[notify.x]\n\nurl = "nosuchscheme://foo"\n', Path("w.toml"))
    with pytest.raises(
        WatchConfigError,
        match=r"^w\.toml:3: notify\.x\.url: notifier 'x': Apprise does not understand a nosuchscheme:// URL$",
    ):
        check_notifiers(config)
