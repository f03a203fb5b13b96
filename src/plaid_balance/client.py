"""The Plaid HTTP clients: ``PlaidClient`` (sync) and ``AsyncPlaidClient`` (async), on httpx.

Both share everything but the send: calls are built in ``plaid_balance.calls``, answers are interpreted
by ``interpret_response`` and retries are decided by ``RetryPolicy``. Credentials travel in the
``PLAID-CLIENT-ID`` / ``PLAID-SECRET`` headers, pinned to ``Plaid-Version: 2020-09-14``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import stamina
from pydantic import BaseModel, SecretStr, ValidationError

from plaid_balance import __version__, calls
from plaid_balance._redact import quiet_library_loggers, redact, remember_url_secrets
from plaid_balance.config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_TIMEOUT,
    PLAID_VERSION,
    Environment,
    load_settings,
    parse_environment,
    require_credentials,
    validate_base_url,
)
from plaid_balance.errors import PlaidAPIError, PlaidNetworkError
from plaid_balance.models import (
    AccountsGetResponse,
    ItemGetResponse,
    PlaidError,
    PublicTokenCreateResponse,
    PublicTokenExchangeResponse,
    loads_exact,
)
from plaid_balance.retry import RetryPolicy

T = TypeVar("T", bound=BaseModel)
quiet_library_loggers()  # after importing httpx and stamina, so their loggers exist


def interpret_response(response: httpx.Response, model: type[T]) -> T:
    """Turn an HTTP answer into the model, a ``PlaidAPIError`` or a ``PlaidNetworkError``."""
    status = response.status_code
    try:
        data = loads_exact(response.content)
    except ValueError:
        # A cut or garbled body (proxy, dropped connection): the same call may well succeed next time.
        raise PlaidNetworkError(
            "MALFORMED_RESPONSE", f"HTTP {status} answer is not valid JSON ({len(response.content)} bytes)"
        ) from None
    if status >= 400:
        try:
            error = PlaidError.model_validate(data)
        except ValidationError:
            raise PlaidNetworkError(
                "UNEXPECTED_RESPONSE",
                f"HTTP {status} answer without a Plaid error object",
                retryable=status >= 500 or status == 429,
            ) from None
        raise PlaidAPIError(error, status)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise PlaidNetworkError(
            "MALFORMED_RESPONSE", f"answer does not match Plaid's schema at {where!r}", retryable=False
        ) from None


def network_error(exc: httpx.HTTPError) -> PlaidNetworkError:
    if isinstance(exc, httpx.TimeoutException):
        return PlaidNetworkError("TIMEOUT", f"Plaid did not answer in time ({type(exc).__name__})")
    if isinstance(exc, httpx.ConnectError):
        return PlaidNetworkError("CONNECT_ERROR", f"cannot connect to Plaid: {exc}")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return PlaidNetworkError("CONNECTION_DROPPED", f"connection dropped mid-answer: {exc}")
    return PlaidNetworkError("TRANSPORT_ERROR", f"{type(exc).__name__}: {exc}")


class _ClientConfig:
    """What both clients are built from: validated once, holding the secret as ``SecretStr``."""

    def __init__(
        self,
        client_id: str | None,
        secret: str | SecretStr | None,
        environment: str | Environment,
        base_url: str | None,
        timeout: float,
        retry: RetryPolicy | None,
    ) -> None:
        if client_id is None or secret is None:
            settings = load_settings()
            client_id = settings.plaid_client_id if client_id is None else client_id
            secret = settings.plaid_secret if secret is None else secret
        self.client_id, self._secret = require_credentials(client_id, secret)
        self.environment = parse_environment(environment)
        remember_url_secrets(base_url)
        self.base_url = validate_base_url(base_url) if base_url else self.environment.base_url
        self.timeout = httpx.Timeout(timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, timeout))
        self.retry = retry or RetryPolicy()

    def client_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "timeout": self.timeout,
            "headers": {
                "Plaid-Version": PLAID_VERSION,
                "PLAID-CLIENT-ID": self.client_id,
                "PLAID-SECRET": self._secret.get_secret_value(),
                "User-Agent": f"plaid-balance/{__version__}",
            },
            "follow_redirects": False,
        }

    def __repr__(self) -> str:
        return f"environment={self.environment.value!r}, base_url={redact(self.base_url)!r}"


class PlaidClient:
    """Synchronous Plaid client. One per process is plenty: it pools connections.

    >>> with PlaidClient(environment="sandbox") as plaid:          # doctest: +SKIP
    ...     response = plaid.accounts_balance_get(access_token)
    """

    def __init__(
        self,
        client_id: str | None = None,
        secret: str | SecretStr | None = None,
        environment: str | Environment = Environment.SANDBOX,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._config = _ClientConfig(client_id, secret, environment, base_url, timeout, retry)
        self._http = httpx.Client(transport=transport, **self._config.client_kwargs())

    @property
    def environment(self) -> Environment:
        return self._config.environment

    def __repr__(self) -> str:
        return f"PlaidClient({self._config!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(self, call: calls.PlaidCall[T]) -> T:
        """Send one call, retrying per the policy; raise ``PlaidAPIError`` or ``PlaidNetworkError``."""
        for attempt in stamina.retry_context(**self._config.retry.stamina_kwargs()):
            with attempt:
                try:
                    response = self._http.post(call.path, json=call.body)
                except httpx.HTTPError as exc:
                    raise network_error(exc) from None
                return interpret_response(response, call.response_model)
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    def accounts_balance_get(
        self,
        access_token: str,
        *,
        account_ids: Sequence[str] | None = None,
        min_last_updated_datetime: datetime | None = None,
    ) -> AccountsGetResponse:
        """Real-time balances (``/accounts/balance/get``). Billed by Plaid per successful call."""
        return self.call(calls.accounts_balance_get(access_token, account_ids, min_last_updated_datetime))

    def accounts_get(
        self, access_token: str, *, account_ids: Sequence[str] | None = None
    ) -> AccountsGetResponse:
        """Cached balances (``/accounts/get``): free, but possibly hours or days old."""
        return self.call(calls.accounts_get(access_token, account_ids))

    def item_get(self, access_token: str) -> ItemGetResponse:
        return self.call(calls.item_get(access_token))

    def sandbox_public_token_create(
        self,
        institution_id: str,
        initial_products: Sequence[str] = ("transactions",),
        *,
        override_username: str | None = None,
        override_password: str | None = None,
    ) -> PublicTokenCreateResponse:
        return self.call(
            calls.sandbox_public_token_create(
                institution_id, initial_products, override_username, override_password
            )
        )

    def item_public_token_exchange(self, public_token: str) -> PublicTokenExchangeResponse:
        return self.call(calls.item_public_token_exchange(public_token))


class AsyncPlaidClient:
    """Asynchronous twin of ``PlaidClient`` for many Items at once (one connection pool for all)."""

    def __init__(
        self,
        client_id: str | None = None,
        secret: str | SecretStr | None = None,
        environment: str | Environment = Environment.SANDBOX,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 100,
    ) -> None:
        self._config = _ClientConfig(client_id, secret, environment, base_url, timeout, retry)
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = httpx.AsyncClient(transport=transport, limits=limits, **self._config.client_kwargs())

    @property
    def environment(self) -> Environment:
        return self._config.environment

    def __repr__(self) -> str:
        return f"AsyncPlaidClient({self._config!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, call: calls.PlaidCall[T]) -> T:
        async for attempt in stamina.retry_context(**self._config.retry.stamina_kwargs()):
            with attempt:
                try:
                    response = await self._http.post(call.path, json=call.body)
                except httpx.HTTPError as exc:
                    raise network_error(exc) from None
                return interpret_response(response, call.response_model)
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    async def accounts_balance_get(
        self,
        access_token: str,
        *,
        account_ids: Sequence[str] | None = None,
        min_last_updated_datetime: datetime | None = None,
    ) -> AccountsGetResponse:
        return await self.call(
            calls.accounts_balance_get(access_token, account_ids, min_last_updated_datetime)
        )

    async def accounts_get(
        self, access_token: str, *, account_ids: Sequence[str] | None = None
    ) -> AccountsGetResponse:
        return await self.call(calls.accounts_get(access_token, account_ids))

    async def item_get(self, access_token: str) -> ItemGetResponse:
        return await self.call(calls.item_get(access_token))
