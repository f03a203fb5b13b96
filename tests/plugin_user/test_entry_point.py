"""The plugin arrives through its ``pytest11`` entry point, as it does in a project that installs the extra."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def test_a_project_of_its_own_gets_the_fixture(tmp_path: Path) -> None:
    """test_plaid_emulator_fixture.py, copied into an empty directory (no conftest, no repository beside it),
    passes: its fixtures can only have come from the installed plugin."""
    shutil.copy(Path(__file__).with_name("test_plaid_emulator_fixture.py"), tmp_path / "test_outside.py")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         str(tmp_path / "test_outside.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 passed" in result.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "plaid_emulator_session [session scope]" in listed.stdout
    assert "plaid_balance/testing/pytest_plugin.py" in listed.stdout


def test_the_plugin_loads_nothing_until_used() -> None:
    """Every pytest session of an environment with plaid-balance loads the plugin: it must cost nothing."""
    code = (
        "import sys, plaid_balance.testing.pytest_plugin; "
        "heavy = sorted(m for m in ('starlette', 'uvicorn', 'httpx', 'plaid_balance.emulator') if m in sys.modules); "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
