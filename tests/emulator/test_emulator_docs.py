"""The examples in docs/emulator.md are true: the Node failure-control example runs, the container recipe's
command is one the emulator accepts. (The pytest example runs in tests/plugin_user/test_entry_point.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from plaid_balance.cli.emulator import emulator
from plaid_balance.emulator import RunningEmulator

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
NODE_FLOW = Path(__file__).with_name("node_flow")


def block(language: str, containing: str) -> str:
    for match in re.finditer(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        if containing in match.group(1):
            return match.group(1)
    raise AssertionError(f"no {language} block with {containing!r} in {DOC}")


def test_the_node_example_runs(emu: RunningEmulator, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    if not (NODE_FLOW / "node_modules" / "plaid").is_dir():
        pytest.skip("the plaid Node client is not installed (npm ci --prefix tests/emulator/node_flow)")
    source = block("js", "fail_next").replace("http://127.0.0.1:8787", emu.base_url)
    (tmp_path / "example.mjs").write_text(source, encoding="utf-8")
    (tmp_path / "node_modules").symlink_to(NODE_FLOW / "node_modules")
    result = subprocess.run(
        [node, "example.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "400 PRODUCT_NOT_READY"


def test_the_container_command_is_accepted() -> None:
    """The Dockerfile's CMD names options the emulator has; only the port is swapped for one that is taken,
    so the check ends at "cannot listen" instead of serving."""
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", block("dockerfile", "CMD"), re.M).group(1))  # type: ignore[union-attr]
    assert cmd[:3] == ["plaid-balance", "emulator", "serve"]
    args = cmd[3:]
    assert args[args.index("--host") + 1] == "0.0.0.0" and "--allow-non-loopback" in args
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))  # tests listen on loopback only; 0.0.0.0 on this port conflicts
        taken.listen()
        args[args.index("--port") + 1] = str(taken.getsockname()[1])
        result = CliRunner().invoke(emulator, ["serve", *args])
    assert "cannot listen on 0.0.0.0" in result.output, result.output


def test_the_pass_count_in_the_docs_is_the_vendored_suites() -> None:
    """docs/emulator.md says how many of plaid-python's tests pass; that is how many the vendored files hold
    (none skipped), and the suite runs in the same CI job, so a failure there is a failure here."""
    import ast

    suite = Path(__file__).with_name("plaid_python_suite")
    tests = [
        node
        for path in sorted(suite.glob("test_*.py"))
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]
    assert not [t.name for t in tests if t.decorator_list]
    count = len(tests)
    assert f"**{count} of {count}**" in DOC.read_text(encoding="utf-8")
    assert f"That is {count} tests; the emulator passes {count} of {count}" in (
        suite / "README.md"
    ).read_text(encoding="utf-8")
