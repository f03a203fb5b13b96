"""An offline emulator of the Plaid Sandbox for the endpoints plaid-balance uses (in the spirit of stripe-mock).

See docs/emulator.md. Typical test use::

    with run_emulator(EmulatorConfig(rate_window_seconds=2)) as emu:
        token, item_id = emu.create_item()
        httpx.post(f"{emu.base_url}/accounts/balance/get", json={...})
"""

from plaid_balance.emulator.app import create_app
from plaid_balance.emulator.clock import Clock, ManualClock, SystemClock
from plaid_balance.emulator.config import EmulatorConfig, FaultConfig, FaultKind, RateLimitRule
from plaid_balance.emulator.core import EmulatorCore
from plaid_balance.emulator.errors import PlaidAPIError
from plaid_balance.emulator.server import NonLoopbackError, RunningEmulator, run_emulator, serve

__all__ = [
    "Clock",
    "EmulatorConfig",
    "EmulatorCore",
    "FaultConfig",
    "FaultKind",
    "ManualClock",
    "NonLoopbackError",
    "PlaidAPIError",
    "RateLimitRule",
    "RunningEmulator",
    "SystemClock",
    "create_app",
    "run_emulator",
    "serve",
]
