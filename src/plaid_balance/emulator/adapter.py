"""The HTTP side of the Plaid endpoints: read a bounded body, parse it, run the rule, apply transport faults.

Every answer, including every failure (bad body, too large, a fault, a bug in the emulator), is Plaid's JSON
error object with its HTTP status; nothing leaves as plain text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from plaid_balance.emulator import jsonio
from plaid_balance.emulator.config import FaultKind
from plaid_balance.emulator.core import CallContext, EmulatorCore
from plaid_balance.emulator.errors import PlaidAPIError, new_request_id
from plaid_balance.emulator.requests import PlaidRequest, parse_request

log = logging.getLogger("plaid_balance.emulator")
_MALFORMED_BODY = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
JSON = "application/json"


class ConnectionDropped(Exception):
    """Raised after the response headers went out, so uvicorn aborts the connection mid-response."""


class _DropLogFilter(logging.Filter):
    # uvicorn logs every exception escaping the app; a deliberate drop is not an error worth a traceback.
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


_drop_filter = _DropLogFilter()


def install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if _drop_filter not in logger.filters:
        logger.addFilter(_drop_filter)


class DroppedResponse(Response):
    """Sends the status line and headers (with the full Content-Length) and then aborts."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        raise ConnectionDropped


def too_large(limit: int) -> PlaidAPIError:
    return PlaidAPIError("INVALID_BODY", f"request body is larger than {limit} bytes", status=413)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to exceed `limit`: never more than that is held."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise PlaidAPIError("INVALID_BODY", "invalid Content-Length header")
        if int(declared) > limit:
            raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def error_response(error: PlaidAPIError, request_id: str | None = None) -> Response:
    headers = {"Connection": "close"} if error.status == 413 else None
    return Response(
        jsonio.encode(error.body(request_id or new_request_id())),
        status_code=error.status,
        media_type=JSON,
        headers=headers,
    )


Rule = Callable[[CallContext, Any], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    path: str
    model: type[PlaidRequest]
    rule: Rule


class PlaidAdapter:
    def __init__(self, core: EmulatorCore) -> None:
        self.core = core
        self.config = core.config

    async def dispatch(self, endpoint: Endpoint, request: Request) -> Response:
        clock = self.core.clock
        arrived = clock.monotonic()
        call = CallContext(endpoint.path, new_request_id(), "", base_url=str(request.base_url).rstrip("/"))
        self.core.record_request(endpoint.path)
        try:
            raw = await read_body(request, self.config.max_body_bytes)
            parsed = parse_request(endpoint.model, raw, request.headers, max_depth=self.config.max_json_depth)
            if parsed.client_id != self.config.client_id or parsed.secret != self.config.secret:
                raise PlaidAPIError("INVALID_API_KEYS")
            call.client_id = parsed.client_id
            body = endpoint.rule(call, parsed)
            body["request_id"] = call.request_id
            status, payload, error_code = 200, jsonio.encode(body), None
        except PlaidAPIError as exc:
            status, payload, error_code = exc.status, jsonio.encode(exc.body(call.request_id)), exc.error_code
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception:
            # A bug in the emulator still answers like Plaid does when it has one.
            log.exception("the emulator failed on %s", endpoint.path)
            error = PlaidAPIError("INTERNAL_SERVER_ERROR")
            status, payload, error_code = (
                error.status,
                jsonio.encode(error.body(call.request_id)),
                "INTERNAL_SERVER_ERROR",
            )
        if call.delay_seconds > 0:
            # Injected latency is the whole time the emulator takes to answer (like a bank's), not added on top
            # of its own processing.
            await clock.sleep_until(arrived + call.delay_seconds)
        fault = call.transport_fault
        if fault == FaultKind.HANG:
            await self._hang(request, call.hang_seconds)
        elif fault == FaultKind.DROP:
            return DroppedResponse(payload, status_code=status, media_type=JSON)
        elif fault == FaultKind.MALFORMED:
            status, payload, error_code = 200, _MALFORMED_BODY, None
        elif fault == FaultKind.TRUNCATED:
            status, payload, error_code = 200, payload[: max(1, len(payload) // 2)], None
        self.core.record_response(status, error_code)
        headers = {"Connection": "close"} if status == 413 else None
        return Response(payload, status_code=status, media_type=JSON, headers=headers)

    async def _hang(self, request: Request, seconds: float) -> None:
        """Hold the answer for ``seconds`` on the emulator's clock, or until the client leaves or we stop."""
        clock = self.core.clock
        deadline = clock.monotonic() + seconds
        while clock.monotonic() < deadline and not self.core.stopping.is_set():
            if await request.is_disconnected():
                return
            # Real time between looks at the client and the stop flag; the deadline is the clock's.
            await asyncio.sleep(min(0.05, max(0.0, deadline - clock.monotonic())))

    async def not_found(self, request: Request) -> Response:
        error = PlaidAPIError("NOT_FOUND")
        self.core.record_response(error.status, error.error_code)
        return error_response(error)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        return error_response(PlaidAPIError("INTERNAL_SERVER_ERROR"))
