"""The documents name things that exist.

The README, docs/architecture.md and the other guides in docs/ name files (`src/plaid_balance/...`, `cli/exit_codes.py`,
`history/`), modules and their attributes (`plaid_balance.cli.exit_codes.exit_code_for`,
`storage.schema`): every such name in backticks must resolve in this checkout, a relative one against
``src/plaid_balance``. The layers diagram of docs/architecture.md names each top-level module in the
box of the layer tests/core/test_architecture.py gives it. docs/decisions.md numbers its decisions
once each, in order, and every link to a decision (``Superseded by [97](#97-...)``) lands on a
decision's heading, a later one for "superseded". The module map of docs/architecture.md names every
module under ``src/plaid_balance``.
"""

from __future__ import annotations

import importlib
import itertools
import re
from pathlib import Path

import pytest

from tests.core import test_architecture as layers

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "plaid_balance"
# The documents that describe the code as it is. docs/decisions.md names what was true when each decision was
# made (its later decisions say what replaced it); docs/emulator.md names a user's own test files.
CHECKED = [
    "README.md",
    *sorted(
        f"docs/{p.name}"
        for p in (ROOT / "docs").glob("*.md")
        if p.name not in {"decisions.md", "emulator.md"}
    ),
]
# Folders of the checkout a path may start with (other paths in backticks are a user's own files).
ROOT_DIRS = {"src", "tests", "bench", "docs", "examples", ".ci"}

# Endings of a user's files named in prose: not modules.
FILE_TYPES = {
    "toml",
    "json",
    "csv",
    "txt",
    "md",
    "html",
    "png",
    "svg",
    "db",
    "sqlite",
    "env",
    "log",
    "yml",
    "yaml",
}
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
SPAN = re.compile(r"`([^`\n]+)`")
PATHLIKE = re.compile(r"[\w.<>*-]+(/[\w.<>*-]*)+|[\w<>-]+\.py")
DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
LINK = re.compile(r"\]\(([^)\s]+)\)")
DECISION = re.compile(r"^(?:#+ (\d+)\. |(\d+)\. \*\*)", re.M)
HEADING = re.compile(r"^(#+) (.+)$", re.M)
MODULE_MAP = "## Module map"
SUPERSEDED = re.compile(r"^(?:Partly )?[Ss]uperseded by \[(\d+)\]\(#([^)]+)\)", re.M)


def _spans(text: str) -> list[str]:
    return SPAN.findall(FENCE.sub("", text))


def _path_exists(name: str) -> bool:
    """A path from the checkout's root, or relative to src/plaid_balance; ``<command>`` is a wildcard."""
    name = name.rstrip("/")
    pattern = re.sub(r"<[^>]*>", "*", name)
    bases = [ROOT] if name.partition("/")[0] in ROOT_DIRS else [PACKAGE, ROOT, ROOT / "src"]
    # `cli/params` names the module cli/params.py.
    patterns = [pattern] if pattern.endswith(".py") else [pattern, f"{pattern}.py"]
    return any(next(base.glob(p), None) is not None for base in bases for p in patterns)


def _module_and_rest(dotted: str) -> tuple[str, list[str]] | None:
    """The longest prefix of ``dotted`` that is a module or package file, and the names after it."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        path = ROOT / "src" / "/".join(parts[:end])
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return ".".join(parts[:end]), parts[end:]
    return None


def _has(obj: object, name: str) -> bool:
    if hasattr(obj, name):
        return True
    # A field with no default (a dataclass's, a msgspec Struct's, a protocol's) is only annotated.
    return any(name in getattr(k, "__annotations__", {}) for k in getattr(obj, "__mro__", [type(obj)]))


def _dotted_exists(name: str) -> bool | None:
    """Whether a dotted name resolves: None when it is not plaid-balance's (``msgspec.convert``)."""
    name = name.removesuffix("()")
    head = name.partition(".")[0]
    if head != "plaid_balance":
        if not ((PACKAGE / head).is_dir() or (PACKAGE / f"{head}.py").is_file()):
            return None
        name = f"plaid_balance.{name}"
    found = _module_and_rest(name)
    if found is None:
        return (ROOT / "src" / name.replace(".", "/")).with_suffix(".py").is_file()
    module_name, rest = found
    obj: object = importlib.import_module(module_name)
    for part in rest:
        if not _has(obj, part):
            return False
        obj = getattr(obj, part, None)
        if obj is None:
            return True  # an annotated field: nothing further to walk
    return True


