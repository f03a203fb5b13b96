"""The optional extras of plaid-balance and the one check that a part needing one can run.

Each extra (``pyproject.toml``'s ``[project.optional-dependencies]``) is named here with the modules it
installs; ``tests/core/test_extras.py`` holds this table to pyproject's. A command that needs an extra
asks ``require_extra`` before importing it, and a missing one is a ``MissingExtra``: one line naming the
``pip install`` to run, exit 2 on the command line. An optional part inside a command (the watch's
dashboard) asks ``has_extra`` and is left out instead.
"""

from __future__ import annotations

import importlib.util
from typing import Final

from plaid_balance._errors import MissingExtra

EXTRAS: Final[dict[str, tuple[str, ...]]] = {
    # The offline Plaid emulator (`plaid-balance emulator`, `plaid-balance demo`).
    "emulator": ("starlette", "uvicorn", "jwt"),
    # The emulator as pytest fixtures for other projects' tests (plaid_balance.testing).
    "testing": ("pytest", "starlette", "uvicorn", "jwt"),
    # Local web pages: the Link page, the dashboard (also inside the watch).
    "web": ("starlette", "uvicorn", "jinja2"),
    # `plaid-balance watch`: its server, notifications, /metrics, webhook signatures, cron schedules.
    "watch": ("starlette", "uvicorn", "apprise", "prometheus_client", "jwt", "cronsim"),
    # A PostgreSQL database (`--db postgresql://...`).
    "postgres": ("psycopg",),
    # `plaid-balance history --chart FILE` (.png, .svg or .html).
    "chart": ("matplotlib",),
}


def has_extra(extra: str) -> bool:
    """Whether every module ``extra`` installs can be imported (found, not imported: this is cheap)."""
    return all(importlib.util.find_spec(module) is not None for module in EXTRAS[extra])


def require_extra(extra: str, needed_by: str = "this") -> None:
    """Raise ``MissingExtra`` (``NEEDED_BY needs plaid-balance[EXTRA]: pip install ...``) unless installed."""
    if not has_extra(extra):
        raise MissingExtra(extra, needed_by)
