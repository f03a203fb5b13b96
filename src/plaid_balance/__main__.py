"""The ``plaid-balance`` command's entry: the console script and ``python -m plaid_balance``.

The command line's own imports (click, the library's core) build tens of thousands of objects that live as
long as the process. The collector is paused while they load, and they then go to the permanent
generation, which later collections skip (``cli.boundary`` does the same for the command's
implementation): collections over them were a twentieth of a ``get``'s time. Nothing else changes: the
collector runs as usual from here on.
"""

import gc

gc.disable()
try:
    from plaid_balance.cli import main
finally:
    gc.freeze()
    gc.enable()

__all__ = ["main"]

if __name__ == "__main__":
    main()
