"""Start-up configuration of the emulator (msgspec Structs, validated on construction and on decoding)."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

import msgspec

from plaid_balance.emulator.errors import is_known_error_code

BALANCE_PATH = "/accounts/balance/get"
# Bounds that keep the emulator usable: an hour of latency or hanging is already far past any client timeout.
MAX_DELAY_MS = 3_600_000.0
MAX_HANG_SECONDS = 3_600.0


class FaultKind(StrEnum):
    """Transport- and server-level failures the emulator can inject into a call."""

    ERROR = "error"  # 500 API_ERROR / INTERNAL_SERVER_ERROR
    INSTITUTION_NOT_RESPONDING = "institution_not_responding"  # 400 INSTITUTION_ERROR
    DROP = "drop"  # headers with a Content-Length, then the connection is aborted
    HANG = "hang"  # no answer for hang_seconds
    MALFORMED = "malformed"  # 200 whose body is not JSON
    TRUNCATED = "truncated"  # 200 whose body is a prefix of the real JSON


def validate_fault_name(name: str) -> str:
    """A fail_next entry is a FaultKind value or any Plaid error_code the emulator knows."""
    if name in FaultKind.__members__.values() or is_known_error_code(name):
        return name
    raise ValueError(
        f"unknown fault {name!r}: use one of {[k.value for k in FaultKind]} or a Plaid error_code "
        "such as ITEM_LOGIN_REQUIRED, INSTITUTION_DOWN, PRODUCT_NOT_READY, PLANNED_MAINTENANCE"
    )


def _check_range(name: str, value: float, low: float, high: float, *, low_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    if value < low or (low_open and value == low) or value > high:
        lower = f"greater than {low:g}" if low_open else f"at least {low:g}"
        raise ValueError(f"{name} must be {lower} and at most {high:g}, not {value:g}")


_RATE_FIELDS = (
    "error_rate",
    "institution_not_responding_rate",
    "drop_rate",
    "hang_rate",
    "malformed_rate",
    "truncated_rate",
)


class FaultConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fault injection knobs. Rates are probabilities per call, drawn from one seeded RNG."""

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    error_rate: float = 0.0
    institution_not_responding_rate: float = 0.0
    drop_rate: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    malformed_rate: float = 0.0
    truncated_rate: float = 0.0
    seed: int | None = None
    # Faults for the next calls, consumed in order, before any random draw. At start-up this list applies to
    # whichever Items are called first; per-Item lists are set at run time.
    fail_next: list[str] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        _check_range("latency_ms", self.latency_ms, 0.0, MAX_DELAY_MS)
        _check_range("latency_jitter_ms", self.latency_jitter_ms, 0.0, MAX_DELAY_MS)
        _check_range("hang_seconds", self.hang_seconds, 0.0, MAX_HANG_SECONDS)
        for name in _RATE_FIELDS:
            _check_range(name, getattr(self, name), 0.0, 1.0)
        if self.total_fault_rate() > 1.0 + 1e-9:
            raise ValueError("the fault rates add up to more than 1")
        self.fail_next = [validate_fault_name(v) for v in self.fail_next]

    def total_fault_rate(self) -> float:
        return float(sum(getattr(self, name) for name in _RATE_FIELDS))

    def settings(self) -> dict[str, Any]:
        """Everything but the fail_next queue, as plain data (what the admin API shows)."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        data.pop("fail_next", None)
        return data

    def merged(self, overrides: dict[str, Any]) -> FaultConfig:
        """A copy with some fields replaced, validated as a whole (raises ValueError)."""
        try:
            return msgspec.convert(self.settings() | overrides, FaultConfig)
        except msgspec.ValidationError as exc:
            raise ValueError(str(exc)) from None


class RateLimitRule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Requests allowed per window for one endpoint; None means unlimited."""

    per_item: int | None = None
    per_client: int | None = None
    item_error_code: str = "RATE_LIMIT"
    client_error_code: str = "RATE_LIMIT"

    def __post_init__(self) -> None:
        for name in ("per_item", "per_client"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a whole number of at least 1")
        for name in ("item_error_code", "client_error_code"):
            if not is_known_error_code(getattr(self, name)):
                raise ValueError(f"{name} {getattr(self, name)!r} is not an error code the emulator knows")


def default_rate_limits() -> dict[str, RateLimitRule]:
    # Plaid Sandbox limits per minute (research notes §4). Plaid documents specific codes only for the
    # balance endpoint; the others answer with the generic RATE_LIMIT.
    return {
        BALANCE_PATH: RateLimitRule(
            per_item=25,
            per_client=100,
            item_error_code="BALANCE_LIMIT",
            client_error_code="ACCOUNTS_BALANCE_GET_LIMIT",
        ),
        "/accounts/get": RateLimitRule(per_item=100, per_client=5000),
        "/item/get": RateLimitRule(per_item=40, per_client=5000),
        "/item/remove": RateLimitRule(per_item=100, per_client=500),
        "/institutions/get_by_id": RateLimitRule(per_client=400),
        "/institutions/search": RateLimitRule(per_client=400),
        "/link/token/create": RateLimitRule(per_client=5000),
    }


def check_credential(name: str, value: str) -> None:
    """Credentials travel in JSON bodies and HTTP headers: non-empty printable ASCII, no spaces."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must not be empty")
    if not all("!" <= ch <= "~" for ch in value):
        raise ValueError(f"{name} may hold only printable ASCII characters without spaces")
    if len(value) > 256:
        raise ValueError(f"{name} is longer than 256 characters")


class EmulatorConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    client_id: str = "emulator-client-id"
    secret: str = "emulator-secret"  # noqa: S105 - the emulator's own fixed test value
    rate_limits: dict[str, RateLimitRule] = msgspec.field(default_factory=default_rate_limits)
    rate_window_seconds: float = 60.0
    rate_limits_enabled: bool = True
    faults: FaultConfig = msgspec.field(default_factory=FaultConfig)
    # Faults (random draws, latency and fail_next queues) hit only these endpoints.
    fault_endpoints: list[str] = msgspec.field(default_factory=lambda: [BALANCE_PATH])
    public_token_ttl_seconds: float = 30 * 60
    # Plaid: link tokens live 4 hours, 30 minutes in update mode.
    link_token_ttl_seconds: float = 4 * 3600
    update_link_token_ttl_seconds: float = 30 * 60
    # Requests larger than this are refused (413) before they are read any further.
    max_body_bytes: int = 1024 * 1024
    max_json_depth: int = 32
    # Item webhooks are POSTed with this timeout; a receiver that is down never blocks an answer.
    webhook_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        check_credential("client_id", self.client_id)
        check_credential("secret", self.secret)
        _check_range("rate_window_seconds", self.rate_window_seconds, 0.0, 86_400.0, low_open=True)
        for name in ("public_token_ttl_seconds", "link_token_ttl_seconds", "update_link_token_ttl_seconds"):
            _check_range(name, getattr(self, name), 0.0, 30 * 86_400.0, low_open=True)
        _check_range("max_body_bytes", self.max_body_bytes, 1024, 1 << 30)
        _check_range("max_json_depth", self.max_json_depth, 4, 512)
        _check_range("webhook_timeout_seconds", self.webhook_timeout_seconds, 0.0, 600.0, low_open=True)
