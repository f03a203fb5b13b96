"""The layering rules of docs/architecture.md, checked on every import statement in src/.

Every import counts, also those inside functions and under ``TYPE_CHECKING``: a lazy import is still a
dependency. A module's layer comes from its path; the rules say which layers it may import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "plaid_balance"

CORE = "core"
CLIENTS = "clients"
FEATURES = "features"
CLI = "cli"
EMULATOR = "emulator"
# plaid_balance.testing: the emulator as pytest fixtures for other projects (decision in docs/decisions.md).
TESTING = "testing"
ROOT = "root"

# Top-level modules by layer; a new top-level module must be placed here on purpose.
TOP_LEVEL = {
    "_error_body": CORE,
    "_errors": CORE,
    "_extras": CORE,
    "_secret": CORE,
    "_redact": CORE,
    "_log": CORE,
    "_safe_text": CORE,
    "_parse": CORE,
    "_toml": CORE,
    "_csv": CORE,
    "_json_text": CORE,
    "_bounded": CORE,
    "_json": CORE,
    "_money": CORE,
    "_config": CORE,
    "_loopback": CORE,
    "_version": CORE,
    "models": CORE,
    "_report": CORE,
    "_calls": CLIENTS,
    "_retry": CLIENTS,
    "_client": CLIENTS,
    "_fetch": CLIENTS,
    "_sandbox": CLIENTS,
    "_exchange": CLIENTS,
    "funds": FEATURES,
    # uvicorn in a thread for the dashboard and the Link page: a feature's tool, never the core's.
    "_local_server": FEATURES,
    "_http_guard": FEATURES,
    "__init__": ROOT,
    "__main__": CLI,
}
# What each layer may import from plaid_balance (besides itself).
ALLOWED = {
    CORE: {CORE},
    CLIENTS: {CORE, CLIENTS},
    FEATURES: {CORE, CLIENTS, FEATURES},
    CLI: {CORE, CLIENTS, FEATURES, CLI, EMULATOR, ROOT},
    EMULATOR: {EMULATOR},
    # The fixtures wrap the emulator and nothing else: a test suite gets a fake Plaid, not the library.
    TESTING: {EMULATOR},
    # The root only re-exports, lazily; it may name anything but the command line and the emulator.
    ROOT: {CORE, CLIENTS, FEATURES},
}
# Third-party packages that draw or serve pages: never in the core or the clients.
PRESENTATION = {"rich", "pygments", "matplotlib", "jinja2", "click", "starlette", "uvicorn"}
# Known crossings being removed by their owners' branches; each must still exist (so it is deleted here
# when it is fixed) and no new one may appear.
KNOWN_CROSSINGS: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts == ["plaid_balance"]:
        return ROOT
    head = parts[1]
    if head == "cli":
        return CLI
    if head == "emulator":
        return EMULATOR
    if head == "testing":
        return TESTING
    if len(parts) == 2 and head in TOP_LEVEL:
        return TOP_LEVEL[head]
    if (PACKAGE / head).is_dir():
        return FEATURES  # batch, history, vault, link, watch, dashboard, ...
    raise AssertionError(f"{module}: place this top-level module in a layer in {__file__}")


def imports(path: Path, package: str | None = None) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if package is None:
        package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from plaid_balance import x` may name a submodule: then that is what is imported.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                path_of = SRC / candidate.replace(".", "/")
                yield candidate if path_of.is_dir() or path_of.with_suffix(".py").is_file() else target


def edges() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts and "versions" in path.parts:
            continue
        source = module_name(path)
        for target in imports(path):
            yield source, target


def allowed(source: str, target: str) -> bool:
    if target.partition(".")[0] != "plaid_balance":
        return True
    return layer_of(target) in ALLOWED[layer_of(source)] | {layer_of(source)}


def _crossings() -> set[tuple[str, str, str]]:
    return {
        (source, target, f"{layer_of(source)} -> {layer_of(target)}")
        for source, target in edges()
        if not allowed(source, target)
    }


def test_no_module_imports_across_a_forbidden_edge() -> None:
    crossings = {(s, t) for s, t, _ in _crossings()}
    new = sorted(crossings - KNOWN_CROSSINGS)
    assert not new, "forbidden imports (see docs/architecture.md): " + ", ".join(
        f"{s} -> {t}" for s, t in new
    )


@pytest.mark.parametrize("crossing", sorted(KNOWN_CROSSINGS))
def test_known_crossings_still_exist(crossing: tuple[str, str]) -> None:
    assert crossing in {(s, t) for s, t, _ in _crossings()}, f"{crossing} is gone: delete it from the list"


def test_the_emulator_imports_nothing_from_the_library() -> None:
    for source, target in edges():
        if layer_of(source) == EMULATOR and target.startswith("plaid_balance"):
            assert target.startswith("plaid_balance.emulator"), f"{source} imports {target}"


def test_the_library_never_imports_the_emulator_the_fixtures_or_the_command_line() -> None:
    for source, target in edges():
        if layer_of(source) in {CORE, CLIENTS, FEATURES, ROOT}:
            assert not target.startswith(
                ("plaid_balance.emulator", "plaid_balance.cli", "plaid_balance.testing")
            ) or ((source, target) in KNOWN_CROSSINGS), f"{source} imports {target}"


def test_core_and_clients_import_no_presentation_library() -> None:
    for source, target in edges():
        if layer_of(source) in {CORE, CLIENTS}:
            assert target.partition(".")[0] not in PRESENTATION, f"{source} imports {target}"


def test_nothing_in_the_library_imports_the_package_root() -> None:
    # The root is the public facade: modules inside import what they need from where it is defined.
    for source, target in edges():
        if layer_of(source) in {CORE, CLIENTS, FEATURES}:
            assert target != "plaid_balance", f"{source} imports the package root"


@pytest.mark.parametrize(
    ("source", "target", "ok"),
    [
        ("plaid_balance._report", "plaid_balance.cli.render", False),
        ("plaid_balance._client", "plaid_balance.history.store", False),
        ("plaid_balance.history.store", "plaid_balance.emulator", False),
        ("plaid_balance.emulator.app", "plaid_balance._config", False),
        ("plaid_balance.batch._client", "plaid_balance._fetch", True),
        ("plaid_balance.cli.get", "plaid_balance._fetch", True),
        ("plaid_balance.cli.demo", "plaid_balance.emulator", True),
        ("plaid_balance.testing._handle", "plaid_balance.emulator", True),
        ("plaid_balance.testing._handle", "plaid_balance._client", False),
        ("plaid_balance._client", "plaid_balance.testing", False),
    ],
)
def test_the_rules_themselves(source: str, target: str, ok: bool) -> None:
    assert allowed(source, target) is ok


def test_imports_inside_functions_count(tmp_path: Path) -> None:
    module = PACKAGE / "_money.py"  # any real module: parse a variant of it with a lazy import added
    variant = tmp_path / "_money.py"
    variant.write_text(
        module.read_text(encoding="utf-8") + "\n\ndef f():\n    from plaid_balance.cli import render\n",
        encoding="utf-8",
    )
    found = set(imports(variant, package="plaid_balance"))
    assert "plaid_balance.cli.render" in found
