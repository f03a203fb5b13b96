"""Run as a subprocess by the store tests: save reports, or die by SIGKILL inside a save's transaction.

Run as ``python -m history.store_worker`` with tests/ on PYTHONPATH:

  URL save FIRST LAST      save reports FIRST..LAST-1 (idempotent by request id)
  URL crash INDEX          start saving report INDEX, SIGKILL after its first
                           account insert (the snapshot row is already written)
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from sqlalchemy import event

from plaid_balance.history import open_store

from .samples import TOKEN, report


def main(url: str, mode: str, *args: str) -> None:
    store = open_store(url)
    if mode == "save":
        for i in range(int(args[0]), int(args[1])):
            store.save(report(i), access_token=TOKEN)
    elif mode == "crash":

        def die(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO SNAPSHOT_ACCOUNTS"):
                sys.stdout.write("dying\n")
                sys.stdout.flush()
                os.kill(os.getpid(), signal.SIGKILL)

        event.listen(store.database.engine, "after_cursor_execute", die)
        store.save(report(int(args[0])), access_token=TOKEN)
    store.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
