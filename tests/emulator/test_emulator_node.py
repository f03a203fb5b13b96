"""The official Plaid Node client (``plaid`` on npm) runs the Sandbox flow, errors, failure controls, a
webhook, billing and /item/remove against the emulator (tests/emulator/node_flow/flow.js).

Skipped only where Node.js is not installed. The client comes from the committed package-lock.json
(``npm ci``, which .ci/run does; this test does it too when node_modules is missing).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from plaid_balance.emulator import RunningEmulator

FLOW = Path(__file__).with_name("node_flow")


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("Node.js is not installed")
    if not (FLOW / "node_modules" / "plaid").is_dir():
        npm = shutil.which("npm")
        assert npm is not None, "node is installed without npm: cannot install the plaid client"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=FLOW, check=True, capture_output=True, timeout=600
        )
    return found


def test_the_node_client_runs_the_whole_flow(node: str, emu: RunningEmulator) -> None:
    env = {"PLAID_BASE_URL": emu.base_url, "PLAID_CLIENT_ID": emu.client_id, "PLAID_SECRET": emu.secret}
    result = subprocess.run(
        [node, "flow.js"], cwd=FLOW, env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "node flow: ok"
    steps = [line for line in lines if line.startswith('{"step"')]
    assert len(steps) == 8
    # What the script saw is what the emulator did.
    assert emu.billing()["balance_calls"] == 4
    assert emu.stats()["responses_by_error_code"]["ITEM_NOT_FOUND"] == 1
