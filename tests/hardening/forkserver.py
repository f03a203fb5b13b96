"""Run ``plaid-balance`` many times fast: a process that imports it once, then forks one child per run.

Each run is a real process (its own stdin/stdout/stderr files, its own environment, its own exit code)
killed if it outlives its timeout, like ``subprocess.run(..., timeout=...)``, but without paying the
interpreter start and the imports each time. Started by ``ForkServer`` in the tests; it reads one JSON
request per line and answers one JSON line per run.

Request: {"argv": [...], "env": {...}, "stdin": base64, "cwd": path, "timeout": seconds,
          "serving": [markers]}
Answer:  {"code": int | null, "stdout": base64, "stderr": base64, "timed_out": bool}

A server runs until stopped: when its stderr shows one of the ``serving`` markers it is stopped at once and
the run counts as timed out (still serving), so a fuzzed server costs its start-up, not the whole timeout.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Everything a command may import, so the children only fork, never import.
_PRELOAD = (
    "plaid_balance.cli",
    "plaid_balance.cli.batch",
    "plaid_balance.cli.check",
    "plaid_balance.cli.demo",
    "plaid_balance.cli.emulator",
    "plaid_balance.cli.get",
    "plaid_balance.cli.impl.accounts",
    "plaid_balance.cli.impl.batch",
    "plaid_balance.cli.impl.check",
    "plaid_balance.cli.impl.dashboard",
    "plaid_balance.cli.impl.demo",
    "plaid_balance.cli.impl.emulator",
    "plaid_balance.cli.impl.get",
    "plaid_balance.cli.impl.history",
    "plaid_balance.cli.impl.items",
    "plaid_balance.cli.impl.link",
    "plaid_balance.cli.impl.run",
    "plaid_balance.cli.impl.sandbox_token",
    "plaid_balance.cli.impl.watch",
    "plaid_balance.cli.history",
    "plaid_balance.cli.run",
    "plaid_balance.cli.sandbox_token",
    "plaid_balance.history",
    "plaid_balance.emulator",
    "rich.console",
    "rich.table",
    "rich.progress",
    "httpx",
    "sqlalchemy",
    "alembic.command",
    "matplotlib",
    "matplotlib.pyplot",
)


def _preload() -> None:
    for name in _PRELOAD:
        # A module another branch renamed is skipped: the child imports whatever it needs itself.
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _child(request: dict[str, Any], stdin_path: str, out_path: str, err_path: str) -> None:
    """In the forked child: become the command (never returns)."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as the interpreter sets it at start-up
        for fd, path, mode in (
            (0, stdin_path, os.O_RDONLY),
            (1, out_path, os.O_WRONLY),
            (2, err_path, os.O_WRONLY),
        ):
            opened = os.open(path, mode)
            os.dup2(opened, fd)
            os.close(opened)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        from plaid_balance.cli import main

        try:
            main(request["argv"])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                import traceback

                sys.__stderr__.write("Exception ignored while flushing\n")  # type: ignore[union-attr]
                traceback.print_exc(file=sys.__stderr__)
    finally:
        os._exit(code)


def _run(request: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fork-") as tmp:
        stdin_path, out_path, err_path = (str(Path(tmp) / n) for n in ("in", "out", "err"))
        Path(stdin_path).write_bytes(base64.b64decode(request.get("stdin", "")))
        Path(out_path).touch()
        Path(err_path).touch()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            _child(request, stdin_path, out_path, err_path)
        deadline = time.monotonic() + float(request["timeout"])
        markers = [marker.encode() for marker in request.get("serving", [])]
        timed_out = False
        status = None
        while status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = raw
                break
            serving = markers and any(m in Path(err_path).read_bytes() for m in markers)
            if serving or time.monotonic() > deadline:
                timed_out = True
                os.killpg(pid, signal.SIGKILL)
                status = os.waitpid(pid, 0)[1]
                break
            time.sleep(0.005)
        code = None if timed_out else os.waitstatus_to_exitcode(status)
        # Children of the run (an emulator thread's process group) go with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        return {
            "code": code,
            "stdout": base64.b64encode(Path(out_path).read_bytes()).decode(),
            "stderr": base64.b64encode(Path(err_path).read_bytes()).decode(),
            "timed_out": timed_out,
        }


def serve() -> None:
    channel_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    channel_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    _preload()
    channel_out.write("ready\n")
    channel_out.flush()
    for line in channel_in:
        answer = _run(json.loads(line))
        channel_out.write(json.dumps(answer) + "\n")
        channel_out.flush()


class ForkServer:
    """The test side: start the server once, then ``run(argv, env=..., stdin=...)`` as often as needed."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.hardening.forkserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert self._process.stdout is not None
        ready = self._process.stdout.readline()
        if ready != "ready\n":
            raise RuntimeError(f"the fork server did not start: {ready!r}")

    def run(
        self,
        argv: list[str],
        *,
        env: dict[str, str],
        cwd: str,
        stdin: bytes = b"",
        timeout: float = 30.0,
        serving: tuple[str, ...] = (),
    ) -> RunResult:
        assert self._process.stdin is not None and self._process.stdout is not None
        request = {
            "argv": argv,
            "env": env,
            "cwd": cwd,
            "stdin": base64.b64encode(stdin).decode(),
            "timeout": timeout,
            "serving": list(serving),
        }
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        answer = json.loads(self._process.stdout.readline())
        return RunResult(
            argv=argv,
            code=answer["code"],
            stdout=base64.b64decode(answer["stdout"]),
            stderr=base64.b64decode(answer["stderr"]),
            timed_out=answer["timed_out"],
        )

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class RunResult:
    def __init__(
        self, argv: list[str], code: int | None, stdout: bytes, stderr: bytes, timed_out: bool
    ) -> None:
        self.argv, self.code, self.stdout, self.stderr, self.timed_out = argv, code, stdout, stderr, timed_out

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return (
            f"RunResult(argv={self.argv!r}, code={self.code}, timed_out={self.timed_out}, "
            f"stderr={self.err[-2000:]!r}, stdout={self.out[:500]!r})"
        )


if __name__ == "__main__":
    serve()
