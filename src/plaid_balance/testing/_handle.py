"""``PlaidEmulator``: a running emulator with the helpers a test needs, in the test's own terms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from plaid_balance.emulator import RunningEmulator

PLAID_VERSION = "2020-09-14"


@dataclass(frozen=True, slots=True)
class SandboxItem:
    """An Item the emulator made: its access token, item_id and account ids (in the order given)."""

    access_token: str
    item_id: str
    account_ids: tuple[str, ...]


ItemRef = SandboxItem | str


def _ref(item: ItemRef) -> str:
    return item.item_id if isinstance(item, SandboxItem) else item


class PlaidEmulator:
    """A running emulator: its address and credentials, and the controls a test uses.

    Failure controls queue faults for the Item's next ``/accounts/balance/get`` calls (the emulator's
    ``fault_endpoints``); ``login_required`` changes the Item's state until ``repair``.
    """

    def __init__(self, running: RunningEmulator) -> None:
        self.emulator = running

    # -- where it is --------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: the ``host`` of a ``plaid.Configuration``."""
        return self.emulator.base_url

    @property
    def client_id(self) -> str:
        return self.emulator.client_id

    @property
    def secret(self) -> str:
        return self.emulator.secret

    @property
    def api_key(self) -> dict[str, str]:
        """The ``api_key`` of a ``plaid.Configuration`` (client id, secret, API version)."""
        return {"clientId": self.client_id, "secret": self.secret, "plaidVersion": PLAID_VERSION}

    @property
    def env(self) -> dict[str, str]:
        """``PLAID_BASE_URL``, ``PLAID_CLIENT_ID`` and ``PLAID_SECRET`` pointing at this emulator."""
        return {
            "PLAID_BASE_URL": self.base_url,
            "PLAID_CLIENT_ID": self.client_id,
            "PLAID_SECRET": self.secret,
        }

    # -- Items ----------------------------------------------------------------------------------------------

    def create_item(
        self,
        accounts: Sequence[Mapping[str, Any]] | None = None,
        *,
        institution_id: str = "ins_109508",
        products: Sequence[str] = ("transactions",),
        webhook: str | None = None,
    ) -> SandboxItem:
        """An Item with these accounts, or the Sandbox's ``user_good`` accounts when none are given.

        Each account is a mapping with ``current`` (required) and optionally ``available`` (``None``: no
        available balance; left out: Plaid's default), ``limit``, ``currency`` (default USD), ``type``
        (depository), ``subtype`` (checking), ``name``, ``official_name``, ``mask``. Amounts may be
        ``Decimal``, ``int`` or strings such as ``"1234.56"``, and come back digit for digit.
        """
        core = self.emulator.core
        if accounts is None:
            token, item_id = core.create_item(institution_id, products=products, webhook=webhook)
        else:
            token, item_id = core.create_item_with_accounts(
                accounts, institution_id, products=products, webhook=webhook
            )
        ids = tuple(a.account_id for a in core.state.find_item(item_id).accounts)
        return SandboxItem(token, item_id, ids)

    # -- failure states -------------------------------------------------------------------------------------

    def fail_next(self, item: ItemRef, *failures: str) -> None:
        """Queue failures for the Item's next balance calls, used up in order: a Plaid error code
        (``ITEM_LOGIN_REQUIRED``, ``PRODUCT_NOT_READY``, ``INSTITUTION_DOWN``, ...) or a fault kind
        (``error``, ``institution_not_responding``, ``drop``, ``hang``, ``malformed``, ``truncated``)."""
        self.emulator.set_item_faults(_ref(item), fail_next=list(failures))

    def login_required(self, item: ItemRef) -> None:
        """``ITEM_LOGIN_REQUIRED`` on every call until ``repair`` (or Link's update mode); sends the ERROR
        webhook, as ``/sandbox/item/reset_login`` does."""
        self.emulator.reset_login(_ref(item))

    def repair(self, item: ItemRef) -> None:
        """Clear the Item's error state (sends LOGIN_REPAIRED) and its queued faults and slowness."""
        self.emulator.set_item_faults(_ref(item), clear=True)
        self.emulator.item_event(_ref(item), "LOGIN_REPAIRED")

    def product_not_ready(self, item: ItemRef, *, times: int = 1) -> None:
        """The next ``times`` balance calls answer 400 ``ITEM_ERROR / PRODUCT_NOT_READY``."""
        self.fail_next(item, *["PRODUCT_NOT_READY"] * times)

    def rate_limited(self, item: ItemRef, *, times: int = 1) -> None:
        """The next ``times`` balance calls answer 429 ``RATE_LIMIT_EXCEEDED / BALANCE_LIMIT``."""
        self.fail_next(item, *["BALANCE_LIMIT"] * times)

    def server_error(self, item: ItemRef, *, times: int = 1) -> None:
        """The next ``times`` balance calls answer 500 ``API_ERROR / INTERNAL_SERVER_ERROR``."""
        self.fail_next(item, *["error"] * times)

    def slow(self, item: ItemRef, seconds: float) -> None:
        """Every balance call of the Item takes ``seconds`` to answer (until ``repair``)."""
        self.emulator.set_item_faults(_ref(item), latency_ms=seconds * 1000)

    # -- webhooks and billing -------------------------------------------------------------------------------

    def fire_webhook(self, item: ItemRef, code: str, *, webhook_type: str = "ITEM") -> dict[str, Any]:
        """Send a webhook to the Item's URL, signed as Plaid signs them; returns its body. Any pair
        ``/sandbox/item/fire_webhook`` takes, e.g. ``("TRANSACTIONS", "DEFAULT_UPDATE")``."""
        return self.emulator.core.fire_webhook(_ref(item), webhook_type, code)

    def webhooks(self, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Every webhook sent so far (url, body, status or error), once those in flight have arrived."""
        self.emulator.drain_webhooks(timeout)
        return self.emulator.webhook_deliveries()

    def billed(self) -> dict[str, Any]:
        """What Plaid would bill: ``{"balance_calls": n, "balance_calls_by_item": {item_id: n}}``."""
        return self.emulator.core.billing()

    def billed_balance_calls(self, item: ItemRef | None = None) -> int:
        """Successful balance calls, for one Item or all of them."""
        bill = self.billed()
        if item is None:
            return int(bill["balance_calls"])
        return int(bill["balance_calls_by_item"].get(_ref(item), 0))

    def reset(self) -> None:
        """Forget every Item, counter, bill and rate-limit window (for a session-wide emulator)."""
        self.emulator.reset_stats()
        self.emulator.core.state.clear()
