"""The project's modules import each other without a circle, and in layers:
wsgi → web → jobs → reports → domain → models, never back up, with the demo
generator beside the domain rules (it uses them, they never use it). Read from
the source with ast (every import, also one inside a function), not by importing."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("models", "domain", "demo", "reports", "jobs", "web", "wsgi")
# What each layer may import of the others.
MAY_IMPORT = {
    "models": set(),
    "domain": {"models"},
    "demo": {"domain", "models"},
    "reports": {"domain", "models"},
    "jobs": {"reports", "domain", "models"},
    "web": {"jobs", "reports", "demo", "domain", "models"},
    "wsgi": {"web", "jobs", "reports", "domain", "models"},
}


def modules() -> dict[str, Path]:
    """Every first-party module by dotted name ("web" is web/__init__.py)."""
    found = {"wsgi": ROOT / "wsgi.py"}
    for package in LAYERS[:-1]:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _import_nodes(nodes):
    """Every import statement among the nodes, at any depth, except those for
    type checkers only (they never run)."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif _type_checking_only(node):
            yield from _import_nodes(node.orelse)
        else:
            yield from _import_nodes(ast.iter_child_nodes(node))


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The first-party modules a module imports: `from web import labels` is
    web.labels, `from web.access import access` is web.access."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = set()
    for node in _import_nodes([ast.parse(path.read_text(encoding="utf-8"))]):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        out.update(t for t in targets if t.split(".")[0] in LAYERS and t != name)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) & known.keys() for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The circles of a graph: its strongly connected parts of more than one
    module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Every import of another layer that the importer's layer may not use."""
    return [
        f"{source} imports {target}"
        for source, targets in sorted(edges.items())
        for target in sorted(targets)
        if target.split(".")[0] != source.split(".")[0]
        and target.split(".")[0] not in MAY_IMPORT[source.split(".")[0]]
    ]


def test_the_graph_is_read_from_the_source():
    edges = graph()
    assert "web.login" in edges["web.access"]  # a module-level import
    assert "web.labels" in edges["web.cycles"]  # `from web import labels`
    assert "jobs.status" in edges["web"]  # an import inside a function
    assert "web" in edges["wsgi"]
    assert {"models", "domain.results"} <= edges["reports.data"]
    assert "demo" in edges["web.cli"]  # the demo generator, inside a function


def test_cycles_and_upward_imports_are_found():
    made_up = {
        "web.a": {"web.b"},
        "web.b": {"web.c"},
        "web.c": {"web.a", "models.x"},
        "models.x": {"domain.y"},
        "domain.y": set(),
    }
    assert cycles(made_up) == [["web.a", "web.b", "web.c"]]
    assert upward(made_up) == ["models.x imports domain.y"]
    assert upward({"domain.z": {"demo.build"}, "demo.build": {"domain.z"}}) == [
        "domain.z imports demo.build"
    ]


def test_no_module_imports_itself_round_a_circle():
    assert cycles(graph()) == []


def test_no_layer_imports_a_higher_one():
    assert upward(graph()) == []
