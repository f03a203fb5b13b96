"""Output under stress: a reader that closes the pipe, a Ctrl-C mid-line, secrets and terminal escapes."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance._redact import MASK, remember
from plaid_balance._safe_text import safe_text
from plaid_balance.cli.exit_codes import ExitCode
from plaid_balance.cli.streams import RedactingStream
from tests.hardening.conftest import Backend

CLI = [sys.executable, "-m", "plaid_balance"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["get"],
        ["get", "--format", "table"],
        ["get", "--format", "csv"],
        ["history", "--format", "json"],
    ],
    ids=" ".join,
)
def test_a_closed_pipe_is_a_quiet_documented_exit(argv: list[str], backend: Backend, tmp_path: Path) -> None:
    env = {**backend.env(), "HOME": str(tmp_path), "PLAID_ACCESS_TOKEN": backend.token}
    if argv[0] == "history":
        saved = subprocess.run([*CLI, "get", "--save"], env=env, capture_output=True, check=False, timeout=60)
        assert saved.returncode == 0, saved.stderr
    process = subprocess.Popen([*CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first byte (`| head -c0`)
    err = process.stderr.read()
    assert process.wait(timeout=60) == ExitCode.CLOSED_PIPE, err
    assert err == b""


class _SlowPipe(io.StringIO):
    """A stream whose write is interrupted by Ctrl-C half-way through, as a slow reader's pipe is."""

    def __init__(self) -> None:
        super().__init__()
        self.interrupted = False

    def write(self, text: str) -> int:
        half = len(text) // 2
        super().write(text[:half])
        if not self.interrupted:
            self.interrupted = True
            signal.raise_signal(signal.SIGINT)
        return super().write(text[half:]) + half


def test_ctrl_c_during_a_write_waits_for_the_end_of_the_line() -> None:
    pipe = _SlowPipe()
    stream = RedactingStream(pipe)
    with pytest.raises(KeyboardInterrupt):
        stream.write('{"line": 1, "data": "' + "x" * 10_000 + '"}\n')
    assert pipe.interrupted
    assert pipe.getvalue().endswith('"}\n')  # whole, then the interrupt
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@given(st.lists(st.text(max_size=30), max_size=20))
def test_lines_come_out_whole_and_in_order(chunks: list[str]) -> None:
    sink = io.StringIO()
    stream = RedactingStream(sink)
    seen: list[str] = []
    for chunk in chunks:
        stream.write(chunk)
        written = sink.getvalue()
        # Between writes, the real stream holds only whole lines.
        assert written == "" or written.endswith("\n")
        seen.append(chunk)
    stream.flush()
    assert sink.getvalue() == "".join(seen)


@given(
    secret=st.text(st.characters(exclude_categories=["Cs"]), min_size=8, max_size=40).filter(
        lambda s: s.strip() == s and MASK not in s
    ),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_a_known_secret_never_passes_the_stream(secret: str, before: str, after: str) -> None:
    remember(secret)
    sink = io.StringIO()
    stream = RedactingStream(sink)
    stream.write(f"{before}{secret}{after}\n")
    stream.flush()
    assert secret not in sink.getvalue()


@given(st.text())
def test_safe_text_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    shown = safe_text(text)
    assert "\x1b" not in shown and "\n" not in shown and "\r" not in shown and "\x07" not in shown
    assert not any(0x80 <= ord(c) <= 0x9F or ord(c) < 0x20 or ord(c) == 0x7F for c in shown)
    assert not any(c in shown for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")
    shown.encode("utf-8")  # no lone surrogate left to crash an encoder
    if text.isprintable():
        assert shown == text  # ordinary text is untouched
