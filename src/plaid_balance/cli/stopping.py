"""How a long-running command ends on ``kill`` or a closed terminal: as on Ctrl-C, by unwinding.

``link``, ``dashboard`` and ``demo --dashboard`` keep things on disk while they run (a temporary
database, the private folder of browser-redirect files that carry a sign-in link); Python removes them on
the way out of their ``with`` blocks, but only if the process unwinds. SIGTERM's and SIGHUP's default is to
end the process where it stands, so here they raise ``SystemExit`` instead, and once everything is
removed the command says in one line what stopped it, as Ctrl-C's ``interrupted`` does.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

# What each signal means to the user, in the line the command ends with.
WHY = {"SIGTERM": "stopped (SIGTERM)", "SIGHUP": "stopped: the terminal closed (SIGHUP)"}


class Stopped(SystemExit):
    """A signal ended the command: the exit status a shell gives a process killed by it (128 + signal)."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signal = signal.Signals(signum)


@contextmanager
def stopped_cleanly_by_signals() -> Iterator[None]:
    """SIGTERM (``kill``) and SIGHUP (the terminal closed) end the command as Ctrl-C does: by unwinding,
    so what it keeps on disk is removed, with the exit status a shell gives a process killed by them."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise Stopped(signum)

    wanted = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]  # none on Windows
    previous = {sig: signal.signal(sig, stop) for sig in wanted}
    try:
        yield
    except Stopped as exc:
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            click.echo(WHY.get(exc.signal.name, f"stopped ({exc.signal.name})"), err=True)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