def missing_names(text: str) -> list[str]:
    """The files and modules ``text`` names in backticks that do not exist in this checkout."""
    missing = []
    for span in _spans(text):
        span = span.strip()
        if span.startswith(("/", "~", "..", "$", "http")) or " " in span:
            continue
        if PATHLIKE.fullmatch(span):
            first = span.partition("/")[0]
            known = (
                first in ROOT_DIRS | {"plaid_balance"} or (PACKAGE / first).is_dir() or span.endswith(".py")
            )
            if known and not _path_exists(span):
                missing.append(span)
        elif span.rpartition(".")[2] in FILE_TYPES:
            continue  # a user's file (`watch.toml`, `items.json`)
        elif DOTTED.fullmatch(span.removesuffix("()")) and _dotted_exists(span) is False:
            missing.append(span)
    for target in LINK.findall(FENCE.sub("", text)):
        path = target.partition("#")[0]
        if path and not path.startswith(("http:", "https:", "mailto:")) and not _link_exists(path):
            missing.append(target)
    return missing


def _link_exists(path: str) -> bool:
    return any((base / path).exists() for base in (ROOT, ROOT / "docs"))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def decision_problems(text: str) -> list[str]:
    """Numbering out of order or repeated, and links to decisions that are not there (or not later)."""
    problems = []
    numbers = [int(a or b) for a, b in DECISION.findall(text)]
    for previous, number in itertools.pairwise(numbers):
        if number != previous + 1:
            problems.append(f"decision {number} follows {previous}")
    anchors = {slug(title): title for _, title in HEADING.findall(text)}
    numbered = {a: int(m.group(1)) for a, t in anchors.items() if (m := re.match(r"(\d+)\. ", t))}
    for target in re.findall(r"\]\(#([^)]+)\)", text):
        if target not in anchors:
            problems.append(f"link to #{target}: no such heading")
    for heading in re.finditer(r"^#+ (\d+)\. .*\n\n?(.*)$", text, re.M):
        line = SUPERSEDED.match(heading.group(2))
        if line is None:
            continue
        number, target = int(line.group(1)), line.group(2)
        if numbered.get(target) != number:
            problems.append(
                f"decision {heading.group(1)}: superseded by [{number}](#{target}), not that decision"
            )
        elif number <= int(heading.group(1)):
            problems.append(f"decision {heading.group(1)}: superseded by an earlier decision, {number}")
    return problems


@pytest.mark.parametrize("doc", CHECKED)
def test_every_file_and_module_a_document_names_exists(doc: str) -> None:
    path = ROOT / doc
    if not path.exists():
        pytest.skip(f"{doc} is not written")
    assert missing_names(path.read_text(encoding="utf-8")) == []


