"""What a connection to Plaid is made of: its environments, the API version, timeouts and their bounds,
and Sandbox's test user.

Every command's ``--help`` imports this module (for its options' defaults and choices), so it imports
nothing but the error tree. Reading these from arguments and ``PLAID_*`` variables, with the
credentials and the base URL, is ``plaid_balance._settings``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from plaid_balance._errors import ConfigurationError

PLAID_VERSION: Final = "2020-09-14"
DEFAULT_TIMEOUT: Final = 60.0  # a live balance call can take 30 s or more
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
MAX_TIMEOUT: Final = 3600.0  # beyond an hour a timeout is a typo, and huge values overflow the event loop
# Plaid's Sandbox test user at its default non-OAuth test bank (First Platypus Bank): the defaults of
# sandbox Items made without Link (``_sandbox``), shown in the commands' help.
SANDBOX_INSTITUTION: Final = "ins_109508"
SANDBOX_USERNAME: Final = "user_good"
SANDBOX_PASSWORD: Final = "pass_good"  # noqa: S105 - Plaid's published Sandbox test password


class Environment(StrEnum):
    SANDBOX = "sandbox"
    PRODUCTION = "production"

    @property
    def base_url(self) -> str:
        return f"https://{self.value}.plaid.com"


def parse_environment(value: str | Environment) -> Environment:
    if isinstance(value, Environment):
        return value
    try:
        return Environment(value.strip().lower())
    except ValueError:
        hint = " (Plaid decommissioned it in 2024)" if value.strip().lower() == "development" else ""
        choices = ", ".join(e.value for e in Environment)
        raise ConfigurationError(
            f"unknown Plaid environment {value!r}{hint}; use one of: {choices}"
        ) from None
