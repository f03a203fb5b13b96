"""Running the watch as a service: build it from the config, serve HTTP, handle signals.

SIGTERM and Ctrl-C stop it cleanly (refreshes in flight finish and are written whole); SIGHUP reloads
the config, keeping the running one if the new one has a mistake (logged with file, line and key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from plaid_balance._errors import ConfigurationError, InvalidValue
from plaid_balance._http_guard import Guard, HostRule
from plaid_balance._parse import parse_bearer_token
from plaid_balance.vault import VaultItem
from plaid_balance.watch.app import DashboardFactory, create_app, watch_guard
from plaid_balance.watch.config import WatchConfig, check_against_items, load_config
from plaid_balance.watch.notify import Sender, check_notifiers
from plaid_balance.watch.state import ItemSource

if TYPE_CHECKING:
    from plaid_balance.watch.service import Watch

log = logging.getLogger("plaid_balance.watch")


def prepare(config_path: Path, known: Sequence[VaultItem]) -> tuple[WatchConfig, Sender]:
    """Load and check a config completely (used at start and on SIGHUP)."""
    config = load_config(config_path)
    check_against_items(config, known)
    sender = check_notifiers(config)
    return config, sender


def bearer_token(config: WatchConfig) -> str | None:
    """The token scripts send, from the variable ``[server] token_env`` names (None when it is unset or
    empty): a server's bearer token, read as the dashboard's is (``parse_bearer_token``)."""
    variable = config.server.token_env
    beyond_loopback = not config.server.listen.is_loopback
    try:
        token = parse_bearer_token(
            os.environ.get(variable, ""), what=f"${variable}", beyond_loopback=beyond_loopback
        )
    except InvalidValue as exc:
        raise ConfigurationError(str(exc)) from None
    if token is None and not config.server.listen.is_loopback:
        raise config.error(
            ("server", "listen"),
            f"listening on {config.server.listen} (beyond loopback) needs a bearer token in ${config.server.token_env}",
        )
    return token


def public_hosts(webhook_url: str | None) -> list[str]:
    """The ``Host`` values Plaid's webhooks may arrive with through a proxy or tunnel: the public URL's."""
    if webhook_url is None:
        return []
    parts = urlsplit(webhook_url)
    return [parts.netloc.rpartition("@")[2]] if parts.netloc else []


class _Server:
    """uvicorn on a socket bound here (so a taken port is one clear error, and port 0 is known), and
    without uvicorn's own signal handling: the watch decides when to stop. ``make_app(port)`` builds
    the app once the port is known."""

    def __init__(self, make_app: Callable[[int], Any], host: str, port: int) -> None:
        import uvicorn

        class Quiet(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError as exc:
            self.socket.close()
            shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            raise ConfigurationError(f"cannot listen on {shown}: {exc.strerror or exc}") from None
        self.port = int(self.socket.getsockname()[1])
        try:
            app = make_app(self.port)
        except BaseException:
            self.socket.close()
            raise
        self.server = Quiet(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))

    async def serve(self) -> None:
        await self.server.serve(sockets=[self.socket])

    @property
    def started(self) -> bool:
        return bool(self.server.started)

    def stop(self) -> None:
        self.server.should_exit = True


async def run_watch(
    watch: Watch,
    *,
    known: Callable[[], Sequence[VaultItem]],
    config_path: Path,
    token: str | None,
    once: bool,
    on_listen: Callable[[str], None] | None = None,
    dashboard: DashboardFactory | None = None,
) -> int | None:
    """Serve until SIGTERM/SIGINT (or, with ``once``, until every due Item was refreshed once); return
    the signal that stopped it, if any. ``dashboard``, when given, is mounted at /dashboard."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    received: list[int] = []

    def stop(sig: int) -> None:
        if not stopping.is_set():
            log.info(
                "stopping: letting refreshes in flight finish",
                extra={"fields": {"signal": signal.Signals(sig).name}},
            )
        received.append(sig)
        stopping.set()
        watch.wake()

    reloads: set[asyncio.Task[None]] = set()

    def reload() -> None:
        task = loop.create_task(_reload(watch, config_path, known))
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    installed = []
    for sig, handler, args in (
        (signal.SIGTERM, stop, (signal.SIGTERM,)),
        (signal.SIGINT, stop, (signal.SIGINT,)),
        (signal.SIGHUP, reload, ()),
    ):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, handler, *args)
            installed.append(sig)
    try:
        if once:
            await watch.tick()
            await watch.settle()
            await watch.tick()  # deliver what the refreshes raised
            await watch.settle()
            return None
        config = watch.config
        mounts = [("/dashboard", dashboard(watch))] if dashboard is not None else []
        guards: list[Guard] = []

        def make_app(port: int) -> Any:
            hosts = HostRule.bound(
                config.server.listen.host, port, also=public_hosts(config.server.webhook_url)
            )
            guards.append(watch_guard(hosts, token=token, webhook_path=config.server.webhook_path))
            return create_app(
                watch,
                guard=guards[0],
                webhook_path=config.server.webhook_path,
                metrics=config.server.metrics,
                mounts=mounts,
            )

        server = _Server(make_app, config.server.listen.host, config.server.listen.port)
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn offers no event)
            await asyncio.sleep(0.01)
        if serving.done():
            serving.result()
            raise ConfigurationError(f"cannot listen on {config.server.listen}")
        host = config.server.listen.host
        url = f"http://{'[' + host + ']' if ':' in host else host}:{server.port}"
        log.info("listening", extra={"fields": {"url": url, "webhook": url + config.server.webhook_path}})
        if guards[0].token_generated:
            log.info(
                "no bearer token set: this run made one of its own, so /status, /metrics and /alerts "
                "answer no script; set one to read them",
                extra={"fields": {"token_env": config.server.token_env}},
            )
        if mounts:
            log.info(
                "dashboard: this link signs in one browser, once",
                extra={"fields": {"sign_in": guards[0].sign_in_url(url, "/dashboard/")}},
            )
        if on_listen is not None:
            on_listen(url)
        looping = asyncio.create_task(watch.run())
        stopped = asyncio.create_task(stopping.wait())
        done, _ = await asyncio.wait({looping, serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
        await watch.stop()
        looping.cancel()
        server.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await looping
        await serving
        stopped.cancel()
        for task in done:
            if task is not stopped and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        return received[0] if received else None
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _reload(watch: Watch, config_path: Path, known: Callable[[], Sequence[VaultItem]]) -> None:
    try:
        items = await asyncio.to_thread(known)
        config, sender = await asyncio.to_thread(prepare, config_path, items)
    except ConfigurationError as exc:
        log.error("config not reloaded, the running one stays in force: %s", exc)
        return
    except Exception as exc:
        log.error("config not reloaded (%s), the running one stays in force: %s", type(exc).__name__, exc)
        return
    if config.server != watch.config.server:
        log.warning("[server] changes take effect at the next start")
    watch.replace_config(config, sender)
    log.info("config reloaded", extra={"fields": {"file": str(config_path), "alerts": len(config.alerts)}})


__all__ = ["ItemSource", "bearer_token", "prepare", "run_watch"]
