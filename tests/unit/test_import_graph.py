"""No import cycle inside src/paykeep (issue 12 #5).

The graph is read from the source with `ast`, not by importing anything: every `import` and `from … import`
counts, at module level and inside functions (an import inside a function is still a dependency, only a later
one), except those under `if TYPE_CHECKING:`, which never run. Constant strings that name a module the way a
loader does (`importlib.import_module("paykeep.x")`, `"paykeep.x:function"`) count too: a cycle hidden in a
string is still a cycle. Imports built at run time from f-strings cannot be seen here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
_LOADER_STRING = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?::[A-Za-z_]\w*)?$")


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int


def module_files(root: Path, package: str) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    return files


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, known: set[str]) -> list[Edge]:
    """The modules of `known` that `name` (the module in `path`) imports, with the line of each import."""
    is_package = path.name == "__init__.py"
    found: list[tuple[str, int]] = []

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if _is_type_checking(node.test):  # the body never runs; an `else:` does
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.extend((alias.name, node.lineno) for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, node.lineno))
            found.extend((f"{module}.{alias.name}", node.lineno) for alias in node.names)

        def visit_Constant(self, node: ast.Constant) -> None:
            if isinstance(node.value, str) and (match := _LOADER_STRING.match(node.value)):
                found.append((match.group(1), node.lineno))

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    edges: dict[str, Edge] = {}
    for target, line in found:
        if target in known and target != name and target not in edges:
            edges[target] = Edge(name, target, line)
    return list(edges.values())


def import_graph(root: Path, package: str) -> dict[str, list[Edge]]:
    files = module_files(root, package)
    return {name: imports_of(name, path, set(files)) for name, path in files.items()}


def cycles(graph: dict[str, list[Edge]]) -> list[list[Edge]]:
    """One concrete cycle (as the edges that close it) per strongly connected component of more than one
    module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            edges = graph[node]
            if i < len(edges):
                work.append((node, i + 1))
                nxt = edges[i].imported
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return [_a_cycle_in(graph, component) for component in components]


def _a_cycle_in(graph: dict[str, list[Edge]], component: set[str]) -> list[Edge]:
    """The shortest path from the component's first module back to itself (breadth first, inside it)."""
    start = min(component)
    came_by: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for edge in graph[node]:
                if edge.imported not in component:
                    continue
                if edge.imported == start:
                    path = [edge]
                    while path[0].importer != start:
                        path.insert(0, came_by[path[0].importer])
                    return path
                if edge.imported not in came_by:
                    came_by[edge.imported] = edge
                    following.append(edge.imported)
        frontier = following
    raise AssertionError(f"no cycle through {start} in its own component")  # pragma: no cover


def describe(cycle: list[Edge], files: dict[str, Path], root: Path) -> str:
    steps = [f"  {edge.importer} -> {edge.imported}   ({files[edge.importer].relative_to(root)}:{edge.line})"
             for edge in cycle]
    return "\n".join(steps)


def test_there_is_no_import_cycle_in_paykeep() -> None:
    graph = import_graph(SRC, "paykeep")
    files = module_files(SRC, "paykeep")
    assert len(graph) > 100, f"found only {len(graph)} modules under {SRC}: is this the checkout?"
    found = cycles(graph)
    assert not found, f"{len(found)} import cycle(s) in src/paykeep (each: who imports whom, where):\n" + (
        "\n\n".join(describe(cycle, files, SRC) for cycle in found))


# -- the walker itself, on a small package written here: it finds what it must, and no more ---------------


def _package(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_cycle_through_a_function_level_import_is_found_with_its_lines(tmp_path: Path) -> None:
    _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "def late():\n    from ..a import thing\n",
        "pkg/b.py": "import os\n\nimport pkg.sub.c\n",
    })
    found = cycles(import_graph(tmp_path, "pkg"))
    assert [[(e.importer, e.imported, e.line) for e in cycle] for cycle in found] == [
        [("pkg.a", "pkg.b", 1), ("pkg.b", "pkg.sub.c", 3), ("pkg.sub.c", "pkg.a", 2)]]


def test_type_checking_imports_do_not_count_but_else_branches_and_loader_strings_do(tmp_path: Path) -> None:
    _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "import typing\nfrom pkg import b\n",
        "pkg/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
        "pkg/c.py": "import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    from . import d\n",
        "pkg/d.py": "TARGET = 'pkg.c:run'\n",
    })
    found = cycles(import_graph(tmp_path, "pkg"))
    assert [sorted(e.importer for e in cycle) for cycle in found] == [["pkg.c", "pkg.d"]]
