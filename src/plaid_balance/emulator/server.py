"""Running the emulator: in a background thread for tests, or blocking for the CLI."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import uvicorn

from plaid_balance.emulator.app import create_app, install_log_filter
from plaid_balance.emulator.clock import Clock
from plaid_balance.emulator.config import EmulatorConfig
from plaid_balance.emulator.core import EmulatorCore
from plaid_balance.emulator.sandbox_data import DEFAULT_INSTITUTION_ID

_STARTUP_TIMEOUT = 10.0
_SHUTDOWN_TIMEOUT = 10.0


class NonLoopbackError(ValueError):
    """Raised when asked to listen on an address other hosts could reach."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind_address(host: str, allow_non_loopback: bool) -> None:
    # The emulator has no real authentication and its admin API can rewrite state, so it stays on loopback
    # unless someone opts out knowingly.
    if not allow_non_loopback and not is_loopback(host):
        raise NonLoopbackError(
            f"refusing to bind the emulator to non-loopback address {host!r}; "
            "pass allow_non_loopback=True (CLI: --allow-non-loopback) if you really mean it"
        )


def bind_socket(host: str, port: int) -> socket.socket:
    bind_host = "127.0.0.1" if host == "localhost" else host.strip("[]")
    family = socket.AF_INET6 if ":" in bind_host else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only for such sockets,
    # and without it every answer waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((bind_host, port))
        sock.listen(2048)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def base_url_for(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _uvicorn_config(core: EmulatorCore, log_level: str, access_log: bool, quiet: bool) -> uvicorn.Config:
    install_log_filter()
    return uvicorn.Config(
        create_app(core),
        log_level=log_level,
        access_log=access_log,
        # In-process use must not reconfigure the host application's logging.
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        lifespan="off",
        timeout_graceful_shutdown=2,
        # Benchmarks open many concurrent connections; keep-alive reuse matters more than idle cleanup.
        timeout_keep_alive=30,
    )


class RunningEmulator:
    """Handle on an emulator running in a background thread (see run_emulator)."""

    def __init__(self, core: EmulatorCore, base_url: str) -> None:
        self.core = core
        self.base_url = base_url

    @property
    def config(self) -> EmulatorConfig:
        return self.core.config

    @property
    def client_id(self) -> str:
        return self.core.config.client_id

    @property
    def secret(self) -> str:
        return self.core.config.secret

    def create_item(
        self,
        institution_id: str = DEFAULT_INSTITUTION_ID,
        username: str = "user_good",
        password: str | dict[str, Any] = "pass_good",  # noqa: S107 - Sandbox test credential
        *,
        products: Sequence[str] = ("transactions",),
        webhook: str | None = None,
    ) -> tuple[str, str]:
        """Create an Item in-process (no HTTP); returns (access_token, item_id)."""
        return self.core.create_item(institution_id, username, password, products=products, webhook=webhook)

    def create_items(
        self,
        n: int,
        institution_id: str = DEFAULT_INSTITUTION_ID,
        username: str = "user_good",
        password: str | dict[str, Any] = "pass_good",  # noqa: S107 - Sandbox test credential
        *,
        products: Sequence[str] = ("transactions",),
    ) -> list[tuple[str, str]]:
        return self.core.create_items(n, institution_id, username, password, products=products)

    def set_item_faults(
        self,
        item: str,
        *,
        fail_next: Sequence[str] | None = None,
        clear: bool = False,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Per-Item faults by item_id or access_token; see EmulatorCore.set_item_faults."""
        return self.core.set_item_faults(item, fail_next=fail_next, clear=clear, **overrides)

    def reset_login(self, item: str) -> None:
        """Same as /sandbox/item/reset_login (sends the ERROR webhook if the Item has a webhook URL)."""
        self.core.reset_login(item)

    def item_event(self, item: str, code: str, *, reason: str | None = None) -> dict[str, Any]:
        """Put the Item into the state an Item webhook reports and send it: ERROR, PENDING_EXPIRATION,
        PENDING_DISCONNECT, USER_PERMISSION_REVOKED, USER_ACCOUNT_REVOKED, LOGIN_REPAIRED,
        NEW_ACCOUNTS_AVAILABLE. Returns the webhook body."""
        return self.core.item_event(item, code, reason=reason)

    def set_webhook(self, item: str, url: str | None) -> None:
        self.core.set_webhook(self.core.state.find_item(item), url)

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Webhooks sent so far: url, body, sent_at, the receiver's status or the error."""
        return self.core.webhooks.log()

    def drain_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until every queued webhook was delivered (or failed)."""
        return self.core.webhooks.drain(timeout)

    def rotate_webhook_key(self) -> str:
        """Expire the current signing key (its expired_at is set) and sign with a new one; returns the new kid."""
        return self.core.webhooks.rotate_key().kid

    def create_item_with_accounts(
        self,
        accounts: Sequence[Mapping[str, Any]],
        institution_id: str = DEFAULT_INSTITUTION_ID,
        *,
        products: Sequence[str] = ("transactions",),
        webhook: str | None = None,
    ) -> tuple[str, str]:
        """An Item holding exactly these accounts (``current``, ``available``, ``limit``, ``currency``,
        ``type``, ``subtype``, ``name``, ``official_name``, ``mask``); returns (access_token, item_id)."""
        return self.core.create_item_with_accounts(
            accounts, institution_id, products=products, webhook=webhook
        )

    def fire_webhook(self, item: str, webhook_type: str, code: str) -> dict[str, Any]:
        """Any webhook /sandbox/item/fire_webhook takes, e.g. ("TRANSACTIONS", "DEFAULT_UPDATE")."""
        return self.core.fire_webhook(item, webhook_type, code)

    def billing(self) -> dict[str, Any]:
        """What Plaid would have billed: successful balance calls, in total and per Item."""
        return self.core.billing()

    def stats(self) -> dict[str, Any]:
        return self.core.stats_snapshot()

    def reset_stats(self) -> None:
        self.core.reset_stats()


@contextmanager
def run_emulator(
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    allow_non_loopback: bool = False,
    log_level: str = "warning",
    clock: Clock | None = None,
) -> Iterator[RunningEmulator]:
    """Serve the emulator from a background thread for the duration of the block.

    `clock` (e.g. a ManualClock) drives rate-limit windows, token expiry and timestamps, so tests move time
    instead of sleeping.
    """
    check_bind_address(host, allow_non_loopback)
    core = EmulatorCore(config, clock=clock)
    sock = bind_socket(host, port)
    base_url = base_url_for(sock)
    server = uvicorn.Server(_uvicorn_config(core, log_level, access_log=False, quiet=True))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"plaid-emulator-{base_url}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Plaid emulator did not start")
            time.sleep(0.005)
        yield RunningEmulator(core, base_url)
    finally:
        core.stopping.set()
        server.should_exit = True
        thread.join(_SHUTDOWN_TIMEOUT)
        sock.close()
        core.webhooks.close()


def serve(
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 8787,
    *,
    allow_non_loopback: bool = False,
    log_level: str = "info",
    access_log: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve in the foreground until interrupted. `on_ready` gets the base URL once the port is bound."""
    check_bind_address(host, allow_non_loopback)
    core = EmulatorCore(config)
    sock = bind_socket(host, port)
    try:
        if on_ready is not None:
            on_ready(base_url_for(sock))
        server = uvicorn.Server(_uvicorn_config(core, log_level, access_log, quiet=False))
        server.run(sockets=[sock])
    finally:
        core.stopping.set()
        sock.close()
        core.webhooks.close()
