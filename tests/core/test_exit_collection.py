"""The command line ends without the interpreter's final collections (issue 10), and only at exit.

Those passes walk every object the imports made, a sixth of a ``get``, just before the system frees the
whole process. ``main`` freezes the heap in an exit handler: an in-process caller (a test, a notebook)
keeps its collector until its own interpreter ends.
"""

from __future__ import annotations

import subprocess
import sys


def run_probe(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_heap_is_frozen_when_the_command_ends() -> None:
    # Registered before main's own handler, so it runs after it (exit handlers run last-in, first-out).
    result = run_probe(
        "import atexit, gc, sys\n"
        "atexit.register(lambda: sys.__stderr__.write(f'frozen at exit: {gc.get_freeze_count() > 0}\\n'))\n"
        "from plaid_balance.cli import main\n"
        "main(['--help'])\n"
    )
    assert result.returncode == 0, result.stderr
    assert "frozen at exit: True" in result.stderr


def test_an_in_process_caller_keeps_its_collector() -> None:
    result = run_probe(
        "import gc\n"
        "from plaid_balance.cli import main\n"
        "for _ in range(2):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('frozen while running:', gc.get_freeze_count() > 0)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "frozen while running: False" in result.stdout
