"""No import circle between the modules of pims (issue 13.3).

The graph is built from the source with `ast`, not by importing: an edge
A → B for every `import` of B in A outside functions and `if TYPE_CHECKING:`
(a module-level import runs when A is imported). Importing a.b.c also runs
the packages a and a.b, except from inside them (a package's own modules are
imported while it is being initialised, which Python allows).

Two checks: the module-level graph has no cycle, and no import written inside
a function between two apps hides one (its target must not already reach the
importing module at module level) — that is how the events ↔ registry circle
was kept alive before the personal-value helpers moved to
pims.registry.personal.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pims

ROOT = Path(pims.__file__).resolve().parent.parent


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    in_function: bool


def _modules() -> dict[str, Path]:
    out = {}
    for path in (ROOT / "pims").rglob("*.py"):
        rel = path.relative_to(ROOT)
        if "tests" in rel.parts or "migrations" in rel.parts or rel.name.startswith("test_"):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(modules: dict[str, Path]) -> list[Import]:
    found: list[Import] = []

    def runs(name: str, importer: str) -> list[str]:
        """The modules of pims that `import name` runs, seen from `importer`."""
        out = []
        while name:
            if name in modules and name != importer and not importer.startswith(name + "."):
                out.append(name)
            name = name.rpartition(".")[0]
        return out

    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]

        def visit(node: ast.AST, in_function: bool, name: str = name, package: str = package) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                targets: list[str] = []
                if isinstance(child, ast.Import):
                    targets = [alias.name for alias in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        head = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                        base = ".".join(head + ([child.module] if child.module else []))
                    targets = [base] + [f"{base}.{alias.name}" for alias in child.names]
                for target in targets:
                    for module in runs(target, name):
                        found.append(Import(name, module, getattr(child, "lineno", 0), nested))
                visit(child, nested)

        visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in graph.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return out


def _graph(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if not imp.in_function:
            graph.setdefault(imp.source, set()).add(imp.target)
    return graph


def _app(module: str) -> str:
    return module.split(".")[1] if module.count(".") else module


def test_the_graph_sees_the_known_edges():
    imports = _imports(_modules())
    edges = {(i.source, i.target) for i in imports if not i.in_function}
    assert ("pims.registry.services", "pims.events.services") in edges
    assert ("pims.events.forms", "pims.registry.personal") in edges
    assert ("pims.registry.checks.batch", "pims.registry.checks") not in edges  # its own package
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_level_import_circle():
    assert _cycles(_graph(_imports(_modules()))) == []


def test_no_function_level_import_hides_a_circle_between_apps():
    imports = _imports(_modules())
    graph = _graph(imports)
    hidden = [
        f"{i.source}:{i.line} → {i.target}"
        for i in imports
        if i.in_function and _app(i.source) != _app(i.target) and i.source in _reachable(graph, i.target)
    ]
    assert hidden == []


def test_personal_values_depend_on_lib_only():
    """pims.registry.personal is importable from any app without a circle."""
    imports = _imports(_modules())
    targets = {i.target for i in imports if i.source == "pims.registry.personal"}
    assert targets and all(t.startswith("pims.lib") for t in targets)
