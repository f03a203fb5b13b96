"""Fixtures shared by every test package: where Plaid's official OpenAPI spec lies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.databases import db_url, pg_server, pg_url, sqlite_url
from tests.emulators import emu, emu_config

# fixtures for every test package
__all__ = ["db_url", "emu", "emu_config", "pg_server", "pg_url", "sqlite_url"]

REPO = Path(__file__).resolve().parent.parent


def _openapi_dir() -> Path:
    configured = os.environ.get("PLAID_OPENAPI_DIR")
    return Path(configured) if configured else REPO.parent / "shared" / "plaid-openapi"


@pytest.fixture(scope="session")
def openapi_dir() -> Path:
    """The folder with Plaid's spec (``../shared/plaid-openapi`` beside the clone, as in CI)."""
    path = _openapi_dir()
    if not (path / "balance-subset.yml").is_file():
        message = f"Plaid's OpenAPI spec not found in {path} (set PLAID_OPENAPI_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
