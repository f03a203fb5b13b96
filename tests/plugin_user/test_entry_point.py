"""The plugin arrives through its ``pytest11`` entry point, as it does in a project that installs the extra."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path


def _docs_example() -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text(encoding="utf-8")
    found = re.search(r"```python\n(.*?def test_balance\(plaid_emulator\):.*?)```", text, re.S)
    assert found is not None, "the fixture example is gone from docs/emulator.md"
    return found.group(1)


def test_a_project_of_its_own_gets_the_fixture(tmp_path: Path) -> None:
    """test_plaid_emulator_fixture.py and the example in docs/emulator.md, copied into an empty directory (no
    conftest, no repository beside it), pass: their fixtures can only come from the installed plugin."""
    shutil.copy(Path(__file__).with_name("test_plaid_emulator_fixture.py"), tmp_path / "test_outside.py")
    example = _docs_example()
    assert len(example.strip().splitlines()) <= 10
    (tmp_path / "test_docs_example.py").write_text(example, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "11 passed" in result.stdout
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


def test_without_the_web_server_the_fixture_says_which_extra(tmp_path: Path) -> None:
    """A base install (no uvicorn) still loads the plugin; a test that asks for the fixture fails with one
    line naming the extra, not a traceback."""
    (tmp_path / "conftest.py").write_text(
        "import sys\nsys.modules['uvicorn'] = None  # as if not installed\n"
    )
    (tmp_path / "test_it.py").write_text("def test_it(plaid_emulator):\n    pass\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "pip install 'plaid-balance[testing]'" in result.stdout
    assert "Traceback" not in result.stdout and "another exception occurred" not in result.stdout