def test_decisions_are_numbered_once_in_order_and_their_links_land() -> None:
    assert decision_problems((ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")) == []


def test_the_diagram_places_each_top_level_module_in_its_layer() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    diagram = FENCE.search(text)
    assert diagram is not None
    boxes: dict[str, str] = {}
    current = ""
    for line in diagram.group(0).splitlines():
        if line[17:18] != "│":
            continue
        label = line[:17].strip()
        if label in {"command line", "features", "storage", "clients", "core"}:
            current = label
        boxes[current] = boxes.get(current, "") + " " + line.split("│")[1]
    words = {layer: set(re.findall(r"[\w]+", box)) for layer, box in boxes.items()}
    for module, layer in layers.TOP_LEVEL.items():
        if module.startswith("__"):
            continue
        label = layer
        assert module in words.get(label, set()), f"{module} ({layer}) is not in the diagram's {label} box"
        for other, names in words.items():
            assert other == label or module not in names, f"{module} ({layer}) drawn in the {other} box"


def package_modules(package: Path) -> set[str]:
    """Every module of ``package`` as the module map names it: its path, a package's ``__init__.py`` by
    its folder (``batch/``), the top-level one as ``__init__.py``."""
    names = set()
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if relative.name == "__init__.py" and relative.parent != Path("."):
            names.add(f"{relative.parent.as_posix()}/")
        else:
            names.add(relative.as_posix())
    return names


def module_map(text: str) -> str:
    """The "## Module map" section of a document (empty when it has none)."""
    start = text.find(f"\n{MODULE_MAP}\n")
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(MODULE_MAP) + 2)
    return text[start : end if end >= 0 else len(text)]


def unnamed_modules(text: str, package: Path) -> list[str]:
    """The modules of ``package`` that the module map of ``text`` does not name, in backticks."""
    named = {span.strip() for span in _spans(module_map(text))}
    return sorted(package_modules(package) - named)


def test_the_module_map_names_every_module() -> None:
    """A new module is placed on the map (docs/architecture.md) when it is made; a name on the map that
    is no module fails ``test_every_file_and_module_a_document_names_exists``."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert module_map(text), f"docs/architecture.md has no {MODULE_MAP!r} section"
    assert unnamed_modules(text, PACKAGE) == []


def test_a_module_the_map_does_not_name_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    for name in ("__init__.py", "a.py", "sub/__init__.py", "sub/b.py", "sub/c.py", "other/__init__.py"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("", encoding="utf-8")
    text = (
        "# Doc\n\nNamed outside the map: `sub/c.py`.\n\n"
        f"{MODULE_MAP}\n\n| module | holds |\n| --- | --- |\n| `__init__.py`, `a.py` | x |\n"
        "| `sub/`, `sub/b.py` | y |\n\n## Next\n\n`other/`\n"
    )
    assert unnamed_modules(text, package) == ["other/", "sub/c.py"]
    assert unnamed_modules("no map", package) == sorted(package_modules(package))


def test_a_wrong_name_in_a_document_is_found(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "The exit codes are in `cli/exit_codes.py` and `plaid_balance.cli.exit_codes.exit_code_for`;\n"
        "the tables in `storage/schema.py`, `src/plaid_balance/storage/`, `storage.schema.Base`.\n"
        "Wrong: `cli/exit_code.py`, `src/plaid_balance/nothing.py`, `history/_engine.py`,\n"
        "`history/migrations/`, `plaid_balance.cli.exit_codes.exit_code_from`, `history._engine`,\n"
        "`plaid_balance.nowhere`, `tests/core/test_nothing.py`, [a link](nowhere.md).\n"
        "Not ours: `msgspec.convert`, `job.toml`, `/accounts/get`, `~/plaid/job.toml`.\n"
        "```\nin a code block: `cli/not_checked.py`\n```\n",
        encoding="utf-8",
    )
    assert missing_names(doc.read_text(encoding="utf-8")) == [
        "cli/exit_code.py",
        "src/plaid_balance/nothing.py",
        "history/_engine.py",
        "history/migrations/",
        "plaid_balance.cli.exit_codes.exit_code_from",
        "history._engine",
        "plaid_balance.nowhere",
        "tests/core/test_nothing.py",
        "nowhere.md",
    ]


def test_a_wrong_decision_link_or_number_is_found(tmp_path: Path) -> None:
    doc = tmp_path / "decisions.md"
    doc.write_text(
        "# Decisions\n\n## 1. First `thing`\n\nSuperseded by [3](#3-third).\n\nText.\n\n"
        "## 2. Second\n\nSuperseded by [1](#1-first-thing).\n\n"
        "## 3. Third, with `code`\n\nSee [2](#2-second) and [9](#9-missing).\n\n"
        "## 3. Again\n\nSuperseded by [5](#3-third-with-code).\n\n"
        "5. **A list item** counts as a decision too.\n",
        encoding="utf-8",
    )
    assert decision_problems(doc.read_text(encoding="utf-8")) == [
        "decision 3 follows 3",
        "decision 5 follows 3",
        "link to #3-third: no such heading",
        "link to #9-missing: no such heading",
        "decision 1: superseded by [3](#3-third), not that decision",
        "decision 2: superseded by an earlier decision, 1",
        "decision 3: superseded by [5](#3-third-with-code), not that decision",
    ]
