"""The house has no circles: the import graph of generator/ points one way
(cli → build → stages → lower modules).

Every import counts, at module level, inside functions and under ``if TYPE_CHECKING:``: a
circle that only type checkers see still means two modules that cannot be understood apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "generator"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, here: str, is_package: bool, modules: set[str]) -> set[str]:
    """The generator modules ``tree`` imports anywhere (``from x import y`` counts ``x.y`` when
    ``y`` is a module, else ``x``)."""
    package = here if is_package else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {name for name in found if name in modules and name != here}


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imported(ast.parse(p.read_text(encoding="utf-8")), module_name(p),
                                     p.name == "__init__.py", modules) for p in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One shortest circle through each module that is on one (none if the graph is a DAG)."""
    found: list[list[str]] = []
    for start in sorted(graph):
        came_from: dict[str, str] = {}
        queue = [start]
        while queue and start not in came_from:
            node = queue.pop(0)
            for nxt in sorted(graph[node]):
                if nxt not in came_from:
                    came_from[nxt] = node
                    queue.append(nxt)
        if start in came_from:
            path = [start]
            while came_from[path[-1]] != start:
                path.append(came_from[path[-1]])
            circle = [start, *reversed(path[1:]), start]
            if not any(set(circle) == set(other) for other in found):
                found.append(circle)
    return found


def test_the_import_graph_of_generator_has_no_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles in generator/:\n" + "\n".join(" → ".join(c) for c in found)


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_lower_modules_do_not_import_the_pipeline():
    graph = import_graph()
    importers = sorted(name for name, deps in graph.items() if "generator.build" in deps)
    assert set(importers) <= {"generator.cli", "generator.serve"}, importers
