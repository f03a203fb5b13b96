"""Fixtures shared by every test package: Plaid's official OpenAPI spec, the emulator, the databases.

Headless Chromium (tests/browsers.py) is not among them: a package that needs it imports it into its own
conftest, so the browser lives only as long as that package's tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def plaid_spec(openapi_dir: Path) -> dict[str, Any]:
    """Plaid's full official spec, parsed once per run: 3 MB of YAML, a couple of seconds with the C loader."""
    import yaml

    with (openapi_dir / "2020-09-14.yml").open("rb") as fh:
        spec: dict[str, Any] = yaml.load(fh, Loader=yaml.CSafeLoader)
    return spec
