"""The layering rules of docs/architecture.md, checked on every import in src/.

Every import counts, also those inside functions and under ``TYPE_CHECKING``: a lazy import is still a
dependency. So does every ``importlib.import_module(...)`` and ``__import__(...)``: its argument must be a
string the test can read, either written in the call or taken from a table written in the module (a
package's lazy names, the command table), and the test follows it there. An argument it cannot read is
a failure of its own. A module's layer comes from its path; the rules say which layers it may import.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "plaid_balance"

CORE = "core"
CLIENTS = "clients"
# plaid_balance.storage: the one owner of the database (every table, the migrations, the engine).
STORAGE = "storage"
FEATURES = "features"
CLI = "cli"
EMULATOR = "emulator"
# plaid_balance.testing: the emulator as pytest fixtures for other projects (decision in docs/decisions.md).
TESTING = "testing"
ROOT = "root"

# Top-level modules by layer; a new top-level module must be placed here on purpose.
TOP_LEVEL = {
    "_closing": CORE,
    "_error_body": CORE,
    "_errors": CORE,
    # The batch items file's format: read by batch runs and by the vault's import.
    "_items_file": CORE,
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
    "_settings": CORE,
    "_loopback": CORE,
    "_version": CORE,
    "models": CORE,
    "_report": CORE,
    # An Item's health: the one vocabulary of the vault, the watch, the dashboard and the command line.
    "_health": CORE,
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
    STORAGE: {CORE},
    FEATURES: {CORE, CLIENTS, STORAGE, FEATURES},
    CLI: {CORE, CLIENTS, STORAGE, FEATURES, CLI, EMULATOR, ROOT},
    EMULATOR: {EMULATOR},
    # The fixtures wrap the emulator and nothing else: a test suite gets a fake Plaid, not the library.
    TESTING: {EMULATOR},
    # The root only re-exports, lazily; it may name anything but the command line and the emulator.
    ROOT: {CORE, CLIENTS, FEATURES},
}
# Third-party packages that reach the database: only in the storage package.
DATABASE = {"sqlalchemy", "alembic", "psycopg", "psycopg2", "sqlite3"}
# SQL in a string: only the storage package writes it.
SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|(CREATE|ALTER|DROP)\s+(TABLE|INDEX)|PRAGMA\s+\w)",
    re.S,
)
# Features that hold what others build on (the database's rows, the Items): they import no workflow.
FOUNDATION_FEATURES = {"history", "vault"}
WORKFLOW_FEATURES = {"batch", "funds", "link", "watch", "dashboard"}
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
    if head == "storage":
        return STORAGE
    if len(parts) == 2 and head in TOP_LEVEL:
        return TOP_LEVEL[head]
    if (PACKAGE / head).is_dir():
        return FEATURES  # batch, history, vault, link, watch, dashboard, ...
    raise AssertionError(f"{module}: place this top-level module in a layer in {__file__}")


DYNAMIC = "<dynamic import>"  # what ``imports`` yields for an import_module argument it cannot read


def _assignments(body: Iterable[ast.stmt]) -> dict[str, list[tuple[ast.expr, int | None]]]:
    """Name -> what was assigned to it (and the index, when it was unpacked from a tuple), in ``body``
    and the blocks nested in it, not in nested functions."""
    found: dict[str, list[tuple[ast.expr, int | None]]] = {}

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
                continue
            if isinstance(child, ast.Assign | ast.AnnAssign) and child.value is not None:
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, []).append((child.value, None))
                    elif isinstance(target, ast.Tuple):
                        for i, element in enumerate(target.elts):
                            if isinstance(element, ast.Name):
                                found.setdefault(element.id, []).append((child.value, i))
            visit(child)

    for statement in body:
        visit(ast.Module(body=[statement], type_ignores=[]))
    return found


class _Strings:
    """The strings an expression can have, read from the module's own text (None: cannot tell)."""

    def __init__(self, tree: ast.Module) -> None:
        self.globals = _assignments(tree.body)

    def values(self, node: ast.expr, local: dict[str, list[tuple[ast.expr, int | None]]]) -> set[Any] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.JoinedStr):
            parts: list[set[Any]] = []
            for part in node.values:
                value = self.values(part.value if isinstance(part, ast.FormattedValue) else part, local)
                if value is None or not all(isinstance(v, str) for v in value):
                    return None
                parts.append(value)
            return {"".join(combination) for combination in itertools.product(*parts)}
        if isinstance(node, ast.Tuple):
            elements = [self.values(e, local) for e in node.elts]
            if any(e is None for e in elements):
                return None
            return set(itertools.product(*elements))  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            scope = local if node.id in local else self.globals
            if node.id not in scope:
                return None
            found: set[Any] = set()
            for expr, index in scope[node.id]:
                value = self.values(expr, local if scope is local else {})
                if value is None:
                    return None
                found |= value if index is None else {v[index] for v in value if isinstance(v, tuple)}
            return found
        if isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int):
                value = self.values(node.value, local)
                i = node.slice.value
                return None if value is None else {v[i] for v in value if isinstance(v, tuple)}
            return self._table(node.value, local)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, subject = node.func.attr, node.func.value
            if method == "get":
                return self._table(subject, local)
            if method in {"split", "partition", "rpartition"} and node.args:
                value, sep = self.values(subject, local), self.values(node.args[0], local)
                if value is None or sep is None or len(sep) != 1:
                    return None
                (separator,) = sep
                return {tuple(getattr(str(v), method)(separator)) for v in value}
        return None

    def _table(self, node: ast.expr, local: dict[str, list[tuple[ast.expr, int | None]]]) -> set[Any] | None:
        """Every value of a dict written in the module (``**dict.fromkeys(names, value)`` included)."""
        if not isinstance(node, ast.Name) or node.id in local or len(self.globals.get(node.id, [])) != 1:
            return None
        ((table, _),) = self.globals[node.id]
        if not isinstance(table, ast.Dict):
            return None
        found: set[Any] = set()
        for key, value in zip(table.keys, table.values, strict=True):
            if key is None:  # **dict.fromkeys([...], value)
                if not (isinstance(value, ast.Call) and len(value.args) == 2):
                    return None
                value = value.args[1]
            strings = self.values(value, {})
            if strings is None:
                return None
            found |= strings
        return found


