"""How a long-running command ends on ``kill`` or a closed terminal: as on Ctrl-C, by unwinding.

``demo --dashboard`` and ``dashboard`` keep things on disk while they serve (a temporary database, the
private folder of browser-redirect files that carry a sign-in link); Python removes them on the way out of
their ``with`` blocks, but only if the process unwinds. SIGTERM's and SIGHUP's default is to end the
process where it stands, so here they raise ``SystemExit`` instead.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def stopped_cleanly_by_signals() -> Iterator[None]:
    """SIGTERM (``kill``) and SIGHUP (the terminal closed) end the command as Ctrl-C does: by unwinding,
    so what it keeps on disk is removed, with the exit status a shell gives a process killed by them."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    wanted = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]  # none on Windows
    previous = {sig: signal.signal(sig, stop) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
