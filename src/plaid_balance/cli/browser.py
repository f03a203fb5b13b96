"""Opening a page in the user's browser without putting its secret on a command line.

``webbrowser.open(url)`` starts the browser with the URL in its arguments, which any local user reads
in ``/proc/PID/cmdline``. As Jupyter does, the browser is opened on a private file instead (0600, in a
0700 folder of its own) that moves on to the URL; the folder goes when the command ends. The URL it holds
is a one-time sign-in link, so even the file is worth nothing once the browser has used it.
"""

from __future__ import annotations

import contextlib
import html
import os
import tempfile
import webbrowser
from collections.abc import Callable, Iterator
from pathlib import Path

REDIRECT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0;url={url}">
<title>Opening plaid-balance</title></head>
<body><p>Opening <a href="{url}">plaid-balance</a>.</p></body></html>
"""


@contextlib.contextmanager
def private_opener() -> Iterator[Callable[[str], bool]]:
    """``with private_opener() as open_page: open_page(url)``: True if a browser was started.

    Each call writes one redirect file (created 0600, never replaced) in a 0700 folder made for this
    command, and hands the browser that file's ``file://`` address.
    """
    with tempfile.TemporaryDirectory(prefix="plaid-balance-") as folder:  # mkdtemp: 0700
        count = 0

        def open_page(url: str) -> bool:
            nonlocal count

            count += 1
            path = Path(folder) / f"open-{count}.html"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(REDIRECT.format(url=html.escape(url, quote=True)))
            return webbrowser.open(path.as_uri())

        yield open_page
