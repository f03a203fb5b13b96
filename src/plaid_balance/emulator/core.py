"""The emulator's shared core: state, rate limits, faults and stats, used by the HTTP app and test helpers."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from plaid_balance.emulator.accounts import user_custom_config
from plaid_balance.emulator.clock import Clock, SystemClock
from plaid_balance.emulator.config import BALANCE_PATH, EmulatorConfig, FaultKind, validate_fault_name
from plaid_balance.emulator.credentials import accounts_for_credentials
from plaid_balance.emulator.errors import PlaidAPIError, is_known_error_code
from plaid_balance.emulator.faults import FaultDecision, FaultInjector
from plaid_balance.emulator.item_events import (
    FIRE_PAIRS,
    apply_event,
    product_webhook,
    webhook_update_acknowledged,
)
from plaid_balance.emulator.link import LinkTokens
from plaid_balance.emulator.ratelimit import SlidingWindowLog
from plaid_balance.emulator.sandbox_data import DEFAULT_INSTITUTION_ID
from plaid_balance.emulator.state import EmulatorState, Item
from plaid_balance.emulator.stats import Stats
from plaid_balance.emulator.webhooks import WebhookSender


@dataclass(slots=True)
class CallContext:
    """One Plaid call as the rules see it; the HTTP adapter applies what the rules decide about transport."""

    path: str
    request_id: str
    client_id: str
    # Where the caller reached the emulator (e.g. http://127.0.0.1:8787), for URLs in answers.
    base_url: str = ""
    delay_seconds: float = 0.0
    transport_fault: str | None = None
    hang_seconds: float = 0.0


class EmulatorCore:
    def __init__(self, config: EmulatorConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config if config is not None else EmulatorConfig()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.state = EmulatorState(self.config.client_id, self.config.public_token_ttl_seconds, self.clock)
        self.lock = self.state.lock
        self.link = LinkTokens(self.clock)
        self.webhooks = WebhookSender(self.clock, self.config.webhook_timeout_seconds)
        self.faults = FaultInjector(self.config.faults)
        self.stats = Stats(self.config.rate_window_seconds)
        self._limits = SlidingWindowLog(self.config.rate_window_seconds)
        # Set when the server is stopping so hanging requests give up instead of holding up shutdown.
        self.stopping = threading.Event()

    # -- Items ----------------------------------------------------------------------------------------------

    def create_item(
        self,
        institution_id: str = DEFAULT_INSTITUTION_ID,
        username: str = "user_good",
        password: str | dict[str, Any] = "pass_good",  # noqa: S107 - Sandbox test credential
        *,
        products: Sequence[str] = ("transactions",),
        webhook: str | None = None,
    ) -> tuple[str, str]:
        """Create an Item directly in the store; returns (access_token, item_id)."""
        item = self.state.build_item(
            institution_id=institution_id,
            username=username,
            password=password,
            products=list(products),
            webhook=webhook,
        )
        self.state.register(item)
        return item.access_token, item.item_id

    def create_item_with_accounts(
        self,
        accounts: Sequence[Mapping[str, Any]],
        institution_id: str = DEFAULT_INSTITUTION_ID,
        *,
        products: Sequence[str] = ("transactions",),
        webhook: str | None = None,
    ) -> tuple[str, str]:
        """An Item holding exactly these accounts (see accounts.user_custom_config); (access_token, item_id)."""
        return self.create_item(
            institution_id, "user_custom", user_custom_config(accounts), products=products, webhook=webhook
        )

    def create_items(
        self,
        n: int,
        institution_id: str = DEFAULT_INSTITUTION_ID,
        username: str = "user_good",
        password: str | dict[str, Any] = "pass_good",  # noqa: S107 - Sandbox test credential
        *,
        products: Sequence[str] = ("transactions",),
    ) -> list[tuple[str, str]]:
        """Bulk creation for benchmarks. The credentials are resolved once and the accounts shared (read-only),
        so a `user_custom` config without a seed gives every Item the same random balances."""
        if n < 0:
            raise ValueError("n must be >= 0")
        specs = accounts_for_credentials(username, password)
        items = [
            self.state.build_item(institution_id=institution_id, products=list(products), specs=specs)
            for _ in range(n)
        ]
        self.state.register_many(items)
        return [(item.access_token, item.item_id) for item in items]

    def set_item_faults(
        self,
        item_ref: str,
        *,
        fail_next: Sequence[str] | None = None,
        clear: bool = False,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Change one Item's faults at run time.

        `fail_next` entries are appended to the Item's queue; other keyword arguments override FaultConfig
        fields for this Item only; `clear=True` first drops earlier per-Item settings.
        """
        item = self.state.find_item(item_ref)
        queued = [validate_fault_name(f) for f in fail_next or ()]
        with self.lock:
            faults = item.faults
            if clear:
                faults.config = None
                faults.fail_next.clear()
            if overrides:
                base = faults.config if faults.config is not None else self.config.faults
                faults.config = base.merged(overrides)
            faults.fail_next.extend(queued)
            return {"item_id": item.item_id, **faults.to_json()}

    def item_event(self, item_ref: str | Item, code: str, *, reason: str | None = None) -> dict[str, Any]:
        """Change the Item as `code` reports and send that webhook to the Item's URL (if it has one)."""
        item = item_ref if isinstance(item_ref, Item) else self.state.find_item(item_ref)
        with self.lock:
            body = apply_event(item, code, self.clock.now(), reason=reason)
            url = item.webhook
        if url:
            self.webhooks.send(url, body)
        return body

    def fire_webhook(
        self, item_ref: str | Item, webhook_type: str, code: str, *, reason: str | None = None
    ) -> dict[str, Any]:
        """Send any webhook /sandbox/item/fire_webhook takes (see item_events.FIRE_PAIRS); ITEM ones also
        change the Item as they report. Raises ValueError for a pair Plaid's Sandbox does not fire and
        PlaidAPIError(SANDBOX_PRODUCT_NOT_ENABLED) when the Item lacks the webhook's product."""
        if (webhook_type, code) not in FIRE_PAIRS:
            raise ValueError(f"{webhook_type} {code} is not a webhook the Sandbox fires")
        item = item_ref if isinstance(item_ref, Item) else self.state.find_item(item_ref)
        if webhook_type == "ITEM":
            return self.item_event(item, code, reason=reason)
        product = FIRE_PAIRS[(webhook_type, code)]
        if product is not None and product not in item.products:
            raise PlaidAPIError("SANDBOX_PRODUCT_NOT_ENABLED", product=product)
        with self.lock:
            body = product_webhook(item, webhook_type, code)
            url = item.webhook
        if url:
            self.webhooks.send(url, body)
        return body

    def reset_login(self, item_ref: str | Item) -> None:
        """/sandbox/item/reset_login: ITEM_LOGIN_REQUIRED, announced with an ERROR webhook."""
        self.item_event(item_ref, "ERROR")

    def repair_login(self, item: Item) -> None:
        """Update mode succeeded: the Item's login works again (same Item, same access token). An Item that
        was in an error state announces it with LOGIN_REPAIRED."""
        if item.error_code is not None:
            self.item_event(item, "LOGIN_REPAIRED")
        else:
            with self.lock:
                item.consent_expiration_time = None

    def set_webhook(self, item: Item, url: str | None) -> None:
        """/item/webhook/update: the new URL, acknowledged by a webhook sent to it."""
        with self.lock:
            item.webhook = url
        if url:
            self.webhooks.send(url, webhook_update_acknowledged(item, url))

    # -- stats ----------------------------------------------------------------------------------------------

    def stats_snapshot(self) -> dict[str, Any]:
        with self.lock:
            snapshot = self.stats.snapshot()
            snapshot["items"] = len(self.state.items)
            return snapshot

    def billing(self) -> dict[str, Any]:
        """What Plaid would have billed so far: successful balance calls, in total and per Item."""
        with self.lock:
            return self.stats.billing()

    def record_billed(self, item: Item) -> None:
        with self.lock:
            self.stats.billed_balance_calls_by_item[item.item_id] += 1

    def reset_stats(self) -> None:
        """Zero the counters and forget rate-limit windows, so each test starts from a clean slate."""
        with self.lock:
            self.stats.reset()
            self._limits.clear()

    # -- per-request bookkeeping (called by the HTTP app) ---------------------------------------------------

    def record_request(self, path: str) -> None:
        with self.lock:
            self.stats.requests_by_endpoint[path] += 1

    def record_response(self, status: int, error_code: str | None) -> None:
        with self.lock:
            self.stats.responses_by_status[status] += 1
            if error_code is not None:
                self.stats.responses_by_error_code[error_code] += 1

    def record_fault(self, fault: str) -> None:
        with self.lock:
            self.stats.faults_injected[fault] += 1

    def admit(self, path: str, client_id: str, item: Item | None) -> None:
        """Count the attempt and enforce the endpoint's rate limits (raises a 429 PlaidAPIError).

        A rejected request does not use up the window, so a client that backs off recovers once the window
        has slid past its earlier requests.
        """
        now = self.clock.monotonic()
        rule = self.config.rate_limits.get(path)
        client_key = f"{path}|client|{client_id}"
        item_key = f"{path}|item|{item.item_id}" if item is not None else None
        with self.lock:
            if path == BALANCE_PATH:
                self.stats.balance_peak_per_client.add(client_id, now)
                if item is not None:
                    self.stats.balance_attempts_by_item[item.item_id] += 1
                    self.stats.balance_peak_per_item.add(item.item_id, now)
            if not self.config.rate_limits_enabled or rule is None:
                return
            item_full = (
                item_key is not None
                and rule.per_item is not None
                and self._limits.count(item_key, now) >= rule.per_item
            )
            if item_full:
                self.stats.rate_limited[rule.item_error_code] += 1
                raise PlaidAPIError(rule.item_error_code)
            if rule.per_client is not None and self._limits.count(client_key, now) >= rule.per_client:
                self.stats.rate_limited[rule.client_error_code] += 1
                raise PlaidAPIError(rule.client_error_code)
            if item_key is not None:
                self._limits.add(item_key, now)
            self._limits.add(client_key, now)

    def decide_fault(self, path: str, item: Item | None) -> FaultDecision | None:
        if path not in self.config.fault_endpoints:
            return None
        with self.lock:
            decision = self.faults.decide(item)
        if decision.fault is not None:
            self.record_fault(decision.fault)
        return decision

    def item_for_call(self, call: CallContext, access_token: str) -> Item:
        """Look up the Item, enforce rate limits and apply the call's fault (in that order)."""
        try:
            item = self.state.item_for_token(access_token)
        except PlaidAPIError:
            self.admit(call.path, call.client_id, None)
            raise
        self.admit(call.path, call.client_id, item)
        self.apply_faults(call, item)
        return item

    def apply_faults(self, call: CallContext, item: Item | None) -> None:
        """Raise the Plaid error a fault stands for, or note the transport fault and latency on the call."""
        decision = self.decide_fault(call.path, item)
        if decision is None:
            return
        call.delay_seconds = decision.delay_seconds
        fault = decision.fault
        if fault is None:
            return
        if fault == FaultKind.ERROR:
            raise PlaidAPIError("INTERNAL_SERVER_ERROR")
        if fault == FaultKind.INSTITUTION_NOT_RESPONDING:
            raise PlaidAPIError("INSTITUTION_NOT_RESPONDING")
        if is_known_error_code(fault):
            raise PlaidAPIError(fault)
        call.transport_fault = fault
        call.hang_seconds = decision.hang_seconds
