"""Start-up configuration of the emulator."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plaid_balance.emulator.errors import is_known_error_code

BALANCE_PATH = "/accounts/balance/get"


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


_Rate = Field(default=0.0, ge=0.0, le=1.0)


class FaultConfig(BaseModel):
    """Fault injection knobs. Rates are probabilities per call, drawn from one seeded RNG."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: float = Field(default=0.0, ge=0.0)
    latency_jitter_ms: float = Field(default=0.0, ge=0.0)
    error_rate: float = _Rate
    institution_not_responding_rate: float = _Rate
    drop_rate: float = _Rate
    hang_rate: float = _Rate
    hang_seconds: float = Field(default=30.0, ge=0.0)
    malformed_rate: float = _Rate
    truncated_rate: float = _Rate
    seed: int | None = None
    # Faults for the next calls, consumed in order, before any random draw. At start-up this list applies to
    # whichever Items are called first; per-Item lists are set at run time.
    fail_next: list[str] = Field(default_factory=list)

    @field_validator("fail_next")
    @classmethod
    def _check_fail_next(cls, value: list[str]) -> list[str]:
        return [validate_fault_name(v) for v in value]

    @model_validator(mode="after")
    def _check_total(self) -> FaultConfig:
        if self.total_fault_rate() > 1.0 + 1e-9:
            raise ValueError("the fault rates add up to more than 1")
        return self

    def total_fault_rate(self) -> float:
        return (
            self.error_rate
            + self.institution_not_responding_rate
            + self.drop_rate
            + self.hang_rate
            + self.malformed_rate
            + self.truncated_rate
        )


class RateLimitRule(BaseModel):
    """Requests allowed per window for one endpoint; None means unlimited."""

    model_config = ConfigDict(extra="forbid")

    per_item: int | None = Field(default=None, ge=1)
    per_client: int | None = Field(default=None, ge=1)
    item_error_code: str = "RATE_LIMIT"
    client_error_code: str = "RATE_LIMIT"


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
    }


class EmulatorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = "emulator-client-id"
    secret: str = "emulator-secret"  # noqa: S105 - the emulator's own fixed test value
    rate_limits: dict[str, RateLimitRule] = Field(default_factory=default_rate_limits)
    rate_window_seconds: float = Field(default=60.0, gt=0.0)
    rate_limits_enabled: bool = True
    faults: FaultConfig = Field(default_factory=FaultConfig)
    # Faults (random draws, latency and fail_next queues) hit only these endpoints.
    fault_endpoints: list[str] = Field(default_factory=lambda: [BALANCE_PATH])
    public_token_ttl_seconds: float = Field(default=30 * 60, gt=0.0)
