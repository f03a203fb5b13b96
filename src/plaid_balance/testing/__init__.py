"""The Plaid emulator as a pytest fixture, for any project's tests (``pip install 'plaid-balance[testing]'``).

Installing the extra registers a pytest plugin (entry point ``pytest11``: ``plaid_balance``) with two
fixtures, ``plaid_emulator`` (a fresh emulator for one test) and ``plaid_emulator_session`` (one for the
session). Each is a ``PlaidEmulator``: point the official ``plaid-python`` client at ``base_url`` with
``api_key`` and drive the emulator with its helpers. See docs/emulator.md.

This package imports the emulator and nothing else of plaid-balance (docs/decisions.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaid_balance.testing._handle import PlaidEmulator, SandboxItem

__all__ = ["PlaidEmulator", "SandboxItem"]


def __getattr__(name: str) -> Any:
    # Lazily: the pytest plugin imports this package in every test session, and the emulator's web server
    # is only loaded when a test asks for it.
    if name in __all__:
        from plaid_balance.testing import _handle

        return getattr(_handle, name)
    raise AttributeError(name)