def _dynamic_imports(tree: ast.Module) -> Iterator[str]:
    """The modules named by ``importlib.import_module(...)`` / ``__import__(...)`` calls."""
    strings = _Strings(tree)

    def visit(node: ast.AST, local: dict[str, list[tuple[ast.expr, int | None]]]) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                body = child.body if isinstance(child.body, list) else []
                yield from visit(child, _assignments(body))
                continue
            if isinstance(child, ast.Call) and _is_import_call(child.func) and child.args:
                found = strings.values(child.args[0], local)
                if found is None or not all(isinstance(v, str) for v in found):
                    yield DYNAMIC
                else:
                    yield from sorted(found)
            yield from visit(child, local)

    yield from visit(tree, {})


def _is_import_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in {"import_module", "__import__"}
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


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
    yield from _dynamic_imports(tree)


def edges() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts and "versions" in path.parts:
            continue
        source = module_name(path)
        for target in imports(path):
            yield source, target


def allowed(source: str, target: str) -> bool:
    if target == DYNAMIC or target.partition(".")[0] != "plaid_balance":
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
        ("plaid_balance.history.store", "plaid_balance.storage.database", True),
        ("plaid_balance.storage.history", "plaid_balance.history.store", False),
        ("plaid_balance.storage.database", "plaid_balance._errors", True),
        ("plaid_balance._report", "plaid_balance.storage.schema", False),
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


def test_every_dynamic_import_names_its_modules() -> None:
    # An import_module argument the test cannot read would be a dependency no rule here can see.
    unread = sorted(source for source, target in edges() if target == DYNAMIC)
    assert not unread, f"dynamic imports of modules this test cannot read: {unread}"


def test_dynamic_imports_count(tmp_path: Path) -> None:
    module = PACKAGE / "_money.py"
    variant = tmp_path / "_money.py"
    variant.write_text(
        module.read_text(encoding="utf-8")
        + "\n\nimport importlib\n"
        + "_TABLE = {'a': 'plaid_balance.cli.render', **dict.fromkeys(['b'], 'plaid_balance.emulator:app')}\n"
        + "def f(name):\n    importlib.import_module('plaid_balance.cli.text')\n"
        + "    __import__(f'plaid_balance.{name and \"watch\"}')\n"
        + "    target = _TABLE.get(name)\n    module, _ = target.split(':')\n"
        + "    return importlib.import_module(module)\n"
        + "def g(name):\n    return importlib.import_module(name)\n",
        encoding="utf-8",
    )
    found = set(imports(variant, package="plaid_balance"))
    assert {"plaid_balance.cli.text", "plaid_balance.cli.render", "plaid_balance.emulator"} <= found
    assert DYNAMIC in found  # g: a name from outside, and the f-string's {name and "watch"}


def test_the_lazy_tables_are_followed() -> None:
    # The command table and the packages' lazy names load modules through importlib: each one counts.
    found = {(s, t) for s, t in edges()}
    assert ("plaid_balance.cli", "plaid_balance.cli.get") in found
    assert ("plaid_balance", "plaid_balance._client") in found
    assert ("plaid_balance.history", "plaid_balance.history.store") in found
    assert ("plaid_balance.vault", "plaid_balance.vault._vault") in found


def test_only_the_storage_package_touches_the_database() -> None:
    for source, target in edges():
        if target.partition(".")[0] in DATABASE:
            assert layer_of(source) == STORAGE, f"{source} imports {target}: go through plaid_balance.storage"


def test_no_sql_outside_the_storage_package() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        if layer_of(module_name(path)) == STORAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not SQL.search(node.value), f"{module_name(path)}:{node.lineno} writes SQL"


def test_the_vault_and_the_history_import_no_workflow() -> None:
    # The vault and the history are what batch, the funds check, Link, the watch and the dashboard build
    # on; an import the other way would make them one tangle (the vault's import read batch's items
    # file; the file's format now lives in the core, _items_file, for both).
    for source, target in edges():
        parts = source.split(".")
        if len(parts) > 1 and parts[1] in FOUNDATION_FEATURES and target.startswith("plaid_balance."):
            assert target.split(".")[1] not in WORKFLOW_FEATURES, f"{source} imports {target}"
