"""Async tests here run with ``asyncio.run`` in a thread of their own.

Why not the anyio plugin on the main thread: the link tests keep a Playwright (sync API) session open for
the whole run, and Playwright's loop counts as running in the main thread, so no other loop can run there.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest


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


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    run_in_thread(lambda: pyfuncitem.obj(**kwargs))
    return True
