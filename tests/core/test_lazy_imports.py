"""Imports inside functions only at the command boundary and for optional extras (docs/architecture.md,
"Start-up cost").

A command's declaration (``cli/<command>.py``: options and help) loads its implementation
(``cli/impl/<command>.py``) inside the command's callback: that one import is the command boundary. The
output format is part of it: for ``--format table`` the declaration also gets the table printer
(``cli.tables``, with rich) from ``cli.boundary.table_printer``, the one other import the boundary makes,
and hands it to the implementation. A demo's dashboard mode has an implementation of its own
(``cli/impl/demo_dashboard.py``), and so do the option types: click converts a value only when a command
runs, so ``cli/params.py`` (and ``cli/recall.py``'s ``--db``) load their conversion from ``cli/impl/params.py``
(``cli/impl/recall.py``) through the same boundary. An optional extra (starlette, jinja2, matplotlib...) is imported where
the part needing it runs, after ``require_extra``/``has_extra``; so is the emulator, which cannot be
imported without its extra. A package's ``__getattr__`` (its lazy names) loads on first use. Every other
import is at the top of its module: the retry machinery (stamina) included, loaded with the client.

Every module keeps it (issue 18 §5): no list of modules still to convert is left. The one documented
exception is ``DOCUMENTED`` below.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from plaid_balance._extras import EXTRAS

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "plaid_balance"
# uvicorn's speed-ups come with the extras that bring uvicorn; the emulator (and the fixtures' handle on
# it) cannot be imported without its extra, so loading it is loading that extra (the pytest plugin, an
# entry point loaded in every pytest session, imports it when a test asks for a fixture).
OPTIONAL = {module for modules in EXTRAS.values() for module in modules} | {"httptools", "uvloop"}
OPTIONAL_OWN = ("plaid_balance.emulator", "plaid_balance.testing._handle")

# The one documented exception (docs/decisions.md, "Alembic only when a migration is due"): Alembic costs
# about 130 ms beside the 220 ms of opening a database with SQLAlchemy, and is needed once per upgrade.
DOCUMENTED = {("plaid_balance.storage.engine", "plaid_balance.storage.upgrade")}


def _module(path: Path, src: Path = SRC) -> str:
    return ".".join(path.relative_to(src).with_suffix("").parts).removesuffix(".__init__")


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        parts = package.split(".")
        base = parts[: len(parts) - node.level + 1]
        return [".".join([*base, node.module] if node.module else base)]
    return [node.module or ""]


def _is_own_optional(target: str) -> bool:
    return any(target == own or target.startswith(f"{own}.") for own in OPTIONAL_OWN)


def _is_boundary(module: str, targets: list[str]) -> bool:
    """A command declaration (``cli/NAME.py``) loading its implementation (``cli/impl/NAME.py``), or the
    implementation of one of its modes (``cli/impl/NAME_MODE.py``: ``demo --dashboard``), or the
    boundary's ``table_printer`` loading the table printer (``cli/tables.py``, rich) for ``--format table``."""
    if module == "plaid_balance.cli.boundary":
        return targets == ["plaid_balance.cli.tables"]
    implementation = f"plaid_balance.cli.impl.{module.rpartition('.')[2]}"
    declaration = module.startswith("plaid_balance.cli.") and not module.startswith("plaid_balance.cli.impl.")
    return declaration and all(t == implementation or t.startswith(f"{implementation}_") for t in targets)


def lazy_imports(path: Path, src: Path = SRC) -> Iterator[tuple[str, int]]:
    """(target, line) of every import inside a function that the rule does not allow."""
    module = _module(path, src)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, function: str | None) -> Iterator[tuple[str, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from visit(child, function or child.name)
            elif isinstance(child, ast.Import | ast.ImportFrom) and function is not None:
                targets = _targets(child, package)
                if function == "__getattr__" or _is_boundary(module, targets):
                    continue
                if all((module, t) in DOCUMENTED for t in targets):
                    continue
                if all(t.partition(".")[0] in OPTIONAL or _is_own_optional(t) for t in targets):
                    continue
                yield from ((t, child.lineno) for t in targets)
            else:
                yield from visit(child, function)

    yield from visit(ast.parse(path.read_text(encoding="utf-8")), None)


def counts() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lazy = [f"{target} (line {line})" for target, line in lazy_imports(path)]
        if lazy:
            found[_module(path)] = lazy
    return found


def test_imports_inside_functions_only_at_the_boundary_and_for_extras() -> None:
    found = counts()
    assert not found, "import these at the top of the module (docs/architecture.md, Start-up cost): " + (
        "; ".join(f"{module}: {', '.join(lazy)}" for module, lazy in sorted(found.items()))
    )


def test_the_rule_sees_a_lazy_import_and_lets_the_boundary_through(tmp_path: Path) -> None:
    declaration = tmp_path / "plaid_balance" / "cli" / "get.py"
    declaration.parent.mkdir(parents=True)
    declaration.write_text(
        "def get():\n    from plaid_balance.cli.impl.get import run\n    run()\n\n"
        "def get_cached():\n    from plaid_balance.cli.impl.get_cached import run\n    run()\n\n"
        "def other():\n    import matplotlib\n    from plaid_balance.emulator import run_emulator\n"
        "    from plaid_balance.cli import render\n"
        "    from plaid_balance.cli.impl.check import run\n",
        encoding="utf-8",
    )
    found = [target for target, _ in lazy_imports(declaration, tmp_path)]
    assert found == ["plaid_balance.cli", "plaid_balance.cli.impl.check"]


def test_the_rule_keeps_the_boundary_to_declarations_and_alembic_to_the_engine(tmp_path: Path) -> None:
    cli_impl = tmp_path / "plaid_balance" / "cli" / "impl"
    storage = tmp_path / "plaid_balance" / "storage"
    for folder in (cli_impl, storage):
        folder.mkdir(parents=True)
    (cli_impl / "get.py").write_text("def run():\n    from plaid_balance.cli.impl.get_x import go\n")
    (storage / "engine.py").write_text(
        "def migrate():\n    from plaid_balance.storage.upgrade import upgrade\n"
    )
    (storage / "database.py").write_text(
        "def open():\n    from plaid_balance.storage.upgrade import upgrade\n"
    )
    assert [t for t, _ in lazy_imports(cli_impl / "get.py", tmp_path)] == ["plaid_balance.cli.impl.get_x"]
    assert list(lazy_imports(storage / "engine.py", tmp_path)) == []
    assert [t for t, _ in lazy_imports(storage / "database.py", tmp_path)] == [
        "plaid_balance.storage.upgrade"
    ]
