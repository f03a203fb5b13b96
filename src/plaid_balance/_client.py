"""The Plaid HTTP clients: ``PlaidClient`` (sync) and ``AsyncPlaidClient`` (async), on httpx.

Both share everything but the send: each endpoint is declared once in ``_calls`` (``Endpoints``, their
common base), calls are built there, answers are interpreted by
``interpret_response`` and retries are decided by ``RetryPolicy``. Credentials travel in the
``PLAID-CLIENT-ID`` / ``PLAID-SECRET`` headers, pinned to ``Plaid-Version: 2020-09-14``.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

# httpx loads httpcore, its transport, when the first client is made; every client makes one, so it loads
# with this module, at the top like the rest (and at a command's boundary: docs/architecture.md).
import httpcore  # noqa: F401
import httpx
import msgspec
import stamina

from plaid_balance import _calls as calls
from plaid_balance._closing import AsyncClosing, Closing
from plaid_balance._config import DEFAULT_CONNECT_TIMEOUT, PLAID_VERSION, Environment, parse_environment
from plaid_balance._error_body import ErrorBody, network_failure, plaid_error_body
from plaid_balance._errors import PlaidAPIError, PlaidNetworkError
from plaid_balance._json import decode, encode
from plaid_balance._log import quiet_library_loggers
from plaid_balance._retry import RetryPolicy
from plaid_balance._secret import SecretStr
from plaid_balance._settings import (
    base_url_setting,
    credential_settings,
    environment_setting,
    parse_timeout,
    require_credentials,
    timeout_setting,
    validate_base_url,
)

# getLogger makes the named loggers now, stamina's included: quiet until the application configures logging.
quiet_library_loggers()

T = TypeVar("T")
Token = calls.Token


def interpret_response(response: httpx.Response, model: type[T]) -> T:
    """Turn an HTTP answer into the model, a ``PlaidAPIError`` or a ``PlaidNetworkError``."""
    status = response.status_code
    content = response.content
    if status >= 400:
        try:
            error = decode(content, ErrorBody)
        except msgspec.ValidationError:
            raise network_failure(
                "UNEXPECTED_RESPONSE",
                f"HTTP {status} answer without a Plaid error object",
                retryable=status >= 500 or status == 429,
            ) from None
        except msgspec.DecodeError:
            # A proxy's error page or a cut body: the same call may well succeed next time.
            raise network_failure(
                "MALFORMED_RESPONSE", f"HTTP {status} answer is not valid JSON ({len(content)} bytes)"
            ) from None
        raise PlaidAPIError(plaid_error_body(error, status))
    try:
        return decode(content, model)
    except msgspec.ValidationError as exc:
        # msgspec names the place ("at `$.accounts[0].balances`"), never the value: safe to show.
        raise network_failure(
            "MALFORMED_RESPONSE", f"answer does not match Plaid's schema: {exc}", retryable=False
        ) from None
    except msgspec.DecodeError:
        # A cut or garbled body (proxy, dropped connection): the same call may well succeed next time.
        raise network_failure(
            "MALFORMED_RESPONSE", f"HTTP {status} answer is not valid JSON ({len(content)} bytes)"
        ) from None


def network_error(exc: httpx.HTTPError) -> PlaidNetworkError:
    # Only the exception's class goes into the message: httpx's text can quote the request it failed on.
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return network_failure("TIMEOUT", f"Plaid did not answer in time ({name})")
    if isinstance(exc, httpx.ConnectError):
        return network_failure("CONNECT_ERROR", f"cannot connect to Plaid ({name}: {_reason(exc)})")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return network_failure("CONNECTION_DROPPED", f"connection dropped mid-answer ({name})")
    return network_failure("TRANSPORT_ERROR", f"the request failed ({name})")


def _reason(exc: httpx.HTTPError) -> str:
    """The operating system's reason for a failed connection (refused, unreachable, unknown name)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        cause = cause.__cause__ or cause.__context__
    return "no reason given"


