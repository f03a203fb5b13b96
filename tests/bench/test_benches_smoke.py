"""Every benchmark script runs end to end in its tiny smoke mode, so none can rot unnoticed.

These tests check that the benches work and report every target; they never look at the timings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run_smoke(script: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--smoke", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data: dict[str, Any] = json.loads(out.read_text())
    assert data["smoke"] is True
    assert {"arch", "cpu", "cores", "python", "date_utc"} <= data["machine"].keys()
    for target in data["targets"]:
        assert isinstance(target["met"], bool)
        assert (target["name"] in result.stdout) and ("met" in result.stdout)
    return data


@pytest.mark.timeout(600)
def test_single_fetch_bench_covers_every_command(tmp_path: Path) -> None:
    data = run_smoke("single_fetch_bench.py", tmp_path)

    listing = subprocess.run(
        [str(Path(sys.executable).with_name("plaid-balance")), "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    import single_fetch_bench

    top_level = single_fetch_bench.command_names(listing)
    assert {"get", "check", "batch"} <= set(top_level)
    assert set(top_level) <= set(data["commands"])
    names = [target["name"] for target in data["targets"]]
    for command in ["", *data["commands"]]:
        assert f"plaid-balance {command} --help vs import click".replace("  ", " ") in names
    assert "plaid-balance get vs the SDK script" in names
    assert "plaid-balance check vs the SDK script" in names
    assert any(name.startswith("import plaid_balance") for name in names)
    assert any(name.startswith("library single fetch") for name in names)


@pytest.mark.timeout(600)
def test_batch_bench_measures_the_clis_own_memory(tmp_path: Path) -> None:
    data = run_smoke("batch_bench.py", tmp_path)

    assert len(data["targets"]) == 5
    memory = data["d_memory"][0]
    assert memory["launcher_floor_mb"] < memory["peak_rss_mb"]
    assert memory["summary"]["items"] == data["sizes"]["memory_items"]
    assert data["b_rate_bound"][0]["emulator_429s"] == 0


def test_command_names_come_from_the_help_listing() -> None:
    import single_fetch_bench

    listing = (
        "Usage: x [OPTIONS] COMMAND\n\n  Text.\n\nOptions:\n  -h, --help  Show this.\n\n"
        "Commands:\n  batch  Fetch many.\n  sandbox-token  Create a token\n                 (continued).\n"
    )

    assert single_fetch_bench.command_names(listing) == ["batch", "sandbox-token"]
