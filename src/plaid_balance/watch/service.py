"""The watch itself: a loop that refreshes each Item when due, evaluates alerts, delivers them, and
takes Plaid's webhooks, with every clock reading from the injected ``Clock``.

One asyncio loop does everything: refreshes run as tasks (at most ``concurrency`` at once; the batch
limiter underneath keeps Plaid's rate limits), notifications are delivered by the outbox, and the HTTP
side (``app``) calls ``handle_webhook``. ``stop()`` lets refreshes in flight finish (each writes its
results in one transaction, so a refresh is stored whole or not at all) and then returns.
Every database write goes through one writer (``writer``): in order, on one thread, refreshes that
queue up committed together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from plaid_balance._error_body import ErrorBody
from plaid_balance._errors import StateError
from plaid_balance._health import Health, HealthChange
from plaid_balance._report import BalanceReport
from plaid_balance.storage.watch import RefreshRow, WatchItemRecord
from plaid_balance.watch.alerts import AlertBook, AlertEvent, AlertState, evaluate_accounts, evaluate_health
from plaid_balance.watch.budget import BudgetLedger, BudgetLeft
from plaid_balance.watch.clock import Clock
from plaid_balance.watch.config import ItemSettings, WatchConfig
from plaid_balance.watch.health import from_webhook
from plaid_balance.watch.metrics import WatchMetrics
from plaid_balance.watch.notify import Outbox, Sender
from plaid_balance.watch.refresh import Refresher, RefreshResult
from plaid_balance.watch.schedule import DueQueue
from plaid_balance.watch.state import (
    HistoryPort,
    ItemSource,
    ItemState,
    PlaidPort,
    WatchState,
)
from plaid_balance.watch.store import WatchStore
from plaid_balance.watch.webhook import KeyUnavailable, WebhookRefused, WebhookVerifier
from plaid_balance.watch.writer import RefreshWrite, Writer

log = logging.getLogger("plaid_balance.watch")

SYNC_EVERY: Final = timedelta(seconds=60)
RETRY_AFTER_FAILURE: Final = timedelta(minutes=15)
RECENT_EVENTS: Final = 200
# Alerts found while other refreshes of the same round still run wait for them (one digest), this long
# at most: a slow bank must not hold back what the others found.
DIGEST_WAIT: Final = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    status: int
    body: dict[str, Any]


# A refused webhook's HTTP status: Plaid's own retries only matter for the 5xx (docs/security.md).
_REFUSED_STATUS: Final = {"malformed": 400, "replayed": 409}


def _fields(**fields: Any) -> dict[str, Any]:
    return {"fields": fields}


class Watch:
    def __init__(
        self,
        config: WatchConfig,
        *,
        items: ItemSource,
        plaid: PlaidPort,
        history: HistoryPort | None,
        store: WatchStore | None,
        sender: Sender,
        clock: Clock,
        concurrency: int = 10,
    ) -> None:
        self.config = config
        self.items = items
        self.plaid = plaid
        self.history = history
        self.store = store
        self.clock = clock
        self.state = WatchState()
        self.ledger = BudgetLedger(config.timezone)
        self.book = AlertBook()
        self.outbox = Outbox(sender, clock)
        self.refresher = Refresher(plaid, history, self.ledger)
        self.verifier = WebhookVerifier(plaid.verification_key, clock)
        self.metrics = WatchMetrics(self.state, self._budget_left, clock.now)
        self._semaphore = asyncio.Semaphore(concurrency)
        self._due = DueQueue()
        self.writer = Writer(history, store)
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._retry_at: dict[str, datetime] = {}
        self._rows: dict[str, WatchItemRecord] = {}
        self._last_sync: datetime | None = None
        self._delivering = False
        self._webhooks_set: dict[str, str] = {}
        self._latest: dict[str, BalanceReport] = {}
        self._last_sync_done = False
        self.loop_started = asyncio.Event()

    # --- start, sync, loop --------------------------------------------------------------------

    def _budget_left(self, item_id: str, now: datetime) -> BudgetLeft:
        state = self.state.items.get(item_id)
        settings = self.config.settings_for(state.alias if state else "")
        return self.ledger.left(item_id, settings.budget, now)

    async def load(self) -> None:
        """Read what the last run left: budgets, alert states, last refreshes; then the vault's Items."""
        if self.store is not None:
            loaded = await asyncio.to_thread(self.store.load)
            self._rows = loaded.items
            for item_id, period, billed, saved in loaded.budget:
                self.ledger.load(item_id, period, billed, saved)
            self.book = AlertBook(loaded.alerts)
        if self.history is not None:
            try:
                self._latest = await asyncio.to_thread(self.history.latest_all)
            except Exception as exc:
                log.error("cannot read the last balances from history: %s", exc)
        await self.sync_items()
        self._latest = {}

    async def sync_items(self) -> None:
        """Follow the vault: new Items join, removed ones leave; the vault's health is the truth
        (``link --update`` repairs an Item there)."""
        items = await asyncio.to_thread(self.items.items)
        self._last_sync = self.clock.now()
        seen = set()
        for item in items:
            seen.add(item.item_id)
            state = self.state.items.get(item.item_id)
            if state is None:
                state = ItemState(item)
                row = self._rows.get(item.item_id)
                if row is not None:
                    state.last_refresh = row.last_refresh_at
                    state.last_source = row.last_source
                    state.last_outcome = row.last_outcome
                if item.item_id in self._latest:
                    state.report = self._latest[item.item_id]
                elif self.history is not None and self._last_sync_done:
                    with contextlib.suppress(Exception):
                        state.report = await asyncio.to_thread(self.history.latest, item.item_id)
                self.state.items[item.item_id] = state
                state.health, state.health_reason = item.health, item.health_reason or ""
                # Across restarts too, a webhook signed before the last change is old news.
                state.health_changed_at = item.health_changed_at
                if item.health is not Health.OK:
                    self._health_alerts(state)
            else:
                state.item = item
                if item.health is not state.health:
                    old = state.health
                    state.health, state.health_reason = item.health, item.health_reason or ""
                    state.health_changed_at = item.health_changed_at or self.clock.now()
                    log.info(
                        "item health changed in the vault",
                        extra=_fields(alias=item.alias, was=old.value, now=item.health.value),
                    )
                    self._health_alerts(state)
        for gone in set(self.state.items) - seen:
            del self.state.items[gone]
            self._due.discard(gone)
        # Every Item's next refresh afresh, once a minute: whatever changed what it depends on
        # (health in the vault, a retry, the config) is seen here at the latest.
        for state in self.state.items.values():
            if not state.refreshing:
                self._reschedule(state)
        self._last_sync_done = True

    def next_due(self, state: ItemState, now: datetime | None = None) -> datetime | None:
        settings = self.config.settings_for(state.alias)
        if not settings.enabled or not state.health.allows_calls:
            return None
        retry = self._retry_at.get(state.item.item_id)
        if retry is not None:
            return retry
        return settings.schedule.next_after(state.last_refresh, now or self.clock.now())

    def _reschedule(self, state: ItemState) -> None:
        self._due.set(state.item.item_id, self.next_due(state))

    async def run(self) -> None:
        """Refresh, deliver and sleep until ``stop()``."""
        self.loop_started.set()
        while not self._stopping:
            wake_at = await self.tick()
            if self._stopping:
                break
            await self.clock.sleep_until(wake_at, self._wake)

    async def tick(self) -> datetime:
        """One pass: follow the vault, start the refreshes and deliveries that are due; return when
        the next thing is due."""
        self._wake.clear()
        now = self.clock.now()
        if self._last_sync is None or now - self._last_sync >= SYNC_EVERY:
            try:
                await self.sync_items()
            except Exception as exc:  # the vault being briefly unreadable must not end the watch
                log.error("cannot read the vault: %s", exc)
                self._last_sync = now
        wake_at = now + SYNC_EVERY
        for item_id in self._due.pop_due(now):
            state = self.state.items.get(item_id)
            if state is None or state.refreshing:
                continue  # gone, or rescheduled when its refresh ends
            state.refreshing = True
            self._spawn(self._refresh(state))
        next_refresh = self._due.next_due()
        if next_refresh is not None:
            wake_at = min(wake_at, next_refresh)
        hold_until = self._digest_hold(now)
        if self.outbox.pending and not self._delivering and hold_until is None:
            self._delivering = True
            self._spawn(self._deliver())
        next_delivery = self.outbox.next_due()
        if next_delivery is not None and not self._delivering:
            # (a delivery in flight, or a refresh ending, wakes the loop when done)
            wake_at = min(wake_at, max(next_delivery, hold_until or next_delivery))
        return wake_at

    def _digest_hold(self, now: datetime) -> datetime | None:
        """Until when to hold the alerts queued: while refreshes of this round are still running (so
        what they find goes out in the same digest), for at most ``DIGEST_WAIT``; None to send now."""
        oldest = self.outbox.oldest()
        if oldest is None or not any(s.refreshing for s in self.state.items.values()):
            return None
        until = oldest + DIGEST_WAIT
        return until if until > now else None

    def wake(self) -> None:
        self._wake.set()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("internal error in the watch: %s: %s", type(exc).__name__, exc)
        self._wake.set()

    async def stop(self, grace: float = 60.0) -> None:
        """Stop scheduling; let refreshes in flight finish (up to ``grace`` seconds), then return."""
        self._stopping = True
        self._wake.set()
        pending = {t for t in self._tasks if not t.done()}
        if pending:
            _done, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)

    async def settle(self) -> None:
        """Wait until no refresh or delivery is running (for tests and ``--once``)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    # --- one refresh ----------------------------------------------------------------------------

    async def _refresh(self, state: ItemState) -> None:
        try:
            async with self._semaphore:  # bounds the calls in flight, not the writes queued after them
                if self._stopping:
                    return
                fetched = await self._fetch(state)
            if fetched is not None:
                # From here on the refresh is written whole: a stop request waits for it (see stop()).
                await asyncio.shield(self._apply(state, *fetched))
        except Exception as exc:  # a bug must cost one Item one refresh, not the watch
            log.error(
                "refresh failed unexpectedly",
                extra=_fields(alias=state.alias, error=f"{type(exc).__name__}: {exc}"),
            )
            self._retry_at[state.item.item_id] = self.clock.now() + RETRY_AFTER_FAILURE
        finally:
            state.refreshing = False
            if self.state.items.get(state.item.item_id) is state:
                self._reschedule(state)

    async def _fetch(self, state: ItemState) -> tuple[RefreshResult, str] | None:
        item = state.item
        settings = self.config.settings_for(item.alias)
        now = self.clock.now()
        try:
            token = await asyncio.to_thread(self.items.access_token, item.alias)
        except Exception as exc:
            log.error("cannot read the access token", extra=_fields(alias=item.alias, error=str(exc)))
            self._retry_at[item.item_id] = now + min(RETRY_AFTER_FAILURE, _interval(settings, now))
            return None
        await self._ensure_webhook(state, token)
        started = time.perf_counter()
        result = await self.refresher.refresh(state, settings, self.config, token, now)
        self.metrics.refresh_duration.labels(result.source).observe(time.perf_counter() - started)
        return result, token

    async def _ensure_webhook(self, state: ItemState, token: str) -> None:
        url = self.config.server.webhook_url
        if url is None or self._webhooks_set.get(state.item.item_id) == url or not state.health.allows_calls:
            return
        outcome = await self.plaid.ensure_webhook(token, url)
        if isinstance(outcome, ErrorBody):
            log.warning(
                "cannot set the Item's webhook", extra=_fields(alias=state.alias, error=outcome.error_code)
            )
            return
        self._webhooks_set[state.item.item_id] = url
        if outcome:
            self.metrics.api_calls.labels("/item/webhook/update", "ok").inc()
            log.info("webhook set", extra=_fields(alias=state.alias, url=url))

    async def _apply(self, state: ItemState, result: RefreshResult, token: str) -> None:
        item = state.item
        previous = state.current_balances()
        for endpoint, outcome in result.calls:
            self.metrics.api_calls.labels(endpoint, outcome).inc()
        counters = self.state.counters
        counters.refreshes += 1
        if result.billed:
            counters.billed += result.billed
            self.metrics.billed_calls.labels(item.alias).inc(result.billed)
        if result.saved:
            counters.saved += result.saved
            self.metrics.saved_calls.labels(item.alias, result.source).inc(result.saved)
        periods = self.ledger.record(item.item_id, result.started, billed=result.billed, saved=result.saved)
        if result.health is not None:
            await self._set_health(state, result.health, persist=False, at=result.started)
        self._retry_at.pop(item.item_id, None)
        if result.report is not None:
            state.report = result.report
            state.last_refresh = result.started
            state.last_source = result.source
            state.last_outcome = "ok"
        else:
            state.last_outcome = result.failure.error_code if result.failure else result.source
            if result.failure is not None and result.health is None:
                # Plaid or the bank is having a bad moment: try again sooner than the next step.
                counters.failures += 1
                retry_in = min(
                    RETRY_AFTER_FAILURE, _interval(self.config.settings_for(item.alias), result.started)
                )
                self._retry_at[item.item_id] = result.started + retry_in
            else:
                # A deliberate "no call", or an Item that needs its user: wait for the next step.
                counters.failures += result.failure is not None
                state.last_refresh = result.started
        left = self.ledger.left(item.item_id, self.config.settings_for(item.alias).budget, result.started)
        log.info(
            "refresh",
            extra=_fields(
                alias=item.alias,
                source=result.source,
                note=result.note,
                billed=result.billed,
                saved=result.saved,
                budget_left_day=left.day,
                budget_left_month=left.month,
                error=result.failure.error_code if result.failure else None,
            ),
        )
        await self._store_refresh(
            RefreshRow(
                item_id=item.item_id,
                alias=item.alias,
                at=state.last_refresh or result.started,
                source=result.source,
                outcome=state.last_outcome or "",
                health=state.health,
                health_reason=state.health_reason,
                periods=tuple(periods),
                billed=result.billed,
                saved=result.saved,
            ),
            result.report if result.source in {"realtime", "cached"} else None,
            token,
        )
        if result.report is not None:
            self._account_alerts(state, previous)

    async def _store_refresh(self, record: RefreshRow, report: BalanceReport | None, token: str) -> None:
        """The refresh's snapshot, its Item's state and its budget counters, in one transaction (see
        ``writer``); what could not be written is counted and logged, and the watch goes on."""
        if self.store is None and (report is None or self.history is None):
            return
        for what, exc in await self.writer.refresh(RefreshWrite(record, report, token)):
            self._storage_error(what, exc)

    def _storage_error(self, what: str, exc: Exception) -> None:
        self.state.counters.history_errors += 1
        self.metrics.storage_errors.labels(what).inc()
        log.error("cannot write %s: %s", what, exc)

    # --- health and alerts ----------------------------------------------------------------------

    async def _set_health(
        self, state: ItemState, change: HealthChange, *, persist: bool = True, at: datetime | None = None
    ) -> None:
        if change.health is state.health and change.reason == state.health_reason:
            return
        old = state.health
        state.health, state.health_reason = change.health, change.reason
        state.health_changed_at = at or self.clock.now()
        log.warning(
            "item health",
            extra=_fields(alias=state.alias, was=old.value, now=change.health.value, reason=change.reason),
        )
        try:
            await asyncio.to_thread(self.items.set_health, state.item.item_id, change.health, change.reason)
        except Exception as exc:
            self._storage_error("vault", exc)
        if persist and self.store is not None:
            try:
                await self.writer.call(
                    self.store.record_health, state.item.item_id, state.alias, change.health, change.reason
                )
            except StateError as exc:
                self._storage_error("state", exc)
        if change.health is Health.OK and old is not Health.OK:
            self._retry_at.pop(state.item.item_id, None)
        if not state.refreshing:
            self._reschedule(state)
        self._health_alerts(state)

    def _health_alerts(self, state: ItemState) -> None:
        now = self.clock.now()
        for rule in self.config.alerts:
            for finding in evaluate_health(
                rule, state.alias, state.item.item_id, state.health, state.health_reason
            ):
                self._observe(rule, finding, now)

    def _account_alerts(self, state: ItemState, previous: Mapping[str, Any]) -> None:
        if state.report is None:
            return
        now = self.clock.now()
        for rule in self.config.alerts:
            for finding in evaluate_accounts(rule, state.alias, state.report.accounts, previous):
                self._observe(rule, finding, now)

    def _observe(self, rule: Any, finding: Any, now: datetime) -> None:
        event, new_state = self.book.observe(rule, finding, now)
        if event is not None:
            names = event.notify or tuple(self.config.notifiers)
            self.outbox.add(event, names)
            self.state.recent_events.append(event)
            del self.state.recent_events[:-RECENT_EVENTS]
            log.warning("alert", extra=_fields(kind=event.kind, rule=event.rule, title=event.title))
            self._wake.set()
        if new_state is not None and self.store is not None:
            self._spawn(self._persist_alert(new_state, event))

    async def _persist_alert(self, state: AlertState, event: AlertEvent | None) -> None:
        assert self.store is not None
        try:
            await self.writer.call(self.store.record_alert, state, event)
        except StateError as exc:
            self._storage_error("state", exc)

    async def _deliver(self) -> None:
        try:
            deliveries = await self.outbox.deliver_due()
        finally:
            self._delivering = False
        for delivery in deliveries:
            outcome = "delivered" if delivery.delivered else ("gave_up" if delivery.gave_up else "failed")
            self.metrics.alerts.labels(delivery.event.kind, delivery.notifier, outcome).inc()
            if delivery.delivered:
                self.state.counters.alerts_sent += 1
                log.info(
                    "alert delivered",
                    extra=_fields(
                        notifier=delivery.notifier, rule=delivery.event.rule, kind=delivery.event.kind
                    ),
                )
            else:
                log.warning(
                    "alert delivery failed",
                    extra=_fields(
                        notifier=delivery.notifier, attempt=delivery.attempts, gave_up=delivery.gave_up
                    ),
                )

    # --- webhooks -------------------------------------------------------------------------------

    async def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        try:
            verified = await self.verifier.verify(headers, body)
        except WebhookRefused as exc:
            self.state.counters.webhooks_refused += 1
            self.metrics.webhooks_refused.labels(exc.reason).inc()
            log.warning("webhook refused", extra=_fields(reason=exc.reason, detail=str(exc)))
            return WebhookAnswer(_REFUSED_STATUS.get(exc.reason, 401), {"error": exc.reason})
        except KeyUnavailable as exc:  # the key-fetch budget is spent (a flood of forged key ids)
            self.state.counters.webhooks_refused += 1
            self.metrics.webhooks_refused.labels("key_unavailable").inc()
            log.warning("webhook refused", extra=_fields(reason="key_unavailable", detail=str(exc)))
            return WebhookAnswer(503, {"error": "verification key unavailable"})
        except Exception as exc:  # Plaid unreachable while fetching the key: let Plaid try again later
            log.error("cannot verify webhook: %s", exc)
            return WebhookAnswer(503, {"error": "verification key unavailable"})
        payload = verified.payload
        webhook_type = str(payload.get("webhook_type", ""))
        code = str(payload.get("webhook_code", ""))
        self.state.counters.webhooks_verified += 1
        self.metrics.webhooks_received.labels(webhook_type, code).inc()
        item_id = payload.get("item_id")
        state = self.state.items.get(item_id) if isinstance(item_id, str) else None
        log.info("webhook", extra=_fields(type=webhook_type, code=code, alias=state.alias if state else None))
        if state is None or webhook_type != "ITEM":
            return WebhookAnswer(200, {"ok": True, "used": False})
        change = from_webhook(payload, state.health)
        changed_at = state.health_changed_at
        # iat has whole seconds: a webhook signed in the same second as the change is not older.
        if changed_at is not None and verified.issued_at < changed_at.replace(microsecond=0):
            log.info(
                "webhook older than the Item's health: ignored", extra=_fields(alias=state.alias, code=code)
            )
            return WebhookAnswer(200, {"ok": True, "used": False})
        if change is not None:
            await self._set_health(state, change, at=verified.issued_at)
        if code == "LOGIN_REPAIRED" or code == "NEW_ACCOUNTS_AVAILABLE":
            self._retry_at[state.item.item_id] = self.clock.now()  # balances again soon, within budget
            if not state.refreshing:
                self._reschedule(state)
            self.wake()
        return WebhookAnswer(200, {"ok": True, "used": True})

    # --- reload -----------------------------------------------------------------------------------

    def replace_config(self, config: WatchConfig, sender: Sender) -> None:
        self.config = config
        self.ledger.timezone = config.timezone
        self.outbox.sender = sender
        for state in self.state.items.values():
            if not state.refreshing:
                self._reschedule(state)
        self.wake()

    def status(self) -> dict[str, Any]:
        """A summary for /healthz and the dashboard (no secrets: aliases, health, counters)."""
        now = self.clock.now()
        billed, saved = self.ledger.month_totals(now)
        items = []
        for state in self.state.items.values():
            due = self.next_due(state)
            items.append(
                {
                    "alias": state.alias,
                    "item_id": state.item.item_id,
                    "institution": state.item.institution_name or state.item.institution_id,
                    "health": state.health.value,
                    "health_reason": state.health_reason,
                    "last_refresh": _iso(state.last_refresh),
                    "last_source": state.last_source,
                    "last_outcome": state.last_outcome,
                    "next_refresh": _iso(due),
                }
            )
        return {
            "items": items,
            "calls": {
                "billed_since_start": self.state.counters.billed,
                "saved_since_start": self.state.counters.saved,
                "billed_this_month": billed,
                "saved_this_month": saved,
            },
            "alerts_firing": [
                {"rule": s.rule, "subject": s.label, "since": _iso(s.since), "detail": s.detail}
                for s in self.book.firing()
            ],
            "webhooks": {
                "verified": self.state.counters.webhooks_verified,
                "refused": self.state.counters.webhooks_refused,
            },
        }

    def alert_history(self, limit: int = 100) -> list[AlertEvent]:
        """Alert events, newest first: from the database when there is one, else from memory."""
        if self.store is not None:
            with contextlib.suppress(StateError):
                return self.store.alert_events(limit=limit)
        return list(reversed(self.state.recent_events))[:limit]


def _interval(settings: ItemSettings, now: datetime) -> timedelta:
    step: timedelta = settings.schedule.next_after(now, now) - now
    return max(step, timedelta(seconds=1))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")