class _ClientConfig:
    """What both clients are built from: arguments first, then the environment; validated once."""

    def __init__(
        self,
        client_id: str | None,
        secret: str | SecretStr | None,
        environment: str | Environment | None,
        base_url: str | None,
        timeout: float | None,
        retry: RetryPolicy | None,
    ) -> None:
        # Only the variables an argument leaves open are read: a bad one that is overridden does not matter.
        if client_id is None or secret is None:
            env_client_id, env_secret = credential_settings()
            client_id = env_client_id if client_id is None else client_id
            secret = env_secret if secret is None else secret
        self.client_id, self._secret = require_credentials(client_id, secret)
        self.environment = environment_setting() if environment is None else parse_environment(environment)
        if base_url is not None:
            self.base_url = validate_base_url(base_url)
        else:
            self.base_url = base_url_setting() or self.environment.base_url
        seconds = timeout_setting() if timeout is None else parse_timeout(timeout, "timeout")
        self.timeout = httpx.Timeout(seconds, connect=min(DEFAULT_CONNECT_TIMEOUT, seconds))
        self.retry = retry or RetryPolicy()

    def client_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "timeout": self.timeout,
            "headers": {
                "Plaid-Version": PLAID_VERSION,
                "PLAID-CLIENT-ID": self.client_id,
                "PLAID-SECRET": self._secret.get_secret_value(),
                "Content-Type": "application/json",
                "User-Agent": "plaid-balance",
            },
            "follow_redirects": False,
            # Loading the certificate bundle costs more than a loopback call: only https needs it, and a
            # plain-http base URL is loopback-only and never redirected.
            "verify": self.base_url.startswith("https:"),
        }

    def __repr__(self) -> str:
        return f"environment={self.environment.value!r}, base_url={self.base_url!r}"


class _BaseClient(calls.Endpoints):
    """What both clients share besides their endpoints (``calls.Endpoints``): settings and their repr."""

    _config: _ClientConfig

    @property
    def environment(self) -> Environment:
        return self._config.environment

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._config!r})"


class PlaidClient(_BaseClient, Closing):
    """Synchronous Plaid client. One per process is plenty: it pools connections.

    Arguments left out come from the environment (``PLAID_CLIENT_ID``, ``PLAID_SECRET``,
    ``PLAID_ENVIRONMENT``, ``PLAID_BASE_URL``, ``PLAID_TIMEOUT``).

    >>> with PlaidClient(environment="sandbox") as plaid:          # doctest: +SKIP
    ...     response = plaid.accounts_balance_get(access_token)

    Its endpoint methods (``accounts_balance_get``, ``item_get``...) are declared once, in
    ``calls.Endpoints``.
    """

    def __init__(
        self,
        client_id: str | None = None,
        secret: str | SecretStr | None = None,
        environment: str | Environment | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._config = _ClientConfig(client_id, secret, environment, base_url, timeout, retry)
        self._http = httpx.Client(transport=transport, **self._config.client_kwargs())

    def close(self) -> None:
        self._http.close()

    def call(self, call: calls.PlaidCall[T]) -> T:
        """Send one call, retrying per the policy; raise ``PlaidAPIError`` or ``PlaidNetworkError``."""
        if call.one_shot:
            return self._send(call)
        # Every attempt, the first included, is stamina's: its waits, attempt count, total time and hooks.
        for attempt in stamina.retry_context(**self._config.retry.stamina_kwargs()):
            with attempt:
                return self._send(call)
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    def _send(self, call: calls.PlaidCall[T]) -> T:
        try:
            response = self._http.post(call.path, content=encode(call.body))
        except httpx.HTTPError as exc:
            raise network_error(exc) from None
        return interpret_response(response, call.response_model)


class AsyncPlaidClient(_BaseClient, AsyncClosing):
    """Asynchronous twin of ``PlaidClient`` for many Items at once (one connection pool for all).

    Its endpoint methods (``calls.Endpoints``) are coroutine functions.
    """

    is_async: ClassVar[bool] = True

    def __init__(
        self,
        client_id: str | None = None,
        secret: str | SecretStr | None = None,
        environment: str | Environment | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 100,
    ) -> None:
        self._config = _ClientConfig(client_id, secret, environment, base_url, timeout, retry)
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = httpx.AsyncClient(transport=transport, limits=limits, **self._config.client_kwargs())

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, call: calls.PlaidCall[T]) -> T:
        """Send one call, retrying per the policy; raise ``PlaidAPIError`` or ``PlaidNetworkError``."""
        if call.one_shot:
            return await self._send(call)
        async for attempt in stamina.retry_context(**self._config.retry.stamina_kwargs()):
            with attempt:
                return await self._send(call)
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    async def _send(self, call: calls.PlaidCall[T]) -> T:
        try:
            response = await self._http.post(call.path, content=encode(call.body))
        except httpx.HTTPError as exc:
            raise network_error(exc) from None
        return interpret_response(response, call.response_model)
