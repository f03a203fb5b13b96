"""Fixtures shared by every test package: the checker of Plaid answers, the emulator, the databases.

Headless Chromium (tests/browsers.py) is not among them: a package that needs it imports it into its own
conftest, so the browser lives only as long as that package's tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.databases import db_url, pg_server, pg_url, sqlite_url
from tests.emulators import emu, emu_config
from tests.plaid_schema import AnswerChecker, load_spec
from tests.plaid_schema import openapi_dir as find_openapi_dir

# fixtures for every test package
__all__ = ["db_url", "emu", "emu_config", "pg_server", "pg_url", "sqlite_url"]


@pytest.fixture(scope="session")
def answers() -> AnswerChecker:
    """Checks bodies against plaid-python's models, and against Plaid's spec too where it is at hand."""
    return AnswerChecker(load_spec())


@pytest.fixture(scope="session")
def openapi_dir() -> Path:
    """The folder with Plaid's OpenAPI spec, for the few tests that read the spec itself (its examples):
    skipped without it, since the spec is not part of the project (tests/plaid_schema.py)."""
    path = find_openapi_dir()
    if path is None or not (path / "balance-subset.yml").is_file():
        pytest.skip("Plaid's OpenAPI spec is not beside the clone (set PLAID_OPENAPI_DIR to check it too)")
    return path
