"""Async tests here run with ``asyncio.run`` in a thread of their own; the emulator has a short rate window.

Why not the anyio plugin on the main thread: while a package's Playwright (sync API) session is open, its
loop counts as running in the main thread, so no other loop can run there.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from plaid_balance.emulator import EmulatorConfig


def run_in_thread(function: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine function to completion on a fresh loop in a new thread; re-raise what it raised."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(function())
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="watch-test-loop")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def emu_config() -> EmulatorConfig:
    """The emulator (``emu``, tests/emulators.py) with a one-second rate window, so limits reset quickly."""
    return EmulatorConfig(rate_window_seconds=1.0)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    run_in_thread(lambda: pyfuncitem.obj(**kwargs))
    return True
