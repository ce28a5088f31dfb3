"""The import graph of audit/ and checks/, read from the source: one direction, no cycle.

Every import counts, at module level or inside a function (a function-level import is still a
dependency, only a later one), except those under ``if TYPE_CHECKING:``, which never run.
``import a.b`` and ``from a import b`` (``b`` a module) point at ``a.b``; ``from a import x``
(``x`` a name) points at ``a``. A package's ``__init__`` is the package's own node.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("audit", "checks")

# Imports that still close a cycle, each to be broken; remove an entry once its cycle is gone
# (test_no_import_cycle_at_all then passes, and its xfail marker goes too).
KNOWN_CYCLE_EDGES = {
    # The loader asks identifiers for row counters; identifiers reads the loader's column kinds.
    ("audit.spark.load", "audit.spark.identifiers"),
}


def module_files(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Module name -> source file, for every module of the packages."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def under_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that the module ``name`` (source at ``path``) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and under_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return {target for target in targets if target in known and target != name}


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    files = module_files(root, packages)
    return {name: imports_of(name, path, set(files)) for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
    return found


def test_the_graph_counts_function_level_imports_and_skips_type_checking_ones(tmp_path):
    """On a planted package: the cycle made by a function-level import is found, the one made
    by a TYPE_CHECKING import is not, relative imports resolve, names are not modules."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text("def thing():\n    from pkg import a\n    return a\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.d import x\n"
                                  "else:\n    import json\n")
    (package / "d.py").write_text("from pkg import c\nx = 1\n")
    (package / "sub" / "__init__.py").write_text("from .e import y\n")
    (package / "sub" / "e.py").write_text("from ..a import thing\ny = 2\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.b"] == {"pkg.a"} and graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.c"] == set() and graph["pkg.d"] == {"pkg.c"}
    assert graph["pkg.sub"] == {"pkg.sub.e"} and graph["pkg.sub.e"] == {"pkg.a"}
    assert cycles(graph) == [{"pkg.a", "pkg.b"}]


def test_checks_never_import_audit():
    graph = import_graph()
    crossing = sorted((name, target) for name, targets in graph.items() if name.startswith("checks")
                      for target in targets if target == "audit" or target.startswith("audit."))
    assert crossing == []
    assert any(target.startswith("checks") for target in graph["audit.runner"])  # the graph sees across packages


def test_no_import_cycle_but_the_known_ones():
    graph = import_graph()
    assert KNOWN_CYCLE_EDGES <= {(name, target) for name, targets in graph.items() for target in targets}
    without_known = {name: {t for t in targets if (name, t) not in KNOWN_CYCLE_EDGES} for name, targets in graph.items()}
    assert [sorted(c) for c in cycles(without_known)] == []


@pytest.mark.xfail(strict=True, reason="a cycle remains to be broken: audit.spark.load <-> "
                                       "audit.spark.identifiers; see KNOWN_CYCLE_EDGES")
def test_no_import_cycle_at_all():
    assert cycles(import_graph()) == []


def test_data_quality_loads_in_a_process_whose_main_module_has_no_file():
    """great-expectations imports Spark Connect when pyspark is installed; without Connect's own
    packages that import takes `python -c` (or a heredoc, or a worker process) for a doctest
    run and exits with status 0, so an audit scripted that way would stop unseen and pass."""
    script = "import great_expectations; print('loaded')"
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout.strip()) == (0, "loaded"), done.stderr[-2000:]
