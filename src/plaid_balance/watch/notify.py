"""Delivering alert events through Apprise (ntfy, email, Slack, Discord, Telegram, JSON webhooks, ...).

Delivery never stops the watch: a notifier that fails (down, timing out, refusing) keeps the event in
the outbox, retried with a growing delay (30 s, 1 min, 2 min, ... up to an hour) for up to a day. The
URLs hold tokens: only their scheme is ever logged.

Alerts due together go to each notifier as one digest (one message listing them all), so a first round
that finds seven low balances sends one notification, not seven. Each alert keeps its own state: the
digest is only how they travel, and a later "Resolved" goes out for the one alert that resolved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from plaid_balance.watch.alerts import AlertEvent
from plaid_balance.watch.clock import Clock
from plaid_balance.watch.config import Notifier, WatchConfig

log = logging.getLogger("plaid_balance.watch")

FIRST_RETRY: Final = timedelta(seconds=30)
MAX_RETRY: Final = timedelta(hours=1)
GIVE_UP_AFTER: Final = timedelta(days=1)


class Sender(Protocol):
    async def send(self, notifier: str, events: Sequence[AlertEvent]) -> bool:
        """Deliver events (one, or a digest of several) to one notifier as one message; True when every
        URL of it accepted the message."""
        ...


_URGENCY: Final = ("firing", "reminder", "resolved")  # a digest takes the most urgent of its kinds


def digest(events: Sequence[AlertEvent]) -> tuple[str, str, str]:
    """(title, body, kind) of one message carrying ``events``: a single event as it is, several listed."""
    if len(events) == 1:
        return events[0].title, events[0].message, events[0].kind
    kind = min((e.kind for e in events), key=_URGENCY.index)
    counts = {k: sum(e.kind == k for e in events) for k in _URGENCY}
    words = {"firing": "new", "reminder": "still holding", "resolved": "resolved"}
    parts = ", ".join(f"{n} {words[k]}" for k, n in counts.items() if n)
    body = "\n\n".join(f"{e.title}\n{e.message}" for e in events)
    return f"{len(events)} balance alerts ({parts})", body, kind


class AppriseSender:
    """One ``apprise.Apprise`` per notifier; calls run in a worker thread (Apprise is blocking)."""

    def __init__(self, notifiers: Mapping[str, Notifier]) -> None:
        import apprise

        # Apprise logs the URLs it sends to at INFO/DEBUG: they hold tokens.
        logging.getLogger("apprise").setLevel(logging.ERROR)
        self._apprise = apprise
        self._targets: dict[str, Any] = {}
        for name, notifier in notifiers.items():
            target = apprise.Apprise()
            for url in notifier.urls:
                if not target.add(url):
                    raise ValueError(
                        f"notifier {name!r}: Apprise does not understand a {url.split(':', 1)[0]}:// URL"
                    )
            self._targets[name] = target

    async def send(self, notifier: str, events: Sequence[AlertEvent]) -> bool:
        target = self._targets.get(notifier)
        if target is None or not events:
            return False
        title, body, kind = digest(events)
        notify_type = {
            "firing": self._apprise.NotifyType.FAILURE,
            "reminder": self._apprise.NotifyType.WARNING,
            "resolved": self._apprise.NotifyType.SUCCESS,
        }[kind]
        try:
            return bool(
                await asyncio.to_thread(target.notify, body=body, title=title, notify_type=notify_type)
            )
        except Exception as exc:  # a plugin's bug must not end the watch
            log.warning("notifier %s raised %s", notifier, type(exc).__name__)
            return False


def check_notifiers(config: WatchConfig) -> AppriseSender:
    """Build the sender, turning a URL Apprise does not understand into a located config error."""
    for name, notifier in config.notifiers.items():
        try:
            AppriseSender({name: notifier})
        except ValueError as exc:
            raise config.error(("notify", name, notifier.key), str(exc)) from None
    return AppriseSender(config.notifiers)


@dataclass(slots=True)
class Pending:
    event: AlertEvent
    notifier: str
    attempts: int = 0
    next_at: datetime | None = None
    first_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    event: AlertEvent
    notifier: str
    delivered: bool
    attempts: int
    gave_up: bool = False


@dataclass(slots=True)
class Outbox:
    sender: Sender
    clock: Clock
    pending: list[Pending] = field(default_factory=list)

    def add(self, event: AlertEvent, notifiers: Iterable[str]) -> None:
        now = self.clock.now()
        for name in notifiers:
            self.pending.append(Pending(event, name, 0, now, now))

    def next_due(self) -> datetime | None:
        return min((p.next_at for p in self.pending if p.next_at is not None), default=None)

    def oldest(self) -> datetime | None:
        """When the longest-waiting delivery was queued."""
        return min((p.first_at for p in self.pending if p.first_at is not None), default=None)

    async def deliver_due(self) -> list[Delivery]:
        """Try every delivery that is due, one message per notifier (a digest when several are due),
        notifiers concurrently; keep the failed ones for later."""
        now = self.clock.now()
        due = [p for p in self.pending if p.next_at is not None and p.next_at <= now]
        if not due:
            return []
        groups: dict[str, list[Pending]] = {}
        for pending in due:
            groups.setdefault(pending.notifier, []).append(pending)
        answers = await asyncio.gather(
            *(self.sender.send(name, [p.event for p in group]) for name, group in groups.items())
        )
        results = [ok for group, ok in zip(groups.values(), answers, strict=True) for _ in group]
        due = [p for group in groups.values() for p in group]
        done: list[Delivery] = []
        now = self.clock.now()
        for pending, ok in zip(due, results, strict=True):
            pending.attempts += 1
            if ok:
                self.pending.remove(pending)
                done.append(Delivery(pending.event, pending.notifier, True, pending.attempts))
                continue
            assert pending.first_at is not None
            if now - pending.first_at >= GIVE_UP_AFTER:
                self.pending.remove(pending)
                done.append(Delivery(pending.event, pending.notifier, False, pending.attempts, gave_up=True))
                continue
            delay = min(MAX_RETRY, FIRST_RETRY * (2 ** (pending.attempts - 1)))
            pending.next_at = now + delay
            done.append(Delivery(pending.event, pending.notifier, False, pending.attempts))
        return done
