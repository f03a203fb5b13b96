"""One-shot calls whose answer carries a secret, and what to do when that answer is lost.

Rule: a row in ``vault_doubts`` is committed *before* such a call and deleted in the same transaction that
stores its answer. So a row left behind always means "the answer may be lost", whatever ended the call
(a dropped connection, a timeout, kill -9). Plaid's ``/item/access_token/invalidate`` is not idempotent and
a public token is good for one exchange only, so neither call is ever retried blindly; the truth is
asked of Plaid instead:

* a rotation: the free ``/item/get`` with the *old* token. It works: nothing happened. It is refused
  with ``INVALID_ACCESS_TOKEN``: Plaid rotated, the new token is gone, the Item is lost. With
  ``ITEM_NOT_FOUND`` the Item itself is gone at Plaid (removed elsewhere): it is marked removed.
* an exchange: the same public token once more. It works: the first never reached Plaid. It is refused:
  Plaid made an Item whose access token never arrived.

A row whose process is still running (same host, live pid) is a call in progress, not a doubt.
"""

from __future__ import annotations

import os
import shlex
import socket
from datetime import datetime, timedelta
from typing import Final

from plaid_balance._report import utc_now

ROTATION: Final = "rotation"
EXCHANGE: Final = "exchange"
# Plaid's answers to a token that no longer works (after a rotation, or once the Item is gone).
REFUSED_TOKEN_CODES: Final = frozenset({"INVALID_ACCESS_TOKEN", "ITEM_NOT_FOUND"})
# A call made from another machine (a shared PostgreSQL vault) is taken as finished after this long:
# one attempt, never retried, has a 60-second read timeout by default.
FOREIGN_CALL_LIMIT: Final = timedelta(minutes=5)
# A pid seen alive this long after the call began has been reused by another program.
LOCAL_CALL_LIMIT: Final = timedelta(hours=1)


def current_owner() -> str:
    """Who is making a call: ``pid@host``."""
    return f"{os.getpid()}@{socket.gethostname()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    except OSError:
        return False
    return True


def in_progress(owner: str, started_at: datetime, now: datetime | None = None) -> bool:
    """Whether the call recorded by ``owner`` at ``started_at`` may still be waiting for its answer."""
    age = (now or utc_now()) - started_at
    pid_text, _, host = owner.partition("@")
    if host != socket.gethostname():
        return age < FOREIGN_CALL_LIMIT
    if not (pid_text.isascii() and pid_text.isdigit()) or int(pid_text) == os.getpid():
        return False
    return age < LOCAL_CALL_LIMIT and _alive(int(pid_text))


def relink_command(alias: str) -> str:
    """The commands that give a lost Item's bank a working token again (a new Item: update mode needs
    the old token, which Plaid no longer accepts)."""
    quoted = shlex.quote(alias)
    return f"plaid-balance items remove --local-only --yes {quoted} && plaid-balance link --alias {quoted}"


def lost_reason(alias: str, item_id: str) -> str:
    """The health reason of a lost Item: what happened, what it costs, and the way back."""
    return (
        f"Plaid rotated the access token but its answer never arrived, so the new token is lost; Item "
        f"{item_id} stays at Plaid (billed for its subscription products) until Plaid support removes it. "
        f"Link the bank again: "
        f"{relink_command(alias)}"
    )
