"""The package's version, from its installed metadata (the one place it is written is pyproject.toml).

Only ``plaid_balance.__version__`` (the package's lazy names) imports this module, so the metadata
machinery (importlib.metadata, about 20 ms) is loaded by a caller that asks for the version, never by
``import plaid_balance`` or a command (``--version`` is click's, which reads the same metadata).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version


@cache
def version() -> str:
    try:
        return installed_version("plaid-balance")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
        return "0+unknown"
